r"""A formula as a paper prints it (reports.formulas.statement): math delimiters, alignment
debris and a left-hand side are read off, echoed, and the right-hand side is checked; what
cannot be read is refused with one line (exit 2) before any work."""

import json

import pytest

from dlnverify.errors import FormulaError
from reports.claims import get_quantity
from reports.cli import ExitCode, main
from reports.formulas.engine import check
from reports.formulas.statement import read_statement

D = r"\kappa L^2 s^{4-\frac{4}{L}}\bigl(2(\sigma-s)^2+\sigma_\varepsilon^2\bigr)"


@pytest.mark.parametrize(
    ("text", "read"),
    [
        (f"$$D(s) = {D},$$", ["$$...$$", "trailing ,", "'D(s)' names diffusion"]),
        (f"${D}$", ["$...$"]),
        (rf"\[ D_a = {D} \]", [r"\[...\]", "'D_a' names diffusion"]),
        (rf"\( D = {D} \)", [r"\(...\)"]),
        (
            rf"\begin{{equation}} D(s) = {D} \label{{eq:diffusion}} \end{{equation}}",
            ["equation environment", r"\label{...}"],
        ),
        (rf"\begin{{align*}} D_{{aa}} &= {D} \nonumber \end{{align*}}", ["align*", "&"]),
        (rf"D(s_a) = {D} \tag{{7}}.", [r"\tag{...}", "trailing ."]),
        (rf"f(s) = {D}", ["'f(s)' read as a name"]),
    ],
)
def test_a_diffusion_printed_as_a_paper_prints_it_is_verified_and_its_reading_echoed(text, read):
    result = check("diffusion", text, monte_carlo=False)
    assert result.verdict == "verified", result.message
    reading = " | ".join(result.reading)
    for piece in read:
        assert piece in reading
    assert result.to_json()["reading"] == list(result.reading)


def test_a_slip_under_a_left_hand_side_is_still_refuted():
    result = check("diffusion", rf"$$D(s) = 2{D}$$", monte_carlo=False)
    assert result.verdict == "refuted"


@pytest.mark.parametrize(
    ("quantity", "text", "at"),
    [
        ("diffusion_peak", r"s^\star = \frac{2(L-1)}{3L-2}\sigma", {"sigma_eps": 0}),
        ("diffusion_peak", r"s^{*} = \frac{2(L-1)}{3L-2}\sigma", {"sigma_eps": 0}),
        ("gf_solution", r"s(t) = \frac{\sigma}{1 + (\sigma/s_0 - 1)e^{-2\sigma t}}", None),
        (
            "drift",
            r"\mu(s) &= L s^{2-2/L}(\sigma - s) + \kappa\frac{L(L-1)}{2}s^{3-4/L}"
            r"\bigl(2(\sigma-s)^2+\sigma_\varepsilon^2\bigr)",
            None,
        ),
    ],
)
def test_left_hand_sides_that_name_the_quantity_are_read(quantity, text, at):
    result = check(quantity, text, at=at, monte_carlo=False)
    assert result.verdict == "verified", result.message
    assert any(f"names {quantity}" in line for line in result.reading)


def test_propto_is_read_for_a_density_up_to_a_constant_factor():
    # the depth-one stationary density, (2(sigma - s)^2 + sigma_eps^2)^(-1 - 1/(2 kappa))
    density = r"\bigl(2(\sigma-s)^2+\sigma_\varepsilon^2\bigr)^{-1-\frac{1}{2\kappa}}"
    result = check("stationary_density", rf"p(s) \propto {density}", at={"L": 1}, monte_carlo=False)
    assert result.verdict == "verified", result.message
    assert any("up to a constant factor" in line for line in result.reading)
    wrong = check(
        "stationary_density", rf"p(s) \propto {density} s", at={"L": 1}, monte_carlo=False
    )
    assert wrong.verdict == "refuted"


@pytest.mark.parametrize(
    "normaliser",
    [r"\frac{1}{Z}", r"\frac{1}{Z}\,", r"Z^{-1}", r"Z^{-1} \cdot ", r"\frac{1}{\mathcal{Z}}"],
)
@pytest.mark.parametrize("left", ["", "p(s) = "])
def test_a_written_normaliser_reads_as_up_to_a_constant_factor(normaliser, left):
    density = r"\bigl(2(\sigma-s)^2+\sigma_\varepsilon^2\bigr)^{-1-\frac{1}{2\kappa}}"
    result = check(
        "stationary_density", f"{left}{normaliser}{density}", at={"L": 1}, monte_carlo=False
    )
    assert result.verdict == "verified", result.message
    assert any("a normaliser, compared up to a constant factor" in x for x in result.reading)
    wrong = check(
        "stationary_density", f"{left}{normaliser}{density} s", at={"L": 1}, monte_carlo=False
    )
    assert wrong.verdict == "refuted"


def test_a_normaliser_in_sympy_syntax_reads_as_up_to_a_constant_factor():
    density = "(2*(sigma-s)**2+sigma_eps**2)**(-1-1/(2*kappa))"
    for text in (f"1/Z*{density}", f"Z**-1*{density}"):
        result = check("stationary_density", text, at={"L": 1}, monte_carlo=False)
        assert result.verdict == "verified", (text, result.message)


@pytest.mark.parametrize(
    ("quantity", "text", "message"),
    [
        ("diffusion", rf"\frac{{1}}{{Z}} {D}", "not defined up to one; write the whole formula"),
        ("diffusion", rf"D(s) = Z^{{-1}} {D}", "not defined up to one; write the whole formula"),
        ("drift", rf"D(s) = {D}", "names diffusion"),
        ("diffusion", rf"D(s) \propto {D}", "not defined up to one"),
        ("diffusion", rf"D = {D} = {D}", "2 relations"),
        ("diffusion", rf"2s = {D}", "must name the quantity"),
        ("diffusion", rf"D = ${D}$", "math delimiters"),
        ("diffusion", rf"= {D}", "one of its sides is empty"),
        (
            "diffusion",
            rf"\begin{{align}} D &= {D} \\ &= {D} \end{{align}}",
            "several lines",
        ),
    ],
)
def test_what_cannot_be_read_is_refused_with_one_line(quantity, text, message, capsys):
    with pytest.raises(FormulaError, match=message):
        read_statement(text, get_quantity(quantity))
    code = main(["check", quantity, text, "--symbolic-only"])
    error = capsys.readouterr().err.strip()
    assert code == ExitCode.BAD_INPUT
    assert message in error
    assert len(error.splitlines()) == 1


def test_a_plain_formula_is_read_as_it_is():
    statement = read_statement("kappa*L**2*s", get_quantity("diffusion"))
    assert statement.formula == "kappa*L**2*s"
    assert statement.reading == ()
    assert statement.left is None


def test_the_cli_echoes_the_reading(capsys):
    code = main(["check", "diffusion", f"$$D(s) = {D}.$$", "--symbolic-only"])
    out = capsys.readouterr().out
    assert code == ExitCode.OK
    assert "read:       the math delimiters $$...$$ removed" in out
    assert "read:       left-hand side 'D(s)' names diffusion" in out
    code = main(["check", "diffusion", f"D(s) = {D}", "--symbolic-only", "--json"])
    assert json.loads(capsys.readouterr().out)["reading"] == [
        "left-hand side 'D(s)' names diffusion"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [("$" * 50_000_000, "too long"), ("", "empty formula"), (None, "must be a string")],
)
def test_the_reader_refuses_what_the_parser_refuses_first(text, message):
    with pytest.raises(FormulaError, match=message):
        read_statement(text, get_quantity("diffusion"))
