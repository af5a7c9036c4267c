r"""Matrix formulas in SymPy syntax, parsed against a whitelist: user text is never evaluated.

As for scalar formulas (:mod:`reports.formulas.sympy_syntax`), the text is read by
:func:`ast.parse`, which builds a tree and runs nothing, and the tree is walked against a
whitelist before the matrix tree (:mod:`reports.formulas.matrix_expression`) is built:

* the names of :data:`~reports.formulas.matrix_names.MATRIX_NAMES` (``W_l``, ``A_k``,
  ``Delta``, ``Sigma_eps``, ``K``, ``I``, ``kappa``, ...);
* integer and decimal literals, made exact rationals from their text;
* ``+ -`` (binary and unary), ``*`` and ``@`` (both the ordered matrix product), ``/`` by a
  scalar, ``**`` with an integer exponent of magnitude at most :data:`MAX_MATRIX_EXPONENT`
  (``^`` is read as ``**``; ``X**-1`` is the inverse);
* ``X.T`` and the calls ``transpose(X)``, ``kron(X, Y)``, ``trace(X)``, ``vec(X)``,
  ``inverse(X)``, ``frobenius_squared(X)`` (:math:`\|X\|_F^2`), ``Theta(X)`` (the NTK
  operator) and ``Sum(expr, (l, 1, L))`` (also over ``k``), the sum over every layer; the
  letters ``l``, ``k``, ``L`` stand only in such a bound.

Anything else is refused with one line naming it; a text that is not Python syntax or uses
unknown names raises :class:`NotMatrixSympySyntax`, after which
:func:`reports.formulas.matrix_parse.parse_matrix_formula` tries LaTeX.  The text is held to
the limits of :mod:`reports.formulas.guards` (length, brackets, tree size and depth, digits).
"""

from __future__ import annotations

import ast
import warnings

import sympy as sp

from dlnverify.errors import FormulaError
from reports.formulas.guards import (
    MAX_NODES,
    MAX_TREE_DEPTH,
    checked_text,
    exact_decimal,
    excerpt,
)
from reports.formulas.matrix_expression import (
    FrobeniusSquared,
    Inverse,
    Kronecker,
    LayerSum,
    MatrixNode,
    Name,
    Negation,
    Ntk,
    Number,
    Power,
    Product,
    Quotient,
    Sum,
    Trace,
    Transpose,
    Vec,
)
from reports.formulas.matrix_names import MATRIX_NAMES, numbered_layer, numbered_name
from reports.formulas.sympy_syntax import NotSympySyntax

__all__ = [
    "MAX_MATRIX_EXPONENT",
    "NotMatrixSympySyntax",
    "matrix_from_sympy_syntax",
    "power",
    "quotient",
]

#: Largest magnitude of the exponent of a matrix power (each power multiplies the degree of
#: the polynomials the check evaluates).
MAX_MATRIX_EXPONENT = 8

#: The calls a formula may make, with their number of arguments.
_CALLS = {
    "transpose": 1,
    "kron": 2,
    "trace": 1,
    "vec": 1,
    "inverse": 1,
    "frobenius_squared": 1,
    "Theta": 1,
    "Sum": 2,
}
#: The letters of a layer sum's bound ``(l, 1, L)``.
_BOUND_LETTERS = ("l", "k", "L")

_ALLOWED_NODES = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.Constant,
    ast.Name,
    ast.Call,
    ast.Attribute,
    ast.Tuple,
    ast.Load,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.MatMult,
    ast.Div,
    ast.Pow,
    ast.UAdd,
    ast.USub,
)


class NotMatrixSympySyntax(NotSympySyntax):
    """A refusal because the text is not Python syntax or uses unknown names: it may be
    LaTeX (``A_l^T Delta B_l^T``), which the LaTeX parser then tries."""


def _parse(text: str) -> ast.Expression:
    """The :mod:`ast` tree of ``text`` (``^`` read as ``**``); nothing is run."""
    for column, char in enumerate(text, 1):
        if char == "#":
            raise FormulaError(
                f"'#' at column {column}: a formula has no comments (Python would ignore the"
                " rest of the text); remove the note"
            )
        if not char.isascii():
            raise NotMatrixSympySyntax(f"character {char!r} at column {column} is not SymPy syntax")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text.replace("^", "**"), mode="eval")
    except SyntaxError as error:
        where = f" at column {error.offset}" if error.offset else ""
        raise NotMatrixSympySyntax(f"invalid SymPy-syntax formula{where}: {error.msg}") from None
    except (ValueError, RecursionError, MemoryError) as error:
        raise NotMatrixSympySyntax(f"invalid SymPy-syntax formula: {error}") from None


def _scan(tree: ast.Expression) -> None:
    """Refuse every construct outside the whitelist and every unknown name, before
    anything is built."""
    unknown: list[str] = []
    for count, node in enumerate(ast.walk(tree), 1):
        if count > MAX_NODES:
            raise FormulaError(f"formula too large: more than {MAX_NODES} syntax-tree nodes")
        if not isinstance(node, _ALLOWED_NODES):
            raise FormulaError(f"the Python construct {type(node).__name__} is not allowed")
        if isinstance(node, ast.Attribute) and node.attr != "T":
            raise FormulaError(
                f"attribute {excerpt('.' + node.attr)} not allowed; only X.T (the transpose)"
            )
        if isinstance(node, ast.Constant) and type(node.value) not in (int, float):
            raise FormulaError(f"constant {excerpt(repr(node.value))} not allowed; only numbers")
        if isinstance(node, ast.Name):
            known = node.id in MATRIX_NAMES or node.id in _CALLS or node.id in _BOUND_LETTERS
            known = known or numbered_layer(node.id) is not None  # W_1, W_L; W_0 refused
            if not known and node.id not in unknown:
                unknown.append(node.id)
    if unknown:
        names = ", ".join(excerpt(name) for name in unknown[:5])
        raise NotMatrixSympySyntax(
            f"unknown name(s) {names}; allowed names: {', '.join(MATRIX_NAMES)};"
            f" functions: {', '.join(_CALLS)}"
        )


class _Builder:
    """Rebuilds a whitelisted :mod:`ast` tree as a matrix tree."""

    def __init__(self, source: str) -> None:
        self.source = source

    def build(self, node: ast.expr, depth: int) -> MatrixNode:
        if depth > MAX_TREE_DEPTH:
            raise FormulaError(f"formula nested too deeply (more than {MAX_TREE_DEPTH} levels)")
        down = depth + 1
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
            terms: list[MatrixNode] = []
            while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
                right = self.build(node.right, down)
                terms.append(Negation(right) if isinstance(node.op, ast.Sub) else right)
                node = node.left
            terms.append(self.build(node, down))
            return Sum(tuple(reversed(terms)))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.MatMult):
            # ``*`` is left-associative: a product on the right was written in parentheses,
            # and stays one factor (a 1 x 1 one is a scalar: ``X*(v_a.T*v_a)``)
            left, right = self.build(node.left, down), self.build(node.right, down)
            return Product((*_factors(left), right))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            return quotient(self.build(node.left, down), self.build(node.right, down))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            return power(self.build(node.left, down), self.exponent(node.right))
        if isinstance(node, ast.UnaryOp):
            operand = self.build(node.operand, down)
            return Negation(operand) if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.Constant):
            return Number(self.literal(node))
        if isinstance(node, ast.Name):
            if node.id in _CALLS:
                raise FormulaError(f"{node.id} is a function: write {node.id}(...)")
            if node.id in _BOUND_LETTERS:
                raise FormulaError(
                    f"{node.id} stands only in the bound of a layer sum, Sum(expr, (l, 1, L))"
                )
            numbered = numbered_layer(node.id)
            return Name(node.id if numbered is None else numbered_name(*numbered))
        if isinstance(node, ast.Tuple):
            raise FormulaError("a tuple stands only as the bound of a sum, Sum(expr, (l, 1, L))")
        if isinstance(node, ast.Attribute):
            return Transpose(self.build(node.value, down))
        assert isinstance(node, ast.Call)
        return self.call(node, down)

    def call(self, node: ast.Call, depth: int) -> MatrixNode:
        if not isinstance(node.func, ast.Name) or node.func.id not in _CALLS:
            raise FormulaError(
                f"only the functions {', '.join(_CALLS)} may be called in a matrix formula"
            )
        name = node.func.id
        if node.keywords or len(node.args) != _CALLS[name]:
            raise FormulaError(
                f"{name} takes {_CALLS[name]} positional argument(s), got {len(node.args)}"
                + (" and keywords" if node.keywords else "")
            )
        if name == "Sum":
            return LayerSum(self.build(node.args[0], depth), _sum_index(node.args[1]))
        args = [self.build(arg, depth) for arg in node.args]
        if name == "kron":
            return Kronecker(args[0], args[1])
        if name == "transpose":
            return Transpose(args[0])
        if name == "trace":
            return Trace(args[0])
        if name == "frobenius_squared":
            return FrobeniusSquared(args[0])
        if name == "Theta":
            return Ntk(args[0])
        return Vec(args[0]) if name == "vec" else Inverse(args[0])

    def literal(self, node: ast.Constant) -> sp.Rational:
        segment = ast.get_source_segment(self.source, node)
        if segment is None:  # pragma: no cover - positions are always present for parsed text
            raise FormulaError("cannot locate a number in the formula")
        return exact_decimal(segment)

    def exponent(self, node: ast.expr) -> int:
        """An integer literal exponent, optionally negated, of magnitude at most
        :data:`MAX_MATRIX_EXPONENT`."""
        sign = 1
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            sign = -1 if isinstance(node.op, ast.USub) else 1
            node = node.operand
        if not (isinstance(node, ast.Constant) and type(node.value) is int):
            raise FormulaError(
                "the exponent of a power in a matrix formula must be an integer (X**2, X**-1)"
            )
        if node.value > MAX_MATRIX_EXPONENT:
            raise FormulaError(
                f"exponent {excerpt(str(sign * node.value))} too large: at most"
                f" {MAX_MATRIX_EXPONENT} in magnitude"
            )
        return sign * node.value


def _sum_index(bound: ast.expr) -> str:
    """The layer index of a sum's bound, which must read ``(l, 1, L)`` or ``(k, 1, L)``."""
    parts = bound.elts if isinstance(bound, ast.Tuple) else []
    if (
        len(parts) == 3
        and isinstance(parts[0], ast.Name)
        and parts[0].id in ("l", "k")
        and isinstance(parts[1], ast.Constant)
        and type(parts[1].value) is int
        and parts[1].value == 1
        and isinstance(parts[2], ast.Name)
        and parts[2].id == "L"
    ):
        return parts[0].id
    raise FormulaError("a sum runs over every layer: its bound must be (l, 1, L) or (k, 1, L)")


def _factors(node: MatrixNode) -> tuple[MatrixNode, ...]:
    """The factors of a product node, or the node itself (a chain of products is kept flat)."""
    return node.factors if isinstance(node, Product) else (node,)


def quotient(numerator: MatrixNode, denominator: MatrixNode) -> MatrixNode:
    """``numerator / denominator``; a division by the number zero is refused."""
    if isinstance(denominator, Number) and denominator.value == 0:
        raise FormulaError("division by zero")
    return Quotient(numerator, denominator)


def power(base: MatrixNode, exponent: int) -> MatrixNode:
    """``base**exponent``: the inverse for ``-1``; a power of a number folded."""
    if isinstance(base, Number):
        if base.value == 0 and exponent < 0:
            raise FormulaError("division by zero: 0 to a negative power")
        return Number(base.value**exponent)
    return Inverse(base) if exponent == -1 else Power(base, exponent)


def matrix_from_sympy_syntax(text: str) -> MatrixNode:
    """Parse a matrix formula written in SymPy syntax (module docstring).

    Raises
    ------
    NotMatrixSympySyntax
        If the text is not Python syntax or uses unknown names (it may be LaTeX).
    FormulaError
        On any other construct outside the whitelist, or a guard.
    """
    text = checked_text(text)
    tree = _parse(text)
    _scan(tree)
    return _Builder(text.replace("^", "**")).build(tree.body, 0)
