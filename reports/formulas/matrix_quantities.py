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
* ``mode_diffusion_general`` (C5, Prop. 3.3): the scalar :math:`\kappa\operatorname{Var}
  \langle\nabla s_a, \xi\rangle` at general (not aligned) weights, the variance of the
  first-order increment taken from the second moments of :math:`N = \Delta(xx^\top - I) +
  Sz\,x^\top`, :math:`\xi_l = -A_l^\top NB_l^\top` (the derivation of
  :func:`derivations.modewise.modewise_diffusion_claim`, with :func:`~derivations.modewise.
  mode_jacobian`, :func:`~derivations.output_noise.noise_second_moments`); free entries: the
  weights, :math:`u_a, v_a`, an independent gap :math:`\Delta` and the label-noise root
  :math:`S` (:math:`\Sigma_\varepsilon = SS^\top`), with :math:`W^* = \Delta + W`.

The networks checked are :data:`MATRIX_WIDTHS` (``mode_diffusion_general``: those of depth 1
and 2, the depth-3 polynomials having some :math:`10^5` terms): rectangular, hidden narrower
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

from derivations.conventions import kappa
from derivations.gradient import GradientPolynomials, gradient_polynomials
from derivations.modewise import mode_jacobian, symbolic_mode_setup
from derivations.noise_covariance import derive_noise_covariance
from derivations.output_noise import layer_noise, noise_second_moments, noise_symbols
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
        ``Sigma_eps``, ``u_a``, ``kappa``, ...).
    derived : Callable
        ``derived(l, k)`` (1-based; ignored where the quantity has no such index): the
        derived value.
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


@functools.lru_cache(maxsize=8)
def _mode_diffusion_network(widths: tuple[int, ...]) -> MatrixNetwork:
    r"""The derived :math:`\kappa\operatorname{Var}\langle\nabla s_a, \xi\rangle` at
    ``widths``: :math:`\kappa\,\mathbb E[f^2]` for the first-order increment
    :math:`f = \sum_l\langle\nabla_{W_l}s_a, \xi_l\rangle`, linear in :math:`N`, as
    :math:`\kappa\sum_{pq}\partial_pf\,\partial_qf\,\mathbb E[N_pN_q]`
    (:func:`derivations.output_noise.expect_bilinear`, in the ring)."""
    weights, (u,), (v,), delta, root = symbolic_mode_setup(widths)
    m, n = widths[-1], widths[0]
    noise = noise_symbols(m, n)
    moments = noise_second_moments(delta, root)
    generators = [*(e for W in weights for e in vec(W)), *u, *v, *delta, *root, kappa]
    ring = sp.ring([*generators, *vec(noise)], sp.QQ)[0]
    increment = ring.zero
    for gradient, xi in zip(mode_jacobian(weights, u, v), layer_noise(weights, noise), strict=True):
        pairs = zip(vec(gradient), vec(xi), strict=True)
        increment += ring.from_expr(sp.Add(*(g * x for g, x in pairs)))
    slopes = [increment.diff(ring(symbol)) for symbol in vec(noise)]
    size = m * n
    variance = ring.zero
    for p in range(size):
        row = sum((ring.from_expr(moments[p, q]) * slopes[q] for q in range(size)), ring.zero)
        variance += slopes[p] * row
    diffusion = DomainMatrix([[ring(kappa) * variance]], (1, 1), ring.to_domain())
    layers = tuple(ring_matrix(W, ring) for W in weights)
    W = end_to_end(layers)
    gap = ring_matrix(delta, ring)
    S = ring_matrix(root, ring)
    common = {
        "W": W,
        "Wstar": gap + W,
        "Delta": gap,
        "Sigma_eps": S * S.transpose(),
        "u_a": ring_matrix(u, ring),
        "v_a": ring_matrix(v, ring),
        "kappa": DomainMatrix([[ring(kappa)]], (1, 1), ring.to_domain()),
    }
    coordinates = {f"W_{l}": W_l for l, W_l in enumerate(weights, 1)}
    coordinates |= {"u_a": u, "v_a": v, "Delta": delta, "S (Sigma_eps = S S^T)": root}
    coordinates["kappa"] = sp.Matrix([[kappa]])
    return MatrixNetwork(
        tuple(widths), ring.to_domain(), layers, common, lambda l, k: diffusion, coordinates
    )


_COMMON = ("W", "Wstar", "Delta", "Sigma_eps", "I")
_ONE_LAYER = ("W_l", "A_l", "B_l", *_COMMON)
_TWO_LAYERS = ("W_l", "A_l", "B_l", "W_k", "A_k", "B_k", "K", *_COMMON)
_WEIGHTS = ("W_l", "A_l", "B_l", "W_k", "A_k", "B_k", "W", "I")


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
                "kappa*transpose(u_a)*Theta((Delta*transpose(Delta) + Sigma_eps)"
                "*Theta(u_a*transpose(v_a)) + Delta*transpose(Theta(u_a*transpose(v_a)))"
                "*Delta)*v_a",
                "diffusion",
                _mode_diffusion_network,
                MATRIX_WIDTHS[:4],
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
