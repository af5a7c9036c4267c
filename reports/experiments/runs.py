"""Run a planned ``dlnverify simulate`` run (:class:`~reports.experiments.plan.RunPlan`).

:func:`run_plan` runs a training run, a stationary ensemble, the collapse experiment or a
sweep of them through the class of the plan's kind (:mod:`reports.experiments.kinds`),
writes the trajectory or the sweep's summaries when the plan names an output file, and
returns a :class:`Run`: the summary ``--json`` prints, the tables the terminal and
a report show, the parameters a report lists, and how to draw the run's figure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from reports.experiments.budget import run_allocations
from reports.experiments.kind import ExperimentKind
from reports.experiments.plan import RunPlan
from reports.experiments.tables import MISSING_CELL, ExperimentTables, sweep_columns, sweep_tables
from reports.experiments.training import SimulationConfig
from reports.render.files import atomic_path, write_text_atomically
from reports.render.json import json_text

__all__ = ["LARGE_RECORD", "Run", "run_plan", "sweep_figure"]

#: A progress line printer (``None``: quiet).
_Progress = Callable[[str], None] | None


@dataclass(frozen=True)
class Run:
    """One ``simulate`` run, done.

    Attributes
    ----------
    payload : dict
        The summary ``--json`` prints.
    results : ExperimentTables
        The tables the terminal and a report show.
    parameters : dict
        The configuration as a report lists it.
    draw : callable or None
        ``draw(path)`` draws the run's figure to ``path`` and returns its path (``None``: the
        run has no figure).
    """

    payload: dict[str, Any]
    results: ExperimentTables
    parameters: dict[str, Any]
    draw: Callable[[Any], Any] | None = None


def run_plan(
    plan: RunPlan,
    *,
    scheduler: str = "processes",
    workers: int | None = None,
    progress: _Progress = None,
    sweep_figure: bool = False,
) -> Run:
    """Run ``plan`` through the class of its kind
    (:data:`~reports.experiments.kinds.EXPERIMENTS`); a sweep runs on the Dask ``scheduler``
    with ``workers`` local workers (:func:`~reports.experiments.sweep.sweep_summaries`).
    ``progress`` receives the progress lines (the run's start, every tenth of its steps,
    files written); with it a sweep also shows Dask's progress bar.  A single run can always
    draw its figure (:attr:`Run.draw`); a sweep only with ``sweep_figure``, which keeps its
    runs for :func:`sweep_figure` (a report's figure)."""
    if plan.sweep:
        return _sweep(
            plan, scheduler=scheduler, workers=workers, progress=progress, keep=sweep_figure
        )
    return _single(plan, progress)


def _say(progress: _Progress, text: str) -> None:
    if progress is not None:
        progress(text)


#: Draws (diffusion samples x networks) of one record from which its sampling shows progress
#: lines: several seconds of sampling at width 4, more at larger widths.
LARGE_RECORD = 5_000_000


class _RunProgress:
    """The progress lines of one run: the run announced before any work, then a line at
    every tenth of the steps (:meth:`step`) and, for a record of at least
    :data:`LARGE_RECORD` diffusion draws, at every tenth of its samples (:meth:`samples`),
    which can take longer than many steps."""

    def __init__(self, progress: _Progress, config: SimulationConfig) -> None:
        self._progress = progress
        self._config = config
        self._step_tenths: list[int] = []  # the tenths of the steps printed so far
        self._sample_tenth = (-1, 0)  # (step, tenth) of the last samples line

    def _announce(self, total: int) -> None:
        if not self._step_tenths:
            self._step_tenths.append(0)
            config = self._config
            _say(
                self._progress,
                f"simulating {config.optimizer}, L={config.depth}, widths {config.widths}, "
                f"{total} steps x {config.ensemble} network(s) ...",
            )

    def step(self, done: int, total: int) -> None:
        """``done`` of ``total`` steps are done."""
        self._announce(total)
        tenth = 10 * done // total
        if tenth > self._step_tenths[-1]:
            self._step_tenths.append(tenth)
            _say(self._progress, f"  step {done}/{total}")

    def samples(self, step: int, done: int, total: int) -> None:
        """``done`` of the ``total`` diffusion samples of the record at ``step`` are drawn."""
        self._announce(self._config.steps)  # the record at step 0 comes before any step
        if total * self._config.ensemble < LARGE_RECORD:
            return
        tenth = 10 * done // total
        if tenth > (self._sample_tenth[1] if self._sample_tenth[0] == step else 0):
            self._sample_tenth = (step, tenth)
            _say(self._progress, f"  step {step}: diffusion samples {done:,}/{total:,}")


def _single(plan: RunPlan, progress: _Progress) -> Run:
    """One run of the plan's kind; its trajectory written when the plan names an output.
    Running out of memory in it is :class:`~dlnverify.errors.InsufficientMemory`."""
    from reports.experiments.kinds import EXPERIMENTS
    from reports.experiments.training import write_trajectory

    experiment_class = EXPERIMENTS[plan.kind]
    config = plan.config
    lines = _RunProgress(progress, config)
    with run_allocations():
        experiment = experiment_class.run(
            config,
            start=plan.start,
            start_gap=plan.start_gap,
            progress=lines.step,
            diffusion_progress=lines.samples,
        )
        summary = experiment_class.summary(experiment)
        payload = summary.to_json()
        trajectory = experiment_class.trajectory(experiment)
        if plan.output and trajectory is not None:
            payload["output"] = str(write_trajectory(trajectory, config, plan.output))
            _say(progress, f"trajectory written to {payload['output']}")
    options = experiment_class.parameters(start=plan.start, start_gap=plan.start_gap)
    return Run(
        payload,
        experiment_class.tables(summary),
        _run_parameters(config, **options),
        experiment_class.figure(experiment),
    )


def _sweep(
    plan: RunPlan,
    *,
    scheduler: str,
    workers: int | None,
    progress: _Progress,
    keep: bool,
) -> Run:
    """One summary row per combination (of runs of the plan's kind); with ``keep`` the runs
    too, for the sweep's figure."""
    from reports.experiments.kinds import EXPERIMENTS
    from reports.experiments.sweep import sweep_configs, sweep_summaries

    experiment_class = EXPERIMENTS[plan.kind]
    swept = plan.sweep
    configs = sweep_configs(plan.config, swept)
    _say(progress, f"sweeping {', '.join(swept)}: {len(configs)} runs on '{scheduler}' ...")
    results = sweep_summaries(
        configs,
        kind=plan.kind,
        start=plan.start,
        scheduler=scheduler,
        workers=workers,
        progress=progress is not None,
        keep=keep,
    )
    summaries = [result[0] for result in results] if keep else results
    rows = []
    for summary in summaries:
        config = summary.config.to_json()
        rows.append({key: config[key] for key in swept} | experiment_class.sweep_row(summary))
    runs = [summary.to_json() for summary in summaries]
    if plan.output:
        target = _write_sweep(plan.output, runs, rows)
        _say(progress, f"sweep written to {target}")
    options = experiment_class.parameters(start=plan.start, start_gap=plan.start_gap)
    draw = None
    if keep:
        labels = [
            ", ".join(f"{key}={config.to_json()[key]}" for key in swept) + "\n"
            for config in configs
        ]
        experiments = [result[1] for result in results]
        draw = partial(sweep_figure, plan.kind, experiments, labels)
    return Run(
        {"sweep": swept, "runs": runs},
        sweep_tables(rows, keys=list(swept)),
        _run_parameters(plan.config, **swept, **options),
        draw,
    )


def sweep_figure(
    kind: ExperimentKind, experiments: Sequence[Any], labels: Sequence[str], path: Any
) -> Path:
    """The figure of a sweep: one row per run, each the panels of its kind's figure
    (:meth:`~reports.experiments.kinds.Experiment.panels`, one per mode), its titles
    starting with the run's swept values (``labels``); drawn to ``path``, the same bytes for
    the same runs."""
    from reports.experiments.kinds import EXPERIMENTS
    from reports.render.figures import figure_file, figure_path

    target = figure_path(path)
    columns = max(len(experiment.config.singular_values) for experiment in experiments)
    with figure_file(target, panels=columns, rows=len(experiments)) as axes:
        grid = [axes] if len(experiments) == 1 else axes
        for row, experiment, label in zip(grid, experiments, labels, strict=True):
            EXPERIMENTS[kind].panels(experiment, row, label)
            for axis in row[len(experiment.config.singular_values) :]:
                axis.set_visible(False)
    return target


def _write_sweep(output: str, summaries: list[dict[str, Any]], rows: list[dict[str, Any]]) -> Any:
    """The summaries as ``.json``, or the rows as ``.csv`` (every row's columns, the cells
    a run lacks :data:`~reports.experiments.tables.MISSING_CELL`), at ``output``; its path."""
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.suffix == ".json":
        write_text_atomically(target, json_text(summaries, indent=2) + "\n")
    else:
        import csv

        with (
            atomic_path(target) as temporary,
            temporary.open("w", newline="", encoding="utf-8") as handle,
        ):
            writer = csv.DictWriter(handle, fieldnames=sweep_columns(rows), restval=MISSING_CELL)
            writer.writeheader()
            writer.writerows(rows)
    return target


#: What a field's 0 means, as a run's report lists it (a bare 0 would read as a value).
_UNSET_MEANING = {
    "hidden": "0 (= width)",
    "dt": "0 (= eta)",
    "duration": "0 (steps decide)",
    "diffusion_samples": "0 (not recorded)",
}


def _run_parameters(config: SimulationConfig, **extra: Any) -> dict[str, Any]:
    """The configuration of a run as its report lists it: the fields (a 0 that stands for
    another field or for "none" says so), then what follows from them (widths, time step,
    kappa) unless ``extra`` sweeps what they follow from, then ``extra`` (start, swept
    values)."""
    derived = {
        "widths": (list(config.widths), ("depth", "width", "hidden")),
        "time step": (config.time_step, ("dt", "eta")),
        "kappa": (config.kappa, ("eta", "batch_size")),
    }
    parameters = {
        key: _UNSET_MEANING[key] if key in _UNSET_MEANING and not value else value
        for key, value in config.to_json().items()
    }
    for name, (value, inputs) in derived.items():
        if not any(key in extra for key in inputs):
            parameters[name] = value
    return parameters | extra
