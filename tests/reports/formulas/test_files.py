"""``dlnverify check --file FILE``: a file of formulas, each validated before any check runs,
each checked as ``check`` would, one summary table and one exit code."""

import json

import pytest

from dlnverify.errors import FormulaError, InvalidParameter
from reports.cli import ExitCode, main
from reports.formulas.engine import check
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
    assert [c["name"] for c in payload["checks"]] == [
        "Eq. 7 at depth 3",
        "gradient_drift #2",
        "paper's mean",
    ]
    assert payload["checks"][0]["at"] == {"L": 3}


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
