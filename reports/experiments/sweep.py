r"""Parameter sweeps of ``dlnverify simulate`` on Dask (DESIGN.md §8; paper App. J).

A sweep is the Cartesian product of a few values for some :class:`SimulationConfig` fields
(``--sweep eta=0.005,0.01,0.02 --sweep batch_size=1,4``): every combination is one
independent run of one kind, summarised by the kind's class
(:data:`reports.experiments.kinds.EXPERIMENTS`): training runs
(:func:`reports.experiments.training.training_summary`, with ``diffusion_samples`` also
:func:`reports.experiments.diffusion.diffusion_summary`), or stationary ensembles from one
start (:func:`reports.experiments.stationary.stationary_summary`): ``--sweep dt=...`` is the
paper's App. K, ``--sweep width=...`` the growth of the full network's departure from the
single-mode law.  The runs are Dask tasks: local processes by default, threads or one
process on request, or a ``dask.distributed`` scheduler given by its address (``tcp://host:8786``) for a cluster.  Each run's randomness
comes from its own ``seed`` field only, so a sweep gives the same numbers on any scheduler
and in any order; sweep ``seed`` itself for independent repetitions.
"""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from dlnverify.errors import InvalidParameter
from reports.experiments.budget import check_memory, run_allocations
from reports.experiments.kind import ExperimentKind
from reports.experiments.training import SimulationConfig

if TYPE_CHECKING:
    pass

__all__ = [
    "LOCAL_SCHEDULERS",
    "check_sweep_key",
    "parse_sweep",
    "run_sweep",
    "sweep_configs",
    "sweep_summaries",
]

#: Schedulers that need no cluster; anything else is a ``dask.distributed`` address.
LOCAL_SCHEDULERS = ("processes", "synchronous", "threads")
#: Most runs in one sweep (a typo such as ``steps=1,...,100000`` should not start a day).
MAX_RUNS = 1000


def parse_sweep(items: Sequence[str]) -> dict[str, list[str]]:
    """``["eta=0.005,0.01", "seed=0,1"]`` as ``{"eta": ["0.005", "0.01"], "seed": ["0", "1"]}``.

    Keys must be :class:`SimulationConfig` fields, each swept once, with at least one value;
    values are validated when the configurations are built (:func:`sweep_configs`).
    """
    sweep: dict[str, list[str]] = {}
    for item in items:
        key, sep, values = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise InvalidParameter(f"Got --sweep {item!r}, but it must look like eta=0.01,0.02.")
        check_sweep_key(key)
        if key in sweep:
            raise InvalidParameter(f"Got --sweep {key}=... twice; give all its values at once.")
        if key == "singular_values":
            parts = [p.strip() for p in values.split(";") if p.strip()]
        else:
            parts = [p.strip() for p in values.split(",") if p.strip()]
        if not parts:
            raise InvalidParameter(f"Got --sweep {item!r}, but it lists no values.")
        sweep[key] = parts
    return sweep


def check_sweep_key(key: str) -> str:
    """``key`` if it is a :class:`SimulationConfig` field, else a one-line error."""
    known = SimulationConfig.__dataclass_fields__
    if key not in known:
        raise InvalidParameter(
            f"Got sweep key {key!r}, but it is not a simulation parameter; known: "
            f"{', '.join(known)}."
        )
    return key


def sweep_configs(
    base: SimulationConfig, sweep: Mapping[str, Sequence[Any]]
) -> list[SimulationConfig]:
    """Every combination of the swept values applied to ``base``, in a fixed order.

    Values that give the same run (``seed = [1, 1]``, ``eta = 0.01,1e-2``) are refused.
    """
    keys = list(sweep)
    count = 1
    for key in keys:
        count *= len(sweep[key])
    if count > MAX_RUNS:
        raise InvalidParameter(f"Got a sweep of {count} runs, but at most {MAX_RUNS} are allowed.")
    combinations = list(itertools.product(*(range(len(sweep[k])) for k in keys)))
    configs = [
        SimulationConfig.from_mapping(
            {key: sweep[key][index] for key, index in zip(keys, combination, strict=True)},
            base=base,
        )
        for combination in combinations
    ]
    first: dict[SimulationConfig, tuple[int, ...]] = {}
    for combination, config in zip(combinations, configs, strict=True):
        earlier = first.setdefault(config, combination)
        if earlier is not combination:
            differing = [
                f"{key} = {sweep[key][i]} and {sweep[key][j]}"
                for key, i, j in zip(keys, earlier, combination, strict=True)
                if i != j
            ]
            raise InvalidParameter(
                f"Got a sweep whose values {'; '.join(differing)} give the same run;"
                " list each value once."
            )
    return configs


def _concurrent_runs(scheduler: str, workers: int | None, runs: int) -> int:
    """How many runs share this machine's memory at once: one on ``"synchronous"`` or a
    cluster (whose machines are not this one), else one per worker (default: per core)."""
    if scheduler == "synchronous" or scheduler not in LOCAL_SCHEDULERS:
        return 1
    return max(1, min(runs, workers or os.cpu_count() or 1))


def _run(
    config: SimulationConfig, kind: ExperimentKind, start: str | None, keep: bool = False
) -> Any:
    """One run's summary, with ``keep`` also the run itself (a Dask task: module-level,
    pickled by reference); running out of memory in it is
    :class:`~dlnverify.errors.InsufficientMemory`, on any worker."""
    from reports.experiments.kinds import EXPERIMENTS

    experiment_class = EXPERIMENTS[kind]
    with run_allocations():
        experiment = experiment_class.run(config, start=start, start_gap=None)
        summary = experiment_class.summary(experiment)
    return (summary, experiment) if keep else summary


def run_sweep(
    configs: Sequence[SimulationConfig],
    *,
    scheduler: str = "processes",
    workers: int | None = None,
    progress: bool = True,
    stationary: str | None = None,
) -> list[dict[str, Any]]:
    """The JSON forms of :func:`sweep_summaries`: training runs, or with ``stationary``
    (``"aligned"`` or ``"small"``) stationary ensembles from that start
    (:func:`reports.experiments.stationary.stationary_histogram`)."""
    kind = ExperimentKind.TRAINING if stationary is None else ExperimentKind.STATIONARY
    summaries = sweep_summaries(
        configs,
        kind=kind,
        start=stationary,
        scheduler=scheduler,
        workers=workers,
        progress=progress,
    )
    return [summary.to_json() for summary in summaries]


def sweep_summaries(
    configs: Sequence[SimulationConfig],
    *,
    kind: ExperimentKind = ExperimentKind.TRAINING,
    start: str | None = None,
    scheduler: str = "processes",
    workers: int | None = None,
    progress: bool = True,
    keep: bool = False,
) -> list[Any]:
    """Run every configuration as a Dask task; summaries in the order of ``configs`` (with
    ``keep``, ``(summary, run)`` pairs: the runs for a figure of the sweep).

    Parameters
    ----------
    configs : sequence of SimulationConfig
        The runs (:func:`sweep_configs`).
    kind : ExperimentKind
        What every run is (:data:`~reports.experiments.kinds.EXPERIMENTS`); every
        configuration is checked by its class before any run, and the runs that share
        this machine at once (one per local worker) against the memory budget
        (:func:`~reports.experiments.budget.check_memory`).
    start : {None, "aligned", "small"}
        The start of stationary ensembles.
    scheduler : str
        ``"processes"`` (default), ``"threads"``, ``"synchronous"``, or the address of a
        ``dask.distributed`` scheduler (needs the ``distributed`` package:
        ``pip install 'dlnverify[cluster]'``).
    workers : int, optional
        Local workers (default: one per core).
    progress : bool
        Show Dask's progress bar on stderr (local schedulers).
    keep : bool, default False
        Also return each run (:meth:`~reports.experiments.kinds.Experiment.run`'s result).
    """
    import dask

    from reports.experiments.kinds import EXPERIMENTS

    if workers is not None and workers < 1:
        raise InvalidParameter(f"Got workers={workers}, but it must be >= 1.")
    address = None
    if scheduler not in LOCAL_SCHEDULERS:
        from reports.experiments.cluster import scheduler_address

        address = scheduler_address(scheduler, local=LOCAL_SCHEDULERS)
    for config in configs:
        EXPERIMENTS[kind].check(config, start=start, start_gap=None)
    check_memory(configs, kind, concurrent=_concurrent_runs(scheduler, workers, len(configs)))
    tasks = [dask.delayed(_run, pure=False)(config, kind, start, keep) for config in configs]
    if address is None:
        from dask.diagnostics import ProgressBar

        options: dict[str, Any] = {"scheduler": scheduler}
        if workers is not None:
            options["num_workers"] = workers
        if progress:
            with ProgressBar(out=sys.stderr, dt=1.0):
                return list(dask.compute(*tasks, **options))
        return list(dask.compute(*tasks, **options))
    from reports.experiments.cluster import cluster_results

    return cluster_results(tasks, address)
