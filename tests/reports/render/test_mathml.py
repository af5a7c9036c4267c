r"""LaTeX as MathML (:mod:`reports.render.mathml`): converted, refused loudly when the converter
fails or leaves LaTeX, and never a way to put anything but MathML into a page."""

import pytest

from dlnverify.errors import InvalidParameter
from reports.render import mathml as mathml_module
from reports.render.mathml import MathMLError, mathml


def test_a_formula_becomes_presentation_mathml():
    text = mathml(r"\kappa L^2 s^{4-4/L}\bigl(2(\sigma-s)^2+\sigma_\varepsilon^2\bigr)")
    assert text.startswith('<math display="inline"><mrow>')
    assert text.endswith("</math>")
    assert "<mi>κ</mi>" in text
    assert "<msup><mi>L</mi><mn>2</mn></msup>" in text
    assert "<msubsup><mi>σ</mi><mi>ε</mi><mn>2</mn></msubsup>" in text
    assert "xmlns" not in text  # HTML puts <math> in the MathML namespace itself
    assert mathml(r"\frac{a}{b}", display=True).startswith('<math display="block">')
    assert mathml("  ") == ""


def test_text_and_relations_are_escaped():
    assert "<mo>&lt;</mo>" in mathml("a < b")
    assert "<mo>&gt;</mo>" in mathml("a > b")
    assert "<mi>≤</mi>" in mathml(r"\sigma ≤ \kappa")  # Unicode passes as itself


@pytest.mark.parametrize(
    ("latex", "why"),
    [
        (r"\foo x", r"it left '\\foo' unconverted"),  # passed through as <mi>\foo</mi>
        (r"\fitmath{x}", r"it left '\\fitmath' unconverted"),
        ("x^{", "MissingSuperScriptOrSubscriptError"),
        (
            r"\text{<script>alert(1)</script>}",
            "<script> element",
        ),  # copied verbatim by the converter
        (r"\text{a & b}", "does not parse"),
        (r"\text{<b>x</b>}", "it produced a <b> element"),
    ],
)
def test_what_cannot_be_shown_is_refused_in_one_line(latex, why):
    with pytest.raises(MathMLError, match=r"^Got LaTeX .* cannot be shown as MathML: ") as error:
        mathml(latex)
    assert why in str(error.value)
    assert "\n" not in str(error.value)
    assert isinstance(error.value, InvalidParameter)


@pytest.mark.parametrize(
    ("output", "why"),
    [
        ("<math><merror><mtext>bad</mtext></merror></math>", "reported an error"),
        ('<math><mi href="javascript:alert(1)">x</mi></math>', "'href' attribute"),
        ('<math><mi onclick="alert(1)">x</mi></math>', "'onclick' attribute"),
        ("<math><script>alert(1)</script></math>", "<script> element"),
        ("<math><mi>x</mi>stray</math>", "stray text"),
        ('<!DOCTYPE math [<!ENTITY a "b">]><math><mi>&a;</mi></math>', "declaration"),
    ],
)
def test_converter_output_that_is_not_plain_mathml_is_refused(monkeypatch, output, why):
    """Whatever the converter returns, only whitelisted MathML reaches the page."""
    import latex2mathml.converter

    monkeypatch.setattr(latex2mathml.converter, "convert", lambda latex, display: output)
    mathml.cache_clear()
    try:
        with pytest.raises(MathMLError, match=why):
            mathml("x")
    finally:
        mathml.cache_clear()


def test_the_rewrites_are_needed_and_typeset_like_latex(monkeypatch):
    r"""C8's statement writes ``\arg\max_s``, which latex2mathml does not know: the one rewrite
    turns ``\arg`` into the upright operator LaTeX prints; without it the formula is refused."""
    assert mathml(r"\arg\max_s D(s)").startswith('<math display="inline"><mrow><mo>arg</mo>')
    with pytest.raises(MathMLError, match=r"left '\\\\argh' unconverted"):
        mathml(r"\argh")  # a longer name is not \arg: refused, not half rewritten
    monkeypatch.setattr(mathml_module, "LATEX_REWRITES", ())
    mathml.cache_clear()
    try:
        with pytest.raises(MathMLError, match=r"left '\\\\arg' unconverted"):
            mathml(r"\arg\max_s D(s)")
    finally:
        mathml.cache_clear()


@pytest.mark.parametrize("bad", [None, 3, b"x"])
def test_non_strings_are_refused(bad):
    with pytest.raises(InvalidParameter, match="must be a str"):
        mathml(bad)
