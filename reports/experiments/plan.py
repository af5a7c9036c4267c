"""The plan of one ``dlnverify simulate`` run, decided and checked before any work.

:func:`plan_run` layers the values (the defaults of the kind of run, then a shipped
experiment file, then an experiment file of one's own, then explicit parameters), chooses
the kind (a training run, a stationary ensemble or the collapse experiment) and the swept
values, and refuses, each with a one-line :class:`~dlnverify.errors.InvalidParameter`, a
combination that cannot run, a run (or a sweep's run) over
:data:`~reports.experiments.training.MAX_STEPS` or the memory budget
(:func:`~reports.experiments.budget.check_memory`), an output, figure or report at a
place it cannot be written (:func:`~reports.render.files.check_output_location`), and an
option the run would not use (a scheduler or workers without a sweep, local workers for a
scheduler that has none): an option given is an option used, or refused.
:func:`reports.experiments.runs.run_plan` runs the :class:`RunPlan` it returns (a sweep's
runs that run at once are checked against the memory budget together there).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlnverify.errors import InvalidParameter
from reports.experiments.budget import check_memory
from reports.experiments.files import ExperimentFile, load_experiment, shipped_experiment
from reports.experiments.kind import ExperimentKind
from reports.experiments.sweep import (
    LOCAL_SCHEDULERS,
    check_sweep_key,
    parse_sweep,
    sweep_configs,
)
from reports.experiments.training import OUTPUT_FORMATS, SimulationConfig
from reports.render.files import check_output_location
from reports.render.latex import check_report_output

__all__ = ["RunPlan", "plan_run"]


@dataclass(frozen=True)
class RunPlan:
    """One ``simulate`` run, decided and checked, not yet run.

    Attributes
    ----------
    config : SimulationConfig
        The run's parameters (of a sweep: before the swept values).
    kind : ExperimentKind
        What is run.
    sweep : dict
        Swept field -> values (empty: one run).
    start : str or None
        Start of a stationary ensemble (``"aligned"`` or ``"small"``); ``None`` for the
        other kinds.
    start_gap : float or None
        Relative start gap of the collapse experiment; ``None`` for the other kinds.
    output : str or None
        Where the trajectory (or a sweep's summaries) is written.
    figure : str or None
        Where the run's figure is drawn.
    report : str or None
        Directory of the run's report.
    pdf : str
        ``"auto"``, ``"yes"`` or ``"no"``: whether the report is compiled to PDF.
    can_compile : bool
        Whether a PDF of the report can be compiled here (``False`` without a report).
    name : str
        The run's name in its report: the own experiment file's stem, else the shipped
        experiment's name, else ``"simulate"``.
    description : str
        The experiment files' description (the last one given), ``""`` if none.
    """

    config: SimulationConfig
    kind: ExperimentKind = ExperimentKind.TRAINING
    sweep: dict[str, list[Any]] = field(default_factory=dict)
    start: str | None = None
    start_gap: float | None = None
    output: str | None = None
    figure: str | None = None
    report: str | None = None
    pdf: str = "auto"
    can_compile: bool = False
    name: str = "simulate"
    description: str = ""

    @property
    def figure_kind(self) -> str:
        """What the run's figure shows (its caption's key): the kind's value, or
        ``"amplitudes"`` for training runs that record no diffusion (their mode amplitudes)."""
        recorded = self.config.diffusion_samples or "diffusion_samples" in self.sweep
        if self.kind is ExperimentKind.TRAINING and not recorded:
            return "amplitudes"
        return self.kind.value


def plan_run(
    *,
    experiment: str | None = None,
    config_file: str | Path | None = None,
    parameters: Mapping[str, Any] | None = None,
    kinds: Collection[ExperimentKind] = (),
    start: str | None = None,
    start_gap: float | None = None,
    sweep: Sequence[str] = (),
    output: str | None = None,
    figure: str | None = None,
    report: str | None = None,
    pdf: str | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
) -> RunPlan:
    """The run ``dlnverify simulate`` makes of these options (its flags without dashes).

    Parameters
    ----------
    experiment : str, optional
        A shipped experiment file (:func:`~reports.experiments.files.shipped_experiments`).
    config_file : str or pathlib.Path, optional
        An experiment file of one's own, applied after ``experiment``.
    parameters : mapping, optional
        :class:`SimulationConfig` fields, applied last; a field given here is not swept by
        the files' ``[sweep]`` tables.
    kinds : collection of ExperimentKind
        The kinds asked for besides the files' (``--stationary``, ``--collapse``); none: a
        training run unless a file names another kind.
    start : {None, "aligned", "small"}
        Start of the stationary ensemble (default: the files', else ``"aligned"``).
    start_gap : float, optional
        Start gap of the collapse experiment (default: the files', else
        :data:`~reports.experiments.collapse.DEFAULT_START_GAP`).
    sweep : sequence of str
        ``"KEY=V1,V2"`` items (:func:`~reports.experiments.sweep.parse_sweep`), after the
        files' ``[sweep]`` tables.
    output, figure : str, optional
        Where the run writes its trajectory (or sweep summaries) and draws its figure.
    report : str, optional
        Directory of the run's report.
    pdf : {None, "auto", "yes", "no"}
        Whether the report is compiled (``None``: ``"auto"``; needs ``report``).
    scheduler : str, optional
        The Dask scheduler of a sweep as given (``--scheduler``; needs a sweep): one of
        :data:`~reports.experiments.sweep.LOCAL_SCHEDULERS` or a ``tcp://`` address.  It is
        only checked here; :func:`reports.experiments.runs.run_plan` takes it.
    workers : int, optional
        The local workers of a sweep as given (``--workers``; needs a sweep on
        ``processes`` or ``threads``, and is at least 1).  Checked here only, as
        ``scheduler``.
    """
    explicit = dict(parameters or {})
    files = _experiment_files(experiment, config_file)
    if pdf is not None and not report:
        raise InvalidParameter("--pdf compiles the report of --report DIR; add --report")
    can_compile = False
    if report:
        can_compile = check_report_output(report, flag="--report", pdf=pdf or "auto")
    kind, chosen_start, gap = _kind(files, kinds, start, start_gap, figure)
    if kind is ExperimentKind.COLLAPSE and explicit.get("optimizer") not in (None, "anisotropic"):
        raise InvalidParameter(
            f"Got --optimizer {explicit['optimizer']}, but --collapse extrapolates dt -> 0 at"
            " fixed kappa, which needs optimizer 'anisotropic' (SGD steps by eta)"
        )
    config = _layered_config(kind, files, explicit)
    if kind is ExperimentKind.COLLAPSE and config.dtype != "float64":
        raise InvalidParameter(
            f"Got dtype={config.dtype!r}, but --collapse couples dt and dt/2 runs"
            " (numerics.coupled) in float64 only"
        )
    swept = _sweep_values(files, sweep, fixed=set(explicit))
    _check_sweep_options(swept, scheduler=scheduler, workers=workers)
    _check_outputs(kind, config, swept, output=output, figure=figure)
    runs = sweep_configs(config, swept) if swept else [config]
    check_memory(runs, kind, json_output=not swept and str(output).endswith(".json"))
    if kind is ExperimentKind.STATIONARY:
        chosen_start = chosen_start or "aligned"
    if kind is ExperimentKind.COLLAPSE and gap is None:
        from reports.experiments.collapse import DEFAULT_START_GAP

        gap = DEFAULT_START_GAP
    return RunPlan(
        config,
        kind,
        swept,
        start=chosen_start,
        start_gap=gap,
        output=output,
        figure=figure,
        report=report,
        pdf=pdf or "auto",
        can_compile=can_compile,
        name=Path(config_file).stem if config_file else experiment or "simulate",
        description=next((f.description for f in reversed(files) if f.description), ""),
    )


def _experiment_files(
    experiment: str | None, config_file: str | Path | None
) -> list[ExperimentFile]:
    """The shipped experiment file, then one's own, as given."""
    files = [shipped_experiment(experiment)] if experiment else []
    if config_file:
        files.append(load_experiment(config_file))
    return files


def _kind(
    files: list[ExperimentFile],
    kinds: Collection[ExperimentKind],
    start: str | None,
    start_gap: float | None,
    figure: str | None,
) -> tuple[ExperimentKind, str | None, float | None]:
    """The kind of run (flags or files: training unless one of them names another), its
    start and start gap as given (flag, else the last file giving one); a start or start gap
    of another kind is refused, and the figure path is checked."""
    named = {*kinds, *(f.kind for f in files if f.kind is not None)}
    asked = [k for k in ExperimentKind if k in named and k is not ExperimentKind.TRAINING]
    kind = asked[0] if asked else ExperimentKind.TRAINING
    start = start or next((f.start for f in reversed(files) if f.start), None)
    if len(asked) > 1:
        raise InvalidParameter(
            "--stationary (with label noise) and --collapse (without) are different experiments;"
            " choose one"
        )
    if start is not None and kind is not ExperimentKind.STATIONARY:
        raise InvalidParameter("--start chooses the start of a --stationary run; add --stationary")
    if figure:
        from reports.render.figures import check_figure_path

        check_figure_path(figure, option="--figure")  # before the run, not after it
    if start_gap is None:
        start_gap = next((f.start_gap for f in reversed(files) if f.start_gap is not None), None)
    if start_gap is not None and kind is not ExperimentKind.COLLAPSE:
        raise InvalidParameter("--start-gap sets the start of a --collapse run; add --collapse")
    return kind, start, start_gap


def _layered_config(
    kind: ExperimentKind, files: list[ExperimentFile], parameters: Mapping[str, Any]
) -> SimulationConfig:
    """The kind's defaults, then each file's parameters, then ``parameters``."""
    from reports.experiments.kinds import EXPERIMENTS

    config = EXPERIMENTS[kind].default_config()
    for file in files:
        config = SimulationConfig.from_mapping(file.parameters, base=config)
    return SimulationConfig.from_mapping(parameters, base=config)


def _sweep_values(
    files: list[ExperimentFile], items: Sequence[str], *, fixed: set[str]
) -> dict[str, list[Any]]:
    """The swept values: the experiment files' ``[sweep]`` tables, then ``--sweep`` items (a
    key given later replaces its values); a parameter given explicitly (``fixed``) is not
    swept, so ``--experiment fig4 --optimizer sgd`` runs one ensemble."""
    swept: dict[str, list[Any]] = {}
    for file in files:
        for key, values in file.sweep.items():
            if check_sweep_key(key) not in fixed:
                swept[key] = values
    return swept | parse_sweep(items)


def _check_sweep_options(
    swept: Mapping[str, list[Any]], *, scheduler: str | None, workers: int | None
) -> None:
    """Where a sweep runs is refused for a single run, which would ignore it; ``workers``
    (local processes or threads) is refused where no local workers run: ``synchronous``
    runs the runs one after another in this process, a ``dask.distributed`` scheduler on
    its own workers."""
    given = [
        flag
        for flag, value in (("--scheduler", scheduler), ("--workers", workers))
        if value is not None
    ]
    if not swept:
        if given:
            raise InvalidParameter(
                f"{' and '.join(given)} {'set' if len(given) > 1 else 'sets'} how the runs of"
                " a sweep run, but this is one run (no --sweep, no [sweep] table in its"
                f" experiment files); drop {' and '.join(given)}, or add --sweep KEY=V1,V2"
            )
        return
    if workers is None:
        return
    if workers < 1:
        raise InvalidParameter(f"Got --workers {workers}, but it must be >= 1.")
    if scheduler == "synchronous":
        raise InvalidParameter(
            "--workers sets the local workers of --scheduler processes or threads, but"
            " synchronous runs the sweep's runs one after another in this process; drop"
            " --workers"
        )
    if scheduler is not None and scheduler not in LOCAL_SCHEDULERS:
        raise InvalidParameter(
            f"--workers sets local workers, but the dask.distributed scheduler {scheduler}"
            " runs the sweep on the cluster's own workers; drop --workers (start the cluster"
            " with the workers it should have)"
        )


def _check_outputs(
    kind: ExperimentKind,
    config: SimulationConfig,
    swept: Mapping[str, list[Any]],
    *,
    output: str | None,
    figure: str | None,
) -> None:
    """Refuse what the kind of run cannot combine with: diffusion samples, a sweep, an
    output file of the wrong kind or at a place it cannot be written, a figure it does not
    draw."""
    if kind is ExperimentKind.STATIONARY and config.diffusion_samples:
        raise InvalidParameter("--stationary cannot be combined with --diffusion-samples")
    if kind is ExperimentKind.COLLAPSE:
        for flag, value in (
            ("--diffusion-samples", config.diffusion_samples),
            ("--sweep", swept),
            ("--output", output),
        ):
            if value:
                raise InvalidParameter(
                    f"--collapse cannot be combined with {flag} (it runs one experiment at dt"
                    " and dt/2; --json prints its figures)"
                )
    elif swept:
        _check_sweep_outputs(swept, output=output, figure=figure)
    else:
        _check_trajectory_output(output)
        if kind is ExperimentKind.TRAINING and figure and config.diffusion_samples == 0:
            raise InvalidParameter(
                "--figure needs --diffusion-samples N (N >= 2): it plots the diffusion"
            )
    if output:
        check_output_location(output, option="--output")


def _check_sweep_outputs(
    swept: Mapping[str, list[Any]], *, output: str | None, figure: str | None
) -> None:
    """A sweep draws no figure and writes its summaries as ``.json`` or ``.csv``."""
    if figure:
        keys = ", ".join(f"--{key.replace('_', '-')}" for key in swept)
        raise InvalidParameter(
            f"--figure draws one run, but {keys} is swept (--sweep or the experiment's [sweep]);"
            " fix it with its flag"
        )
    if output and not output.endswith((".json", ".csv")):
        raise InvalidParameter(f"Got --output {output!r}, but a sweep writes .json or .csv.")


def _check_trajectory_output(output: str | None) -> None:
    """A trajectory is written as one of :data:`~reports.experiments.training.OUTPUT_FORMATS`."""
    if output and not output.endswith(OUTPUT_FORMATS):
        raise InvalidParameter(
            f"Got --output {output!r}, but its suffix must be one of {', '.join(OUTPUT_FORMATS)}."
        )
