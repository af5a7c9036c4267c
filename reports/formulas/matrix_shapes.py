r"""Symbolic shape check of a matrix formula, before anything is evaluated.

Every node of a formula's tree (:mod:`reports.formulas.matrix_expression`) gets a shape whose
dimensions are monomials in the symbolic widths :math:`m, n, h_l, h_{l-1}, h_k, h_{k-1}`
(:mod:`reports.formulas.matrix_names`).  The rules are those of linear algebra, with one
convention: a :math:`1\times 1` matrix is a scalar, which scales any matrix (also a
:math:`1\times 1` product within a longer one: in ``u_a^T W v_a W_l`` it scales
:math:`W_l`).

* a product :math:`XY` needs :math:`\operatorname{cols}X = \operatorname{rows}Y` *as
  monomials*: :math:`W_l A_l` is refused (:math:`h_{l-1} \ne m`) even though some networks
  have :math:`h_{l-1} = m`, where it would happen to chain;
* a sum needs equal shapes; a quotient a scalar denominator;
* a power, an inverse and a trace need a square matrix, a power an integer exponent;
* :math:`X \otimes Y` is :math:`(r_Xr_Y) \times (c_Xc_Y)`, :math:`\operatorname{vec}X` is
  :math:`(rc)\times 1`, :math:`\operatorname{tr}X` and :math:`\|X\|_F^2` are scalars;
* :math:`\Theta(X)` needs :math:`X` of :math:`m \times n` and is :math:`m \times n`;
* a numbered layer (``W_1``, ``W_L``) stands wherever its family (``W_l``) may, with its own
  widths (``W_L W_1`` is refused: :math:`h_{L-1} \ne h_1`);
* a name of a layer index (``W_l``, ``A_k``, ``K``) stands only where that index is the
  quantity's (``gradient`` has ``l``) or bound by an enclosing layer sum
  ``Sum(..., (l, 1, L))``, which may not bind an index already in use;
* the identity :math:`I` takes its size from its context: a neighbour in a product (which it
  leaves unchanged) or the other terms of a sum (which must be square); where nothing fixes
  it (:math:`I \otimes X`, :math:`\operatorname{tr} I`), it is refused.

A refusal is a one-line :class:`~dlnverify.errors.FormulaError` naming the operands and their
shapes (``W_l (h_l x h_{l-1}) times A_l (m x h_l): h_{l-1} != m``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import sympy as sp

from dlnverify.errors import FormulaError
from reports.formulas.guards import excerpt
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
    children,
    formula_text,
    nodes,
)
from reports.formulas.matrix_names import (
    DIMENSIONS,
    MATRIX_NAMES,
    Index,
    dimension_text,
    name_entry,
    numbered_layer,
)

__all__ = ["SCALAR", "Shape", "formula_shape", "free_indices", "layer_depth"]

_ONE = sp.Integer(1)


@dataclass(frozen=True)
class Shape:
    """A symbolic shape; ``rows = cols = None`` is an identity of a size not yet known."""

    rows: sp.Expr | None
    cols: sp.Expr | None

    @property
    def is_scalar(self) -> bool:
        """Whether this is :math:`1 \\times 1`."""
        return self.rows == _ONE and self.cols == _ONE

    @property
    def is_free_identity(self) -> bool:
        """Whether this is an identity whose size its context has not fixed."""
        return self.rows is None

    @property
    def is_square(self) -> bool:
        """Whether the rows and columns agree (a free identity is square)."""
        return self.rows == self.cols

    def text(self) -> str:
        """``h_l x h_{l-1}``; ``n x n`` for any square size."""
        if self.rows is None or self.cols is None:
            return "square, size from context"
        return f"{dimension_text(self.rows)} x {dimension_text(self.cols)}"


#: The shape of a scalar.
SCALAR = Shape(_ONE, _ONE)
_FREE_IDENTITY = Shape(None, None)


def _operand(node: MatrixNode, shape: Shape) -> str:
    """An operand as a refusal names it: its text and shape."""
    return f"{excerpt(formula_text(node))} ({shape.text()})"


def formula_shape(
    node: MatrixNode, names: Collection[str], indices: Collection[str] = ("l", "k")
) -> Shape:
    """The symbolic shape of the formula ``node``, which may use only ``names``, and the
    layer indices ``indices`` (the quantity's) outside a layer sum.

    Raises
    ------
    FormulaError
        A name outside ``names`` or an operation whose operands' shapes do not fit (see the
        module docstring), naming the operands and their shapes.
    """
    return _Shapes(names, indices).shape(node)


_OUTPUT = Shape(DIMENSIONS["m"], DIMENSIONS["n"])


def free_indices(node: MatrixNode, bound: frozenset[str] = frozenset()) -> set[str]:
    """The layer indices (``l``, ``k``) ``node`` uses outside a layer sum that binds them."""
    if isinstance(node, Name):
        index = str(MATRIX_NAMES[node.name].index) if node.name in MATRIX_NAMES else ""
        return {index} if index and index not in bound else set()
    if isinstance(node, LayerSum):
        return free_indices(node.body, bound | {node.index})
    found: set[str] = set()
    for child in children(node):
        found |= free_indices(child, bound)
    return found


def layer_depth(node: MatrixNode) -> int:
    """The smallest depth at which every numbered layer ``node`` names exists (``W_2``,
    ``W_{L-1}``: 2; 1 without one)."""
    depths = [1]
    for part in nodes(node):
        if isinstance(part, Name) and (numbered := numbered_layer(part.name)) is not None:
            depths.append(numbered[1].min_depth)
    return max(depths)


class _Shapes:
    def __init__(self, names: Collection[str], indices: Collection[str]) -> None:
        self.names = names
        self.indices = set(indices)
        #: the indices bound by the enclosing layer sums
        self.bound: list[str] = []

    def shape(self, node: MatrixNode) -> Shape:
        if isinstance(node, Name):
            return self.name(node.name)
        if isinstance(node, Number):
            return SCALAR
        if isinstance(node, Negation):
            return self.shape(node.operand)
        if isinstance(node, Sum):
            return self.sum(node)
        if isinstance(node, Product):
            return self.product(node)
        if isinstance(node, Quotient):
            denominator = self.shape(node.denominator)
            if not denominator.is_scalar:
                raise FormulaError(
                    f"division by {_operand(node.denominator, denominator)}: only a scalar"
                    " divides; write inverse(X) for a matrix inverse"
                )
            return self.shape(node.numerator)
        if isinstance(node, Transpose):
            inner = self.shape(node.operand)
            return Shape(inner.cols, inner.rows)
        if isinstance(node, LayerSum):
            return self.layer_sum(node)
        if isinstance(node, Ntk):
            inner = self.shape(node.operand)
            if inner != _OUTPUT:
                raise FormulaError(
                    f"Theta of {_operand(node.operand, inner)}: the NTK operator acts on"
                    f" {_OUTPUT.text()} matrices"
                )
            return _OUTPUT
        if isinstance(node, Power | Inverse):
            operand = node.base if isinstance(node, Power) else node.operand
            inner = self.shape(operand)
            if not inner.is_square:
                what = "a power" if isinstance(node, Power) else "an inverse"
                raise FormulaError(
                    f"{what} of {_operand(operand, inner)}: only a square matrix has one"
                )
            return inner
        inner = self.shape(node.operand if not isinstance(node, Kronecker) else node.left)
        if inner.is_free_identity:
            raise FormulaError(
                f"the size of I in {excerpt(formula_text(node))} is not fixed by its context:"
                " write the identity inside a product or a sum with a matrix of known size"
            )
        if isinstance(node, Kronecker):
            right = self.shape(node.right)
            if right.is_free_identity:
                raise FormulaError(
                    f"the size of I in {excerpt(formula_text(node))} is not fixed by its"
                    " context: write the identity inside a product or a sum with a matrix of"
                    " known size"
                )
            assert inner.rows is not None
            assert inner.cols is not None
            assert right.rows is not None
            assert right.cols is not None
            return Shape(inner.rows * right.rows, inner.cols * right.cols)
        if isinstance(node, Vec):
            assert inner.rows is not None
            assert inner.cols is not None
            return Shape(inner.rows * inner.cols, _ONE)
        if isinstance(node, Trace) and not inner.is_square:
            raise FormulaError(f"trace of {_operand(node.operand, inner)}: it is not square")
        assert isinstance(node, Trace | FrobeniusSquared)
        return SCALAR

    def name(self, name: str) -> Shape:
        numbered = numbered_layer(name)
        family = name if numbered is None else f"{numbered[0]}_l"  # W_1 where W_l is
        if family not in self.names:
            allowed = ", ".join(self.names)
            advice = (
                " (the matrix quantities take a general label-noise covariance: write Sigma_eps;"
                " isotropic label noise sigma_eps^2 I is its special case)"
                if name == "sigma_eps" and "Sigma_eps" in self.names
                else ""
            )
            raise FormulaError(f"{name} is not available here; names allowed: {allowed}{advice}")
        entry = name_entry(name)
        index = str(entry.index)
        if entry.index != Index.NONE and index not in self.indices and index not in self.bound:
            raise FormulaError(
                f"{name} stands outside a sum over {index}: write Sum(..., ({index}, 1, L)),"
                f" \\sum_{{{index}=1}}^{{L}}"
            )
        return Shape(entry.rows, entry.cols)

    def layer_sum(self, node: LayerSum) -> Shape:
        if node.index in self.indices or node.index in self.bound:
            whose = "the quantity's" if node.index in self.indices else "an enclosing sum's"
            raise FormulaError(
                f"a sum over {node.index} where {node.index} is already {whose} layer index;"
                " sum over the other index"
            )
        self.bound.append(node.index)
        try:
            return self.shape(node.body)
        finally:
            self.bound.pop()

    def sum(self, node: Sum) -> Shape:
        known: tuple[MatrixNode, Shape] | None = None
        free = False
        for term in node.terms:
            shape = self.shape(term)
            if shape.is_free_identity:
                free = True
                continue
            if known is None:
                known = (term, shape)
            elif shape != known[1]:
                raise FormulaError(
                    f"shapes differ in a sum: {_operand(known[0], known[1])} plus"
                    f" {_operand(term, shape)}"
                )
        if known is None:
            return _FREE_IDENTITY
        first, shape = known
        if free and not shape.is_square:
            raise FormulaError(f"I added to {_operand(first, shape)}, which is not square")
        return shape

    def product(self, node: Product) -> Shape:
        current: tuple[MatrixNode, Shape] | None = None
        free = False
        for factor in node.factors:
            shape = self.shape(factor)
            free = free or shape.is_free_identity
            if shape.is_scalar or shape.is_free_identity:
                continue
            if current is not None and current[1].cols != shape.rows:
                left, left_shape = current
                assert left_shape.cols is not None
                assert shape.rows is not None
                raise FormulaError(
                    f"shapes do not chain in a product: {_operand(left, left_shape)} times"
                    f" {_operand(factor, shape)}: {dimension_text(left_shape.cols)} !="
                    f" {dimension_text(shape.rows)}"
                )
            rows = shape.rows if current is None else current[1].rows
            current = (
                factor if current is None else Product((current[0], factor)),
                Shape(rows, shape.cols),
            )
            if current[1].is_scalar:  # u^T W v is a scalar: it scales what follows
                current = None
        if current is not None:
            return current[1]
        return _FREE_IDENTITY if free else SCALAR
