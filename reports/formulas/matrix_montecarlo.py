r"""The Monte Carlo step of a matrix check: a formula against the simulator at random weights.

The exact step (:mod:`reports.formulas.matrix_check`) compares a formula with the derivation;
this one compares it with what the simulator of :mod:`numerics` measures, so that a derivation
and a formula that agreed by a shared mistake would still be caught.  At every network of the
quantity, with weights, teacher and label-noise covariance drawn from the seed:

* the formula is evaluated *exactly* at those numbers (each float64 is a rational), by the
  same evaluator as the exact step (:func:`~reports.formulas.matrix_evaluation.matrix_value`);
* the simulator estimates the quantity from fresh data, with its standard error:
  ``gradient`` — the mean of the per-sample gradients
  (:func:`numerics.network.per_sample_gradients`); ``noise_covariance`` — the covariance of
  their column-major ``vec`` stacked over the layers, block :math:`(l, k)`
  (:func:`numerics.montecarlo.covariance_estimate`); ``mode_diffusion_general`` —
  :math:`\kappa` times the variance of :math:`\langle\nabla s_1, \xi\rangle` for the teacher's
  first mode (:func:`numerics.observables.modewise_diffusion_samples`, empirical SGD noise);
  ``cross_mode_diffusion_general`` — :math:`\kappa` times the covariance of
  :math:`\langle\nabla s_1, \xi\rangle` and :math:`\langle\nabla s_2, \xi\rangle`, the
  same noise draws projected on the modewise Jacobians of the teacher's first two modes
  (:func:`numerics.montecarlo.covariance_estimate`, entry :math:`(1, 2)`);
* every entry is a two-sided z-test, Bonferroni-corrected over all entries of all networks
  and layers, so that a correct formula fails with probability at most
  :data:`~reports.engine.verdict.FALSE_ALARM_RATE` (:func:`reports.engine.verdict.numeric_check`).

``jacobian``, ``modewise_jacobian`` and ``ntk`` are deterministic functions of the weights,
with nothing to simulate: they have no Monte Carlo step (:func:`monte_carlo_check` returns
``None``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from fractions import Fraction

import numpy as np
import sympy as sp
from numpy.typing import NDArray
from sympy.polys.matrices import DomainMatrix

from numerics.data import sample_data
from numerics.montecarlo import Estimate, covariance_estimate, mean_estimate, variance_estimate
from numerics.network import end_to_end, per_sample_gradients
from numerics.observables import modewise_diffusion_samples
from numerics.teacher import Teacher, random_orthogonal
from reports.engine.verdict import Comparison, NumericCheck, numeric_check, scaled_estimate
from reports.formulas.matrix_evaluation import matrix_value
from reports.formulas.matrix_expression import MatrixNode
from reports.formulas.matrix_quantities import MatrixNetwork, MatrixQuantity

__all__ = [
    "KAPPA",
    "N_SAMPLES",
    "formula_values",
    "has_simulator",
    "monte_carlo_check",
    "numeric_network",
    "random_network",
    "rational_matrix",
]

#: Data samples per network.
N_SAMPLES = 100_000
#: Data samples per network of the quantities whose value is small against its standard
#: error at :data:`N_SAMPLES` (a cross-mode covariance: four times as many, so that a formula
#: 1.1 times the right one is rejected).
_QUANTITY_SAMPLES = {"cross_mode_diffusion_general": 4 * N_SAMPLES}
#: The value of :math:`\kappa` the diffusion is simulated at.
KAPPA = 0.5

_Weights = tuple[NDArray[np.float64], ...]
#: ``simulate(weights, teacher, cases, n_samples, rng)`` -> an estimate per case ``(l, k)``.
_Simulator = Callable[
    [_Weights, Teacher, Sequence[tuple[int, int]], int, np.random.Generator],
    dict[tuple[int, int], Estimate],
]


def random_network(widths: tuple[int, ...], rng: np.random.Generator) -> tuple[_Weights, Teacher]:
    r"""Weights with entries :math:`N(0, 1/h_{l-1})`, and a teacher of full rank with
    singular values in :math:`[0.5, 2]`, Haar-random singular bases and a general (not
    isotropic) label-noise covariance :math:`GG^\top/m + I/4`."""
    weights = tuple(
        rng.standard_normal((rows, cols)) / np.sqrt(cols)
        for cols, rows in itertools.pairwise(widths)
    )
    m, n = widths[-1], widths[0]
    root = rng.standard_normal((m, m))
    teacher = Teacher(
        random_orthogonal(m, rng=rng),
        rng.uniform(0.5, 2.0, min(m, n)),
        random_orthogonal(n, rng=rng),
        root @ root.T / m + np.eye(m) / 4,
    )
    return weights, teacher


def rational_matrix(matrix: NDArray[np.float64]) -> DomainMatrix:
    """A float matrix as the exact rationals it holds."""
    rows = [[sp.QQ(*float(x).as_integer_ratio()) for x in row] for row in np.atleast_2d(matrix)]
    return DomainMatrix(rows, (len(rows), len(rows[0])), sp.QQ)


def numeric_network(weights: _Weights, teacher: Teacher) -> MatrixNetwork:
    """The names' values at these numbers, over the rationals (``derived`` unused)."""
    layers = tuple(rational_matrix(W) for W in weights)
    W, teacher_matrix = end_to_end(weights), teacher.matrix
    gap = rational_matrix(teacher_matrix) - rational_matrix(W)
    common = {
        "W": rational_matrix(W),
        "Wstar": rational_matrix(teacher_matrix),
        "Delta": gap,
        "Sigma_eps": rational_matrix(teacher.label_noise_cov),
        "u_a": rational_matrix(teacher.left_vectors[:, :1]),
        "v_a": rational_matrix(teacher.right_vectors[:, :1]),
        "u_b": rational_matrix(teacher.left_vectors[:, 1:2]),
        "v_b": rational_matrix(teacher.right_vectors[:, 1:2]),
        "kappa": rational_matrix(np.array([[KAPPA]])),
    }
    widths = (weights[0].shape[1], *(W_l.shape[0] for W_l in weights))
    return MatrixNetwork(widths, sp.QQ, layers, common, _no_derivation, {})


def _no_derivation(l: int, k: int) -> DomainMatrix:
    raise AssertionError("a numeric network has no derived value")


def formula_values(
    node: MatrixNode,
    spec: MatrixQuantity,
    network: MatrixNetwork,
    compared: Callable[[int, int, int], bool] | None = None,
) -> dict[tuple[int, int], NDArray[np.float64]]:
    """The formula at every case of the network (that ``compared(l, k, depth)`` keeps), as
    floats (exact until the last step)."""
    widths = network.widths
    out = {}
    for l, k in spec.cases(widths):
        if compared is not None and not compared(l, k, len(widths) - 1):
            continue
        size = network.dimension(spec.shape.rows, l, k)
        value = matrix_value(
            node, network.values(l, k), sp.QQ, size=size, layers=network.layer_values
        )
        out[(l, k)] = np.array(
            [
                [float(Fraction(int(x.numerator), int(x.denominator))) for x in row]
                for row in value.to_list()
            ]
        )
    return out


def _per_sample_gradients(
    weights: _Weights, teacher: Teacher, n_samples: int, rng: np.random.Generator
) -> _Weights:
    x, y = sample_data(teacher, n_samples, rng=rng)
    return per_sample_gradients(weights, x, y)


def _gradient(weights, teacher, cases, n_samples, rng):  # type: ignore[no-untyped-def]
    gradients = _per_sample_gradients(weights, teacher, n_samples, rng)
    return {(l, k): mean_estimate(gradients[l - 1]) for l, k in cases}


def _noise_covariance(weights, teacher, cases, n_samples, rng):  # type: ignore[no-untyped-def]
    gradients = _per_sample_gradients(weights, teacher, n_samples, rng)
    # column-major vec of each sample's gradient, layers side by side
    flat = [np.swapaxes(G, -1, -2).reshape(n_samples, -1) for G in gradients]
    starts = np.cumsum([0, *(block.shape[1] for block in flat)])
    covariance = covariance_estimate(np.concatenate(flat, axis=1))
    out = {}
    for l, k in cases:
        rows, cols = slice(starts[l - 1], starts[l]), slice(starts[k - 1], starts[k])
        out[(l, k)] = Estimate(
            covariance.value[rows, cols], covariance.standard_error[rows, cols], n_samples
        )
    return out


def _mode_diffusion(weights, teacher, cases, n_samples, rng):  # type: ignore[no-untyped-def]
    samples = modewise_diffusion_samples(weights, teacher, n_samples=n_samples, rng=rng, n_modes=1)
    variance = variance_estimate(samples[:, 0])
    return {case: scaled_estimate(variance, KAPPA) for case in cases}


def _cross_mode_diffusion(weights, teacher, cases, n_samples, rng):  # type: ignore[no-untyped-def]
    samples = modewise_diffusion_samples(weights, teacher, n_samples=n_samples, rng=rng, n_modes=2)
    covariance = covariance_estimate(samples)
    entry = Estimate(covariance.value[0, 1], covariance.standard_error[0, 1], n_samples)
    return {case: scaled_estimate(entry, KAPPA) for case in cases}


_SIMULATORS: dict[str, _Simulator] = {
    "gradient": _gradient,
    "noise_covariance": _noise_covariance,
    "mode_diffusion_general": _mode_diffusion,
    "cross_mode_diffusion_general": _cross_mode_diffusion,
}


def has_simulator(spec: MatrixQuantity) -> bool:
    """Whether the quantity has a Monte Carlo step."""
    return spec.name in _SIMULATORS


def monte_carlo_check(
    spec: MatrixQuantity,
    node: MatrixNode,
    *,
    seed: int = 0,
    n_samples: int | None = None,
    networks: Sequence[tuple[int, ...]] | None = None,
    compared: Callable[[int, int, int], bool] | None = None,
) -> NumericCheck | None:
    """The formula ``node`` (shape-checked for ``spec``) against the simulator at random
    weights, at every network of ``networks`` (default: the quantity's) and every case
    (that ``compared(l, k, depth)`` keeps: a formula naming a numbered layer is compared at
    that layer only), with ``n_samples`` data samples per network (default :data:`N_SAMPLES`,
    more for a cross-mode covariance); ``None`` for a quantity without a simulator.  Same seed, same
    result."""
    simulate = _SIMULATORS.get(spec.name)
    if simulate is None:
        return None
    if n_samples is None:
        n_samples = _QUANTITY_SAMPLES.get(spec.name, N_SAMPLES)
    rng = np.random.default_rng([seed, 27])
    comparisons = []
    for widths in networks if networks is not None else spec.widths:
        weights, teacher = random_network(widths, rng)
        network = numeric_network(weights, teacher)
        formula = formula_values(node, spec, network, compared)
        estimates = simulate(weights, teacher, list(formula), n_samples, rng)
        for (l, k), value in formula.items():
            parameters: dict[str, object] = {"widths": list(widths)}
            parameters |= dict(zip("lk", (l, k)[: len(spec.indices)], strict=False))
            comparisons.append(Comparison(parameters, estimates[(l, k)], value))
    return numeric_check(comparisons)
