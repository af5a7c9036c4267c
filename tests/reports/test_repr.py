r"""Jupyter rendering: claims and check results as Markdown / LaTeX.

Jupyter shows an object through ``_repr_markdown_`` (Markdown with ``$$...$$`` display math) or
``_repr_latex_`` (one ``$...$`` block).  The tests below check that each repr names what it
shows, carries the formula as LaTeX that is at least well formed (balanced ``$`` delimiters,
braces and ``\left``/``\right``-style pairs, no macro run into the following letters), and, for
a check result, that the LaTeX is the one SymPy prints for the derived expression.  Symbolic
checks only (``monte_carlo=False``), so the module runs in a few seconds.
"""

import re

import pytest
import sympy as sp

from derivations.conventions import to_latex
from reports.claims import all_claims, get_quantity
from reports.engine.claim import Claim
from reports.formulas.engine import check
from reports.formulas.result import CheckResult, Verdict

CLAIMS = list(all_claims())

#: Diffusion (Eq. 7) with the square expanded and the power split: equal, not identical.
DIFFUSION = "kappa*L**2*s**4*s**(-4/L)*(2*sigma**2-4*sigma*s+2*s**2+sigma_eps**2)"
#: Gradient drift (Eq. 5) with a wrong exponent.
WRONG_GRADIENT_DRIFT = "L*s**(2-3/L)*(sigma-s)"

#: Valid control words.  A control word not listed here that starts with one that is
#: (``\qquad`` + ``D`` -> ``\qquadD``) is a macro run into the following letters; other
#: unlisted control words are not judged.
KNOWN_MACROS = frozenset(
    {
        "alpha", "arg", "ast", "bar", "beta", "big", "bigcap", "bigcup", "bigg", "biggl",
        "biggr", "bigl", "bigoplus", "bigotimes", "bigr", "Big", "Bigg", "Biggl", "Biggr",
        "Bigl", "Bigr", "cdot", "cdots", "Delta", "delta", "det", "dot", "doteq", "dots",
        "dotsb", "dotsc", "epsilon", "eta", "exp", "frac", "gamma", "hat", "iff", "in", "inf",
        "infty", "int", "intercal", "kappa", "lambda", "langle", "ldots", "left", "leftarrow",
        "leftrightarrow", "log", "mathrm", "max", "min", "mu", "nabla", "ne", "neg", "neq",
        "operatorname", "otimes", "partial", "quad", "qquad", "rangle", "right", "rightarrow",
        "sigma", "Sigma", "sqrt", "sum", "tau", "text", "textbf", "textit", "textrm", "texttt",
        "tfrac", "theta", "times", "to", "top", "varepsilon", "xi",
    }
)  # fmt: skip
#: Opening and closing macros that must come in equal numbers.
PAIRED_MACROS = (("left", "right"), ("bigl", "bigr"), ("Bigl", "Bigr"), ("biggl", "biggr"))
#: Characters that break LaTeX text mode (``\text{...}``) or Markdown emphasis in a title.
TITLE_SPECIALS = set("\\{}$&%#_^~*")


def assert_well_formed_latex(tex: str) -> None:
    """Math-mode LaTeX with balanced braces and pairs, no ``$`` and no run-together macro."""
    assert tex.strip(), "empty LaTeX"
    assert "$" not in tex, f"a '$' inside the math would end it early: {tex!r}"
    depth = 0
    for token in re.findall(r"\\[{}]|[{}]", tex):  # \{ and \} are literal braces
        depth += {"{": 1, "}": -1}.get(token, 0)
        assert depth >= 0, f"'}}' without its '{{' in {tex!r}"
    assert depth == 0, f"{depth} unclosed '{{' in {tex!r}"
    words = re.findall(r"\\([A-Za-z]+)", tex)
    for opening, closing in PAIRED_MACROS:
        assert words.count(opening) == words.count(closing), (
            f"\\{opening} x{words.count(opening)} but \\{closing} x{words.count(closing)}"
            f" in {tex!r}"
        )
    for word in words:
        if word in KNOWN_MACROS:
            continue
        glued = [word[:n] for n in range(2, len(word)) if word[:n] in KNOWN_MACROS]
        assert not glued, f"\\{word} is \\{glued[-1]} run into {word[len(glued[-1]) :]!r}"


def display_math(markdown: str) -> list[str]:
    """The ``$$...$$`` blocks of a Markdown string (and no stray ``$`` outside them)."""
    blocks = re.findall(r"\$\$(.+?)\$\$", markdown, flags=re.DOTALL)
    outside = re.sub(r"\$\$(.+?)\$\$", "", markdown, flags=re.DOTALL)
    assert "$" not in outside, f"unbalanced '$' in {markdown!r}"
    return blocks


def test_every_claim_and_the_check_result_have_jupyter_reprs():
    assert CLAIMS
    for claim in CLAIMS:
        assert isinstance(claim, Claim)
    assert callable(getattr(Claim, "_repr_markdown_", None))
    assert callable(getattr(Claim, "_repr_latex_", None))
    assert callable(getattr(CheckResult, "_repr_markdown_", None))


@pytest.mark.parametrize("claim", CLAIMS, ids=[c.id for c in CLAIMS])
def test_claim_markdown_names_the_claim_and_shows_its_statement(claim):
    markdown = claim._repr_markdown_()
    assert isinstance(markdown, str)
    assert markdown.strip()
    first_line = markdown.splitlines()[0]
    assert f"**{claim.id}**" in first_line
    assert claim.title in first_line
    assert claim.paper_ref in first_line
    assert display_math(markdown) == [claim.statement]
    assert not set(claim.title) & TITLE_SPECIALS, f"{claim.title!r} breaks Markdown or \\text"


@pytest.mark.parametrize("claim", CLAIMS, ids=[c.id for c in CLAIMS])
def test_claim_latex_is_one_inline_math_block_with_id_title_and_statement(claim):
    latex = claim._repr_latex_()
    assert isinstance(latex, str)
    assert latex.startswith("$")
    assert latex.endswith("$")
    assert latex.count("$") == 2, f"expected one $...$ block: {latex!r}"
    body = latex[1:-1]
    assert body.startswith(f"\\text{{{claim.id}: {claim.title}}}")
    assert body.endswith(claim.statement)


@pytest.mark.parametrize("claim", CLAIMS, ids=[c.id for c in CLAIMS])
def test_claim_statement_is_well_formed_latex(claim):
    assert_well_formed_latex(claim.statement)
    assert_well_formed_latex(claim._repr_latex_()[1:-1])


def test_the_latex_check_catches_a_macro_run_into_a_letter_and_unbalanced_input():
    assert_well_formed_latex(r"a,\qquad D_{ab} = \kappa \bigl(x\bigr) \ne 0")
    for bad in (r"a,\qquadD_{ab}", r"\frac{1}{2", r"\bigl(x)", r"x $ y", r"\sigmas"):
        with pytest.raises(AssertionError):
            assert_well_formed_latex(bad)


@pytest.fixture(scope="module")
def verified() -> CheckResult:
    return check("diffusion", DIFFUSION, monte_carlo=False)


@pytest.fixture(scope="module")
def refuted() -> CheckResult:
    return check("gradient_drift", WRONG_GRADIENT_DRIFT, monte_carlo=False)


def test_verified_result_markdown_shows_verdict_quantity_and_derived_latex(verified):
    assert verified.verdict == Verdict.VERIFIED
    markdown = verified._repr_markdown_()
    assert isinstance(markdown, str)
    first_line = markdown.splitlines()[0]
    assert first_line.startswith("**verified**")
    assert "`diffusion`" in first_line
    assert verified.message in first_line
    # The derived expression, recomputed here from the derivation, printed by SymPy.
    derived = get_quantity("diffusion").derived()
    assert display_math(markdown) == [f"\\text{{derived: }}{to_latex(derived)}"]
    assert_well_formed_latex(to_latex(derived))
    # parameters in their declared spelling, not SymPy's rendering of the Python name
    assert r"\sigma_{\varepsilon}" in markdown
    assert "eps}" not in markdown


def test_refuted_result_markdown_shows_verdict_derived_latex_and_the_difference(refuted):
    assert refuted.verdict == Verdict.REFUTED
    assert refuted.symbolic == "different"
    assert refuted.counterexample is not None
    markdown = refuted._repr_markdown_()
    first_line = markdown.splitlines()[0]
    assert first_line.startswith("**refuted**")
    assert "`gradient_drift`" in first_line
    derived = get_quantity("gradient_drift").derived()
    difference = refuted.difference
    assert difference is not None
    assert sp.simplify(refuted.parsed - derived - difference) == 0
    assert display_math(markdown) == [
        f"\\text{{derived: }}{to_latex(derived)}",
        f"\\text{{formula}} - \\text{{derived}} = {to_latex(difference)}",
    ]
    for block in display_math(markdown):
        assert_well_formed_latex(block)


def test_refuted_result_markdown_shows_the_counterexample(refuted):
    counterexample = refuted.counterexample
    assert counterexample is not None
    markdown = refuted._repr_markdown_()
    assert "counterexample" in markdown.lower()
    shown = markdown.lower().split("counterexample", 1)[1]
    for name in counterexample["parameters"]:
        assert name.lower() in shown


@pytest.mark.parametrize("which", ["verified", "refuted"])
def test_check_result_html_shows_the_verdict_and_its_formulas_as_mathml(which, request):
    from xml.etree import ElementTree

    result = request.getfixturevalue(which)
    page = result._repr_html_()
    tree = ElementTree.fromstring(page)  # well-formed: every tag closed, every text escaped
    first = tree.find("p")
    assert first is not None
    assert first.findtext("strong") == result.verdict.upper()
    assert first.findtext("code") == result.quantity
    maths = tree.findall(".//math")  # HTML5 MathML, no namespace
    assert len(maths) == (2 if which == "refuted" else 1)  # derived (and the difference)
    texts = "".join(tree.itertext())
    for line in result.evidence_lines():
        assert line in texts


def test_check_result_html_escapes_what_it_shows(verified):
    import dataclasses

    hostile = dataclasses.replace(verified, message="<script>alert(1)</script> & more")
    page = hostile._repr_html_()
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page


@pytest.mark.parametrize("which", ["verified", "refuted"])
def test_check_result_latex_is_one_well_formed_math_block(which, request):
    result = request.getfixturevalue(which)
    latex = result._repr_latex_()
    assert latex.startswith("$")
    assert latex.endswith("$")
    assert latex.count("$") == 2
    assert_well_formed_latex(latex[1:-1])
    assert result.verdict in latex
    assert to_latex(result.derived) in latex
    assert (to_latex(result.difference) in latex) == (which == "refuted")


def test_python_api_is_reachable_from_the_package():
    import reports

    result = reports.check("gradient_drift", "L*s**(2-2/L)*(sigma-s)", monte_carlo=False)
    assert isinstance(result, reports.CheckResult)
    assert result.verdict == Verdict.VERIFIED
    assert [c.id for c in reports.all_claims()][:2] == ["C1", "C2"]
    assert reports.get_claim("c7").id == "C7"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = reports.nope


def test_print_of_a_check_result_is_the_cli_text(capsys):
    import reports
    from reports.cli import main

    formula = "2*kappa*L**2*s**(4-4/L)*(2*(sigma-s)**2+sigma_eps**2)"
    result = reports.check("diffusion", formula, monte_carlo=False)
    assert main(["check", "diffusion", formula, "--symbolic-only"]) == 1
    printed = capsys.readouterr().out
    assert str(result) == printed.rstrip("\n")
    assert str(result).startswith("REFUTED: diffusion")
    assert "counterexample:" in str(result)


def test_all_claims_is_a_list_that_renders_as_a_table():
    import reports

    claims = reports.all_claims()
    assert isinstance(claims, list)
    assert [c.id for c in claims][:3] == ["C1", "C2", "C3"]
    table = claims._repr_markdown_().splitlines()
    assert table[0] == "| claim | paper | title |"
    assert len(table) == 2 + len(claims)
    assert table[2].startswith("| C1 | Prop. 3.1 |")
