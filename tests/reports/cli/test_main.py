"""The console script's generic behaviour: version, help, usage errors."""

import subprocess
import sys

import pytest

from dlnverify import __version__
from reports.cli import ExitCode, main


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_unknown_subcommand_is_bad_input(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["frobnicate"])
    assert exit_info.value.code == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "error" in err


@pytest.mark.parametrize("command", [["verify", "C2"], ["report", "C2"], ["check", "drift", "s"]])
@pytest.mark.parametrize("seed", ["-1", "x"])
def test_a_seed_must_be_a_nonnegative_integer(capsys, command, seed):
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--seed", seed])
    assert exit_info.value.code == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert "--seed" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "C2", "--output", ""],
        ["verify", "C2", "--report", " "],
        *(["simulate", flag, ""] for flag in ("--output", "--figure", "--report", "--config")),
    ],
)
def test_an_empty_path_is_refused(capsys, argv):
    # '' would otherwise write the report into the current directory, or drop the option
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert argv[-2] in err
    assert "empty path" in err
    assert err.count("\n") == 1


def test_ctrl_c_is_one_line_and_exit_130(monkeypatch, capsys):
    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("reports.experiments.training.run_simulation", interrupted)
    assert main(["simulate", "--steps", "2", "--width", "3", "--quiet"]) == 130
    err = capsys.readouterr().err
    assert err == "dlnverify: interrupted (Ctrl-C).\n"


def test_console_script_runs_as_module():
    completed = subprocess.run(
        [sys.executable, "-m", "reports.cli", "--help"], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0
    assert "dlnverify" in completed.stdout


@pytest.mark.parametrize("unbuffered", ["1", None])
def test_a_closed_pipe_is_not_a_traceback(unbuffered):
    """``dlnverify check --list | head -0``: the reader is gone before the first line.  With
    buffered stdout (PYTHONUNBUFFERED unset, as on most machines) the write fails only when
    the buffer is flushed; that must not happen at exit (Python's "Exception ignored" and
    exit code 120)."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if unbuffered is not None:
        env["PYTHONUNBUFFERED"] = unbuffered
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "reports.cli", "check", "--list"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env=env,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert completed.stderr == b""
    assert completed.returncode == ExitCode.FAILED


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "diffusion", "--at", "L=2", "kappa*4*s**2*(2*(sigma-s)**2+sigma_eps**2)"],
        ["check", "--at", "L=2", "diffusion", "kappa*4*s**2*(2*(sigma-s)**2+sigma_eps**2)"],
        ["check", "diffusion", "--latex", r"4\kappa s^2(2(\sigma-s)^2+\sigma_\varepsilon^2)",
         "--at", "L=2"],
    ],
)  # fmt: skip
def test_options_may_stand_anywhere_among_the_operands(argv, capsys):
    assert main([*argv, "--symbolic-only"]) == ExitCode.OK
    assert capsys.readouterr().out.startswith("VERIFIED: diffusion")


def test_an_operand_too_many_is_still_refused(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["check", "diffusion", "--latex", "s", "s", "--symbolic-only"])
    assert exit_.value.code == ExitCode.BAD_INPUT
    assert "unrecognized arguments: s" in capsys.readouterr().err
