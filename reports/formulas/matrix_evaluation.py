r"""Exact values of a matrix formula at one concrete network.

A formula's tree (:mod:`reports.formulas.matrix_expression`), already shape-checked
(:mod:`reports.formulas.matrix_shapes`), is evaluated with every name bound to a matrix of
polynomials (``DomainMatrix`` over the polynomial ring of a derivation, or its field of
fractions when the formula inverts something): the weights, teacher and
:math:`\Sigma_\varepsilon` are free symbols, so two formulas with equal values are equal as
polynomial identities at that network, not merely at a sample point.  The products keep their
order; a :math:`1\times 1` factor scales; the identity takes its size from its context; a
layer sum evaluates its body with ``W_l, A_l, B_l`` (or ``_k``, and ``K`` for ``k``) bound to
each layer's values in turn, and :math:`\Theta(X) = \sum_l A_lA_l^\top XB_l^\top B_l`.

:func:`formula_degree` bounds the work before any evaluation: the total degree of the
polynomials a formula makes at a depth, which grows with powers and products.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from sympy.polys.matrices import DomainMatrix
from sympy.polys.matrices.exceptions import DMNonInvertibleMatrixError

from derivations.symbolic_network import kronecker, vec
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
    formula_text,
    nodes,
)

__all__ = [
    "LayerValues",
    "MAX_DEGREE",
    "MAX_ENTRIES",
    "formula_degree",
    "matrix_value",
    "needs_field",
]

#: Largest number of entries of a matrix made while evaluating a formula (Kronecker products
#: multiply sizes): a noise-covariance block at widths 3 has 81.
MAX_ENTRIES = 4096
#: Largest total degree (in the entries of the weights, teacher and label-noise covariance)
#: of the polynomials a formula may make at the deepest network checked.
MAX_DEGREE = 40


@dataclass(frozen=True)
class _Identity:
    """``coefficient`` times the identity, of a size the context fixes."""

    coefficient: Any


_Value: TypeAlias = DomainMatrix | _Identity


@dataclass(frozen=True)
class LayerValues:
    r"""The values of one layer :math:`j`: :math:`W_j, A_j, B_j` and the commutation matrix
    :math:`K` of :math:`h_j \times h_{j-1}` matrices, which a layer sum binds to
    ``W_l, A_l, B_l`` (or ``W_k, A_k, B_k, K``)."""

    W: DomainMatrix
    A: DomainMatrix
    B: DomainMatrix
    K: DomainMatrix

    def bound(self, index: str) -> dict[str, DomainMatrix]:
        """The names of layer index ``index`` with this layer's values."""
        bound = {f"W_{index}": self.W, f"A_{index}": self.A, f"B_{index}": self.B}
        return bound | {"K": self.K} if index == "k" else bound

    def convert_to(self, domain: Any) -> LayerValues:
        """The same values over ``domain``."""
        W, A, B, K = (value.convert_to(domain) for value in (self.W, self.A, self.B, self.K))
        return LayerValues(W, A, B, K)


def needs_field(node: MatrixNode) -> bool:
    """Whether evaluating ``node`` divides by a polynomial (an inverse, a negative power, a
    quotient by anything but a number), so that it needs the field of fractions."""
    return any(
        isinstance(part, Inverse)
        or (isinstance(part, Power) and part.exponent < 0)
        or (isinstance(part, Quotient) and not isinstance(part.denominator, Number))
        for part in nodes(node)
    )


def formula_degree(node: MatrixNode, degrees: Mapping[str, int], size: int) -> int:
    r"""An upper bound on the total degree of the entries ``node`` makes, given the degree
    of each name (``degrees``; ``"Theta"``: that of :math:`A_lA_l^\top \cdot B_l^\top B_l`)
    and the largest size ``size`` of a matrix it inverts (the
    inverse's entries are quotients of minors of that order)."""
    if isinstance(node, Name):
        return degrees.get(node.name, 0)
    if isinstance(node, Number):
        return 0
    if isinstance(node, Sum):
        return max(formula_degree(term, degrees, size) for term in node.terms)
    if isinstance(node, Product):
        return sum(formula_degree(factor, degrees, size) for factor in node.factors)
    if isinstance(node, Quotient):
        return formula_degree(node.numerator, degrees, size) + formula_degree(
            node.denominator, degrees, size
        )
    if isinstance(node, Kronecker):
        return formula_degree(node.left, degrees, size) + formula_degree(node.right, degrees, size)
    if isinstance(node, Power):
        base = formula_degree(node.base, degrees, size)
        return abs(node.exponent) * base * (size if node.exponent < 0 else 1)
    if isinstance(node, Inverse):
        return formula_degree(node.operand, degrees, size) * size
    if isinstance(node, FrobeniusSquared):
        return 2 * formula_degree(node.operand, degrees, size)
    if isinstance(node, Ntk):
        return degrees.get("Theta", 0) + formula_degree(node.operand, degrees, size)
    if isinstance(node, LayerSum):
        return formula_degree(node.body, degrees, size)
    assert isinstance(node, Negation | Transpose | Trace | Vec)
    return formula_degree(node.operand, degrees, size)


def matrix_value(
    node: MatrixNode,
    values: Mapping[str, DomainMatrix],
    domain: Any,
    *,
    size: int,
    layers: Sequence[LayerValues] = (),
) -> DomainMatrix:
    r"""The value of ``node`` with the names bound to ``values`` (dense, over ``domain``);
    ``size`` is the size of an identity the formula's context leaves open (the result's rows),
    ``layers`` the values of the layers :math:`1, \dots, L` a layer sum or :math:`\Theta`
    runs over.

    Raises
    ------
    FormulaError
        A matrix larger than :data:`MAX_ENTRIES`, an inverse of a singular matrix, a division
        by zero.
    """
    value = _Evaluation(values, domain, tuple(layers)).value(node)
    if isinstance(value, _Identity):
        return DomainMatrix.eye(size, domain) * value.coefficient
    return value


class _Evaluation:
    def __init__(
        self, values: Mapping[str, DomainMatrix], domain: Any, layers: tuple[LayerValues, ...]
    ) -> None:
        self.values = values
        self.domain = domain
        self.layers = layers

    def scalar(self, element: Any) -> DomainMatrix:
        return DomainMatrix([[element]], (1, 1), self.domain)

    def value(self, node: MatrixNode) -> _Value:
        if isinstance(node, Name):
            if node.name == "I":
                return _Identity(self.domain.one)
            return self.values[node.name]
        if isinstance(node, Number):
            return self.scalar(self.domain.convert(node.value))
        if isinstance(node, Negation):
            inner = self.value(node.operand)
            return _Identity(-inner.coefficient) if isinstance(inner, _Identity) else -inner
        if isinstance(node, Sum):
            return self.sum([self.value(term) for term in node.terms])
        if isinstance(node, Product):
            return self.product([self.value(factor) for factor in node.factors])
        if isinstance(node, Quotient):
            denominator = self.value(node.denominator)
            assert isinstance(denominator, DomainMatrix)
            element = denominator.to_list()[0][0]
            if not element:
                raise FormulaError(
                    f"division by {excerpt(formula_text(node.denominator))}, which is zero"
                )
            inverse = self.scalar(self.domain.one / element)
            return self.product([self.value(node.numerator), inverse])
        if isinstance(node, Transpose):
            inner = self.value(node.operand)
            return inner if isinstance(inner, _Identity) else inner.transpose()
        if isinstance(node, Power | Inverse):
            operand = node.base if isinstance(node, Power) else node.operand
            exponent = node.exponent if isinstance(node, Power) else -1
            inner = self.value(operand)
            if isinstance(inner, _Identity):
                return _Identity(inner.coefficient**exponent)
            if exponent < 0:
                inner = self.inverse(inner, operand)
            return inner ** abs(exponent)
        if isinstance(node, LayerSum):
            return self.sum(
                [
                    _Evaluation(
                        {**self.values, **layer.bound(node.index)}, self.domain, self.layers
                    ).value(node.body)
                    for layer in self.layers
                ]
            )
        if isinstance(node, Ntk):
            inner = self.value(node.operand)
            assert isinstance(inner, DomainMatrix)
            return self.sum(
                [
                    layer.A * layer.A.transpose() * inner * layer.B.transpose() * layer.B
                    for layer in self.layers
                ]
            )
        if isinstance(node, Kronecker):
            left, right = self.value(node.left), self.value(node.right)
            assert isinstance(left, DomainMatrix)
            assert isinstance(right, DomainMatrix)
            rows, cols = left.shape[0] * right.shape[0], left.shape[1] * right.shape[1]
            self.check_size(rows, cols, node)
            return kronecker(left, right).to_dense()
        inner = self.value(node.operand)
        assert isinstance(inner, DomainMatrix)
        if isinstance(node, Vec):
            return vec(inner)
        entries = inner.to_list()
        if isinstance(node, Trace):
            total = sum((entries[i][i] for i in range(inner.shape[0])), self.domain.zero)
        else:
            total = sum((e * e for row in entries for e in row), self.domain.zero)
        return self.scalar(total)

    def check_size(self, rows: int, cols: int, node: MatrixNode) -> None:
        if rows * cols > MAX_ENTRIES:
            raise FormulaError(
                f"{excerpt(formula_text(node))} makes a {rows} x {cols} matrix at a network the"
                f" check uses; at most {MAX_ENTRIES} entries are evaluated"
            )

    def inverse(self, matrix: DomainMatrix, operand: MatrixNode) -> DomainMatrix:
        try:
            return matrix.inv()
        except DMNonInvertibleMatrixError:
            raise FormulaError(
                f"{excerpt(formula_text(operand))} is singular: it has no inverse"
            ) from None

    def sum(self, values: list[_Value]) -> _Value:
        coefficient = self.domain.zero
        total: DomainMatrix | None = None
        for value in values:
            if isinstance(value, _Identity):
                coefficient += value.coefficient
            else:
                total = value if total is None else total + value
        if total is None:
            return _Identity(coefficient)
        if coefficient:
            total = total + DomainMatrix.eye(total.shape[0], self.domain) * coefficient
        return total

    def product(self, values: list[_Value]) -> _Value:
        scale = self.domain.one
        matrix: DomainMatrix | None = None
        identity = False
        for value in values:
            if isinstance(value, _Identity):
                scale, identity = scale * value.coefficient, True
            elif value.shape == (1, 1):
                scale *= value.to_list()[0][0]
            else:
                matrix = value if matrix is None else matrix * value
                if matrix.shape == (1, 1):  # a 1 x 1 product scales what follows
                    scale, matrix = scale * matrix.to_list()[0][0], None
        if matrix is None:
            return _Identity(scale) if identity else self.scalar(scale)
        return matrix * scale if scale != self.domain.one else matrix
