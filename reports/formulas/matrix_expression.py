r"""The tree of a matrix-level formula, whatever syntax it was written in.

Both parsers (:mod:`reports.formulas.matrix_sympy_syntax`,
:mod:`reports.formulas.matrix_latex_syntax`) build this small immutable tree instead of a
SymPy expression: SymPy's matrix expressions would commute scalars and products in ways that
hide what was written, while here a product keeps its order (``A B`` is never ``B A``).  The
shape check (:mod:`reports.formulas.matrix_shapes`) and the exact evaluation
(:mod:`reports.formulas.matrix_evaluation`) walk the same tree, and :func:`formula_text`
writes it back in SymPy syntax, as the result echoes it.

Nodes: a named matrix or scalar (:class:`Name`, from
:data:`~reports.formulas.matrix_names.MATRIX_NAMES`), an exact rational :class:`Number`,
:class:`Sum`, :class:`Negation`, :class:`Product` (ordered), :class:`Quotient` (by a scalar),
:class:`Power` (integer exponent), :class:`Transpose`, :class:`Kronecker`, :class:`Trace`,
:class:`Vec` (column-major), :class:`Inverse`, :class:`FrobeniusSquared`
(:math:`\|X\|_F^2`), :class:`LayerSum` (:math:`\sum_{l=1}^L`, binding a layer index) and
:class:`Ntk` (the NTK operator :math:`\Theta(X) = \sum_l A_lA_l^\top X B_l^\top B_l`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import sympy as sp

__all__ = [
    "FrobeniusSquared",
    "Inverse",
    "Kronecker",
    "LayerSum",
    "MatrixNode",
    "Name",
    "Negation",
    "Ntk",
    "Number",
    "Power",
    "Product",
    "Quotient",
    "Sum",
    "Trace",
    "Transpose",
    "Vec",
    "formula_text",
    "nodes",
]


@dataclass(frozen=True)
class Name:
    """A name of :data:`~reports.formulas.matrix_names.MATRIX_NAMES`."""

    name: str


@dataclass(frozen=True)
class Number:
    """An exact rational number (a scalar)."""

    value: sp.Rational


@dataclass(frozen=True)
class Sum:
    """``terms[0] + terms[1] + ...`` (a subtraction is a :class:`Negation` term)."""

    terms: tuple[MatrixNode, ...]


@dataclass(frozen=True)
class Negation:
    """``-operand``."""

    operand: MatrixNode


@dataclass(frozen=True)
class Product:
    """``factors[0] factors[1] ...`` in this order (the matrix product; a scalar factor
    scales)."""

    factors: tuple[MatrixNode, ...]


@dataclass(frozen=True)
class Quotient:
    """``numerator / denominator``, the denominator a scalar."""

    numerator: MatrixNode
    denominator: MatrixNode


@dataclass(frozen=True)
class Power:
    """``base ** exponent``, an integer exponent (negative: a power of the inverse)."""

    base: MatrixNode
    exponent: int


@dataclass(frozen=True)
class Transpose:
    """``operand^T``."""

    operand: MatrixNode


@dataclass(frozen=True)
class Kronecker:
    r"""``left \otimes right``."""

    left: MatrixNode
    right: MatrixNode


@dataclass(frozen=True)
class Trace:
    """``tr(operand)``."""

    operand: MatrixNode


@dataclass(frozen=True)
class Vec:
    """``vec(operand)``, the columns stacked."""

    operand: MatrixNode


@dataclass(frozen=True)
class Inverse:
    """``operand^{-1}``."""

    operand: MatrixNode


@dataclass(frozen=True)
class FrobeniusSquared:
    r"""``\|operand\|_F^2``."""

    operand: MatrixNode


@dataclass(frozen=True)
class LayerSum:
    r"""``Sum(body, (index, 1, L))``: :math:`\sum_{index=1}^{L}` body, over every layer;
    ``index`` is ``"l"`` or ``"k"``, the names ``W_l, A_l, B_l`` (or ``_k``) bound in it."""

    body: MatrixNode
    index: str


@dataclass(frozen=True)
class Ntk:
    r"""``Theta(operand)``: the NTK operator of paper Prop. 3.3,
    :math:`\Theta(X) = \sum_{l=1}^L A_lA_l^\top X B_l^\top B_l` (``operand`` is
    :math:`m \times n`)."""

    operand: MatrixNode


MatrixNode = (
    Name
    | Number
    | Sum
    | Negation
    | Product
    | Quotient
    | Power
    | Transpose
    | Kronecker
    | Trace
    | Vec
    | Inverse
    | FrobeniusSquared
    | LayerSum
    | Ntk
)

_FUNCTIONS: dict[type, str] = {
    Transpose: "transpose",
    Trace: "trace",
    Vec: "vec",
    Inverse: "inverse",
    FrobeniusSquared: "frobenius_squared",
    Ntk: "Theta",
}


def children(node: MatrixNode) -> tuple[MatrixNode, ...]:
    """The operands of ``node``, in order."""
    if isinstance(node, Sum):
        return node.terms
    if isinstance(node, Product):
        return node.factors
    if isinstance(node, Quotient):
        return (node.numerator, node.denominator)
    if isinstance(node, Kronecker):
        return (node.left, node.right)
    if isinstance(node, Power):
        return (node.base,)
    if isinstance(node, Name | Number):
        return ()
    if isinstance(node, LayerSum):
        return (node.body,)
    return (node.operand,)


def nodes(node: MatrixNode) -> Iterator[MatrixNode]:
    """Every node of the tree under ``node`` (itself first), without recursion."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def formula_text(node: MatrixNode) -> str:
    """The tree written back in SymPy syntax (``-transpose(A_l)*Delta*transpose(B_l)``),
    bracketed where the order of operations needs it."""
    return _text(node, 0)


_SUM, _PRODUCT, _UNARY, _POWER = 1, 2, 3, 4


def _text(node: MatrixNode, context: int) -> str:
    if isinstance(node, Name):
        text, level = node.name, _POWER + 1
    elif isinstance(node, Number):
        text = str(node.value)
        level = _PRODUCT if node.value.q != 1 else _UNARY if node.value < 0 else _POWER + 1
    elif isinstance(node, Sum):
        parts = [_text(node.terms[0], _SUM)]
        for term in node.terms[1:]:
            if isinstance(term, Negation):
                parts.append(" - " + _text(term.operand, _PRODUCT))
            else:
                parts.append(" + " + _text(term, _SUM))
        text, level = "".join(parts), _SUM
    elif isinstance(node, Negation):
        text, level = "-" + _text(node.operand, _PRODUCT), _UNARY
    elif isinstance(node, Product):
        text = "*".join(_text(factor, _PRODUCT + 1) for factor in node.factors)
        level = _PRODUCT
    elif isinstance(node, Quotient):
        numerator = _text(node.numerator, _PRODUCT)
        text, level = f"{numerator}/{_text(node.denominator, _PRODUCT + 1)}", _PRODUCT
    elif isinstance(node, Power):
        exponent = str(node.exponent) if node.exponent >= 0 else f"({node.exponent})"
        text, level = f"{_text(node.base, _POWER + 1)}**{exponent}", _POWER
    elif isinstance(node, Kronecker):
        text = f"kron({_text(node.left, 0)}, {_text(node.right, 0)})"
        level = _POWER + 1
    elif isinstance(node, LayerSum):
        text, level = f"Sum({_text(node.body, 0)}, ({node.index}, 1, L))", _POWER + 1
    else:
        text, level = f"{_FUNCTIONS[type(node)]}({_text(node.operand, 0)})", _POWER + 1
    return f"({text})" if level < context else text
