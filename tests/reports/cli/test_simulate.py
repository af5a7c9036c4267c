"""``dlnverify simulate``: defaults < config file < flags, outputs, exit codes, bad input."""

import csv
import json

import numpy as np
import pytest

from dlnverify.errors import InvalidParameter
from reports.cli import ExitCode, build_parser, main
from reports.experiments.training import SimulationConfig, run_simulation

FAST = ["--steps", "40", "--record-every", "10", "--width", "4", "--quiet"]


def _json_run(capsys, *argv):
    assert main(["simulate", *FAST, "--json", *argv]) == ExitCode.OK
    return json.loads(capsys.readouterr().out)


def test_defaults_follow_the_paper_setup():
    config = SimulationConfig()
    assert config.singular_values == (3.0, 2.0, 1.0)
    assert config.widths == (12, 12, 12)
    assert config.gamma > 1  # rich regime


def test_json_summary(capsys):
    summary = _json_run(capsys, "--optimizer", "gd", "--eta", "0.05")
    assert summary["config"]["optimizer"] == "gd"
    assert summary["final_time"] == pytest.approx(40 * 0.05)
    assert len(summary["final_modes"]) == 3
    assert len(summary["half_times"]) == 3
    assert len(summary["final_relative_imbalance"]) == 1


def test_same_seed_same_summary_other_seed_differs(capsys):
    first = _json_run(capsys, "--seed", "4")
    assert _json_run(capsys, "--seed", "4") == first
    assert _json_run(capsys, "--seed", "5")["final_modes"] != first["final_modes"]


def test_config_file_then_flags(tmp_path, capsys):
    config = tmp_path / "run.toml"
    config.write_text(
        '[simulate]\noptimizer = "anisotropic"\ndepth = 3\nsingular_values = [2.0, 1.0]\n'
        "eta = 0.02\n",
        encoding="utf-8",
    )
    summary = _json_run(capsys, "--config", str(config), "--eta", "0.03")
    assert summary["config"]["optimizer"] == "anisotropic"
    assert summary["config"]["depth"] == 3
    assert summary["config"]["singular_values"] == [2.0, 1.0]
    assert summary["config"]["eta"] == 0.03  # the flag wins


def test_langevin_dt_sets_the_time_and_keeps_kappa(capsys):
    summary = _json_run(
        capsys, "--optimizer", "anisotropic", "--eta", "0.02", "--dt", "0.005", "--batch-size", "2"
    )
    assert summary["final_time"] == pytest.approx(40 * 0.005)
    config = SimulationConfig.from_mapping(
        {"optimizer": "isotropic", "eta": 0.02, "dt": 0.005, "batch_size": 2}
    )
    assert config.kappa == pytest.approx(0.01)
    assert config.time_step == 0.005
    assert SimulationConfig(eta=0.02).time_step == 0.02  # dt = 0: equal to eta


def test_duration_sets_the_steps_from_dt_and_the_later_layer_wins(tmp_path, capsys):
    base = SimulationConfig.from_mapping({"optimizer": "anisotropic", "duration": 0.3})
    assert base.steps == 30  # dt = eta = 0.01
    halved = SimulationConfig.from_mapping({"dt": 0.005}, base=base)
    assert (halved.steps, halved.duration) == (60, 0.3)
    assert SimulationConfig.from_mapping({"steps": 7}, base=base).steps == 7
    assert SimulationConfig(optimizer="isotropic", dt=0.02, duration=1.0).steps == 50
    with pytest.raises(InvalidParameter, match="more than the 100000000 steps allowed"):
        SimulationConfig.from_mapping({"duration": 1e9})
    config = tmp_path / "run.toml"
    config.write_text('optimizer = "isotropic"\nduration = 0.2\n', encoding="utf-8")
    argv = ["simulate", "--config", str(config), "--dt", "0.004", "--width", "4", "--json"]
    assert main(argv) == ExitCode.OK
    summary = json.loads(capsys.readouterr().out)
    assert summary["final_time"] == pytest.approx(0.2)
    assert summary["config"]["steps"] == 50
    # --steps (a later layer than the file) wins over the file's duration:
    assert _json_run(capsys, "--config", str(config), "--dt", "0.004")[
        "final_time"
    ] == pytest.approx(0.16)
    assert main(["simulate", "--duration", "1", "--steps", "5"]) == ExitCode.BAD_INPUT
    assert "only one of them" in capsys.readouterr().err


@pytest.mark.parametrize("suffix", [".npz", ".json", ".csv"])
def test_outputs_hold_the_same_trajectory(tmp_path, capsys, suffix):
    path = tmp_path / f"run{suffix}"
    argv = ["simulate", *FAST, "--ensemble", "2", "--output", str(path)]
    assert main(argv) == ExitCode.OK
    config = SimulationConfig.from_mapping(
        {"steps": 40, "record_every": 10, "width": 4, "ensemble": 2}
    )
    expected = run_simulation(config)
    if suffix == ".npz":
        with np.load(path) as data:
            np.testing.assert_array_equal(data["modes"], expected.modes)
            assert json.loads(str(data["config"]))["ensemble"] == 2
    elif suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        np.testing.assert_array_equal(np.array(data["loss"]), expected.loss)
    else:
        with path.open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        assert len(rows) == expected.steps.size * 2
        assert float(rows[-1]["s_2"]) == expected.modes[-1, 1, 1]
        assert float(rows[-1]["loss"]) == expected.loss[-1, 1]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--optimizer", "adam"], "optimizer"),
        (["--depth", "0"], "depth"),
        (["--eta", "-1"], "eta"),
        (["--eta", "nan"], "eta"),
        (["--singular-values", "1,x"], "singular_values"),
        (["--singular-values", "5,4,3,2,1"], "rank"),
        (["--label-noise", "-0.1"], "label_noise"),
        (["--output", "run.txt"], "suffix"),
        (["--eta", "50", "--optimizer", "gd"], "diverged"),
        (["--steps", "ten"], "invalid int"),
        (["--dt", "0.005"], "gd and sgd step by eta"),
        (["--optimizer", "anisotropic", "--dt", "-0.1"], "dt"),
        (["--duration", "1e9", "--steps", "0"], "only one of them"),
        (["--duration", "inf"], "duration"),
        (["--seed", "-3"], "seed=-3, but it must be >= 0"),
        # digits of other scripts, which int() and float() read as ASCII ones
        (["--width", "٤"], "--width: got '٤', but a number is written in ASCII"),
        (["--eta", "０.０１"], "--eta: got '０.０１', but a number is written in ASCII"),
        (["--singular-values", "３,1"], "singular_values='３', but a number is written in ASCII"),
        (["--sweep", "seed=1,２"], "seed='２', but a number is written in ASCII"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    try:
        code = main(["simulate", *FAST, *argv])
    except SystemExit as exit_info:  # argparse type errors
        code = exit_info.code
    assert code == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


# --- an option given is an option used: one a run would ignore is refused ----------------------


class _Planned(Exception):
    """Raised by the stub run: the command line was accepted, with these options."""


@pytest.fixture
def planned_options(monkeypatch):
    """The run is a stub that raises :class:`_Planned` with the plan and the options
    ``run_plan`` got (scheduler and workers)."""

    def planned(plan, **options):
        raise _Planned(plan, options)

    monkeypatch.setattr("reports.experiments.runs.run_plan", planned)


def _options_of(argv):
    """The plan and the options ``simulate ARGV`` runs it with (the run itself a stub)."""
    with pytest.raises(_Planned) as planned:
        main(["simulate", *FAST, *argv])
    return planned.value.args


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--scheduler", "synchronous"], "--scheduler sets how the runs of a sweep run, but"),
        (["--workers", "2"], "--workers sets how the runs of a sweep run, but this is one run"),
        (
            ["--scheduler", "tcp://127.0.0.1:1", "--workers", "2"],
            "drop --scheduler and --workers, or add --sweep KEY=V1,V2",
        ),
        (["--stationary", "--scheduler", "threads"], "--scheduler sets how the runs"),
        (["--collapse", "--workers", "1"], "--workers sets how the runs"),
        # a flag fixes what the experiment sweeps: one run is left
        (
            ["--experiment", "appJ-batch-size", "--batch-size", "2", "--scheduler", "threads"],
            "one run",
        ),
        (["--sweep", "seed=1,2", "--workers", "0"], "Got --workers 0, but it must be >= 1."),
        (["--sweep", "seed=1,2", "--workers", "2", "--scheduler", "synchronous"], "drop --workers"),
        (
            ["--sweep", "seed=1,2", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"],
            "the cluster's own workers; drop --workers",
        ),
    ],
)
def test_an_option_the_run_would_ignore_is_refused(planned_options, capsys, argv, message):
    assert main(["simulate", *FAST, "--json", *argv]) == ExitCode.BAD_INPUT
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.err.count("\n") == 1
    assert json.loads(captured.out)["exit_code"] == ExitCode.BAD_INPUT


def test_the_same_options_are_taken_by_a_sweep(planned_options):
    plan, options = _options_of(["--sweep", "seed=1,2"])
    assert plan.sweep == {"seed": ["1", "2"]}
    assert options["scheduler"] == "processes"  # the default
    assert options["workers"] is None
    _, options = _options_of(["--sweep", "seed=1,2", "--scheduler", "threads", "--workers", "2"])
    assert (options["scheduler"], options["workers"]) == ("threads", 2)
    _, options = _options_of(["--sweep", "seed=1,2", "--scheduler", "tcp://127.0.0.1:1"])
    assert (options["scheduler"], options["workers"]) == ("tcp://127.0.0.1:1", None)
    plan, options = _options_of(["--experiment", "appJ-batch-size", "--scheduler", "synchronous"])
    assert plan.sweep == {"batch_size": [1, 2, 4]}  # the file's [sweep] table
    assert options["scheduler"] == "synchronous"


def test_list_experiments_refuses_the_options_of_a_run(capsys):
    assert main(["simulate", "--list-experiments", "--json", "--quiet"]) == ExitCode.OK
    assert json.loads(capsys.readouterr().out)["experiments"]
    for argv, named in (
        (["--steps", "5"], "but --steps describes a run; drop it,"),
        (["--stationary", "--sweep", "seed=1,2"], "but --sweep, --stationary describe a run"),
        (["--scheduler", "threads"], "but --scheduler describes a run"),
        (["--experiment", "fig1", "--pdf", "no"], "but --experiment, --pdf describe a run"),
    ):
        assert main(["simulate", "--list-experiments", *argv]) == ExitCode.BAD_INPUT
        err = capsys.readouterr().err
        assert err.startswith("dlnverify: error: --list-experiments lists the shipped experiments")
        assert named in err
        assert err.count("\n") == 1


def test_bad_config_files(tmp_path, capsys):
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("learning_rate = 0.1\n", encoding="utf-8")
    broken = tmp_path / "broken.toml"
    broken.write_text("eta = = 1\n", encoding="utf-8")
    for path, message in [
        (unknown, "unknown simulation parameter"),
        (broken, "not valid TOML"),
        (tmp_path / "missing.toml", "Cannot read config"),
    ]:
        assert main(["simulate", "--config", str(path)]) == ExitCode.BAD_INPUT
        err = capsys.readouterr().err
        assert message in err
        assert err.count("\n") == 1


def test_table_output_and_progress(capsys):
    assert main(["simulate", "--steps", "20", "--width", "4"]) == ExitCode.OK
    captured = capsys.readouterr()
    assert "t(s = sigma/2)" in captured.out
    assert "step 20/20" in captured.err


def test_diffusion_along_training_from_the_cli(tmp_path, capsys):
    figure = tmp_path / "diffusion.png"
    argv = [
        "--diffusion-samples",
        "200",
        "--figure",
        str(figure),
        "--output",
        str(tmp_path / "r.npz"),
    ]
    summary = _json_run(capsys, *argv)
    modes = summary["diffusion"]["modes"]
    assert [m["mode"] for m in modes] == [1, 2, 3]
    assert all(m["max_diffusion"] > 0 for m in modes)
    assert figure.stat().st_size > 0
    with np.load(tmp_path / "r.npz") as data:
        assert data["diffusion"].shape == data["modes"].shape
        assert np.all(data["diffusion_se"] > 0)


def test_diffusion_does_not_change_the_trajectory(capsys):
    plain = _json_run(capsys)
    recorded = _json_run(capsys, "--diffusion-samples", "50")
    assert recorded["final_modes"] == plain["final_modes"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--figure", "d.png"], "--figure needs --diffusion-samples"),
        (["--diffusion-samples", "1"], "diffusion_samples"),
        (["--diffusion-samples", "-3"], "diffusion_samples"),
    ],
)
def test_diffusion_bad_input(capsys, argv, message):
    assert main(["simulate", *FAST, *argv]) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


@pytest.mark.parametrize("figure", ["fig.txt", "."])
def test_a_bad_figure_path_is_refused_before_the_run(capsys, figure):
    argv = ["simulate", "--steps", "4", "--width", "3", "--diffusion-samples", "4"]
    assert main([*argv, "--figure", figure]) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith("dlnverify: error: Got --figure ")
    assert err.count("\n") == 1  # no progress banner: nothing ran


def test_running_out_of_memory_is_one_line(monkeypatch, capsys):
    def too_big(*_args, **_kwargs):
        raise MemoryError("Unable to allocate 74.5 GiB for an array")

    monkeypatch.setattr("reports.experiments.training.run_simulation", too_big)
    assert main(["simulate", *FAST]) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith("dlnverify: error: not enough memory")
    assert "74.5 GiB" in err
    assert err.count("\n") == 1


STATIONARY = ["--stationary", "--ensemble", "64", "--steps", "200", "--record-every", "50"]


def test_stationary_histogram_from_the_cli(tmp_path, capsys):
    figure = tmp_path / "stationary.png"
    summary = _json_run(capsys, *STATIONARY, "--figure", str(figure))
    # the stationary defaults, then the flags (FAST sets width 4 and 40 steps; ours win)
    assert summary["config"]["optimizer"] == "anisotropic"
    assert summary["config"]["label_noise"] > 0
    assert summary["config"]["steps"] == 200
    assert summary["start"] == "aligned"
    assert summary["n_networks"] == 64
    assert [m["mode"] for m in summary["modes"]] == [1, 2]
    for mode in summary["modes"]:
        assert mode["derived_mean"] < mode["sigma"] < mode["drift_zero_mean"]
    assert figure.stat().st_size > 0


def test_stationary_table_and_small_start(capsys):
    argv = ["simulate", *STATIONARY, "--start", "small", "--steps", "20", "--width", "3"]
    assert main(argv) == ExitCode.OK
    captured = capsys.readouterr()
    assert "from the small start" in captured.out
    assert "drift zero (paper's mean)" in captured.out
    assert "with the derived law" in captured.out
    assert "step 20/20" in captured.err


def test_stationary_starts_match_the_library():
    from reports.experiments.stationary import STARTS

    choices = next(
        action.choices
        for action in build_parser()._subparsers._group_actions[0].choices["simulate"]._actions
        if action.dest == "start"
    )
    assert tuple(choices) == STARTS


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--start", "small"], "add --stationary"),
        ([*STATIONARY, "--label-noise", "0"], "needs label noise"),
        ([*STATIONARY, "--optimizer", "gd"], "anisotropic or sgd"),
        ([*STATIONARY, "--sweep", "optimizer=sgd,gd"], "anisotropic or sgd"),
        ([*STATIONARY, "--sweep", "eta=0.01", "--figure", "f.png"], "--sweep"),
        ([*STATIONARY, "--diffusion-samples", "10"], "--diffusion-samples"),
        ([*STATIONARY, "--output", "r.txt"], "suffix"),
        ([*STATIONARY, "--ensemble", "1"], "ensemble"),
    ],
)
def test_stationary_bad_input(capsys, argv, message):
    assert main(["simulate", *FAST, *argv]) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


COLLAPSE = ["--collapse", "--ensemble", "32", "--steps", "40", "--record-every", "10"]


def test_collapse_from_the_cli(tmp_path, capsys):
    figure = tmp_path / "collapse.png"
    summary = _json_run(
        capsys, *COLLAPSE, "--width", "3", "--figure", str(figure), "--start-gap", "0.05"
    )
    # the collapse defaults, then the flags
    assert summary["start_gap"] == 0.05
    assert summary["config"]["optimizer"] == "anisotropic"
    assert summary["config"]["label_noise"] == 0
    assert summary["config"]["steps"] == 40
    assert summary["time_steps"] == [0.0125, 0.00625]
    assert summary["n_networks"] == 32
    assert [m["mode"] for m in summary["modes"]] == [1, 2]
    assert all(len(m["windows"]) == 4 for m in summary["modes"])
    assert figure.stat().st_size > 0


def test_collapse_experiment_file_and_table(capsys):
    argv = ["simulate", "--experiment", "fig4-collapse", "--ensemble", "16", "--steps", "20"]
    assert main([*argv, "--record-every", "5", "--width", "3"]) == ExitCode.OK
    captured = capsys.readouterr()
    assert "collapse rate -d/dt E log|sigma_a - s_a| per window" in captured.out
    assert "C11 rate" in captured.out
    assert "row estimate" in captured.out
    assert "modewise collapse rate of C11" in captured.out
    assert "60 steps x 16 network(s)" in captured.err  # the banner counts both runs
    for tenth in range(1, 11):  # progress over both runs (20 + 40 steps), every tenth
        assert f"step {6 * tenth}/60" in captured.err


def test_collapse_start_gap_from_a_file_and_the_flag(tmp_path, capsys):
    config = tmp_path / "gap.toml"
    config.write_text("collapse = true\nstart_gap = 0.2\n", encoding="utf-8")
    argv = [a for a in COLLAPSE if a != "--collapse"]
    assert _json_run(capsys, "--config", str(config), *argv)["start_gap"] == 0.2
    flagged = _json_run(capsys, "--config", str(config), *argv, "--start-gap", "0.1")
    assert flagged["start_gap"] == 0.1
    assert _json_run(capsys, *COLLAPSE)["start_gap"] == 0.01  # the documented default


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([*COLLAPSE, "--label-noise", "0.1"], "without label noise"),
        ([*COLLAPSE, "--optimizer", "sgd"], "needs optimizer 'anisotropic'"),
        ([*COLLAPSE, "--stationary"], "choose one"),
        ([*COLLAPSE, "--sweep", "dt=0.01,0.02"], "--sweep"),
        ([*COLLAPSE, "--diffusion-samples", "10"], "--diffusion-samples"),
        ([*COLLAPSE, "--output", "r.npz"], "--output"),
        ([*COLLAPSE, "--steps", "15"], "two windows"),
        ([*COLLAPSE, "--start", "small"], "add --stationary"),
        ([*COLLAPSE, "--start-gap", "1.5"], "start_gap=1.5, but it must be in (0, 1)"),
        ([*COLLAPSE, "--start-gap", "0"], "start_gap=0.0, but it must be in (0, 1)"),
        (["--start-gap", "0.1"], "add --collapse"),
    ],
)
def test_collapse_bad_input(capsys, argv, message):
    assert main(["simulate", *argv]) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_a_large_record_of_diffusion_samples_shows_its_progress(monkeypatch, capsys):
    """The run is announced before the first record's samples are drawn, and a record of
    at least LARGE_RECORD draws prints a line at each tenth of its samples (here every
    record, the threshold lowered and the chunks made small: 10 draws a chunk)."""
    import numerics.observables
    from reports.experiments import runs

    monkeypatch.setattr(runs, "LARGE_RECORD", 20)
    monkeypatch.setattr(numerics.observables, "_CHUNK_ENTRIES", 10 * 2 * 3 * 3)  # width 3
    argv = ["simulate", "--steps", "20", "--record-every", "10", "--width", "3"]
    assert main([*argv, "--diffusion-samples", "20", "--json"]) == ExitCode.OK
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "simulating sgd, L=2, widths (3, 3, 3), 20 steps x 1 network(s) ..."
    assert lines[1:4] == [
        "  step 0: diffusion samples 10/20",
        "  step 0: diffusion samples 20/20",
        "  step 2/20",
    ]
    assert lines.count("  step 20: diffusion samples 20/20") == 1
    # below the threshold: the steps only
    monkeypatch.setattr(runs, "LARGE_RECORD", 21)
    assert main([*argv, "--diffusion-samples", "20", "--json"]) == ExitCode.OK
    assert not any("diffusion samples" in line for line in capsys.readouterr().err.splitlines())
