r"""Tests of the matrix-formula parsers (:mod:`reports.formulas.matrix_parse`, its SymPy-syntax
and LaTeX readers) and of the symbolic shape check (:mod:`reports.formulas.matrix_shapes`).

Equal-meaning spellings in both syntaxes read to the same tree, and products keep their order;
one table of refusals with the message each must carry; shapes that chain only when widths
happen to be equal are refused naming the shapes; fuzzing over random text and token soups
ends in a tree or a one-line :class:`FormulaError` within bounded time, never by evaluating
the text.
"""

import builtins
import contextlib

import pytest
import sympy as sp
from cpu_time import cpu_seconds_below
from hypothesis import given, settings
from hypothesis import strategies as st

from dlnverify.errors import FormulaError, InvalidParameter
from reports.formulas.guards import MAX_LENGTH
from reports.formulas.matrix_expression import (
    Kronecker,
    MatrixNode,
    Name,
    Product,
    Transpose,
    formula_text,
)
from reports.formulas.matrix_names import MATRIX_NAMES
from reports.formulas.matrix_parse import parse_matrix_formula
from reports.formulas.matrix_shapes import formula_shape

GRADIENT = "-transpose(A_l)*Delta*transpose(B_l)"
COVARIANCE = (
    "kron(B_l*transpose(B_k), transpose(A_l)*(Delta*transpose(Delta) + Sigma_eps)*A_k)"
    " + kron(B_l*transpose(Delta)*A_k, transpose(A_l)*Delta*transpose(B_k))*K"
)
ALL_NAMES = tuple(MATRIX_NAMES)

EQUAL_MEANING = [
    # SymPy syntax: *, @, .T, transpose(), ^ for **
    ("-A_l.T @ Delta @ B_l.T", GRADIENT),
    ("-(transpose(A_l)*Delta)*transpose(B_l)", GRADIENT),
    # LaTeX: juxtaposition and every transpose spelling
    (r"-A_l^\top \Delta B_l^\top", GRADIENT),
    (r"-A_{l}^{\top}\,\Delta\,B_{l}^{T}", GRADIENT),
    (r"-A_l^T \Delta \cdot B_l^\intercal", GRADIENT),
    ("-A_l^T Delta B_l^T", GRADIENT),  # not Python: read as LaTeX, SymPy-syntax words allowed
    (r"-A_l^\top (W^* - W) B_l^\top", "-transpose(A_l)*(Wstar - W)*transpose(B_l)"),
    (r"-A_l^\top (W^\star - W) B_l^\top", "-transpose(A_l)*(Wstar - W)*transpose(B_l)"),
    (r"-A_l^\top (W^{*} - W) B_l^\top", "-transpose(A_l)*(Wstar - W)*transpose(B_l)"),
    (
        r"(B_l B_k^\top) \otimes \left(A_l^\top (\Delta\Delta^\top + \Sigma_\varepsilon) A_k\right)"
        r" + \bigl((B_l \Delta^\top A_k) \otimes (A_l^\top \Delta B_k^\top)\bigr) K",
        COVARIANCE,
    ),
    (
        r"(B_l B_k^T) \otimes (A_l^T (Δ Δ^T + Σ_ε) A_k)"
        r" + ((B_l Δ^T A_k) \otimes (A_l^T Δ B_k^T)) K",
        COVARIANCE,
    ),
    (r"\operatorname{tr}(W_l W_l^\top) I", "trace(W_l*transpose(W_l))*I"),
    (r"\mathrm{Tr}(W_l W_l^\top) + \mathrm{tr}\, W_l^\top W_l", None),
    # without parentheses the trace takes the product that follows, as a paper prints it
    (r"\operatorname{tr}\Delta^\top\Delta", "trace(transpose(Delta)*Delta)"),
    (r"\kappa \operatorname{tr} W_l W_l^\top + 1", "kappa*trace(W_l*transpose(W_l)) + 1"),
    (r"\operatorname{tr}(\Delta^\top \Delta) W_l", "trace(transpose(Delta)*Delta)*W_l"),
    (r"\operatorname{vec}(W_l)^\top \operatorname{vec}(W_l)", "transpose(vec(W_l))*vec(W_l)"),
    (r"\|W_l\|_F^2", None),
    (r"\left\| W_l \right\|_{F}^{2}", None),
    (r"\lVert W_l \rVert^2_F", None),
    (r"(W_l W_l^\top)^{-1}", "inverse(W_l*transpose(W_l))"),
    ("(W_l*W_l.T)**-1", "inverse(W_l*transpose(W_l))"),
    (r"(W_l W_l^\top)^{2}", "(W_l*transpose(W_l))**2"),
    (r"\frac{1}{2} \kappa \sigma_\varepsilon^2 I", "1/2*kappa*sigma_eps**2*I"),
    ("kappa*sigma_eps^2*I/2", "kappa*sigma_eps**2*I/2"),
    ("0.5*W", "1/2*W"),
    # layer sums and the NTK operator
    (
        r"\sum_{l=1}^{L} (B_l^\top B_l) \otimes (A_l A_l^\top)",
        "Sum(kron(transpose(B_l)*B_l, A_l*transpose(A_l)), (l, 1, L))",
    ),
    (r"\sum_{k=1}^L A_k A_k^T + W", "Sum(A_k*transpose(A_k), (k, 1, L)) + W"),
    (r"\Theta(\Delta) + Θ(W)", "Theta(Delta) + Theta(W)"),
    (r"u_a^\top \Theta\left(u_a v_a^\top\right) v_a", "u_a.T*Theta(u_a*v_a.T)*v_a"),
    (r"\|W_l\|_F^2", "frobenius_squared(W_l)"),
]


@pytest.mark.parametrize(("text", "expected"), EQUAL_MEANING)
def test_equal_meaning_spellings_read_to_one_tree(text, expected):
    node = parse_matrix_formula(text)
    if expected is not None:
        assert formula_text(node) == formula_text(parse_matrix_formula(expected, syntax="sympy"))
    # what is echoed reads back to the same text (the squared norm included)
    echoed = formula_text(node)
    assert formula_text(parse_matrix_formula(echoed, syntax="sympy")) == echoed


def test_products_keep_their_order():
    """``AB`` is never ``BA``, and a Kronecker product keeps its factors in place."""
    assert parse_matrix_formula("W_l @ W_l.T") != parse_matrix_formula("W_l.T @ W_l")
    assert parse_matrix_formula(r"B_l B_k^T") == Product((Name("B_l"), Transpose(Name("B_k"))))
    assert parse_matrix_formula(r"A_l \otimes B_l") == Kronecker(Name("A_l"), Name("B_l"))
    assert parse_matrix_formula("kron(B_l, A_l)") != parse_matrix_formula("kron(A_l, B_l)")
    # a product binds more tightly than a Kronecker product, which binds more tightly than a sum
    tree = parse_matrix_formula(r"A_l B_l \otimes A_k + K")
    assert formula_text(tree) == "kron(A_l*B_l, A_k) + K"


REFUSED = [
    ("__import__('os').system('x')", "only numbers|not allowed"),
    ("open('pwned', 'w')", "only numbers|not allowed"),
    ("(lambda: W)()", "Lambda"),
    ("W_l.__class__", "attribute"),
    ("[W_l for _ in (1,)]", "ListComp"),
    ("W_l # a note", "comments"),
    ("W_l if W else W", "IfExp"),
    ("kron(W_l)", "kron takes 2"),
    ("trace(W_l, W_l)", "trace takes 1"),
    ("transpose(X=W_l)", "keyword"),
    ("W_l**k", "must be an integer"),
    ("W_l**(1/2)", "must be an integer"),
    ("W_l**100", "too large"),
    ("W_l/0", "division by zero"),
    (r"\input{pwned}", r"unknown LaTeX command \\input"),
    (r"\def\x{W}", r"unknown LaTeX command \\def"),
    (r"\write18{touch pwned}", r"unknown LaTeX command \\write"),
    (r"\mathrm{det}(W_l)", r"only \\mathrm\{tr\}"),
    ("AB", "several letters", "latex"),
    (r"X^\top", "X at column 1 is not a name"),
    (r"W_q", "W_q at column 1 is not a name", "latex"),
    (r"A_l^*", r"only read after W", "latex"),
    (r"W_l^{1/2}", "superscript"),
    (r"W_l^23", r"write \^\{23\}", "latex"),
    (r"\|W_l\|", "squared Frobenius norm"),
    (r"\|W_l\|_2^2", "squared Frobenius norm"),
    (r"\| \|W_l\|_F^2 \|_F^2", "norm inside a norm"),
    (r"(W_l", "closing the bracket|ends too early", "latex"),
    (r"W_l 2", "number after a factor", "latex"),
    ("Sum(W_l, (l, 1, L), 2)", "Sum takes 2"),
    ("Sum(W_l, (l, 2, L))", r"bound must be \(l, 1, L\)"),
    ("Sum(W_l, (j, 1, L))", "unknown name"),
    ("Sum(W_l, l)", "bound must be"),
    ("W_l*(W_l, W_l)", "a tuple stands only"),
    ("L*W", "stands only in the bound"),
    ("Theta", "is a function"),
    (r"\sum_{l=1}^{n} W_l", r"a sum runs over every layer"),
    (r"\sum_l W_l", r"a sum runs over every layer"),
    (r"\sum_{l=1}^{L+1} W_l", r"closing the sum's upper bound"),
    (r"\Theta \Delta", r"write \\Theta\(X\)"),
    ("W = W", "invalid SymPy-syntax"),
    ("", "empty formula"),
    ("W" * (MAX_LENGTH + 1), "too long"),
]


@pytest.mark.parametrize(("text", "message", "syntax"), [(*r, "auto")[:3] for r in REFUSED])
def test_refusals_name_the_problem_in_one_line(text, message, syntax):
    with pytest.raises(FormulaError, match=message) as caught:
        parse_matrix_formula(text, syntax=syntax)
    assert "\n" not in str(caught.value)


def test_unknown_syntax_is_an_invalid_parameter():
    with pytest.raises(InvalidParameter, match="syntax must be"):
        parse_matrix_formula("W", syntax="mathematica")


SHAPES = [
    ("-A_l.T*Delta*B_l.T", "h_l x h_{l-1}"),
    (COVARIANCE, "h_l h_{l-1} x h_k h_{k-1}"),
    # swapped Kronecker factors have the same symbolic shape: caught by the values, not here
    ("kron(A_l.T*Delta*B_k.T, B_l*Delta.T*A_k)*K", "h_l h_{l-1} x h_k h_{k-1}"),
    ("u_a.T*W*v_a", "1 x 1"),
    ("(u_a.T*W*v_a)*W_l", "h_l x h_{l-1}"),
    # a parenthesised 1 x 1 product is a scalar wherever it stands, in both syntaxes
    ("W_l*(v_a.T*v_a)", "h_l x h_{l-1}"),
    ("A_l.T*(u_a.T*W*v_a)*Delta*B_l.T", "h_l x h_{l-1}"),
    ("W_l (v_a^\\top v_a)", "h_l x h_{l-1}"),
    ("I + W_l*W_l.T", "h_l x h_l"),
    ("I*W_l*I", "h_l x h_{l-1}"),
    ("vec(W_l)", "h_l h_{l-1} x 1"),
    ("trace(Sigma_eps)*I", "square, size from context"),
    ("Sum(kron(B_l.T*B_l, A_l*A_l.T), (l, 1, L))", "m n x m n"),
    ("u_a.T*Theta(Delta)*v_a", "1 x 1"),
    ("Sum(Sum(vec(W_k.T).T*K*vec(W_k)*trace(W_l.T*W_l), (k, 1, L)), (l, 1, L))", "1 x 1"),
]


@pytest.mark.parametrize(("text", "shape"), SHAPES)
def test_symbolic_shapes(text, shape):
    indices = () if "Sum(" in text else ("l", "k")  # a sum binds its index
    assert formula_shape(parse_matrix_formula(text), ALL_NAMES, indices).text() == shape


SHAPE_REFUSALS = [
    # chains only where h_{l-1} = m: refused whatever the network
    ("W_l*A_l", r"'W_l' \(h_l x h_\{l-1\}\) times 'A_l' \(m x h_l\): h_\{l-1\} != m"),
    # a missing transpose: Delta (m x n) times B_l (h_{l-1} x n)
    ("-A_l.T*Delta*B_l", r"'-transpose\(A_l\)\*Delta' \(h_l x n\) times 'B_l'.*n != h_\{l-1\}"),
    ("W_l + W_k", r"shapes differ in a sum: 'W_l' \(h_l x h_\{l-1\}\) plus 'W_k'"),
    ("W_l + 1", "shapes differ in a sum"),
    ("W_l + I", "I added to 'W_l'"),
    ("kron(I, W_l)", "size of I"),
    ("trace(I)", "size of I"),
    ("trace(Delta)", r"trace of 'Delta' \(m x n\): it is not square"),
    ("inverse(W_l)", r"an inverse of 'W_l'"),
    ("W_l**2", "a power of 'W_l'"),
    ("W_l/W_k", "only a scalar divides"),
    # without the parentheses the product chains v_a^T after W_l
    ("W_l*v_a.T*v_a", r"'W_l' \(h_l x h_\{l-1\}\) times 'transpose\(v_a\)' \(1 x n\)"),
]


@pytest.mark.parametrize(("text", "message"), SHAPE_REFUSALS)
def test_shape_mismatches_are_refused_naming_the_shapes(text, message):
    with pytest.raises(FormulaError, match=message) as caught:
        formula_shape(parse_matrix_formula(text), ALL_NAMES)
    assert "\n" not in str(caught.value)


def test_a_name_outside_the_quantity_is_refused():
    with pytest.raises(FormulaError, match="K is not available here; names allowed: W_l"):
        formula_shape(parse_matrix_formula("K"), ("W_l", "I"))


def test_dimensions_are_monomials_in_the_widths():
    """Kronecker products multiply dimensions; ``h_l h_{l-1}`` equals ``h_{l-1} h_l``."""
    shape = formula_shape(parse_matrix_formula("kron(W_l, W_k.T)"), ALL_NAMES)
    h = {name: sp.Symbol(name, integer=True, positive=True) for name in ("h_l", "h_{l-1}")}
    assert shape.rows == h["h_l"] * sp.Symbol("h_{k-1}", integer=True, positive=True)
    assert shape.rows != h["h_l"] * h["h_{l-1}"]


_TOKENS = [
    "W_l", "A_l", "B_k", "Delta", "Sigma_eps", "K", "I", "u_a", "kappa", "W", "Wstar",
    "*", "@", "+", "-", "/", "**", "^", "(", ")", ".T", ",", "2", "-1", "0", "1e400",
    "transpose(", "kron(", "trace(", "vec(", "inverse(", "__import__", "'os'", "lambda",
    "\\top", "\\otimes", "\\operatorname{tr}", "\\|", "_F", "^{-1}", "^\\top", "{", "}",
    "\\Delta", "\\Sigma_\\varepsilon", "\\frac", "\\input", " ", "W^*", "\\left(", "\\right)",
    "Sum(", "(l, 1, L)", "(k, 1, L)", "\\sum_{l=1}^{L}", "\\sum_{k=1}^L", "Theta(", "\\Theta(",
    "frobenius_squared(", "=",
]  # fmt: skip


def _outcome(text: str, syntax: str) -> None:
    """The text parses to a tree or is refused with one line, quickly, never evaluated."""
    message = ""
    with cpu_seconds_below(1.0):
        try:
            node = parse_matrix_formula(text, syntax=syntax)
            assert isinstance(node, MatrixNode)
            formula_shape(node, ALL_NAMES)
        except FormulaError as refused:
            message = str(refused)
    assert "\n" not in message


@pytest.fixture
def no_eval(monkeypatch):
    """Any evaluation of text fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("user text reached eval/exec/sympify")

    for name in ("eval", "exec"):
        monkeypatch.setattr(builtins, name, refuse)
    monkeypatch.setattr(sp, "sympify", refuse)


@settings(max_examples=300)
@given(text=st.text(max_size=60), syntax=st.sampled_from(["auto", "sympy", "latex"]))
def test_fuzz_random_text(text, syntax):
    _outcome(text, syntax)


@settings(max_examples=500)
@given(tokens=st.lists(st.sampled_from(_TOKENS), max_size=40))
def test_fuzz_token_soup(tokens):
    _outcome("".join(tokens), "auto")


def test_hostile_text_is_never_evaluated(no_eval):
    for text in ("__import__('os').system('x')", "eval('1')", r"\input{x}", "W_l.T*W_l"):
        with contextlib.suppress(FormulaError):
            parse_matrix_formula(text)


def test_deep_nesting_is_refused_in_bounded_time():
    with cpu_seconds_below(1.0), pytest.raises(FormulaError, match="nested too deeply"):
        parse_matrix_formula("(" * 60 + "W" + ")" * 60)
    with cpu_seconds_below(1.0), pytest.raises(FormulaError):
        parse_matrix_formula(r"\operatorname{tr}" * 120 + "W")
