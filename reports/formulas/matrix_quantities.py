r"""The matrix quantities ``dlnverify check`` accepts, each tied to the derivation that makes it.

A :class:`MatrixQuantity` names a matrix-valued result of the theory, its symbolic shape, the
layer indices it depends on (``l``, or the pair ``l, k``), the names a formula may use, and,
at each concrete network, the derived value and the values of those names as matrices of
polynomials in one ring (:class:`MatrixNetwork`):

* ``gradient`` (C1, Prop. 3.1): the population gradient of layer :math:`l`,
  :math:`h_l \times h_{l-1}`, obtained by differentiating the Wick-expected loss
  :math:`\mathbb{E}\tfrac12\|y - Wx\|^2` entry by entry
  (:func:`derivations.gradient.gradient_polynomials`); free entries: the weights, the teacher
  :math:`W^*` and :math:`\Sigma_\varepsilon`, with :math:`\Delta = W^* - W`;
* ``noise_covariance`` (C3, Prop. 3.2): the block :math:`\Sigma_{lk} =
  \mathbb{E}[\operatorname{vec}\xi_l\operatorname{vec}\xi_k^\top]` of the one-sample
  gradient-noise covariance, :math:`h_lh_{l-1} \times h_kh_{k-1}`, a Wick expectation of
  degree four (:func:`derivations.noise_covariance.derive_noise_covariance`); free entries:
  the weights, the gap :math:`\Delta` and :math:`\Sigma_\varepsilon` (general symmetric), with
  :math:`W^* = \Delta + W`, and :math:`K` the commutation matrix of :math:`h_k \times
  h_{k-1}` matrices.

The networks checked are :data:`MATRIX_WIDTHS`: depths 1 to 3, rectangular, hidden narrower
and hidden wider than the input, smallest first; no width is 1, so that only a formula's
symbolic scalars are :math:`1\times 1`.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy as sp
from sympy.polys.matrices import DomainMatrix

from derivations.gradient import GradientPolynomials, gradient_polynomials
from derivations.noise_covariance import derive_noise_covariance
from derivations.symbolic_network import commutation_matrix, end_to_end, partial_products
from dlnverify.errors import InvalidParameter
from reports.formulas.matrix_names import DIMENSIONS, Index
from reports.formulas.matrix_shapes import Shape

__all__ = [
    "MATRIX_QUANTITIES",
    "MATRIX_WIDTHS",
    "MatrixNetwork",
    "MatrixQuantity",
    "get_matrix_quantity",
    "is_matrix_quantity",
]

#: The networks :math:`(h_0 = n, \dots, h_L = m)` a matrix formula is evaluated at, smallest
#: first: depth 1 both ways round, depth 2 with a hidden layer narrower and wider than the
#: input, depth 3.
MATRIX_WIDTHS: tuple[tuple[int, ...], ...] = ((2, 3), (3, 2), (3, 2, 2), (2, 3, 2), (2, 2, 3, 2))


@dataclass(frozen=True)
class MatrixNetwork:
    r"""One concrete network of a quantity: the derived value and the names' values.

    Attributes
    ----------
    widths : tuple[int, ...]
        :math:`(h_0, \dots, h_L)`.
    domain : Any
        The polynomial ring every matrix below lives in.
    layers : tuple of DomainMatrix
        :math:`W_1, \dots, W_L`.
    common : dict[str, DomainMatrix]
        The names that do not depend on a layer (``W``, ``Wstar``, ``Delta``,
        ``Sigma_eps``).
    derived : Callable
        ``derived(l, k)`` (1-based; ``k`` ignored for a quantity of one layer): the derived
        value.
    coordinates : dict[str, sympy.Matrix]
        The free entries, as the counterexample names them (``W_1``, ..., ``Wstar`` or
        ``Delta``, ``Sigma_eps``): matrices of the ring's symbols.
    """

    widths: tuple[int, ...]
    domain: Any
    layers: tuple[DomainMatrix, ...]
    common: dict[str, DomainMatrix]
    derived: Callable[[int, int], DomainMatrix] = field(repr=False)
    coordinates: dict[str, sp.Matrix] = field(repr=False)

    def values(self, l: int, k: int) -> dict[str, DomainMatrix]:
        """Every name's value for the layers ``l`` and ``k`` (1-based)."""
        As, Bs = partial_products(self.layers)
        values = dict(self.common)
        for index, layer in (("l", l), ("k", k)):
            values[f"W_{index}"] = self.layers[layer - 1]
            values[f"A_{index}"] = As[layer - 1]
            values[f"B_{index}"] = Bs[layer - 1]
        h_k, h_km1 = self.widths[k], self.widths[k - 1]
        values["K"] = commutation_matrix(h_k, h_km1, ring=self.domain.ring)
        return {name: value.to_dense() for name, value in values.items()}


@dataclass(frozen=True)
class MatrixQuantity:
    """A matrix quantity (module docstring).

    Attributes
    ----------
    name, description : str
        The command-line name and one line.
    claim : str
        The claim whose derivation provides it.
    shape : Shape
        Its symbolic shape.
    indices : tuple[Index, ...]
        ``(Index.L,)`` or ``(Index.L, Index.K)``: the formula is checked for every layer
        (pair).
    names : tuple[str, ...]
        The names a formula may use.
    statement : str
        The form the claim proves equal to the derived value, in SymPy syntax.
    convention_kind : str
        The kind under which :data:`derivations.conventions.CONVENTION_RESCALINGS` rescale it
        (a gradient like a drift, a covariance like a diffusion).
    network : Callable
        ``network(widths) -> MatrixNetwork``.
    """

    name: str
    description: str
    claim: str
    shape: Shape
    indices: tuple[Index, ...]
    names: tuple[str, ...]
    statement: str
    convention_kind: str
    network: Callable[[tuple[int, ...]], MatrixNetwork] = field(repr=False)

    def cases(self, widths: tuple[int, ...]) -> list[tuple[int, int]]:
        """The layer indices ``(l, k)`` to check at ``widths`` (``k = l`` for one index)."""
        depth = len(widths) - 1
        if Index.K in self.indices:
            return [(l, k) for l in range(1, depth + 1) for k in range(1, depth + 1)]
        return [(l, l) for l in range(1, depth + 1)]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "claim": self.claim,
            "shape": self.shape.text(),
            "indices": [str(index) for index in self.indices],
            "names": list(self.names),
            "derived": self.statement,
        }


def _network(
    gp: GradientPolynomials,
    derived: Callable[[int, int], DomainMatrix],
    *,
    teacher_coordinates: bool,
) -> MatrixNetwork:
    """The network of the derivation ``gp`` with the value ``derived``; its free entries
    are the teacher's (``Delta = Wstar - W``) or the gap's (``Wstar = Delta + W``)."""
    layers = tuple(layer.to_dense() for layer in gp.ring_weights())
    W = end_to_end(layers)
    free = gp.ring_matrix(gp.teacher if teacher_coordinates else gp.gap)
    teacher, gap = (free, free - W) if teacher_coordinates else (free + W, free)
    common = {
        "W": W,
        "Wstar": teacher,
        "Delta": gap,
        "Sigma_eps": gp.ring_matrix(gp.label_noise_cov),
    }
    coordinates = {f"W_{l}": W_l for l, W_l in enumerate(gp.weights, 1)}
    if teacher_coordinates:
        coordinates["Wstar"] = gp.teacher
    else:
        coordinates["Delta"] = gp.gap
    coordinates["Sigma_eps"] = gp.label_noise_cov
    return MatrixNetwork(gp.widths, free.domain, layers, common, derived, coordinates)


@functools.lru_cache(maxsize=8)
def _gradient_network(widths: tuple[int, ...]) -> MatrixNetwork:
    """The derived population gradients at ``widths``, teacher coordinates."""
    gp = gradient_polynomials(widths, label_noise=True)
    return _network(
        gp, lambda l, k: gp.population_gradient[l - 1].to_dense(), teacher_coordinates=True
    )


@functools.lru_cache(maxsize=8)
def _noise_covariance_network(widths: tuple[int, ...]) -> MatrixNetwork:
    """The derived noise-covariance blocks at ``widths``, gap coordinates (those of the
    derivation's fourth moments)."""
    derivation = derive_noise_covariance(widths, label_noise=True)
    return _network(
        derivation.gradients,
        lambda l, k: derivation.block(l, k).to_dense(),
        teacher_coordinates=False,
    )


_COMMON = ("W", "Wstar", "Delta", "Sigma_eps", "I")
_ONE_LAYER = ("W_l", "A_l", "B_l", *_COMMON)
_TWO_LAYERS = ("W_l", "A_l", "B_l", "W_k", "A_k", "B_k", "K", *_COMMON)


def _shape(rows: str, cols: str) -> Shape:
    """A shape from its dimensions' names (``"h_l h_{l-1}"`` is their product)."""
    return Shape(*(sp.Mul(*map(DIMENSIONS.__getitem__, side.split())) for side in (rows, cols)))


#: The matrix quantities, by name.
MATRIX_QUANTITIES: Mapping[str, MatrixQuantity] = types.MappingProxyType(
    {
        quantity.name: quantity
        for quantity in (
            MatrixQuantity(
                "gradient",
                "population gradient of layer l, dL/dW_l (loss 1/2||y - Wx||^2, x ~ N(0, I_n))",
                "C1",
                _shape("h_l", "h_{l-1}"),
                (Index.L,),
                _ONE_LAYER,
                "-transpose(A_l)*Delta*transpose(B_l)",
                "gradient_drift",
                _gradient_network,
            ),
            MatrixQuantity(
                "noise_covariance",
                "block Sigma_lk = E[vec xi_l vec xi_k^T] of the one-sample gradient-noise"
                " covariance; K: commutation matrix of h_k x h_{k-1} matrices",
                "C3",
                _shape("h_l h_{l-1}", "h_k h_{k-1}"),
                (Index.L, Index.K),
                _TWO_LAYERS,
                "kron(B_l*transpose(B_k), transpose(A_l)*(Delta*transpose(Delta) +"
                " Sigma_eps)*A_k) + kron(B_l*transpose(Delta)*A_k,"
                " transpose(A_l)*Delta*transpose(B_k))*K",
                "diffusion",
                _noise_covariance_network,
            ),
        )
    }
)


def is_matrix_quantity(name: object) -> bool:
    """Whether ``name`` is a matrix quantity's name."""
    return isinstance(name, str) and name in MATRIX_QUANTITIES


def get_matrix_quantity(name: str) -> MatrixQuantity:
    """The matrix quantity ``name``; a one-line error otherwise."""
    if not is_matrix_quantity(name):
        raise InvalidParameter(
            f"Got quantity={name!r}, but the matrix quantities are {', '.join(MATRIX_QUANTITIES)}."
        )
    return MATRIX_QUANTITIES[name]
