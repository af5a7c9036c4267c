"""The memory of a ``simulate`` run (reports.experiments.budget): the estimate is at least what
a run allocates and at least the arrays it must hold; the budget is half the physical
memory, or 4 GiB where that is not reported; a run over it is refused in one line."""

import os
import tracemalloc

import pytest

from dlnverify.errors import InsufficientMemory, InvalidParameter
from reports.cli import main
from reports.experiments import budget
from reports.experiments.budget import (
    check_memory,
    memory_budget,
    memory_estimate,
    run_allocations,
)
from reports.experiments.kind import ExperimentKind
from reports.experiments.plan import plan_run
from reports.experiments.runs import run_plan
from reports.experiments.training import SimulationConfig

GIB = 2**30

RUNS = [
    ({"ensemble": 10000, "steps": 4, "record_every": 1}, ExperimentKind.STATIONARY, None),
    ({"ensemble": 10000, "steps": 8, "record_every": 2}, ExperimentKind.COLLAPSE, None),
    ({"ensemble": 4000, "steps": 4, "width": 8, "batch_size": 8}, ExperimentKind.TRAINING, None),
    (
        {"ensemble": 4000, "steps": 4, "width": 8, "depth": 3, "optimizer": "anisotropic"},
        ExperimentKind.TRAINING,
        None,
    ),
    (
        {"ensemble": 4000, "steps": 4, "width": 8, "hidden": 16, "optimizer": "isotropic"},
        ExperimentKind.TRAINING,
        None,
    ),
    (
        {"ensemble": 100, "steps": 2, "width": 4, "diffusion_samples": 1000},
        ExperimentKind.TRAINING,
        None,
    ),
    (
        {"ensemble": 20, "steps": 500, "record_every": 1, "width": 3, "singular_values": "1"},
        ExperimentKind.TRAINING,
        "run.json",
    ),
    (
        {"ensemble": 20, "steps": 500, "record_every": 1, "width": 3, "singular_values": "1"},
        ExperimentKind.TRAINING,
        "run.npz",
    ),
]


@pytest.mark.parametrize(("parameters", "kind", "output"), RUNS)
def test_the_estimate_is_at_least_what_the_run_allocates(tmp_path, parameters, kind, output):
    """Measured by tracemalloc (NumPy reports its arrays to it) after a small run of the
    same kind has done the imports and derivations a first run does."""
    target = None if output is None else str(tmp_path / output)
    plan = plan_run(parameters=parameters, kinds=[kind], output=target)
    small = {"ensemble": 2, "steps": 2, "record_every": 1}
    if "diffusion_samples" in parameters:
        small["diffusion_samples"] = 2
    run_plan(plan_run(parameters=parameters | small, kinds=[kind]))
    tracemalloc.start()
    try:
        run_plan(plan)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    json_output = output is not None and output.endswith(".json")
    assert memory_estimate(plan.config, kind, json_output=json_output).total >= peak


@pytest.mark.parametrize("kind", list(ExperimentKind))
def test_the_parts_hold_at_least_the_arrays_of_the_run(kind):
    config = SimulationConfig.from_mapping(
        {"optimizer": "anisotropic", "ensemble": 7, "depth": 3, "width": 5, "hidden": 9}
        | {"steps": 95, "record_every": 10, "diffusion_samples": 30}
    )
    estimate = memory_estimate(config, kind)
    weights = 7 * (5 * 9 + 9 * 9 + 9 * 5)
    records = 11 if kind is not ExperimentKind.COLLAPSE else 22  # 0, 10, ..., 90, 95
    # per record and network: loss, 3 modes, cross-mode, 2 + 2 imbalances, 3 + 3 diffusion
    numbers = records * 7 * (1 + 3 + 1 + 4 + 6)
    assert estimate.record_count == records
    assert estimate.networks >= 8 * weights
    assert estimate.records >= 8 * numbers
    assert estimate.diffusion >= 8 * 7 * 30 * 3  # the samples of one record
    assert estimate.total == estimate.networks + estimate.records + estimate.diffusion


def test_each_input_grows_the_estimate():
    base = SimulationConfig.from_mapping({"optimizer": "sgd", "width": 4, "steps": 100})
    before = memory_estimate(base, ExperimentKind.TRAINING).total
    for change in [
        {"ensemble": 2},
        {"width": 5},
        {"hidden": 8},
        {"depth": 3},
        {"batch_size": 4},
        {"steps": 200},
        {"record_every": 1},
        {"diffusion_samples": 10},
    ]:
        config = SimulationConfig.from_mapping(change, base=base)
        assert memory_estimate(config, ExperimentKind.TRAINING).total > before, change
    json = memory_estimate(base, ExperimentKind.TRAINING, json_output=True).total
    assert json > before


def test_the_budget_is_half_the_physical_memory(monkeypatch):
    sizes = {"SC_PHYS_PAGES": 1000, "SC_PAGE_SIZE": 4096}
    monkeypatch.setattr(os, "sysconf", lambda name: sizes[name])
    assert memory_budget()[0] == 1000 * 4096 // 2


@pytest.mark.parametrize("error", [ValueError("unknown name"), OSError(22, "Invalid")])
def test_the_budget_is_4_gib_where_the_memory_is_not_reported(monkeypatch, error):
    def unknown(name):
        raise error

    monkeypatch.setattr(os, "sysconf", unknown)
    amount, source = memory_budget()
    assert amount == 4 * GIB
    assert "physical memory is not reported" in source
    monkeypatch.setattr(os, "sysconf", lambda name: -1)  # reported as unknown
    assert memory_budget()[0] == 4 * GIB


def _run_of(size: float) -> SimulationConfig:
    """A stationary ensemble whose networks need about ``size`` bytes or more."""
    one, two = (
        SimulationConfig.from_mapping(
            {"width": 4, "singular_values": "2,1", "steps": 1, "ensemble": ensemble}
        )
        for ensemble in (1, 2)
    )
    first = memory_estimate(one, ExperimentKind.STATIONARY).total
    per_network = memory_estimate(two, ExperimentKind.STATIONARY).total - first
    ensemble = int((size - first) // per_network) + 2
    return SimulationConfig.from_mapping({"ensemble": ensemble}, base=one)


def test_a_run_over_the_budget_is_refused_in_one_line(monkeypatch):
    monkeypatch.setattr(budget, "memory_budget", lambda: (GIB, "a test"))
    check_memory([_run_of(0.9 * GIB)], ExperimentKind.STATIONARY)  # fits
    with pytest.raises(InvalidParameter) as info:
        check_memory([_run_of(1.5 * GIB)], ExperimentKind.STATIONARY)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("Got a run needing about 1.5 GiB (networks ")
    assert "but the memory budget is 1 GiB (a test)" in message
    assert "lower ensemble=" in message


def test_runs_at_once_add_up(monkeypatch):
    monkeypatch.setattr(budget, "memory_budget", lambda: (GIB, "a test"))
    runs = [_run_of(0.2 * GIB), _run_of(0.6 * GIB), _run_of(0.5 * GIB)]
    check_memory(runs, ExperimentKind.STATIONARY)  # one at a time
    with pytest.raises(InvalidParameter, match=r"Got 2 runs at once .* fewer at once"):
        check_memory(runs, ExperimentKind.STATIONARY, concurrent=2)  # 0.6 + 0.5


def test_the_records_of_the_longest_run_are_counted_without_building_them():
    config = SimulationConfig.from_mapping({"steps": 10**8, "record_every": 1})
    assert memory_estimate(config, ExperimentKind.TRAINING).record_count == 10**8 + 1


# --- a MemoryError of the run's own allocation, and only that, is "not enough memory" ----------


def test_a_memory_error_inside_the_run_is_insufficient_memory():
    with pytest.raises(InsufficientMemory) as raised, run_allocations():
        raise MemoryError("Unable to allocate 74.5 GiB for an array with shape (10000000000,)")
    assert str(raised.value).startswith(
        "not enough memory for this run (Unable to allocate 74.5 GiB for an array with shape"
    )
    assert "use smaller sizes (width, hidden, ensemble" in str(raised.value)
    assert isinstance(raised.value, MemoryError)  # still one, for code that catches it
    with pytest.raises(ValueError, match=r"^other$"), run_allocations():
        raise ValueError("other")  # anything else passes unchanged


#: A small sweep of two runs.
SWEEP = ["simulate", "--steps", "4", "--width", "3", "--quiet", "--sweep", "seed=1,2"]


def test_running_out_of_memory_in_a_sweep_task_is_one_line(monkeypatch, capsys):
    def too_big(*_args, **_kwargs):
        raise MemoryError("Unable to allocate 74.5 GiB for an array")

    monkeypatch.setattr("reports.experiments.training.run_simulation", too_big)
    for scheduler in ("synchronous", "threads"):
        assert main([*SWEEP, "--scheduler", scheduler]) == 2
        err = capsys.readouterr().err
        assert err.startswith("dlnverify: error: not enough memory for this run (Unable to")
        assert err.count("\n") == 1


def test_a_memory_error_outside_the_run_is_not_reported_as_the_run_s_sizes(monkeypatch, capsys):
    """A foreign reply read as a frame of 3.07 EiB (what a Dask client did with an HTTP
    answer) is no allocation of the run: it is not 'not enough memory ... use smaller sizes'
    but the error itself, with its traceback."""

    def foreign_frame(*_args, **_kwargs):
        raise MemoryError("Unable to allocate 3.07 EiB")

    monkeypatch.setattr("reports.experiments.cluster.cluster_results", foreign_frame)
    with pytest.raises(MemoryError, match=r"3\.07 EiB") as raised:
        main([*SWEEP, "--scheduler", "tcp://127.0.0.1:9"])
    assert not isinstance(raised.value, InsufficientMemory)
    assert "not enough memory" not in capsys.readouterr().err
