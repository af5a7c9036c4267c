r"""The network a matrix step of a derivation chain is evaluated at: every name free.

A step of ``dlnverify check-steps`` between two matrix formulas
(:mod:`reports.formulas.chain_matrix`) claims an identity between the named matrices of
:data:`~reports.formulas.matrix_names.MATRIX_NAMES`, not a fact about one derived quantity.
Its two sides are evaluated at a network whose every name is as free as its definition
allows (DESIGN.md §3):

* the weights :math:`W_1, \dots, W_L` have independent entries, and :math:`A_l, B_l, W`
  are their products (:class:`~reports.formulas.matrix_quantities.MatrixNetwork`);
* the teacher :math:`W^*` has independent entries and :math:`\Delta = W^* - W`;
* :math:`\Sigma_\varepsilon` is a general symmetric matrix
  (:func:`derivations.symbolic_network.label_noise_covariance`);
* :math:`u_a, v_a, u_b, v_b` are *generic* columns (not unit, not orthogonal: an identity
  that needs :math:`u_a^\top u_a = 1` is refuted here), and :math:`\kappa`,
  :math:`\sigma_\varepsilon` free scalars.

Only the families of names a step uses are made free (:class:`Family`), so that the ring is
as small as the step and a counterexample lists only what the step mentions.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Collection

import sympy as sp
from sympy.polys.matrices import DomainMatrix

from derivations.symbolic_network import (
    end_to_end,
    label_noise_covariance,
    ring_matrix,
    symbolic_matrix,
    teacher_matrix,
    vec,
    weight_matrices,
)
from reports.formulas.matrix_quantities import MatrixNetwork

__all__ = ["Family", "chain_network", "families_of"]


class Family(enum.StrEnum):
    """A group of names that share free entries (the weights are always free)."""

    TEACHER = "teacher"
    NOISE = "noise"
    MODE_A = "mode_a"
    MODE_B = "mode_b"
    KAPPA = "kappa"
    SIGMA = "sigma"


#: The family each name of a free entry belongs to (the weights' names belong to none).
_FAMILY = {
    "Wstar": Family.TEACHER,
    "Delta": Family.TEACHER,
    "Sigma_eps": Family.NOISE,
    "u_a": Family.MODE_A,
    "v_a": Family.MODE_A,
    "u_b": Family.MODE_B,
    "v_b": Family.MODE_B,
    "kappa": Family.KAPPA,
    "sigma_eps": Family.SIGMA,
}


def families_of(names: Collection[str]) -> frozenset[Family]:
    """The families whose entries ``names`` need free."""
    return frozenset(_FAMILY[name] for name in names if name in _FAMILY)


def chain_network(
    widths: tuple[int, ...],
    families: frozenset[Family],
    derived: Callable[[MatrixNetwork, int, int], DomainMatrix],
) -> MatrixNetwork:
    """The network at ``widths`` with the ``families`` free (module docstring), whose
    ``derived(l, k)`` is ``derived(network, l, k)`` (a chain step's left-hand side)."""
    base = _free_network(widths, tuple(sorted(families)))
    return MatrixNetwork(
        base.widths,
        base.domain,
        base.layers,
        base.common,
        lambda l, k: derived(base, l, k),
        base.coordinates,
    )


@functools.lru_cache(maxsize=16)
def _free_network(widths: tuple[int, ...], families: tuple[Family, ...]) -> MatrixNetwork:
    m, n = widths[-1], widths[0]
    weights = weight_matrices(widths)
    free: dict[str, sp.Matrix] = {}
    if Family.TEACHER in families:
        free["Wstar"] = teacher_matrix((m, n))
    if Family.NOISE in families:
        free["Sigma_eps"] = label_noise_covariance(m)
    for family, suffix in ((Family.MODE_A, "a"), (Family.MODE_B, "b")):
        if family in families:
            free[f"u_{suffix}"] = symbolic_matrix(f"u{suffix}", m, 1, index_base=1)
            free[f"v_{suffix}"] = symbolic_matrix(f"v{suffix}", n, 1, index_base=1)
    for family, name in ((Family.KAPPA, "kappa"), (Family.SIGMA, "sigma_eps")):
        if family in families:
            free[name] = sp.Matrix([[sp.Symbol(name, positive=True)]])
    generators: list[sp.Symbol] = [s for W_l in weights for s in vec(W_l)]
    for matrix in free.values():  # a symmetric matrix holds each symbol twice
        generators += dict.fromkeys(vec(matrix))
    ring = sp.ring(generators, sp.QQ)[0]
    layers = tuple(ring_matrix(W_l, ring) for W_l in weights)
    W = end_to_end(layers)
    common = {"W": W} | {name: ring_matrix(matrix, ring) for name, matrix in free.items()}
    if "Wstar" in common:
        common["Delta"] = common["Wstar"] - W
    coordinates = {f"W_{l}": W_l for l, W_l in enumerate(weights, 1)} | free
    return MatrixNetwork(
        tuple(widths), ring.to_domain(), layers, common, lambda l, k: W, coordinates
    )
