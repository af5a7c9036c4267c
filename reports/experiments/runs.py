"""Run a planned ``dlnverify simulate`` run (:class:`~reports.experiments.plan.RunPlan`).

:func:`run_plan` runs a training run, a stationary ensemble, the collapse experiment or a
sweep of them, writes the trajectory or the sweep's summaries when the plan names an output
file, and returns a :class:`Run`: the summary ``--json`` prints, the tables the terminal and
a report show, the parameters a report lists, and how to draw the run's figure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from reports.experiments.kind import ExperimentKind
from reports.experiments.plan import RunPlan
from reports.experiments.tables import (
    ExperimentTables,
    collapse_tables,
    stationary_tables,
    sweep_tables,
    training_tables,
)
from reports.experiments.training import SimulationConfig
from reports.render.json import json_text

__all__ = ["Run", "run_plan"]

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
) -> Run:
    """Run ``plan``; a sweep runs on the Dask ``scheduler`` with ``workers`` local workers
    (:func:`~reports.experiments.sweep.run_sweep`).  ``progress`` receives the progress
    lines (the run's start, every tenth of its steps, files written); with it a sweep also
    shows Dask's progress bar."""
    if plan.sweep:
        stationary = plan.start if plan.kind is ExperimentKind.STATIONARY else None
        return _sweep(plan, stationary, scheduler=scheduler, workers=workers, progress=progress)
    if plan.kind is ExperimentKind.STATIONARY:
        return _stationary(plan, progress)
    if plan.kind is ExperimentKind.COLLAPSE:
        return _collapse(plan, progress)
    return _training(plan, progress)


def _say(progress: _Progress, text: str) -> None:
    if progress is not None:
        progress(text)


def _step_progress(progress: _Progress, config: SimulationConfig) -> Callable[[int, int], None]:
    """A callback announcing the run at its first step, then every tenth of the steps."""
    printed: list[int] = []  # the tenths printed so far

    def step(done: int, total: int) -> None:
        if not printed:
            printed.append(0)
            _say(
                progress,
                f"simulating {config.optimizer}, L={config.depth}, widths {config.widths}, "
                f"{total} steps x {config.ensemble} network(s) ...",
            )
        tenth = 10 * done // total
        if tenth > printed[-1]:
            printed.append(tenth)
            _say(progress, f"  step {done}/{total}")

    return step


def _training(plan: RunPlan, progress: _Progress) -> Run:
    """A training run, with the diffusion along training when ``diffusion_samples`` is set."""
    from reports.experiments.training import run_simulation, summarise, write_trajectory

    config = plan.config
    step = _step_progress(progress, config)
    experiment = None
    draw = None
    if config.diffusion_samples:
        from reports.experiments.diffusion import (
            diffusion_along_training,
            diffusion_figure,
            experiment_summary,
        )

        experiment = diffusion_along_training(config, progress=step)
        trajectory = experiment.trajectory
        draw = partial(diffusion_figure, experiment)
    else:
        trajectory = run_simulation(config, progress=step)
    summary = summarise(trajectory, config)
    if experiment is not None:
        summary["diffusion"] = experiment_summary(experiment)
    if plan.output:
        summary["output"] = str(write_trajectory(trajectory, config, plan.output))
        _say(progress, f"trajectory written to {summary['output']}")
    return Run(summary, training_tables(summary), _run_parameters(config), draw)


def _stationary(plan: RunPlan, progress: _Progress) -> Run:
    """Final mode amplitudes of an ensemble vs the derived stationary law (C10)."""
    from reports.experiments.stationary import (
        stationary_experiment_summary,
        stationary_histogram,
        stationary_histogram_figure,
    )
    from reports.experiments.training import write_trajectory

    config = plan.config
    assert plan.start is not None  # plan_run chooses the start of a stationary run
    experiment = stationary_histogram(
        config, start=plan.start, progress=_step_progress(progress, config)
    )
    summary = stationary_experiment_summary(experiment)
    if plan.output:
        summary["output"] = str(write_trajectory(experiment.trajectory, config, plan.output))
        _say(progress, f"trajectory written to {summary['output']}")
    return Run(
        summary,
        stationary_tables(summary),
        _run_parameters(config, start=plan.start),
        partial(stationary_histogram_figure, experiment),
    )


def _collapse(plan: RunPlan, progress: _Progress) -> Run:
    """Collapse rates of the modes without label noise vs C11's."""
    from reports.experiments.collapse import (
        collapse_experiment,
        collapse_experiment_summary,
        collapse_figure,
    )

    config = plan.config
    assert plan.start_gap is not None  # plan_run chooses the start gap of a collapse run
    experiment = collapse_experiment(
        config, start_gap=plan.start_gap, progress=_step_progress(progress, config)
    )
    summary = collapse_experiment_summary(experiment)
    return Run(
        summary,
        collapse_tables(summary),
        _run_parameters(config, start_gap=plan.start_gap),
        partial(collapse_figure, experiment),
    )


def _sweep(
    plan: RunPlan,
    stationary: str | None,
    *,
    scheduler: str,
    workers: int | None,
    progress: _Progress,
) -> Run:
    """One summary row per combination (of training runs, or of stationary ensembles from
    the start ``stationary``)."""
    from reports.experiments.sweep import run_sweep, sweep_configs

    swept = plan.sweep
    configs = sweep_configs(plan.config, swept)
    _say(progress, f"sweeping {', '.join(swept)}: {len(configs)} runs on '{scheduler}' ...")
    summaries = run_sweep(
        configs,
        scheduler=scheduler,
        workers=workers,
        progress=progress is not None,
        stationary=stationary,
    )
    rows = [
        {key: summary["config"][key] for key in swept}
        | _sweep_row(summary, stationary=stationary is not None)
        for summary in summaries
    ]
    if plan.output:
        target = _write_sweep(plan.output, summaries, rows)
        _say(progress, f"sweep written to {target}")
    start = {} if stationary is None else {"start": stationary}
    return Run(
        {"sweep": swept, "runs": summaries},
        sweep_tables(rows, keys=list(swept)),
        _run_parameters(plan.config, **swept, **start),
    )


def _write_sweep(output: str, summaries: list[dict[str, Any]], rows: list[dict[str, Any]]) -> Any:
    """The summaries as ``.json``, or the rows as ``.csv``, at ``output``; its path."""
    from pathlib import Path

    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.suffix == ".json":
        target.write_text(json_text(summaries, indent=2) + "\n", encoding="utf-8")
    else:
        import csv

        with target.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return target


def _sweep_row(summary: dict[str, Any], *, stationary: bool) -> dict[str, Any]:
    """The figures of one sweep run (a training run, or a stationary ensemble) in its row."""
    row: dict[str, Any] = {}
    if stationary:
        for mode in summary["modes"]:
            a = mode["mode"]
            row[f"mean_{a}"] = mode["mean"]
            row[f"law_mean_{a}"] = mode["derived_mean"]
            row[f"z_mean_{a}"] = mode["z_mean"]
            row[f"network_mean_{a}"] = mode["network_mean"]
            row[f"variance_ratio_{a}"] = mode["variance_ratio"]
            row[f"z_variance_{a}"] = mode["z_variance"]
        row["agrees"] = "yes" if summary["agrees"] else "NO"
        return row
    row["final_loss"] = summary["final_loss"]
    for a, time in enumerate(summary["half_times"], 1):
        row[f"half_time_{a}"] = time
    for mode in summary.get("diffusion", {}).get("modes", []):
        row[f"max_diffusion_{mode['mode']}"] = mode["max_diffusion"]
        row[f"peak_time_{mode['mode']}"] = mode["empirical_peak_time"]
    return row


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
