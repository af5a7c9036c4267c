"""``dlnverify simulate``: a run too long, too large for memory, or with an output it cannot
write is refused before it starts: exit 2, one line naming the input, the value and the
limit.

Every test here replaces the run itself with a failure, so a refusal that came only after
the run had started (or never) fails the test at once instead of running it.
"""

import pytest

from reports.cli import ExitCode, main

#: The documented caps (README, "Using it").
MAX_STEPS = 10**8
TOO_MANY = str(10**12)
#: A budget of 8 GiB, whatever the machine running the tests has.
BUDGET = 8 * 2**30

SMALL = ["--width", "4", "--singular-values", "2,1", "--quiet"]


@pytest.fixture(autouse=True)
def no_run(monkeypatch):
    """Planning only: the run, when reached, fails the test."""

    def started(*_args, **_kwargs):
        raise AssertionError("the run started")

    monkeypatch.setattr("reports.experiments.runs.run_plan", started)
    monkeypatch.setattr("reports.experiments.budget.memory_budget", lambda: (BUDGET, "a test"))


def _refusal(capsys, *argv):
    assert main(["simulate", *argv]) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("dlnverify: error: ")
    return err


@pytest.mark.parametrize(
    "argv",
    [
        ["--steps", TOO_MANY],
        ["--steps", TOO_MANY, "--record-every", TOO_MANY],
        ["--stationary", "--steps", TOO_MANY],
        ["--sweep", f"steps=10,{TOO_MANY}"],
        ["--stationary", "--sweep", f"steps={TOO_MANY}"],
    ],
)
def test_steps_over_the_cap_are_refused_however_given(capsys, argv):
    err = _refusal(capsys, *SMALL, *argv)
    assert f"steps={TOO_MANY}" in err
    assert f"more than the {MAX_STEPS} steps allowed" in err


def test_steps_over_the_cap_in_an_experiment_file(tmp_path, capsys):
    config = tmp_path / "long.toml"
    config.write_text(f"steps = {TOO_MANY}\n[sweep]\neta = [0.01, 0.02]\n", encoding="utf-8")
    err = _refusal(capsys, *SMALL, "--config", str(config))
    assert f"steps={TOO_MANY}, but that is more than the {MAX_STEPS} steps allowed" in err


def test_the_cap_itself_is_allowed(capsys):
    # 10^8 steps recorded every 10^8: within both limits, so the (replaced) run starts
    with pytest.raises(AssertionError, match="the run started"):
        main(["simulate", *SMALL, "--steps", str(MAX_STEPS), "--record-every", str(MAX_STEPS)])


def test_too_many_records_are_refused_by_their_memory(capsys):
    err = _refusal(capsys, *SMALL, "--steps", str(MAX_STEPS), "--record-every", "1")
    assert f"{MAX_STEPS + 1} records" in err
    assert "memory budget is 8 GiB" in err
    assert "raise record_every=1" in err


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--stationary", "--ensemble", "20000000", "--steps", "10"], "ensemble=20000000"),
        (["--ensemble", "100", "--diffusion-samples", "10000000"], "diffusion_samples=10000000"),
        (["--optimizer", "sgd", "--batch-size", "100000000"], "batch_size=100000000"),
        (["--width", "100000", "--singular-values", "1"], "width=100000"),
        (["--stationary", "--steps", "10", "--sweep", "ensemble=16,20000000"], "ensemble=20000000"),
    ],
)
def test_a_run_over_the_memory_budget_is_refused_before_it_starts(capsys, argv, named):
    err = _refusal(capsys, *SMALL, *argv)
    estimate = err.split("needing about ")[1].split(" ")
    assert estimate[1] == "GiB"
    assert float(estimate[0]) > 8
    assert "but the memory budget is 8 GiB (a test)" in err
    assert named in err.split("; lower ")[1]


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["--output", "{file}/run.npz"], "--output"),
        (["--diffusion-samples", "4", "--figure", "{file}/d.pdf"], "--figure"),
        (["--report", "{file}/sub"], "--report"),
        (["--sweep", "eta=0.01,0.02", "--output", "{file}/sweep.json"], "--output"),
        (["--stationary", "--output", "{file}/deeper/run.csv"], "--output"),
    ],
)
def test_an_output_under_a_file_is_refused_before_the_run(tmp_path, capsys, argv, option):
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    err = _refusal(capsys, *SMALL, *(a.format(file=blocker) for a in argv))
    assert f"Got {option} '{blocker}/" in err
    assert f"'{blocker}' is a file, not a directory" in err


def test_outputs_that_are_directories_are_refused_before_the_run(tmp_path, capsys):
    taken = tmp_path / "run.npz"
    taken.mkdir()
    assert f"Got --output '{taken}', but it is a directory" in _refusal(
        capsys, *SMALL, "--output", str(taken)
    )
    report = tmp_path / "report"
    (report / "report.md").mkdir(parents=True)
    err = _refusal(capsys, *SMALL, "--report", str(report))
    assert f"Got --report '{report / 'report.md'}', but it is a directory" in err
