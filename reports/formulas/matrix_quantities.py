r"""The matrix quantities ``dlnverify check`` accepts, each tied to the derivation that makes it.

A :class:`MatrixQuantity` names a matrix-valued result of the theory, its symbolic shape, the
layer indices it depends on (``l``, the pair ``l, k``, or none), the names a formula may use,
and, at each concrete network, the derived value and the values of those names as matrices of
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
  h_{k-1}` matrices;
* ``jacobian`` (C1, Prop. 3.1): :math:`\partial\operatorname{vec}W/\partial\operatorname{vec}
  W_l`, :math:`mn \times h_lh_{l-1}` (column-major ``vec``, row :math:`p` the entry
  :math:`p` of :math:`\operatorname{vec}W`), every entry of :math:`W = W_L\cdots W_1`
  differentiated in every entry of :math:`W_l`, as :mod:`derivations.gradient` does;
* ``modewise_jacobian`` (C5, Prop. 3.3): :math:`\nabla_{W_l}s_a`, :math:`h_l\times
  h_{l-1}`, with :math:`s_a = u_a^\top W v_a` differentiated entry by entry
  (:func:`derivations.modewise.mode_jacobian`) for generic columns :math:`u_a, v_a`;
* ``ntk`` (Prop. 3.3): the neural tangent kernel of :math:`W` as the :math:`mn\times mn`
  matrix acting on :math:`\operatorname{vec}M`, derived as :math:`\sum_l J_lJ_l^\top` with
  :math:`J_l` the derived ``jacobian`` (the Gram matrix of the Jacobian in the parameters);
* ``mode_diffusion_general`` and ``cross_mode_diffusion_general`` (C5, Prop. 3.3): the
  scalars :math:`\kappa\operatorname{Var}\langle\nabla s_a, \xi\rangle` and
  :math:`\kappa\operatorname{Cov}(\langle\nabla s_a, \xi\rangle, \langle\nabla s_b,
  \xi\rangle)` at general (not aligned) weights, the increments differentiated along the
  noise and their second moments taken from those of :math:`N = \Delta(xx^\top - I) +
  Sz\,x^\top`, :math:`\xi_l = -A_l^\top NB_l^\top`
  (:func:`derivations.mode_covariance.mode_covariance`); free entries: the weights,
  generic columns :math:`u_a, v_a` (and :math:`u_b, v_b`), an independent gap :math:`\Delta`
  and the label-noise root :math:`S` (:math:`\Sigma_\varepsilon = SS^\top`), with
  :math:`W^* = \Delta + W`.

The networks checked are :data:`MATRIX_WIDTHS`: rectangular, hidden narrower and hidden wider
than the input, smallest first; no width is 1, so that only a formula's symbolic scalars are
:math:`1\times 1`.  Every entry is a free symbol, except the weights of the mode diffusions
deeper than :data:`SYMBOLIC_DEPTH`: with symbolic weights the depth-3 polynomials have some
:math:`10^5` terms (a check of 20 s and more), so there the weights are integers drawn once
and the identity is proven in the other entries (:attr:`MatrixNetwork.sampled_weights`).
"""

from __future__ import annotations

import functools
import itertools
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp
from sympy.polys.matrices import DomainMatrix

from derivations.conventions import kappa
from derivations.gradient import GradientPolynomials, gradient_polynomials
from derivations.mode_covariance import mode_covariance
from derivations.modewise import mode_jacobian
from derivations.noise_covariance import derive_noise_covariance
from derivations.symbolic_network import (
    commutation_matrix,
    end_to_end,
    partial_products,
    ring_matrix,
    symbolic_matrix,
    vec,
    weight_matrices,
)
from dlnverify.errors import InvalidParameter
from reports.formulas.matrix_evaluation import LayerValues
from reports.formulas.matrix_names import (
    DIMENSIONS,
    Index,
    NumberedLayer,
    numbered_name,
    numbered_widths,
)
from reports.formulas.matrix_shapes import Shape

__all__ = [
    "MATRIX_QUANTITIES",
    "MATRIX_WIDTHS",
    "MatrixNetwork",
    "MatrixQuantity",
    "SAMPLED_WEIGHT_BOUND",
    "SYMBOLIC_DEPTH",
    "get_matrix_quantity",
    "is_matrix_quantity",
]

#: The networks :math:`(h_0 = n, \dots, h_L = m)` a matrix formula is evaluated at, smallest
#: first: depth 1 both ways round, depth 2 with a hidden layer narrower and wider than the
#: input, depth 3.
MATRIX_WIDTHS: tuple[tuple[int, ...], ...] = ((2, 3), (3, 2), (3, 2, 2), (2, 3, 2), (2, 2, 3, 2))
#: The deepest network at which the mode diffusions are derived with symbolic weights; deeper
#: ones have integer weights drawn from :math:`[-B, B]`, :math:`B` =
#: :data:`SAMPLED_WEIGHT_BOUND` (the other entries stay symbolic).
SYMBOLIC_DEPTH = 2
SAMPLED_WEIGHT_BOUND = 2**20


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
        ``Sigma_eps``, ``u_a``, ``kappa``, ...).
    derived : Callable
        ``derived(l, k)`` (1-based; ignored where the quantity has no such index): the
        derived value.
    coordinates : dict[str, sympy.Matrix]
        The free entries, as the counterexample names them (``W_1``, ..., ``Wstar`` or
        ``Delta``, ``Sigma_eps``): matrices of the ring's symbols (of integers for weights
        that are sampled).
    sampled_weights : bool
        Whether the weights are integers drawn once (:data:`SYMBOLIC_DEPTH`) rather than
        symbols: an identity is then proven in the other entries only, and holds at every
        weight except with probability at most :math:`d / (2B + 1)` for a difference of
        degree :math:`d` in the weights (Schwartz-Zippel, :math:`B` =
        :data:`SAMPLED_WEIGHT_BOUND`).
    """

    widths: tuple[int, ...]
    domain: Any
    layers: tuple[DomainMatrix, ...]
    common: dict[str, DomainMatrix]
    derived: Callable[[int, int], DomainMatrix] = field(repr=False)
    coordinates: dict[str, sp.Matrix] = field(repr=False)
    sampled_weights: bool = False

    @functools.cached_property
    def layer_values(self) -> tuple[LayerValues, ...]:
        r""":math:`W_j, A_j, B_j` and the commutation matrix of :math:`h_j\times h_{j-1}`
        matrices, :math:`j = 1, \dots, L`."""
        As, Bs = partial_products(self.layers)
        return tuple(
            LayerValues(W.to_dense(), A.to_dense(), B.to_dense(), self._commutation(*W.shape))
            for W, A, B in zip(self.layers, As, Bs, strict=True)
        )

    def _commutation(self, rows: int, cols: int) -> DomainMatrix:
        ring = getattr(self.domain, "ring", None)
        if ring is None:  # numbers, not polynomials
            return DomainMatrix.from_Matrix(commutation_matrix(rows, cols)).convert_to(self.domain)
        return commutation_matrix(rows, cols, ring=ring).to_dense()

    def values(self, l: int, k: int) -> dict[str, DomainMatrix]:
        """Every name's value for the layers ``l`` and ``k`` (1-based)."""
        values = dict(self.common) | self.numbered_values()
        values |= self.layer_values[l - 1].bound("l") | self.layer_values[k - 1].bound("k")
        return values

    def numbered_values(self) -> dict[str, DomainMatrix]:
        """The numbered layers' values, by every name of theirs (``W_1``, ``W_L``,
        ``W_{L-1}``, ``A_2``, ...)."""
        depth = len(self.widths) - 1
        values = {}
        for j, layer in enumerate(self.layer_values, 1):
            for numbered in (NumberedLayer(False, j), NumberedLayer(True, depth - j)):
                for letter, value in (("W", layer.W), ("A", layer.A), ("B", layer.B)):
                    values[numbered_name(letter, numbered)] = value
        return values

    def dimension(self, dimension: sp.Expr, l: int, k: int) -> int:
        """A symbolic dimension (:data:`~reports.formulas.matrix_names.DIMENSIONS`) here."""
        h = self.widths
        sizes = {"m": h[-1], "n": h[0], "h_l": h[l], "h_{l-1}": h[l - 1]}
        sizes |= {"h_k": h[k], "h_{k-1}": h[k - 1]}
        substitution = {DIMENSIONS[name]: size for name, size in sizes.items()}
        return int(dimension.subs(substitution | numbered_widths(h)))


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
        ``()``, ``(Index.L,)`` or ``(Index.L, Index.K)``: the formula is checked for every
        layer (pair); the names of any other index stand only inside a layer sum.
    names : tuple[str, ...]
        The names a formula may use.
    statement : str
        The form the claim proves equal to the derived value, in SymPy syntax.
    convention_kind : str
        The kind under which :data:`derivations.conventions.CONVENTION_RESCALINGS` rescale it
        (a gradient like a drift, a covariance like a diffusion).
    network : Callable
        ``network(widths) -> MatrixNetwork``.
    widths : tuple of tuple of int
        The networks it is checked at.
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
    widths: tuple[tuple[int, ...], ...] = MATRIX_WIDTHS

    def cases(self, widths: tuple[int, ...]) -> list[tuple[int, int]]:
        """The layer indices ``(l, k)`` to check at ``widths`` (``k = l`` for one index,
        ``(1, 1)`` alone for none)."""
        depth = len(widths) - 1
        if Index.K in self.indices:
            return [(l, k) for l in range(1, depth + 1) for k in range(1, depth + 1)]
        if Index.L in self.indices:
            return [(l, l) for l in range(1, depth + 1)]
        return [(1, 1)]

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


@functools.lru_cache(maxsize=8)
def _weights_network(widths: tuple[int, ...]) -> MatrixNetwork:
    r"""The derived Jacobians, modewise Jacobians and NTK at ``widths``; free entries: the
    weights and generic columns :math:`u_a, v_a` (``derived(l, k)`` is the Jacobian; the
    other two are :func:`_modewise_jacobian_network` and :func:`_ntk_network`)."""
    weights = weight_matrices(widths)
    u, v = symbolic_matrix("u", widths[-1], 1), symbolic_matrix("v", widths[0], 1)
    ring = sp.ring([*(e for W in weights for e in vec(W)), *u, *v], sp.QQ)[0]
    layers = tuple(ring_matrix(W, ring) for W in weights)
    W = end_to_end(layers)
    entries = vec(W).to_list_flat()
    jacobians = tuple(
        DomainMatrix(
            [[entry.diff(ring(symbol)) for symbol in vec(W_l)] for entry in entries],
            (len(entries), W_l.rows * W_l.cols),
            ring.to_domain(),
        )
        for W_l in weights
    )
    common = {"W": W, "u_a": ring_matrix(u, ring), "v_a": ring_matrix(v, ring)}
    coordinates = {f"W_{l}": W_l for l, W_l in enumerate(weights, 1)}
    return MatrixNetwork(
        tuple(widths), ring.to_domain(), layers, common, lambda l, k: jacobians[l - 1], coordinates
    )


def _with_derived(
    network: MatrixNetwork,
    derived: Callable[[int, int], DomainMatrix],
    coordinates: dict[str, sp.Matrix] | None = None,
) -> MatrixNetwork:
    """``network`` with another derived value (and free entries)."""
    return MatrixNetwork(
        network.widths,
        network.domain,
        network.layers,
        network.common,
        derived,
        network.coordinates if coordinates is None else coordinates,
    )


@functools.lru_cache(maxsize=8)
def _modewise_jacobian_network(widths: tuple[int, ...]) -> MatrixNetwork:
    r""":math:`\nabla_{W_l}s_a` by :func:`derivations.modewise.mode_jacobian`."""
    network = _weights_network(widths)
    weights = weight_matrices(widths)
    u, v = symbolic_matrix("u", widths[-1], 1), symbolic_matrix("v", widths[0], 1)
    ring = network.domain.ring
    gradients = [ring_matrix(G, ring) for G in mode_jacobian(weights, u, v)]
    coordinates = network.coordinates | {"u_a": u, "v_a": v}
    return _with_derived(network, lambda l, k: gradients[l - 1], coordinates)


@functools.lru_cache(maxsize=8)
def _ntk_network(widths: tuple[int, ...]) -> MatrixNetwork:
    r""":math:`\sum_l J_lJ_l^\top`, :math:`J_l` the derived Jacobians."""
    network = _weights_network(widths)
    depth = len(widths) - 1
    jacobians = [network.derived(l, l) for l in range(1, depth + 1)]
    kernel = jacobians[0] * jacobians[0].transpose()
    for J in jacobians[1:]:
        kernel = kernel + J * J.transpose()
    return _with_derived(network, lambda l, k: kernel)


def _sampled_weights(widths: tuple[int, ...]) -> list[sp.Matrix]:
    r"""Integer weights :math:`W_1, \dots, W_L` drawn uniformly from
    :math:`[-2^{20}, 2^{20}]`, fixed by the widths (same widths, same weights)."""
    rng = np.random.default_rng([27, *widths])
    bound = SAMPLED_WEIGHT_BOUND
    return [
        sp.Matrix(rows, cols, [int(e) for e in rng.integers(-bound, bound + 1, rows * cols)])
        for cols, rows in itertools.pairwise(widths)
    ]


def _mode_covariance_network(widths: tuple[int, ...], *, cross: bool) -> MatrixNetwork:
    r"""The derived :math:`\kappa\operatorname{Cov}(\langle\nabla s_a, \xi\rangle, \langle
    \nabla s_b, \xi\rangle)` at ``widths`` (:func:`derivations.mode_covariance.mode_covariance`,
    :math:`b = a` unless ``cross``): symbolic weights up to :data:`SYMBOLIC_DEPTH`, integer
    weights (:func:`_sampled_weights`) deeper."""
    sampled = len(widths) - 1 > SYMBOLIC_DEPTH
    derivation = mode_covariance(
        widths, cross=cross, weights=_sampled_weights(widths) if sampled else None
    )
    ring, matrix = derivation.ring, derivation.matrix
    diffusion = DomainMatrix([[derivation.value]], (1, 1), ring.to_domain())
    layers = tuple(matrix(W) for W in derivation.weights)
    W = end_to_end(layers)
    gap, S = matrix(derivation.delta), matrix(derivation.root)
    vectors = {"u_a": derivation.first[0], "v_a": derivation.first[1]}
    if cross:
        vectors |= {"u_b": derivation.second[0], "v_b": derivation.second[1]}
    common = {"W": W, "Wstar": gap + W, "Delta": gap, "Sigma_eps": S * S.transpose()}
    common |= {name: matrix(vector) for name, vector in vectors.items()}
    common["kappa"] = DomainMatrix([[ring(kappa)]], (1, 1), ring.to_domain())
    coordinates = {f"W_{l}": W_l for l, W_l in enumerate(derivation.weights, 1)}
    coordinates |= vectors | {"Delta": derivation.delta, "S (Sigma_eps = S S^T)": derivation.root}
    coordinates["kappa"] = sp.Matrix([[kappa]])
    return MatrixNetwork(
        tuple(widths),
        ring.to_domain(),
        layers,
        common,
        lambda l, k: diffusion,
        coordinates,
        sampled_weights=sampled,
    )


@functools.lru_cache(maxsize=8)
def _mode_diffusion_network(widths: tuple[int, ...]) -> MatrixNetwork:
    r"""The derived :math:`\kappa\operatorname{Var}\langle\nabla s_a, \xi\rangle`."""
    return _mode_covariance_network(widths, cross=False)


@functools.lru_cache(maxsize=8)
def _cross_mode_diffusion_network(widths: tuple[int, ...]) -> MatrixNetwork:
    r"""The derived :math:`\kappa\operatorname{Cov}(\langle\nabla s_a, \xi\rangle,
    \langle\nabla s_b, \xi\rangle)`, two independent pairs of mode vectors."""
    return _mode_covariance_network(widths, cross=True)


_COMMON = ("W", "Wstar", "Delta", "Sigma_eps", "I")
_ONE_LAYER = ("W_l", "A_l", "B_l", *_COMMON)
_TWO_LAYERS = ("W_l", "A_l", "B_l", "W_k", "A_k", "B_k", "K", *_COMMON)
_WEIGHTS = ("W_l", "A_l", "B_l", "W_k", "A_k", "B_k", "W", "I")


#: C5's closed NTK form of the cross-mode diffusion, :math:`K_b = \Theta(u_bv_b^\top)`.
_CROSS_DIFFUSION = (
    "kappa*transpose(u_a)*Theta((Delta*transpose(Delta) + Sigma_eps)*Theta(u_b*transpose(v_b))"
    " + Delta*transpose(Theta(u_b*transpose(v_b)))*Delta)*v_a"
)


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
            MatrixQuantity(
                "jacobian",
                "d vec W / d vec W_l (column-major vec; row: entry of vec W)",
                "C1",
                _shape("m n", "h_l h_{l-1}"),
                (Index.L,),
                _WEIGHTS,
                "kron(transpose(B_l), A_l)",
                "jacobian",
                _weights_network,
            ),
            MatrixQuantity(
                "modewise_jacobian",
                "gradient of the mode amplitude s_a = u_a^T W v_a in W_l",
                "C5",
                _shape("h_l", "h_{l-1}"),
                (Index.L,),
                (*_WEIGHTS, "u_a", "v_a"),
                "transpose(A_l)*u_a*transpose(v_a)*transpose(B_l)",
                "jacobian",
                _modewise_jacobian_network,
            ),
            MatrixQuantity(
                "ntk",
                "the NTK Theta(M) = sum_l A_l A_l^T M B_l^T B_l as the matrix acting on vec M"
                " (sum over layers: Sum(..., (l, 1, L)))",
                "C5",
                _shape("m n", "m n"),
                (),
                _WEIGHTS,
                "Sum(kron(transpose(B_l)*B_l, A_l*transpose(A_l)), (l, 1, L))",
                "jacobian",
                _ntk_network,
            ),
            MatrixQuantity(
                "mode_diffusion_general",
                "kappa Var<grad s_a, xi> at general weights (xi the one-sample gradient"
                " noise; Theta(X) the NTK operator)",
                "C5",
                _shape("", ""),
                (),
                (*_TWO_LAYERS, "u_a", "v_a", "kappa"),
                _CROSS_DIFFUSION.replace("u_b", "u_a").replace("v_b", "v_a"),
                "diffusion",
                _mode_diffusion_network,
            ),
            MatrixQuantity(
                "cross_mode_diffusion_general",
                "kappa Cov(<grad s_a, xi>, <grad s_b, xi>) at general weights, u_a, v_a and"
                " u_b, v_b two modes (xi the one-sample gradient noise)",
                "C5",
                _shape("", ""),
                (),
                (*_TWO_LAYERS, "u_a", "v_a", "u_b", "v_b", "kappa"),
                _CROSS_DIFFUSION,
                "diffusion",
                _cross_mode_diffusion_network,
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
