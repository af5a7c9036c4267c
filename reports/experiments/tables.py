"""An experiment's results as captioned tables: one source for the terminal and the reports.

``dlnverify simulate`` prints these tables, and ``simulate --report`` typesets the same ones
(:mod:`reports.documents.experiment`), so the two cannot drift apart.  Each builder takes the
summary dictionary of one kind of run (the ``--json`` output) and formats its numbers once:

- :func:`training_tables`: a training run (:func:`reports.experiments.training.summarise`), with the
  empirical modewise diffusion against Eq. 7 when it was recorded
  (:func:`reports.experiments.diffusion.experiment_summary`);
- :func:`stationary_tables`: a stationary ensemble against the law of C10 and the mean of
  C17 (:func:`reports.experiments.stationary.stationary_experiment_summary`);
- :func:`collapse_tables`: collapse rates without label noise against C11 and C16
  (:func:`reports.experiments.collapse.collapse_experiment_summary`);
- :func:`sweep_tables`: one row per run of a sweep.

Cells are plain text (``±``, ``sigma``, ``s_1``); :func:`format_text` lays the tables out
for the terminal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reports.experiments.kind import ExperimentKind

__all__ = [
    "ExperimentTables",
    "MAX_SWEEP_COLUMNS",
    "MISSING_CELL",
    "Table",
    "collapse_tables",
    "format_text",
    "stationary_tables",
    "sweep_columns",
    "sweep_tables",
    "text_table",
    "training_tables",
]


@dataclass(frozen=True)
class Table:
    """One table of an experiment's results.

    Attributes
    ----------
    header : tuple[str, ...]
        Column titles.
    rows : tuple[tuple[str, ...], ...]
        Formatted cells, one tuple per row, as long as the header.
    caption : str
        What the table shows (``""``: none; the heading of the results introduces it).
    """

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.header):
                raise ValueError(
                    f"Got a row of {len(row)} cells, but the table has {len(self.header)} columns."
                )


@dataclass(frozen=True)
class ExperimentTables:
    """The results of one ``simulate`` run, ready to print or typeset.

    Attributes
    ----------
    kind : str
        The :class:`~reports.experiments.kind.ExperimentKind` of the run, or ``"sweep"``.
    heading : str
        One line saying what was run (``""``: none).
    tables : tuple[Table, ...]
        The tables, in order.
    notes : tuple[str, ...]
        Lines after the tables: the verdict with its threshold, how to read the columns.
    verdict : str
        The run's comparison with a law in a few words (``""``: it compares with none).
    holds : bool or None
        Whether that comparison holds (``None`` without a verdict).
    """

    kind: str
    heading: str
    tables: tuple[Table, ...]
    notes: tuple[str, ...] = ()
    verdict: str = ""
    holds: bool | None = None

    def __post_init__(self) -> None:
        if bool(self.verdict) != (self.holds is not None):
            raise ValueError("Got a verdict without holds or holds without a verdict.")


#: A sweep table with more columns than this is split into one table per mode.
MAX_SWEEP_COLUMNS = 8
_MODE_COLUMN = re.compile(r"(?P<name>.+)_(?P<mode>[0-9]+)")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], caption: str = "") -> Table:
    return Table(tuple(header), tuple(tuple(row) for row in rows), caption)


def _time(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def _rate(value: float | None, se: float | None) -> str:
    return "-" if value is None or se is None else f"{value:.3f} ± {se:.2g}"


def _imbalance(values: Sequence[float]) -> str:
    return ", ".join(f"{v:.3g}" for v in values) or "-"


def training_tables(summary: Mapping[str, Any]) -> ExperimentTables:
    """Final modes and half times of a training run, and the diffusion table if recorded.

    Parameters
    ----------
    summary : mapping
        :func:`reports.experiments.training.summarise`, with ``"diffusion"``
        (:func:`reports.experiments.diffusion.experiment_summary`) when the run recorded it.
    """
    config = summary["config"]
    rows = [
        [f"s_{a}", f"{sigma:g}", f"{s:.6g}", "-" if t is None else f"{t:g}"]
        for a, (sigma, s, t) in enumerate(
            zip(
                config["singular_values"],
                summary["final_modes"],
                summary["half_times"],
                strict=True,
            ),
            1,
        )
    ]
    header = ["mode", "sigma", f"s at t={summary['final_time']:g}", "t(s = sigma/2)"]
    tables = [_table(header, rows)]
    if "diffusion" in summary:
        rows = [
            [
                f"s_{m['mode']}",
                f"{_time(m['empirical_peak_time'])} ± {m['peak_time_uncertainty']:.2g}",
                _time(m["s_star_crossing_time"]),
                _time(m["half_time"]),
                _time(m["full_time"]),
                "-"
                if m["median_relative_error_window"] is None
                else f"{100 * m['median_relative_error_window']:.0f} %",
            ]
            for m in summary["diffusion"]["modes"]
        ]
        header = ["mode", "diffusion peak t", "s = s* at t", "s = sigma/2", "s = 0.9 sigma"]
        header.append("median |D/Eq.7 - 1| while learning")
        caption = "empirical modewise diffusion vs Eq. 7 (aligned-balanced closed form):"
        tables.append(_table(header, rows, caption))
    note = (
        f"final population loss {summary['final_loss']:.6g}; largest cross-mode "
        f"{summary['max_cross_mode']:.3g}; relative imbalance "
        f"{_imbalance(summary['final_relative_imbalance'])}"
    )
    return ExperimentTables(ExperimentKind.TRAINING, "", tuple(tables), (note,))


def stationary_tables(summary: Mapping[str, Any]) -> ExperimentTables:
    """Each mode's ensemble mean and variance against the law of C10 and the mean of C17.

    Parameters
    ----------
    summary : mapping
        :func:`reports.experiments.stationary.stationary_experiment_summary`.
    """
    rows = [
        [
            f"s_{m['mode']}",
            f"{m['sigma']:g}",
            f"{m['mean']:.5g} ± {m['mean_se']:.2g}",
            f"{m['derived_mean']:.5g}",
            f"{m['z_mean']:.2f}",
            f"{m['variance']:.4g} ± {m['variance_se']:.2g}",
            f"{m['derived_variance']:.4g}",
            f"{m['z_variance']:.2f}",
            f"{m['drift_zero_mean']:.5g}",
            f"{m['network_mean']:.5g}",
            f"{m['z_network_mean']:.2f}",
        ]
        for m in summary["modes"]
    ]
    header = ["mode", "sigma", "mean", "law mean", "z", "variance", "law variance", "z"]
    header += ["drift zero (paper's mean)", "network mean (C17)", "z"]
    config = summary["config"]
    dt = config.get("dt") or config["eta"]  # SimulationConfig.time_step
    heading = (
        f"{summary['n_networks']} networks from the {summary['start']} start at t = "
        f"{summary['final_time']:g}, kappa = {summary['kappa']:g}, dt = {dt:g},"
        " vs the derived stationary law (C10):"
    )
    verdict = "agrees" if summary["agrees"] else "DISAGREES"
    notes = (
        f"the ensemble {verdict} with the derived law (|z| <= {summary['threshold']:.2f}, "
        f"false-alarm rate {summary['false_alarm_rate']:g}, Bonferroni); largest cross-mode "
        f"{summary['final_max_cross_mode']:.3g}; relative imbalance "
        f"{_imbalance(summary['final_relative_imbalance'])}",
        "network mean (C17): the full network's mean to first order in kappa at the balanced"
        " teacher point; the law is that of a single mode (width one); z against C17 is not"
        " part of the verdict",
    )
    agrees = bool(summary["agrees"])
    return ExperimentTables(
        ExperimentKind.STATIONARY,
        heading,
        (_table(header, rows),),
        notes,
        f"the ensemble {'agrees' if agrees else 'disagrees'} with the derived stationary law"
        " of a mode (C10)",
        agrees,
    )


def collapse_tables(summary: Mapping[str, Any]) -> ExperimentTables:
    """Collapse rates per window, and the last window against C11's rate and C16's row rate.

    Parameters
    ----------
    summary : mapping
        :func:`reports.experiments.collapse.collapse_experiment_summary`.
    """
    modes = summary["modes"]
    dt, half = summary["time_steps"]
    heading = (
        f"{summary['n_networks']} networks from s_a = sigma_a (1 - {summary['start_gap']:g}), "
        f"kappa = {summary['kappa']:g}, no label noise, dt = {dt:g} and "
        f"{half:g} (Richardson):"
    )
    windows = _table(
        ["t", *(f"s_{m['mode']} (sigma {m['sigma']:g})" for m in modes)],
        [
            [f"{w['start']:g}-{w['end']:g}"]
            + [_rate(m["windows"][k]["rate"], m["windows"][k]["rate_se"]) for m in modes]
            for k, w in enumerate(modes[0]["windows"])
        ],
        "collapse rate -d/dt E log|sigma_a - s_a| per window:",
    )
    last = _table(
        ["mode", "sigma", "C11 rate", "row estimate", "last window", "z C11", "z row"],
        [
            [
                f"s_{m['mode']}",
                f"{m['sigma']:g}",
                f"{m['c11_rate']:.4g}",
                f"{m['row_rate']:.4g}",
                _rate(m["late_rate"], m["late_rate_se"]),
                "-" if m["late_z_c11"] is None else f"{m['late_z_c11']:.1f}",
                "-" if m["late_z_row"] is None else f"{m['late_z_row']:.1f}",
            ]
            for m in modes
        ],
    )
    verdict = "follows" if summary["follows_c11"] else "DEPARTS FROM"
    note = (
        f"the full network {verdict} the modewise collapse rate of C11 (|z| <= "
        f"{summary['threshold']:.2f} in every resolved window, false-alarm rate "
        f"{summary['false_alarm_rate']:g}, Bonferroni); row estimate: the slowest entry of the "
        "mode's row of W* - W (README, Findings); '-': gap at round-off"
    )
    follows = bool(summary["follows_c11"])
    return ExperimentTables(
        ExperimentKind.COLLAPSE,
        heading,
        (windows, last),
        (note,),
        "the full network follows the modewise collapse rate of C11"
        if follows
        else "the full network departs from the modewise collapse rate of C11 (C16 derives"
        " the slower rate)",
        follows,
    )


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.5g}" if isinstance(value, float) else str(value)


#: The cell of a column a run does not have (a third mode of a rank-2 teacher's run); ``-``
#: is a value the run has but could not compute (a half time never reached).
MISSING_CELL = "n/a"


def sweep_columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every column of the sweep's ``rows``, each once, in an order that keeps each row's
    own: a column first met in a later row comes right after the column before it there
    (``half_time_3`` after ``half_time_2``), or first when it opens that row.

    A sweep over ``singular_values`` of different ranks has rows with different per-mode
    columns; its tables and CSV have them all, the cells a run lacks :data:`MISSING_CELL`.
    """
    columns: list[str] = []
    for row in rows:
        previous = None
        for column in row:
            if column not in columns:
                columns.insert(0 if previous is None else columns.index(previous) + 1, column)
            previous = column
    return columns


def sweep_tables(rows: Sequence[Mapping[str, Any]], *, keys: Sequence[str]) -> ExperimentTables:
    """One row per run of a sweep: the swept values, then the run's figures.

    A table wider than :data:`MAX_SWEEP_COLUMNS` is split so that it stays readable in a
    terminal and on a page: the swept values with the run's own columns (``final_loss``,
    ``agrees``), then one table per mode, captioned ``mode s_a:``, of the swept values and the
    columns ending in ``_a`` (the suffix dropped).  The CSV and JSON outputs keep one flat row.

    Parameters
    ----------
    rows : sequence of mappings
        Column -> value, one per run; per-mode columns end in ``_a`` (``mean_1``,
        ``half_time_2``).  The header is every row's columns (:func:`sweep_columns`); a run
        without one of them (of a teacher of lower rank) shows :data:`MISSING_CELL` there.
    keys : sequence of str
        The swept columns: they open every table.
    """
    header = sweep_columns(rows)

    def table(columns: Sequence[str], titles: Sequence[str], caption: str = "") -> Table:
        cells = [[_cell(row[c]) if c in row else MISSING_CELL for c in columns] for row in rows]
        return _table(titles, cells, caption)

    if len(header) <= MAX_SWEEP_COLUMNS:
        return ExperimentTables("sweep", "", (table(header, header),))
    swept = [column for column in header if column in keys]
    own: list[str] = []  # the run's columns that belong to no mode
    modes: dict[str, list[tuple[str, str]]] = {}
    for column in (column for column in header if column not in keys):
        match = _MODE_COLUMN.fullmatch(column)
        if match is None:
            own.append(column)
        else:
            modes.setdefault(match["mode"], []).append((column, match["name"]))
    tables = [table([*swept, *own], [*swept, *own])] if own or not modes else []
    for mode, columns in modes.items():
        names = [column for column, _ in columns]
        titles = [title for _, title in columns]
        tables.append(table([*swept, *names], [*swept, *titles], f"mode s_{mode}:"))
    return ExperimentTables("sweep", "", tuple(tables))


def text_table(table: Table) -> str:
    """The table as aligned plain-text columns under a dashed rule."""
    lines = [table.header, tuple("-" * len(h) for h in table.header), *table.rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(table.header))]
    lines[1] = tuple("-" * w for w in widths)
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join(fmt.format(*line).rstrip() for line in lines)


def format_text(results: ExperimentTables) -> str:
    """The results as the terminal shows them: heading, tables (each after a blank line
    unless it opens the results without a caption), then the notes after a blank line."""
    parts: list[str] = [results.heading] if results.heading else []
    for i, table in enumerate(results.tables):
        if i > 0 or table.caption:
            parts.append("")
        if table.caption:
            parts.append(table.caption)
        parts.append(text_table(table))
    if results.notes:
        parts += ["", *results.notes]
    return "\n".join(parts)
