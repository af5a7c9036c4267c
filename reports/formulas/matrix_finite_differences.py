r"""The numeric step of a deterministic matrix check: a formula against finite differences.

``jacobian``, ``modewise_jacobian`` and ``ntk`` are functions of the weights with nothing to
simulate; their second step, in place of the Monte Carlo step of the stochastic quantities
(:mod:`reports.formulas.matrix_montecarlo`), compares the formula with the derivatives
:mod:`numerics.finite_differences` computes from the definitions, so that a derivation and a
formula that agreed by a shared mistake would still be caught.  At every network of the
quantity, with weights drawn from the seed as for the Monte Carlo step
(:func:`~reports.formulas.matrix_montecarlo.random_network`) and generic columns
:math:`u_a, v_a` with standard normal entries:

* the formula is evaluated *exactly* at those numbers
  (:func:`~reports.formulas.matrix_montecarlo.formula_values`);
* the definition by central differences of the end-to-end product:
  :math:`\partial\operatorname{vec}W/\partial\operatorname{vec}W_l`
  (:func:`numerics.finite_differences.end_to_end_jacobian`), the gradient of
  :math:`u_a^\top Wv_a` in :math:`W_l` (:func:`~numerics.finite_differences.modewise_jacobian`),
  :math:`\sum_lJ_lJ_l^\top` (:func:`~numerics.finite_differences.neural_tangent_kernel`), each
  with its error bar (Richardson's estimate from the steps :math:`h` and :math:`h/2` plus a
  round-off bound);
* every entry is a two-sided z-test with the error bar in place of a standard error,
  Bonferroni-corrected over all entries of all networks and layers
  (:func:`reports.engine.verdict.numeric_check`): a correct formula fails with probability at
  most :data:`~reports.engine.verdict.FALSE_ALARM_RATE` when the difference of the
  two is a centred Gaussian error no wider than the bar (a bound here, so a false alarm is
  rarer still).  A formula off by 10 % misses by some :math:`10^{9}` error bars.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from numerics.finite_differences import (
    end_to_end_jacobian,
    modewise_jacobian,
    neural_tangent_kernel,
)
from numerics.montecarlo import Estimate
from reports.engine.verdict import Comparison, NumericCheck, numeric_check
from reports.formulas.matrix_expression import MatrixNode
from reports.formulas.matrix_montecarlo import (
    formula_values,
    numeric_network,
    random_network,
    rational_matrix,
)
from reports.formulas.matrix_quantities import MatrixNetwork, MatrixQuantity

__all__ = ["finite_difference_check", "has_finite_differences"]

_Weights = tuple[NDArray[np.float64], ...]
#: ``differentiate(weights, u, v, l)`` -> the quantity at layer ``l`` with its error bar.
_Differentiator = Callable[[_Weights, NDArray[np.float64], NDArray[np.float64], int], Estimate]

_DIFFERENTIATORS: dict[str, _Differentiator] = {
    "jacobian": lambda weights, u, v, l: end_to_end_jacobian(weights, l),
    "modewise_jacobian": lambda weights, u, v, l: modewise_jacobian(weights, u, v, l),
    "ntk": lambda weights, u, v, l: neural_tangent_kernel(weights),
}


def has_finite_differences(spec: MatrixQuantity) -> bool:
    """Whether the quantity has a finite-difference step."""
    return spec.name in _DIFFERENTIATORS


def _with_vectors(
    network: MatrixNetwork, u: NDArray[np.float64], v: NDArray[np.float64]
) -> MatrixNetwork:
    """``network`` with :math:`u_a, v_a` the given columns."""
    common = network.common | {"u_a": rational_matrix(u), "v_a": rational_matrix(v)}
    return MatrixNetwork(
        network.widths,
        network.domain,
        network.layers,
        common,
        network.derived,
        network.coordinates,
    )


def finite_difference_check(
    spec: MatrixQuantity,
    node: MatrixNode,
    *,
    seed: int = 0,
    networks: Sequence[tuple[int, ...]] | None = None,
    compared: Callable[[int, int, int], bool] | None = None,
) -> NumericCheck | None:
    """The formula ``node`` (shape-checked for ``spec``) against finite differences of the
    definition at random weights, at every network of ``networks`` (default: the quantity's)
    and every case (that ``compared(l, k, depth)`` keeps: a formula naming a numbered layer is
    compared at that layer only); ``None`` for a quantity without one.  Same seed, same
    result."""
    differentiate = _DIFFERENTIATORS.get(spec.name)
    if differentiate is None:
        return None
    rng = np.random.default_rng([seed, 27, 3])
    comparisons = []
    for widths in networks if networks is not None else spec.widths:
        weights, teacher = random_network(widths, rng)
        u = rng.standard_normal((widths[-1], 1))
        v = rng.standard_normal((widths[0], 1))
        network = _with_vectors(numeric_network(weights, teacher), u, v)
        for (l, k), value in formula_values(node, spec, network, compared).items():
            parameters: dict[str, object] = {"widths": list(widths)}
            parameters |= dict(zip("lk", (l, k)[: len(spec.indices)], strict=False))
            estimate = differentiate(weights, u, v, l)
            comparisons.append(Comparison(parameters, estimate, value))
    return numeric_check(comparisons, note="central finite differences, steps h and h/2")
