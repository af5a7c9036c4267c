"""The console script's generic behaviour: version, help, usage errors, ``--json`` on bad
input, Ctrl-C and SIGTERM."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from process_groups import assert_group_ends

from dlnverify import __version__
from reports.cli import ExitCode, build_parser, main


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


def _into_a_closed_pipe(argv, unbuffered=None):
    """Run ``dlnverify ARGV`` with stdout a pipe whose reader is already gone
    (``dlnverify ... | head -0``), PYTHONUNBUFFERED as given (unset by default)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if unbuffered is not None:
        env["PYTHONUNBUFFERED"] = unbuffered
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "reports.cli", *argv],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env=env,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)


@pytest.mark.parametrize("unbuffered", ["1", None])
def test_a_closed_pipe_is_not_a_traceback(unbuffered):
    """``dlnverify check --list | head -0``: the reader is gone before the first line.  With
    buffered stdout (PYTHONUNBUFFERED unset, as on most machines) the write fails only when
    the buffer is flushed; that must not happen at exit (Python's "Exception ignored" and
    exit code 120)."""
    completed = _into_a_closed_pipe(["check", "--list"], unbuffered)
    assert completed.stderr == b""
    assert completed.returncode == ExitCode.FAILED


def test_bad_input_with_json_into_a_closed_pipe_is_still_one_line():
    """``dlnverify show C99 --json | head -0``: the error object cannot be written; the exit
    code stays 2 and stderr holds the one line (not Python's "Exception ignored", exit 120)."""
    completed = _into_a_closed_pipe(["show", "C99", "--json"])
    assert completed.returncode == ExitCode.BAD_INPUT
    assert completed.stderr.decode().startswith("dlnverify: error: Got claim 'C99'")
    assert completed.stderr.count(b"\n") == 1


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


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "drift", "--symbolic-only", "--", "-s"],
        ["check", "--symbolic-only", "--", "drift", "-s"],
        ["check", "drift", "--latex", "--symbolic-only", "--", "-s"],
    ],
)
def test_a_formula_that_starts_with_a_minus_follows_a_double_dash_after_the_options(argv, capsys):
    """A formula such as ``-s`` reads as an option; after ``--`` it is the operand, wherever
    the options stand."""
    assert main(argv) == ExitCode.FAILED
    out = capsys.readouterr().out
    assert out.startswith("REFUTED: drift")
    assert "formula:    -s\n" in out


def test_an_operand_too_many_after_a_double_dash_is_refused(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["check", "drift", "--symbolic-only", "--", "-s", "s"])
    assert exit_.value.code == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert "unrecognized arguments after '--': s" in err
    assert err.count("\n") == 1


def test_a_claim_after_a_double_dash_is_read_as_a_claim_id(capsys):
    assert main(["verify", "--symbolic-only", "--quiet", "--", "C2"]) == ExitCode.OK
    assert "C2" in capsys.readouterr().out


# --- --json on bad input ------------------------------------------------------------------------


def _commands_with_json():
    """Every command whose parser has ``--json``."""
    subparsers = build_parser()._subparsers._group_actions[0].choices
    return sorted(
        name
        for name, parser in subparsers.items()
        if any("--json" in action.option_strings for action in parser._actions)
    )


#: For each command with ``--json``: a command line that is bad input once parsed, and the
#: text its message must hold.
BAD_INPUT = {
    "cache": (["cache", "purge"], "invalid choice: 'purge'"),
    "check": (["check", "entropy", "s"], "entropy"),
    "check-steps": (["check-steps", "no-such-derivation.tex"], "no-such-derivation.tex"),
    "list": (["list", "--jobs", "2"], "unrecognized arguments: --jobs 2"),
    "report": (["report", "C99", "--pdf", "no"], "C99"),
    "show": (["show", "C99"], "C99"),
    "simulate": (["simulate", "--width", "-3"], "width=-3"),
    "verify": (["verify", "C99"], "C99"),
}


def test_every_command_with_json_is_covered():
    assert sorted(BAD_INPUT) == _commands_with_json()


def _exit_code(argv):
    """``main(argv)``'s exit code, whether returned or raised (a usage error)."""
    try:
        return main(argv)
    except SystemExit as exit_:
        return exit_.code


@pytest.mark.parametrize("command", sorted(BAD_INPUT))
def test_bad_input_with_json_prints_the_error_as_json(command, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # where report would write report/ if it got that far
    argv, text = BAD_INPUT[command]
    assert _exit_code([*argv, "--json"]) == ExitCode.BAD_INPUT
    captured = capsys.readouterr()
    line = captured.err.removesuffix("\n")
    assert "\n" not in line
    assert text in line
    assert json.loads(captured.out) == {
        "error": line.removeprefix("dlnverify: error: "),
        "exit_code": 2,
    }
    # without --json: the same line, nothing on stdout
    assert _exit_code(argv) == ExitCode.BAD_INPUT
    assert capsys.readouterr() == ("", captured.err)


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "--frob", "--json"],  # unknown option
        ["--json", "check", "drift", "s"],  # --json where the top-level parser has none
        ["simulate", "--js", "--steps", "x"],  # argparse takes --js for --json
        ["verify", "--seed", "-1", "--json"],  # a bad value
    ],
)
def test_usage_errors_with_json_print_the_error_as_json(argv, capsys):
    assert _exit_code(argv) == ExitCode.BAD_INPUT
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1
    assert json.loads(captured.out) == {
        "error": captured.err.removeprefix("dlnverify: error: ").removesuffix("\n"),
        "exit_code": 2,
    }


def test_json_after_a_double_dash_is_an_operand_not_the_option(capsys):
    assert _exit_code(["check", "drift", "--", "--json", "s"]) == ExitCode.BAD_INPUT
    assert capsys.readouterr().out == ""


# --- SIGTERM ------------------------------------------------------------------------------------


def test_the_sigterm_handler_is_installed_for_the_run_and_restored(monkeypatch, capsys):
    seen = []

    def record(*_args, **_kwargs):
        seen.append(signal.getsignal(signal.SIGTERM))
        return []

    monkeypatch.setattr("reports.claims.all_claims", record)
    before = signal.getsignal(signal.SIGTERM)
    assert main(["list"]) == ExitCode.OK
    assert signal.getsignal(signal.SIGTERM) is before
    assert len(seen) == 1
    assert callable(seen[0])
    assert seen[0] is not before


def test_main_runs_outside_the_main_thread(capsys):
    codes = []
    thread = threading.Thread(target=lambda: codes.append(main(["list", "--json"])))
    thread.start()
    thread.join(timeout=60)
    assert codes == [ExitCode.OK]
    assert json.loads(capsys.readouterr().out)


def _stopped_run(options, signum):
    """``dlnverify simulate`` of a long run with ``options`` in a process of its own, sent
    ``signum`` once the run has started: its exit code, stdout and the rest of stderr."""
    argv = ["simulate", "--steps", "2000000", "--width", "4", *options]
    with subprocess.Popen(
        [sys.executable, "-m", "reports.cli", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        first = process.stderr.readline()
        assert first.startswith("simulating sgd, L=2"), first
        process.send_signal(signum)
        out, rest = process.communicate(timeout=60)
    return process.returncode, out, rest


def test_sigterm_is_one_line_exit_143_and_leaves_the_old_output(tmp_path):
    """``kill PID`` (a batch scheduler, ``timeout``, systemd) during a long run: one line,
    exit 128 + 15, no traceback, and the output file named by ``--output`` as it was."""
    output = tmp_path / "run.json"
    output.write_text("old", encoding="utf-8")
    returncode, out, rest = _stopped_run(["--output", str(output)], signal.SIGTERM)
    assert returncode == ExitCode.TERMINATED == 143, rest
    assert "Traceback" not in rest
    assert rest.endswith("dlnverify: terminated (SIGTERM).\n")
    assert rest.count("dlnverify:") == 1
    assert out == ""
    assert output.read_text(encoding="utf-8") == "old"
    assert [path.name for path in tmp_path.iterdir()] == ["run.json"]  # no partial file


def test_sigterm_stops_the_worker_processes_of_a_sweep():
    """SIGTERM to the parent alone (``kill PID``) while a sweep's worker processes run: the
    workers are stopped too (the pool would otherwise wait for their runs, minutes each), and
    no process of the run is left behind."""
    argv = ["simulate", "--sweep", "eta=0.01,0.02", "--steps", "3000000", "--width", "4"]
    with subprocess.Popen(
        [sys.executable, "-m", "reports.cli", *argv, "--workers", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            first = process.stderr.readline()
            assert first == "sweeping eta: 2 runs on 'processes' ...\n"
            time.sleep(4.0)  # the workers have started their runs
            process.send_signal(signal.SIGTERM)
            _, rest = process.communicate(timeout=60)
            assert process.returncode == ExitCode.TERMINATED, rest
            assert "Traceback" not in rest
            assert rest.endswith("dlnverify: terminated (SIGTERM).\n")
            assert_group_ends(process.pid, what="the terminated parent")  # workers gone too
        finally:  # after a failure: leave no process behind
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)


@pytest.mark.parametrize(
    ("signum", "code", "message"),
    [
        (signal.SIGINT, ExitCode.INTERRUPTED, "interrupted (Ctrl-C)."),
        (signal.SIGTERM, ExitCode.TERMINATED, "terminated (SIGTERM)."),
    ],
)
def test_a_stopped_run_with_json_prints_the_error_as_json(signum, code, message):
    """Ctrl-C (SIGINT) or ``kill PID`` (SIGTERM) during a ``--json`` run: the one line on
    stderr, and on stdout the error object with the exit code, as for bad input."""
    returncode, out, rest = _stopped_run(["--json"], signum)
    assert returncode == code, rest
    assert rest.endswith(f"dlnverify: {message}\n")
    assert "Traceback" not in rest
    assert json.loads(out) == {"error": message, "exit_code": int(code)}


def test_a_stopped_run_without_json_prints_nothing_on_stdout(monkeypatch, capsys):
    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("reports.experiments.training.run_simulation", interrupted)
    argv = ["simulate", "--steps", "2", "--width", "3", "--quiet"]
    assert main([*argv, "--json"]) == ExitCode.INTERRUPTED
    assert json.loads(capsys.readouterr().out) == {
        "error": "interrupted (Ctrl-C).",
        "exit_code": 130,
    }
    assert main(argv) == ExitCode.INTERRUPTED
    assert capsys.readouterr() == ("", "dlnverify: interrupted (Ctrl-C).\n")
