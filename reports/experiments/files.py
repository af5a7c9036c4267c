r"""Experiment files: the parameters of a ``dlnverify simulate`` run in TOML (DESIGN.md §8).

A file holds the :class:`~reports.experiments.training.SimulationConfig` fields (top-level keys, or a
``[simulate]`` table), and optionally

* ``description = "..."`` — one line shown by ``dlnverify simulate --list-experiments``;
* ``kind = "training" | "stationary" | "collapse"`` — the kind of run
  (:class:`~reports.experiments.kind.ExperimentKind`; a training run unless a file or flag
  names another); ``stationary = true`` and ``collapse = true`` name the same kinds as
  ``kind = "stationary"`` and ``kind = "collapse"``;
* ``start = "aligned" | "small"`` — the start of a stationary ensemble
  (:mod:`reports.experiments.stationary`);
* ``start_gap = 0.01`` — the start of the collapse experiment without label noise
  (:mod:`reports.experiments.collapse`), every network starting at
  :math:`s_a = \sigma_a(1 - \text{start\_gap})`;
* a ``[sweep]`` table, ``key = [value, ...]`` per swept field (:mod:`reports.experiments.sweep`).

The paper's experiments ship as files (``reports/configs/*.toml``) whose defaults reproduce
each figure at a size that runs in minutes on two cores; ``dlnverify simulate --experiment
NAME`` runs one, and ``--config FILE`` and flags override its values.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from dlnverify.errors import InvalidParameter
from reports.experiments.kind import ExperimentKind
from reports.render.file_text import read_bounded_text
from reports.render.toml_document import toml_document

__all__ = [
    "ExperimentFile",
    "MAX_CONFIG_BYTES",
    "load_experiment",
    "shipped_experiment",
    "shipped_experiments",
]

#: Largest experiment file read, in bytes (100 kB; a sweep of 1000 values takes about 10 kB).
MAX_CONFIG_BYTES = 100_000

#: Keys of a file that are not simulation parameters.
_OPTION_KEYS = ("description", "kind", "stationary", "collapse", "start", "start_gap", "sweep")
#: The boolean keys that name a kind: ``stationary = true`` is ``kind = "stationary"``.
_KIND_FLAGS = {"stationary": ExperimentKind.STATIONARY, "collapse": ExperimentKind.COLLAPSE}


@dataclass(frozen=True)
class ExperimentFile:
    """The contents of one experiment file.

    Attributes
    ----------
    parameters : dict
        :class:`~reports.experiments.training.SimulationConfig` fields, validated when applied.
    description : str
        One line on what the file reproduces (``""`` if none).
    kind : ExperimentKind or None
        The kind of run the file names (``None``: it names none).
    start_gap : float or None
        Relative start gap of the collapse experiment.
    start : str or None
        Start of the stationary ensemble (``None``: its default).
    sweep : dict
        Swept field -> list of values (empty: one run).
    """

    parameters: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    kind: ExperimentKind | None = None
    start: str | None = None
    start_gap: float | None = None
    sweep: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def stationary(self) -> bool:
        """Whether the file names a stationary ensemble."""
        return self.kind is ExperimentKind.STATIONARY

    @property
    def collapse(self) -> bool:
        """Whether the file names the collapse experiment."""
        return self.kind is ExperimentKind.COLLAPSE


def load_experiment(path: str | Path) -> ExperimentFile:
    """Read an experiment file; a one-line :class:`~dlnverify.errors.InvalidParameter` names
    any problem: unreadable, larger than :data:`MAX_CONFIG_BYTES` or an endless stream
    (:func:`~reports.render.file_text.read_bounded_text`), not UTF-8 or starting with a
    byte-order mark, not TOML or a TOML document too long to parse
    (:func:`~reports.render.toml_document.toml_document`), a key of the wrong type."""
    name = str(path)
    text = read_bounded_text(
        path,
        name=name,
        kind="config",
        limit=MAX_CONFIG_BYTES,
        advice="an experiment file holds parameters, not data",
    )
    return _parse(toml_document(text, name=name, kind="config"), name)


def _parse(data: Mapping[str, Any], name: str) -> ExperimentFile:
    table = data.get("simulate", data)
    if not isinstance(table, dict):
        raise InvalidParameter(f"Config {name!r}: [simulate] must be a table.")
    outside = [] if table is data else [k for k in data if k not in ("simulate", *_OPTION_KEYS)]
    if outside:  # with a [simulate] table, a top-level parameter would be silently ignored
        raise InvalidParameter(
            f"Config {name!r}: {', '.join(map(repr, outside))} stands outside [simulate];"
            " put every parameter in [simulate], or drop the table."
        )
    options = {key: data[key] for key in _OPTION_KEYS if key in data}
    options |= {key: table[key] for key in _OPTION_KEYS if key in table}
    parameters = {key: value for key, value in table.items() if key not in _OPTION_KEYS}
    description = options.get("description", "")
    start = options.get("start")
    start_gap = options.get("start_gap")
    sweep = options.get("sweep", {})
    if not isinstance(description, str):
        raise InvalidParameter(f"Config {name!r}: description must be a string.")
    kind = _kind(options, name)
    if start is not None and not isinstance(start, str):
        raise InvalidParameter(f"Config {name!r}: start must be a string.")
    if start_gap is not None and (
        isinstance(start_gap, bool) or not isinstance(start_gap, int | float)
    ):
        raise InvalidParameter(f"Config {name!r}: start_gap must be a number.")
    if not isinstance(sweep, dict) or not all(
        isinstance(values, list) and values for values in sweep.values()
    ):
        raise InvalidParameter(
            f"Config {name!r}: [sweep] must be a table of non-empty lists, e.g. dt = [0.01, 0.005]."
        )
    return ExperimentFile(
        parameters=parameters,
        description=description,
        kind=kind,
        start=start,
        start_gap=None if start_gap is None else float(start_gap),
        sweep={key.replace("-", "_"): list(values) for key, values in sweep.items()},
    )


def _kind(options: Mapping[str, Any], name: str) -> ExperimentKind | None:
    """The kind named by ``kind = "..."`` and by the boolean keys (``None``: none), or a
    one-line error when they are malformed or contradict each other."""
    flagged = []
    for key, kind in _KIND_FLAGS.items():
        flag = options.get(key, False)
        if not isinstance(flag, bool):
            raise InvalidParameter(f"Config {name!r}: {key} must be true or false.")
        if flag:
            flagged.append(kind)
    if len(flagged) > 1:
        raise InvalidParameter(f"Config {name!r}: stationary and collapse exclude each other.")
    if "kind" not in options:
        return flagged[0] if flagged else None
    value = options["kind"]
    if value not in list(ExperimentKind):
        raise InvalidParameter(
            f"Config {name!r}: got kind = {value!r}, but it must be one of"
            f" {', '.join(ExperimentKind)}."
        )
    named = ExperimentKind(value)
    if flagged and flagged[0] is not named:
        raise InvalidParameter(
            f'Config {name!r}: kind = "{named}" contradicts {flagged[0]} = true.'
        )
    return named


def _shipped_files() -> dict[str, Any]:
    """Name -> file (an importlib resource) of every shipped experiment, sorted by name."""
    folder = resources.files("reports.experiments") / "configs"
    entries = sorted(folder.iterdir(), key=lambda item: item.name)
    return {e.name.removesuffix(".toml"): e for e in entries if e.name.endswith(".toml")}


def _read_shipped(name: str, entry: Any) -> ExperimentFile:
    return _parse(tomllib.loads(entry.read_text(encoding="utf-8")), f"{name}.toml")


def shipped_experiments() -> dict[str, str]:
    """Name -> description of the experiment files shipped with dlnverify, sorted by name."""
    return {name: _read_shipped(name, e).description for name, e in _shipped_files().items()}


def shipped_experiment(name: str) -> ExperimentFile:
    """The shipped experiment file ``name`` (see :func:`shipped_experiments`)."""
    files = _shipped_files()
    if name not in files:
        raise InvalidParameter(
            f"Got experiment {name!r}, but it must be one of {', '.join(files)}."
        )
    return _read_shipped(name, files[name])
