r"""Tests of ``dlnverify check-steps FILE``: output, exit codes, JSON, and hostile input.

A file of correct steps exits 0, a refuted step 1 with the first wrong step named, bad input
2 with one line on stderr naming the line (and ``{"error": ..., "exit_code": 2}`` with
``--json``), before any step is checked and within a bounded CPU time: TeX that would run
code or redefine what the math means, unknown macros, huge exponents, deep nesting, giant or
binary files.  Through :func:`reports.cli.main` in this process (the module imports the
checker first, so that the time bounds measure the refusal, not the imports), and once
through a subprocess reading standard input.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cpu_time import cpu_seconds_below

import reports.formulas.chain  # noqa: F401 - imported here, not inside the timed blocks
from reports.cli import ExitCode, main

ROOT = Path(__file__).resolve().parents[3]

CORRECT = r"""\documentclass{article}
\begin{document}
\begin{align}
(x+1)^2 &= x^2 + 2x + 1 \label{eq:square}\\
        &= (x+1)(x+1) \nonumber
\end{align}
and \[ \sum_{l=1}^{L} l = \frac{L(L+1)}{2}. \]
\end{document}
"""

WRONG = CORRECT.replace(r"&= (x+1)(x+1)", r"&= (x+1)(x+2)")


def _run(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _write(tmp_path, text, name="derivation.tex"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_correct_steps_exit_0_with_every_step_shown(tmp_path, capsys):
    code, out, err = _run(["check-steps", _write(tmp_path, CORRECT)], capsys)
    assert code == ExitCode.OK
    assert "step 1 (line 4, =): PROVEN" in out
    assert "step 2 (lines 4-5, =): PROVEN" in out
    assert "chain 2 (\\[...\\], line 7):" in out
    assert out.splitlines()[-1].startswith("PROVEN: ")
    assert "[1/3] chain 1, step 1 (line 4) ..." in err  # progress on stderr


def test_a_wrong_step_exits_1_and_is_named(tmp_path, capsys):
    code, out, err = _run(["check-steps", _write(tmp_path, WRONG), "--quiet"], capsys)
    assert code == ExitCode.FAILED
    assert "step 2 (lines 4-5, =): REFUTED — the two sides differ at x = 1/2" in out
    assert "first wrong step: chain 1, step 2 (line 5)" in out.splitlines()[-1]
    assert err == ""


def test_json_output(tmp_path, capsys):
    code, out, _err = _run(["check-steps", _write(tmp_path, WRONG), "--json", "--quiet"], capsys)
    assert code == ExitCode.FAILED
    payload = json.loads(out)
    assert payload["verdict"] == "refuted"
    assert payload["first_wrong"] == {"chain": 1, "step": 2, "line": 5}
    assert [c["lines"] for c in payload["chains"]] == [[4, 5], [7, 7]]
    assert [[s["verdict"] for s in c["steps"]] for c in payload["chains"]] == [
        ["proven", "refuted"],
        ["proven"],
    ]
    refuted = payload["chains"][0]["steps"][1]
    assert refuted["counterexample"]["point"] == {"x": "1/2"}
    assert (refuted["left"], refuted["right"]) == ("x**2 + 2*x + 1", "(x + 1)*(x + 2)")
    assert payload["settings"]["format"] == "tex"


def test_options_reach_the_checker(tmp_path, capsys):
    file = _write(tmp_path, "kappa*s**2*(2*(sigma-s)**2 + sigma_eps**2)*4\n", "d.txt")
    code, out, _err = _run(
        ["check-steps", file, "--quantity", "diffusion", "--at", "L=2", "--quiet"], capsys
    )
    assert code == ExitCode.OK
    assert "PROVEN — the first formula against the derived diffusion" in out
    code, out, _err = _run(["check-steps", file, "--quantity", "diffusion", "--quiet"], capsys)
    assert code == ExitCode.FAILED
    assert "agrees with the derived result at L = 2" in out
    named = _write(tmp_path, r"\[ \mu(s) = L s^{2-2/L}(\sigma - s) \]")
    code, out, _err = _run(["check-steps", named, "--no-anchor", "--quiet"], capsys)
    assert code == ExitCode.OK
    assert "anchoring is off" in out


def test_standard_input_in_a_subprocess():
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "reports.cli", "check-steps", "-", "--json", "--quiet"],
        input="(x+1)^2\n= x^2 + 2x + 1\n= x^2 + x + 1\n",
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert done.returncode == ExitCode.FAILED
    payload = json.loads(done.stdout)
    assert payload["file"] == "<stdin>"
    assert payload["first_wrong"] == {"chain": 1, "step": 2, "line": 3}


# --------------------------------------------------------------------------- hostile input

HOSTILE = [
    ("input", "\\input{/etc/passwd}\n\\[ a = b \\]\n", 1, "\\input is refused"),
    ("include", "Text.\n\\include{other}\n", 2, "\\include is refused"),
    ("write18", "\\[ a = b \\]\n\\immediate\\write18{touch pwned}\n", 2, "is refused"),
    ("def", "\\def\\D{D}\n\\[ \\D = 1 \\]\n", 1, "\\def is refused"),
    ("newcommand", "\\newcommand{\\D}{D}\n", 1, "\\newcommand is refused"),
    ("csname", "\\[ a = \\csname x\\endcsname \\]\n", 1, "\\csname is refused"),
    ("catcode", "\\catcode`\\^=7\n\\[ a = b \\]\n", 1, "\\catcode is refused"),
    ("caret notation", "\\[ a = ^^5cinput \\]\n", 1, "^^ character notation"),
    ("unknown macro", "\\begin{align}\n a &= b \\\\\n &= \\foo{c}\n\\end{align}\n", 3, "'\\foo'"),
    ("huge exponent", "\\[ x^{100000} = x \\]\n", 1, "exponent"),
    ("huge number", "\\[ x = 1" + "0" * 150 + " \\]\n", 1, "digits"),
    ("huge bound", "\\[ \\prod_{l=1}^{999999} l = 1 \\]\n", 1, "too large"),
    ("deep nesting", "\\[ " + "(" * 60 + "x" + ")" * 60 + " = x \\]\n", 1, "nested too deeply"),
    ("long expression", "\\[ " + "+".join(["x"] * 1100) + " = x \\]\n", 1, "too long"),
    ("unclosed display", "Text\n\\begin{align}\n a &= b\n", 2, "never closed"),
    ("stray relation", "\\[ = x \\]\n", 1, "empty expression before ="),
    ("bad directive", "% dlnverify: imaginary x\n\\[ a = b \\]\n", 1, "unknown directive"),
    ("control characters", "\\[ a = b \\]\x07\n", 1, "control character"),
]


@pytest.mark.parametrize(("name", "text", "line", "reason"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_input_is_bad_input_naming_the_line_in_bounded_time(
    name, text, line, reason, tmp_path, capsys
):
    file = _write(tmp_path, text)
    before = sorted(tmp_path.iterdir())
    with cpu_seconds_below(2.0):
        code, out, err = _run(["check-steps", file, "--json"], capsys)
    assert code == ExitCode.BAD_INPUT
    message = err.removeprefix("dlnverify: error: ").removesuffix("\n")
    assert "\n" not in message
    assert message.startswith(f"{file}, line {line}: "), message
    assert reason in message
    assert json.loads(out) == {"error": message, "exit_code": 2}
    assert sorted(tmp_path.iterdir()) == before  # nothing written (nor touched: write18)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\\[ a = b \\]\n\xff\xfe\x00binary", "is not UTF-8: byte 0xFF"),
        (b"\xef\xbb\xbf\\[ a = b \\]", "byte-order mark"),
        (b"% padding\n" * 100_001, "the limit of a formula file is 1,000,000 bytes"),
        (b"", "no chain found"),
    ],
    ids=["binary", "byte-order mark", "giant", "empty"],
)
def test_unreadable_files_are_bad_input_in_bounded_time(content, reason, tmp_path, capsys):
    path = tmp_path / "derivation.tex"
    path.write_bytes(content)
    with cpu_seconds_below(2.0):
        code, _out, err = _run(["check-steps", str(path)], capsys)
    assert code == ExitCode.BAD_INPUT
    assert reason in err
    assert err.count("\n") == 1


def test_a_missing_file_and_bad_options_are_bad_input(tmp_path, capsys):
    code, _out, err = _run(["check-steps", str(tmp_path / "none.tex")], capsys)
    assert code == ExitCode.BAD_INPUT
    assert "Cannot read formula file" in err
    for argv, reason in [
        (["--timeout", "0"], "time limit must be positive"),
        (["--points", "0"], "must be >= 1"),
        (["--format", "word"], "invalid choice"),
        (["--quantity", "entropy"], "entropy"),
        (["--at", "L"], "must look like L=3"),
        (["--at", "L=2", "--at", "L=3"], "twice"),
    ]:
        file = _write(tmp_path, CORRECT)
        code, _out, err = _run(["check-steps", file, *argv], capsys)
        assert code == ExitCode.BAD_INPUT, argv
        assert reason in err, (argv, err)


def test_the_documented_example_gives_what_the_page_shows(tmp_path, capsys):
    readme = (ROOT / "docs" / "how-to" / "check-steps.md").read_text(encoding="utf-8")
    section = readme.split("### Derivations step by step", 1)[1]
    example = section.split("```latex\n", 1)[1].split("```", 1)[0]
    shown = section.split("```text\n", 1)[1].split("```", 1)[0]
    code, out, _err = _run(["check-steps", _write(tmp_path, example), "--quiet"], capsys)
    assert code == ExitCode.FAILED
    printed = out.splitlines()
    for line in shown.splitlines():
        if "..." in line:  # shortened on the page: its start must be printed
            start = line.split("...")[0].rstrip(" (")
            assert any(p.startswith(start) for p in printed), line
        elif "derivation.tex" in line:
            assert line.replace("derivation.tex", _write(tmp_path, example)) in printed
        else:
            assert line in printed, line
