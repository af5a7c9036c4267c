"""``dlnverify simulate --sweep``: parsing, the Cartesian product, schedulers agree, bad input."""

import csv
import json

import pytest

from dlnverify.errors import InvalidParameter
from reports.cli import ExitCode, main
from reports.experiments.sweep import parse_sweep, run_sweep, sweep_configs
from reports.experiments.training import SimulationConfig, run_simulation, summarise

SMALL = SimulationConfig.from_mapping({"steps": 30, "record_every": 10, "width": 4})


def test_parse_sweep():
    assert parse_sweep(["eta=0.01, 0.02", "batch-size=1,4"]) == {
        "eta": ["0.01", "0.02"],
        "batch_size": ["1", "4"],
    }
    assert parse_sweep(["singular_values=3,2,1;2,1"]) == {"singular_values": ["3,2,1", "2,1"]}


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["eta"], "must look like"),
        (["=1,2"], "must look like"),
        (["learning_rate=0.1"], "not a simulation parameter"),
        (["eta=0.1", "eta=0.2"], "twice"),
        (["eta=,"], "no values"),
    ],
)
def test_parse_sweep_bad_input(items, message):
    with pytest.raises(InvalidParameter, match=message):
        parse_sweep(items)


def test_sweep_configs_is_the_validated_product():
    configs = sweep_configs(SMALL, {"eta": ["0.01", "0.02"], "seed": ["0", "1", "2"]})
    assert [(c.eta, c.seed) for c in configs] == [(e, s) for e in (0.01, 0.02) for s in (0, 1, 2)]
    assert all(c.width == 4 for c in configs)
    with pytest.raises(InvalidParameter, match="eta"):
        sweep_configs(SMALL, {"eta": ["0.01", "-1"]})
    with pytest.raises(InvalidParameter, match="at most"):
        sweep_configs(SMALL, {"seed": [str(i) for i in range(40)], "eta": ["0.1"] * 30})


@pytest.mark.parametrize(
    ("sweep", "message"),
    [
        ({"seed": ["1", "1"]}, "seed = 1 and 1 give the same run"),
        ({"eta": ["0.01", "1e-2"], "seed": ["0", "1"]}, "eta = 0.01 and 1e-2 give the same run"),
        ({"singular_values": ["2,1", "2.0,1.0"]}, "singular_values = 2,1 and 2.0,1.0"),
    ],
)
def test_sweep_configs_refuse_repeated_runs(sweep, message):
    with pytest.raises(InvalidParameter, match=message):
        sweep_configs(SMALL, sweep)
    # values that differ are accepted, even when they print alike at low precision
    assert len(sweep_configs(SMALL, {"eta": ["0.01", "0.010001"]})) == 2


def test_schedulers_agree_with_direct_runs():
    configs = sweep_configs(SMALL, {"seed": ["1", "2"], "optimizer": ["sgd", "anisotropic"]})
    direct = [summarise(run_simulation(c), c) for c in configs]
    assert run_sweep(configs, scheduler="synchronous", progress=False) == direct
    assert run_sweep(configs, scheduler="threads", workers=2, progress=False) == direct


def test_sweep_from_the_cli(tmp_path, capsys):
    output = tmp_path / "sweep.json"
    argv = [
        "simulate", "--steps", "30", "--record-every", "10", "--width", "4", "--quiet",
        "--sweep", "eta=0.01,0.02", "--sweep", "seed=3,4", "--scheduler", "synchronous",
        "--diffusion-samples", "20", "--output", str(output), "--json",
    ]  # fmt: skip
    assert main(argv) == ExitCode.OK
    payload = json.loads(capsys.readouterr().out)
    assert payload["sweep"] == {"eta": ["0.01", "0.02"], "seed": ["3", "4"]}
    assert [(r["config"]["eta"], r["config"]["seed"]) for r in payload["runs"]] == [
        (0.01, 3), (0.01, 4), (0.02, 3), (0.02, 4)
    ]  # fmt: skip
    assert all(len(r["diffusion"]["modes"]) == 3 for r in payload["runs"])
    assert json.loads(output.read_text(encoding="utf-8")) == payload["runs"]


def test_sweep_table_and_csv(tmp_path, capsys):
    output = tmp_path / "sweep.csv"
    argv = [
        "simulate", "--steps", "30", "--width", "4", "--quiet", "--sweep", "batch_size=1,2",
        "--scheduler", "synchronous", "--output", str(output),
    ]  # fmt: skip
    assert main(argv) == ExitCode.OK
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:2] == ["batch_size", "final_loss"]
    lines = output.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("batch_size,final_loss,half_time_1")
    assert len(lines) == 3


@pytest.mark.parametrize("values", ["2,1;3,2,1", "3,2,1;2,1"])
def test_a_sweep_of_teachers_of_different_ranks_tables_every_mode(tmp_path, capsys, values):
    """The rank-2 run has no third mode: its cells say n/a, in the table and the CSV (the
    table crashed with KeyError 'half_time_3', or dropped the column)."""
    output = tmp_path / "sweep.csv"
    argv = [
        "simulate", "--steps", "30", "--width", "4", "--quiet", "--sweep",
        f"singular_values={values}", "--scheduler", "synchronous", "--output", str(output),
    ]  # fmt: skip
    assert main(argv) == ExitCode.OK
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["singular_values", "final_loss", "half_time_1", "half_time_2",
                                "half_time_3"]  # fmt: skip
    rank_2 = next(line for line in lines if line.startswith("[2.0, 1.0]"))
    assert rank_2.split()[-1] == "n/a"
    rank_3 = next(line for line in lines if line.startswith("[3.0, 2.0, 1.0]"))
    assert "n/a" not in rank_3
    with output.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == lines[0].split()
    assert {row["singular_values"]: row["half_time_3"] for row in rows}["[2.0, 1.0]"] == "n/a"


def test_stationary_sweep_runs_the_stationary_experiment(capsys):
    from reports.experiments.stationary import (
        default_stationary_config,
        stationary_experiment_summary,
        stationary_histogram,
    )

    base = default_stationary_config(ensemble=16, duration=0.2, record_every=5)
    configs = sweep_configs(base, {"dt": ["0.01", "0.005"]})
    assert [c.steps for c in configs] == [20, 40]  # the same time, halved step
    direct = [
        stationary_experiment_summary(stationary_histogram(c, start="small")) for c in configs
    ]
    assert run_sweep(configs, scheduler="synchronous", progress=False, stationary="small") == direct
    argv = [
        "simulate", "--stationary", "--ensemble", "16", "--duration", "0.2", "--record-every",
        "5", "--start", "small", "--sweep", "dt=0.01,0.005", "--scheduler", "synchronous",
        "--quiet",
    ]  # fmt: skip
    assert main(argv) == ExitCode.OK
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["dt", "agrees"]  # then one table per mode (14 columns flat)
    for a in (1, 2):
        caption = lines.index(f"mode s_{a}:")
        assert lines[caption + 1].split()[:4] == ["dt", "mean", "law_mean", "z_mean"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--sweep", "eta=0.1", "--figure", "x.png", "--diffusion-samples", "4"], "--sweep"),
        (["--sweep", "eta=0.1", "--output", "x.npz"], ".json or .csv"),
        (["--sweep", "colour=red"], "not a simulation parameter"),
        (["--sweep", "seed=1,1"], "give the same run"),
        (["--sweep", "eta=0.1", "--workers", "0"], "workers"),
        (["--sweep", "eta=0.1", "--scheduler", "tcp://127.0.0.1:1"], "scheduler"),
    ],
)
def test_sweep_bad_input(capsys, argv, message):
    assert main(["simulate", "--steps", "5", "--width", "4", "--quiet", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_the_runs_a_sweep_holds_at_once_share_the_memory_budget(monkeypatch):
    from reports.experiments import budget
    from reports.experiments.kind import ExperimentKind

    configs = sweep_configs(SMALL, {"seed": ["1", "2", "3"]})
    one = budget.memory_estimate(configs[0], ExperimentKind.TRAINING).total
    # room for one run and a half: runs one after another fit, two at once do not
    monkeypatch.setattr(budget, "memory_budget", lambda: (3 * one // 2, "a test"))
    with pytest.raises(InvalidParameter, match=r"^Got 2 runs at once \(one per worker\)"):
        run_sweep(configs, scheduler="threads", workers=2, progress=False)
    with pytest.raises(InvalidParameter, match="Got 3 runs at once"):
        run_sweep(configs, scheduler="processes", workers=8, progress=False)
    assert len(run_sweep(configs, scheduler="threads", workers=1, progress=False)) == 3
    assert len(run_sweep(configs, scheduler="synchronous", progress=False)) == 3
