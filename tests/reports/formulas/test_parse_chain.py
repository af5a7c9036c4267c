r"""Tests of the chain language of the parsers (:func:`reports.formulas.parse.parse_side`).

The same constructs in LaTeX and in SymPy syntax must parse to the same SymPy objects, built
directly here (never through a parser); free letters take the domain the file gives them;
each refusal carries its reason; ``check`` (:func:`~reports.formulas.parse.parse_formula`)
still refuses every construct of the chain language; random token soups end in a side or a
:class:`FormulaError`, never in anything else, within a second each.
"""

import pytest
import sympy as sp
from cpu_time import cpu_seconds_below
from hypothesis import given, settings
from hypothesis import strategies as st

from derivations import conventions as cv
from dlnverify.errors import FormulaError
from reports.formulas.letters import Domain, Letters
from reports.formulas.order_term import OrderTerm
from reports.formulas.parse import parse_formula, parse_side

LETTERS = Letters({("x", None): Domain.REAL, ("n", None): Domain.NATURAL})
x = sp.Symbol("x", real=True)
y = sp.Symbol("y", positive=True)
n = sp.Symbol("n", integer=True, positive=True)
l_index = sp.Symbol("l", integer=True)
u_real = sp.Symbol("u", real=True)


def _side(text):
    return parse_side(text, letters=LETTERS)


SAME = [
    # sums and products, symbolic and numeric bounds
    (r"\sum_{l=1}^{L} l^2", "Sum(l**2, (l, 1, L))", sp.Sum(l_index**2, (l_index, 1, cv.L))),
    (r"\sum^{n}_{l=1} l", "Sum(l, (l, 1, n))", sp.Sum(l_index, (l_index, 1, n))),
    (r"∑_{l=1}^{L} l", "Sum(l, (l, 1, L))", sp.Sum(l_index, (l_index, 1, cv.L))),
    (
        r"\prod_{l=1}^{L}\frac{l+1}{l}",
        "Product((l+1)/l, (l, 1, L))",
        sp.Product((l_index + 1) / l_index, (l_index, 1, cv.L)),
    ),
    (
        r"\sum_{l=1}^{\infty} 2^{-l}",
        "Sum(2**(-l), (l, 1, oo))",
        sp.Sum(sp.Integer(2) ** -l_index, (l_index, 1, sp.oo)),
    ),
    # the body of a sum is the product that follows
    (
        r"\sum_{l=1}^{L} l \cdot y + 1",
        "Sum(l*y, (l, 1, L)) + 1",
        sp.Sum(l_index * y, (l_index, 1, cv.L)) + 1,
    ),
    # integrals, the differential last or first, \mathrm{d}, infinite limits
    (
        r"\int_{-\infty}^{\infty} e^{-u^2/2}\,du",
        "Integral(exp(-u**2/2), (u, -oo, oo))",
        sp.Integral(sp.exp(-(u_real**2) / 2), (u_real, -sp.oo, sp.oo)),
    ),
    (r"\int_0^{y} du\, u^2", "Integral(u**2, (u, 0, y))", sp.Integral(u_real**2, (u_real, 0, y))),
    (r"\int_0^1 u\,\mathrm{d}u", "Integral(u, (u, 0, 1))", sp.Integral(u_real, (u_real, 0, 1))),
    (r"\int^1_0 u\,du", "Integral(u, (u, 0, 1))", sp.Integral(u_real, (u_real, 0, 1))),
    # derivatives: operator form, orders, partial, \partial_x
    (r"\frac{d}{dx} x^3", "diff(x**3, x)", sp.Derivative(x**3, x)),
    (
        r"\frac{\mathrm{d}^2}{\mathrm{d}x^2}\left(x^3\right)",
        "Derivative(x**3, (x, 2))",
        sp.Derivative(x**3, (x, 2)),
    ),
    (
        r"\frac{\partial^2}{\partial x\,\partial y} x^2 y",
        "Derivative(x**2*y, x, y)",
        sp.Derivative(x**2 * y, x, y),
    ),
    (r"\partial_x x^2", "diff(x**2, x)", sp.Derivative(x**2, x)),
    # free letters: Latin, Greek, subscripted; declared parameters keep their symbols
    (
        r"\alpha_1 x_{2} \sigma_a",
        "alpha_1*x_2*sigma_a",
        sp.Symbol("alpha_1", positive=True)
        * sp.Symbol("x_2", positive=True)
        * sp.Symbol("sigma_a", positive=True),
    ),
    (
        r"\kappa L s \sigma_\varepsilon",
        "kappa*L*s*sigma_eps",
        cv.kappa * cv.L * cv.s * cv.sigma_eps,
    ),
    (r"x n", "x*n", x * n),
    # a letter times a parenthesised expression is a product; \Gamma( is the Gamma function
    (r"x(1+x)", "x*(1+x)", x * (1 + x)),
    (r"\Gamma(y + 1)", "Gamma(y + 1)", sp.gamma(y + 1)),
]


@pytest.mark.parametrize(("latex", "sympy_syntax", "expected"), SAME)
def test_both_syntaxes_build_the_same_chain_objects(latex, sympy_syntax, expected):
    for text, syntax in ((latex, "latex"), (sympy_syntax, "sympy")):
        side = parse_side(text, letters=LETTERS, syntax=syntax)
        assert side.expr == expected, text
        assert side.order is None


@pytest.mark.parametrize(
    ("text", "expr", "order"),
    [
        (r"1 + \kappa + O(\kappa^2)", 1 + cv.kappa, OrderTerm(cv.kappa, 2)),
        (r"1 + \kappa - \mathcal{O}\left(\kappa^{3}\right)", 1 + cv.kappa, OrderTerm(cv.kappa, 3)),
        (
            r"1 - \frac{1}{y} + O\left(\frac{1}{y^2}\right)",
            1 - 1 / y,
            OrderTerm(y, 2, at_infinity=True),
        ),
        (r"y + o(y)", y, OrderTerm(y, 1, little=True)),
        (r"O(\kappa)", sp.Integer(0), OrderTerm(cv.kappa, 1)),
        ("1 + kappa + O(kappa**2)", 1 + cv.kappa, OrderTerm(cv.kappa, 2)),
        ("1 - 1/y + O(1/y**2)", 1 - 1 / y, OrderTerm(y, 2, at_infinity=True)),
    ],
)
def test_an_order_term_is_read_apart_from_the_expression(text, expr, order):
    side = _side(text)
    assert side.expr == expr
    assert side.order == order


def test_free_letters_take_the_domain_the_file_gives_them():
    assert _side("x").expr.is_real
    assert _side("x").expr.is_positive is None
    assert _side("y").expr.is_positive
    assert _side("n").expr.is_integer
    assert _side("n").expr.is_positive
    assert _side(r"\sum_{l=1}^{L} l").expr.variables[0].is_integer
    assert _side(r"\int_0^1 u\,du").expr.variables[0].is_real
    # the theory's parameters keep their declared domains, whatever the letter table says
    assert _side("L").expr is cv.L
    assert _side(r"\sigma_{\varepsilon}").expr is cv.sigma_eps
    assert _side("s_0").expr is cv.s0


CHAIN_REFUSED = [
    (r"l + \sum_{l=1}^{L} l", r"l is the variable of \\sum and also appears outside"),
    ("l + Sum(l, (l, 1, L))", "l is the variable of Sum and also appears outside"),
    (r"\int_0^{u} u\,du", r"u is the variable of \\int and also appears outside"),
    (r"\sum_{l=1}^{y} l", r"upper bound y of \\sum is not an integer.*natural N"),
    (r"\sum_{l=1}^{10000} l", "too large"),
    ("Sum(l, (l, 1, 10**6))", "too large"),
    (r"\sum_{l}^{L} l", "syntax error"),
    (r"\infty", r"\\infty at column 1 outside the limits"),
    ("oo", "oo outside the limits"),
    (r"\int u\,du", "indefinite integral"),
    (r"\int_0^1 u^2", "has no differential"),
    (r"\frac{df}{dx}", r"function in the numerator: write \\frac\{d\}\{dx\}"),
    (r"\frac{d^2}{dx} x", "numerator has order 2 but the denominator 1"),
    (r"\frac{d^2}{dx\,dy} x y", r"several variables: write \\partial"),
    (r"\frac{d^4}{dx^4}\frac{d}{dx} x^9", "derivatives of order 5 in one expression"),
    ("Derivative(x, (x, 5))", "order 5"),
    (r"\frac{d}{de} x", "cannot be the variable"),
    (r"x \left(1 + O(\kappa)\right)", "must be a term of the whole side"),
    (r"1 + O(\kappa) + O(y)", "more than one order term"),
    (r"1 + O(\kappa y)", "not a power of one letter"),
    (r"1 + O(\kappa^{20})", "at most 12"),
    (r"\mathcal{B}", r"only \\mathcal\{O\}"),
    ("xy", "multi-letter|unknown name"),
    ("(x, 1)", "tuples"),
    (r"e^{x} = 1", "syntax error"),
    (r"x^{100}", "exponent"),
    ("(" * 60 + "x" + ")" * 60, "nested"),
    (r"\frac{1}{0}", "undefined|infinite"),
    # function notation would read as a product: refused, not misread
    (r"2\, f(x) + 1", "a letter applied to a letter in parentheses"),
    (r"\mu_a(s)", "a chain has no function names"),
]


@pytest.mark.parametrize(("text", "match"), CHAIN_REFUSED)
def test_chain_refusals_carry_their_reason_in_bounded_time(text, match):
    with cpu_seconds_below(1.0), pytest.raises(FormulaError, match=match) as raised:
        _side(text)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    "text",
    [
        r"\int_0^1 s\,ds",
        r"\frac{d}{ds} s^2",
        r"\partial_s s",
        r"s + O(\kappa)",
        r"\infty",
        "Sum(s, (s, 1, L))",
        "s + O(kappa)",
        "x",
        r"\alpha",
    ],
)
def test_check_still_refuses_the_chain_language(text):
    with pytest.raises(FormulaError):
        parse_formula(text)


_TOKENS = [
    r"\sum_{l=1}^{L}", r"\prod_{k=1}^{3}", r"\int_0^1", r"\int_{-\infty}^{\infty}", "du", "dx",
    r"\,d", r"\frac{d}{dx}", r"\frac{\partial^2}{\partial x\partial y}", r"\partial_x", "O(",
    r"\mathcal{O}", "x", "y", "l", "u", r"\kappa", "L", "2", "+", "-", "^", "_", "{", "}", "(",
    ")", r"\frac", r"\cdot", "=", r"\infty", "e", r"\exp", "o(",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_TOKENS), min_size=1, max_size=14))
def test_chain_token_soup_ends_in_a_side_or_a_formula_error(tokens):
    text = " ".join(tokens)
    with cpu_seconds_below(1.0):
        try:
            side = _side(text)
        except FormulaError as error:
            message = str(error)
            side = None
    if side is None:
        assert "\n" not in message
        return
    assert isinstance(side.expr, sp.Expr)
    assert not side.expr.has(sp.zoo, sp.nan)
