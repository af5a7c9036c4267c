"""``dlnverify check --file FILE``: a file of formulas, each validated before any check runs,
each checked as ``check`` would, one summary table and one exit code."""

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from cpu_time import cpu_seconds_below

from dlnverify.errors import FormulaError, InvalidParameter
from reports.cli import ExitCode, main
from reports.formulas.engine import check
from reports.formulas.file_text import MAX_FILE_BYTES
from reports.formulas.files import FormulaEntry, check_formulas, load_formulas

#: Eq. 7 at L = 3 and Eq. 5 in LaTeX (the paper's statements), and the paper's "slightly above
#: sigma" mean (Eq. 17), which the derivation refutes.
GOOD_AND_BAD = r"""
[[check]]
name = "Eq. 7 at depth 3"
quantity = "diffusion"
formula = "9*kappa*s**(8/3)*(2*(sigma-s)**2 + sigma_eps**2)"
at = { L = 3 }

[[check]]
quantity = "gradient_drift"
formula = 'L s^{2-\frac{2}{L}}(\sigma - s)'
syntax = "latex"

[[check]]
name = "paper's mean"
quantity = "stationary_mean"
formula = "sigma + kappa*sigma_eps**2"
"""


def _write(tmp_path, text):
    path = tmp_path / "formulas.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_formulas_reads_every_entry(tmp_path):
    entries = load_formulas(_write(tmp_path, GOOD_AND_BAD))
    assert entries == [
        FormulaEntry(
            "Eq. 7 at depth 3",
            "diffusion",
            "9*kappa*s**(8/3)*(2*(sigma-s)**2 + sigma_eps**2)",
            {"L": 3},
        ),
        FormulaEntry("gradient_drift #2", "gradient_drift", r"L s^{2-\frac{2}{L}}(\sigma - s)", {}, "latex"),
        FormulaEntry("paper's mean", "stationary_mean", "sigma + kappa*sigma_eps**2"),
    ]  # fmt: skip


def test_each_result_is_the_single_check(tmp_path):
    entries = load_formulas(_write(tmp_path, GOOD_AND_BAD))
    results = check_formulas(entries, seed=3, monte_carlo=False)
    assert [r.verdict for r in results] == ["verified", "verified", "refuted"]
    for entry, result in zip(entries, results, strict=True):
        alone = check(
            entry.quantity,
            entry.formula,
            at=entry.at,
            syntax=entry.syntax,
            seed=3,
            monte_carlo=False,
        )
        assert result.to_json() | {"elapsed_seconds": 0} == alone.to_json() | {"elapsed_seconds": 0}


def test_cli_table_details_and_exit_code(tmp_path, capsys):
    path = _write(tmp_path, GOOD_AND_BAD)
    assert main(["check", "--file", str(path), "--symbolic-only"]) == ExitCode.FAILED
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].split() == ["name", "quantity", "verdict", "at"]
    assert lines[2].split() == ["Eq.", "7", "at", "depth", "3", "diffusion", "verified", "L=3"]
    assert "paper's mean:" in lines  # details of the refuted entry only
    assert "Eq. 7 at depth 3:" not in lines
    assert "[3/3] paper's mean: refuted" in captured.err
    # all verified: exit 0; --quiet: no progress
    good = _write(tmp_path, GOOD_AND_BAD.rsplit("[[check]]", 1)[0])
    assert main(["check", "--file", str(good), "--symbolic-only", "--quiet"]) == ExitCode.OK
    assert capsys.readouterr().err == ""


def test_cli_json(tmp_path, capsys):
    path = _write(tmp_path, GOOD_AND_BAD)
    main(["check", "--file", str(path), "--symbolic-only", "--json", "--quiet"])
    payload = json.loads(capsys.readouterr().out)
    assert payload["verified"] == 2
    assert [c["verified"] for c in payload["checks"]] == [True, True, False]  # per row
    assert [c["name"] for c in payload["checks"]] == [
        "Eq. 7 at depth 3",
        "gradient_drift #2",
        "paper's mean",
    ]
    assert payload["checks"][0]["at"] == {"L": 3}


#: Prop. 3.1's gradient, right and with the factor 2 of a loss without 1/2, beside a scalar.
MATRIX_AND_SCALAR = """
[[check]]
name = "Prop. 3.1"
quantity = "gradient"
formula = '-A_l^\\top \\Delta B_l^\\top'

[[check]]
quantity = "gradient"
formula = '-2*transpose(A_l) @ Delta @ transpose(B_l)'

[[check]]
quantity = "gradient_drift"
formula = "L*s**(2-2/L)*(sigma-s)"
"""


def test_a_file_mixes_matrix_and_scalar_quantities(tmp_path, capsys):
    path = _write(tmp_path, MATRIX_AND_SCALAR)
    code = main(["check", "--file", str(path), "--symbolic-only", "--json", "--quiet"])
    assert code == ExitCode.FAILED
    payload = json.loads(capsys.readouterr().out)
    assert [c["verified"] for c in payload["checks"]] == [True, False, True]
    assert payload["checks"][1]["convention"] == "loss_without_half"
    assert payload["checks"][0]["shape"] == "h_l x h_{l-1}"
    assert main(["check", "--file", str(path), "--symbolic-only", "--quiet"]) == ExitCode.FAILED
    out = capsys.readouterr().out
    assert "REFUTED: gradient" in out
    assert "Prop. 3.1" in out


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        ("", InvalidParameter, "no \\[\\[check\\]\\] tables"),
        ("x = 1", InvalidParameter, "unknown key\\(s\\) 'x'"),
        ("[[check]]\nquantity = 'diffusion'", InvalidParameter, "check #4: formula must be"),
        ("[[check]]\nquantity = 'drift'\nformula = 's'\ncolour = 1", InvalidParameter, "'colour'"),
        ("[[check]]\nquantity = 'drift'\nformula = 's'\nat = 3", InvalidParameter, "at must be"),
        (
            "[[check]]\nquantity = 'drift'\nformula = 's'\nsyntax = 'tex'",
            InvalidParameter,
            "syntax",
        ),
        ("[[check]]\nquantity = 'drift'\nformula = 's'\nname = ''", InvalidParameter, "name must"),
        ("[[check]]\nquantity = 'entropy'\nformula = 's'", InvalidParameter, "'entropy #4'"),
        ("[[check]]\nquantity = 'drift'\nformula = 's +'", FormulaError, "'drift #4'"),
        (
            "[[check]]\nquantity = 'drift'\nformula = 's'\nat = {L = 0}",
            InvalidParameter,
            "L must be",
        ),
        ("[[check]\n", InvalidParameter, "not valid TOML"),
        (
            "[[check]]\nquantity = 'gradient'\nformula = 'W_l A_l'",
            FormulaError,
            "'gradient #4'.*h_\\{l-1\\} != m",
        ),
        (
            "[[check]]\nquantity = 'gradient'\nformula = 'Delta'\nat = {L = 2}",
            InvalidParameter,
            "no values for a matrix quantity",
        ),
    ],
)
def test_bad_files_are_refused_before_any_check(tmp_path, text, error, message):
    with pytest.raises(error, match=message):
        load_formulas(_write(tmp_path, GOOD_AND_BAD + "\n" + text if text else ""))


def test_cli_bad_file_and_bad_combinations_exit_2(tmp_path, capsys):
    path = _write(tmp_path, GOOD_AND_BAD)
    for argv, message in (
        (["--file", str(tmp_path / "missing.toml")], "Cannot read formula file"),
        (["drift", "s", "--file", str(path)], "QUANTITY FORMULA"),
        (["--file", str(path), "--at", "L=2"], "--at"),
        (["--file", str(path), "--latex"], "--latex/--sympy"),
    ):
        assert main(["check", *argv]) == ExitCode.BAD_INPUT
        err = capsys.readouterr().err
        assert message in err
        assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("formula_line", "message"),
    [
        (r'formula = "\frac{1}{2} s"', "holds a form feed"),
        (r'formula = "\tau s"', "holds a tab"),
        (r'formula = "s \beta"', "holds a backspace"),
        (r'formula = "\kappa s"', "not valid TOML"),
    ],
)
def test_latex_in_double_quotes_is_refused_with_the_fix(tmp_path, formula_line, message):
    path = tmp_path / "formulas.toml"
    path.write_text(f'[[check]]\nquantity = "diffusion"\n{formula_line}\n', encoding="utf-8")
    with pytest.raises(InvalidParameter, match=message) as error:
        load_formulas(path)
    assert "Use single quotes ('...') for LaTeX in TOML" in str(error.value)
    assert len(str(error.value).splitlines()) == 1


def test_latex_in_single_quotes_and_a_formula_over_lines_are_read(tmp_path):
    path = tmp_path / "formulas.toml"
    path.write_text(
        "[[check]]\nquantity = 'diffusion'\nformula = '\\frac{\\kappa}{2} \\times \\sigma s'\n"
        "[[check]]\nquantity = 'diffusion'\nformula = '''kappa*(L**2\n*s)'''\n",
        encoding="utf-8",
    )
    entries = load_formulas(path)
    assert entries[0].formula == "\\frac{\\kappa}{2} \\times \\sigma s"
    assert entries[1].formula == "kappa*(L**2\n*s)"


# --- reading the file: size limit, standard input, encoding ------------------------------------


def _refused_in_one_line(capsys, argv):
    """Run ``dlnverify check ARGV``: exit 2, nothing on stdout, and the one line on stderr
    (returned, without its newline)."""
    assert main(["check", *argv]) == ExitCode.BAD_INPUT
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    return captured.err.rstrip("\n")


def test_a_file_at_the_limit_is_read_and_one_byte_more_is_refused_naming_its_size(tmp_path, capsys):
    entry = b"[[check]]\nquantity = 'drift'\nformula = 's'\n"
    path = tmp_path / "padded.toml"
    path.write_bytes(entry + b"#" * (MAX_FILE_BYTES - len(entry) - 1) + b"\n")
    assert path.stat().st_size == MAX_FILE_BYTES
    assert [e.formula for e in load_formulas(path)] == ["s"]
    path.write_bytes(path.read_bytes() + b"\n")
    line = _refused_in_one_line(capsys, ["--file", str(path)])
    assert str(path) in line
    assert f"{MAX_FILE_BYTES + 1:,} bytes" in line
    assert f"limit of a formula file is {MAX_FILE_BYTES:,} bytes" in line


def test_an_endless_stream_is_refused_within_a_second(capsys):
    with cpu_seconds_below(1.0):
        line = _refused_in_one_line(capsys, ["--file", "/dev/zero"])
    assert line.startswith(
        "dlnverify: error: Formula file '/dev/zero' is more than 1,000,000 bytes"
    )


def test_a_fifo_that_never_ends_is_refused(tmp_path):
    fifo = tmp_path / "endless"
    os.mkfifo(fifo)

    def write_forever():
        with contextlib.suppress(BrokenPipeError), open(fifo, "wb") as stream:
            while True:  # until the reader closes its end
                stream.write(b"#" * 65536)

    writer = threading.Thread(target=write_forever, daemon=True)
    writer.start()
    with pytest.raises(InvalidParameter, match="is more than 1,000,000 bytes"):
        load_formulas(fifo)
    writer.join(timeout=10)
    assert not writer.is_alive()


class _Endless(io.RawIOBase):
    """Standard input that never ends: as many ``#`` as are asked for, up to a budget well
    above the limit (beyond it the reader failed to stop, and the test says so rather than
    filling the memory)."""

    def __init__(self):
        self.given = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        assert self.given < 4 * MAX_FILE_BYTES, "read past the limit of a formula file"
        buffer[:] = b"#" * len(buffer)
        self.given += len(buffer)
        return len(buffer)


def _stdin(monkeypatch, raw):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(raw), encoding="utf-8"))


def test_dash_reads_standard_input(monkeypatch, capsys):
    _stdin(monkeypatch, io.BytesIO(GOOD_AND_BAD.encode()))
    argv = ["check", "--file", "-", "--symbolic-only", "--json", "--quiet"]
    assert main(argv) == ExitCode.FAILED  # the paper's mean is refuted
    payload = json.loads(capsys.readouterr().out)
    assert payload["file"] == "-"
    assert [c["verdict"] for c in payload["checks"]] == ["verified", "verified", "refuted"]


def test_standard_input_has_the_same_limit(monkeypatch, capsys):
    _stdin(monkeypatch, _Endless())
    line = _refused_in_one_line(capsys, ["--file", "-"])
    assert "'<stdin>' is more than 1,000,000 bytes" in line


def test_standard_input_in_a_real_pipe():
    completed = subprocess.run(
        [sys.executable, "-m", "reports.cli", "check", "--file", "-", "--symbolic-only"],
        input=GOOD_AND_BAD.rsplit("[[check]]", 1)[0],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == ExitCode.OK, completed.stderr
    assert completed.stdout.splitlines()[2].split()[-2:] == ["verified", "L=3"]


def test_a_byte_order_mark_is_refused_naming_it(tmp_path, capsys):
    path = tmp_path / "bom.toml"
    path.write_bytes(GOOD_AND_BAD.encode("utf-8-sig"))
    line = _refused_in_one_line(capsys, ["--file", str(path)])
    assert str(path) in line
    assert "starts with a UTF-8 byte-order mark (U+FEFF)" in line
    assert "sed -i '1s/^\\xEF\\xBB\\xBF//'" in line  # how to remove it
    path.write_bytes(GOOD_AND_BAD.encode("utf-8"))  # the same file without it is read
    assert len(load_formulas(path)) == 3


def test_bytes_that_are_not_utf8_are_refused_naming_the_offset(tmp_path, capsys):
    before = b"[[check]]\nquantity = 'drift'\nformula = 's"
    path = tmp_path / "cp1253.toml"
    path.write_bytes(before + "σ'\n".encode("cp1253"))  # Greek sigma in a Windows code page
    line = _refused_in_one_line(capsys, ["--file", str(path)])
    assert f"is not UTF-8: byte 0xF3 at byte offset {len(before)} (line 3)" in line


@pytest.mark.parametrize(
    ("where", "reason"),
    [
        (lambda tmp: tmp, "Is a directory"),
        (lambda tmp: tmp / "missing.toml", "No such file or directory"),
        (lambda tmp: tmp / "formulas.toml" / "x", "Not a directory"),
        (lambda tmp: Path("/proc/self/mem"), "Input/output error"),  # opens, cannot be read
    ],
)
def test_a_path_that_cannot_be_read_is_one_line(tmp_path, capsys, where, reason):
    _write(tmp_path, GOOD_AND_BAD)
    path = where(tmp_path)
    line = _refused_in_one_line(capsys, ["--file", str(path)])
    assert line == f"dlnverify: error: Cannot read formula file {str(path)!r}: {reason}."


def test_progress_goes_to_stderr_and_json_alone_to_stdout(tmp_path, capsys):
    path = _write(tmp_path, GOOD_AND_BAD)
    assert main(["check", "--file", str(path), "--symbolic-only", "--json"]) == ExitCode.FAILED
    captured = capsys.readouterr()
    assert len(json.loads(captured.out)["checks"]) == 3  # stdout is the JSON object alone
    assert captured.err.splitlines() == [
        "[1/3] Eq. 7 at depth 3 (diffusion) ...",
        f"[1/3] Eq. 7 at depth 3: verified ({_seconds(captured.err, 1)} s)",
        "[2/3] gradient_drift #2 (gradient_drift) ...",
        f"[2/3] gradient_drift #2: verified ({_seconds(captured.err, 2)} s)",
        "[3/3] paper's mean (stationary_mean) ...",
        f"[3/3] paper's mean: refuted ({_seconds(captured.err, 3)} s)",
    ]


def _seconds(err, index):
    """The time printed on the progress line that ends check ``index``."""
    return re.search(rf"\[{index}/3\] [^\n]*: \w+ \(([0-9.]+) s\)", err).group(1)


# --- parsing the file: bounded time, no dates or times, one line (and JSON) ---------------------

_ENTRY = "[[check]]\nquantity = 'drift'\nformula = 's'\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_ENTRY + "at = { L = 1979-05-27 }\n", "check[1].at.L is a TOML date, but no setting"),
        (_ENTRY + "at = { L = 07:32:00 }\n", "check[1].at.L is a TOML time, but no setting"),
        (_ENTRY + "x = " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply to read"),
        (_ENTRY + "a" + ".a" * 150_000 + " = 1\n", "the key on line 4 has 150,001 dotted parts"),
        ('[[check]]\nquantity = "drift"\nformula = "\\sigma s"\n', "Use single quotes ('...')"),
        ('[[check]]\nquantity = "drift"\nformula = "\\frac{1}{2}"\n', "Use single quotes ('...')"),
        ("\ufeff" + _ENTRY, "starts with a UTF-8 byte-order mark"),
    ],
    ids=["date", "time", "nesting", "dotted key", "\\sigma", "\\frac", "byte-order mark"],
)
def test_a_hostile_file_is_one_line_and_a_json_error_in_bounded_time(
    tmp_path, capsys, text, message
):
    path = tmp_path / "hostile.toml"
    path.write_text(text, encoding="utf-8")
    with cpu_seconds_below(1.0):
        code = main(["check", "--file", str(path), "--json"])
    assert code == ExitCode.BAD_INPUT
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1
    assert message in captured.err
    payload = json.loads(captured.out)
    assert payload == {
        "error": captured.err.removeprefix("dlnverify: error: ")[:-1],
        "exit_code": 2,
    }
