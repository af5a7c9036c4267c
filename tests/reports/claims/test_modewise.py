r"""Monte Carlo agreement of the modewise claims C5, C6, C7 at hypothesis-drawn points, and power.

Validity.  At every drawn point the derived closed forms are compared with estimates from the
simulator (:mod:`reports.claims.modewise`, :mod:`reports.claims.aligned_balanced`): a two-sided z-test per compared entry with the
standard error estimated from the same samples, Bonferroni over the entries of the point, so a
correct formula fails a point with probability at most
:data:`reports.engine.verdict.FALSE_ALARM_RATE` :math:`= 10^{-6}`.  No tolerance is typed in.

* C5, C6 at random (non-aligned) weights: depth 1-4, widths 1-5, any teacher rank and spectrum,
  label noise :math:`\sigma_\varepsilon = 0` or drawn, :math:`\kappa` drawn.
* C7 at aligned-balanced weights: depth 1-5, 1-3 modes, every layer at least as wide as the
  number of modes, distinct singular values, each mode learned (:math:`s_a = \sigma_a`, or
  within 1 %), not learned (:math:`s_a \le 0.3\sigma_a`), partly learned or over-learned.
  Without label noise an exactly learned mode is excluded: its diffusion is then zero and the
  simulated one is round-off (:math:`10^{-32}`), which no z-test can judge.

Power.  The same samples must reject a perturbed formula: the closed forms times 1.1, the C7
diffusion with exponent :math:`4 - 3/L` instead of :math:`4 - 4/L`, and the paper's decoupled
Itô drift where the modes couple.  A rejection is asserted only where the perturbation is
detectable: it moves some entry by more than ``threshold + 5`` standard errors.  Since the
derived formula passes (:math:`|\hat x - x| \le` threshold SE, asserted first), the
perturbed one then fails unless the estimate errs by 5 SE towards it, probability
:math:`\Phi(-5) \approx 3\cdot10^{-7}`.  Undetectable drawn points are discarded
(``assume``); explicit examples with ``must_detect=True`` assert detectability instead, so
every rejection is exercised.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pytest
import sympy as sp
from dln_strategies import SEEDS
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from derivations.aligned_balanced import aligned_diffusion, aligned_ito_drift
from derivations.conventions import L, kappa, s, sigma, sigma_eps
from numerics.teacher import random_teacher
from numerics.weights import random_weights
from reports.claims.aligned_balanced import aligned_point_comparisons
from reports.claims.modewise import ito_drift_comparison, modewise_diffusion_comparison
from reports.engine.verdict import Comparison, numeric_check

#: Every test of the topic runs on one worker: its derivations (cached in-process) are
#: computed once per run (tests/README.md).
pytestmark = pytest.mark.xdist_group("modewise")

#: Noise draws per Monte Carlo estimate.
N_SAMPLES = 100_000
#: Noise draws where a 10 % change must be visible: the diffusion (a variance) has a relative
#: standard error of about 1 % at 100_000 draws, too close to 10 % / (threshold + MARGIN).
POWER_SAMPLES = 300_000
#: Standard errors beyond the threshold by which a perturbation must move an entry to count
#: as detectable (see the module docstring).
MARGIN = 5.0

KAPPAS = st.floats(0.01, 1.0)
LABEL_NOISES = st.one_of(st.just(0.0), st.floats(0.05, 1.0))


# --------------------------------------------------------------------------------------------
# points
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RandomPoint:
    """A teacher and random weights, rebuilt from a seed (C5, C6)."""

    widths: tuple[int, ...]
    singular_values: tuple[float, ...]
    sigma_eps: float
    kappa: float
    seed: int


@dataclass(frozen=True)
class AlignedPoint:
    """Aligned-balanced weights with given mode amplitudes, rebuilt from a seed (C7)."""

    depth: int
    singular_values: tuple[float, ...]
    amplitudes: tuple[float, ...]
    width: int
    sigma_eps: float
    kappa: float
    seed: int


def _singular_values(rank: int):
    return st.lists(st.floats(0.5, 3.0), min_size=rank, max_size=rank, unique=True).map(tuple)


@st.composite
def random_points(draw, *, max_depth: int = 4, max_width: int = 5) -> RandomPoint:
    """Depth 1-max_depth, widths 1-max_width, teacher rank 1..min(n, m), spectrum in [0.5, 3]."""
    depth = draw(st.integers(1, max_depth))
    widths = tuple(
        draw(st.lists(st.integers(1, max_width), min_size=depth + 1, max_size=depth + 1))
    )
    rank = draw(st.integers(1, min(widths[0], widths[-1])))
    return RandomPoint(
        widths=widths,
        singular_values=draw(_singular_values(rank)),
        sigma_eps=draw(LABEL_NOISES),
        kappa=draw(KAPPAS),
        seed=draw(SEEDS),
    )


#: Amplitude fractions s_a / sigma_a by kind of mode.
_NOT_LEARNED = st.floats(0.01, 0.3)
_PARTLY_LEARNED = st.floats(0.3, 0.95)
_OVER_LEARNED = st.floats(1.05, 1.5)
_NEARLY_LEARNED = st.one_of(st.floats(0.99, 0.999), st.floats(1.001, 1.01))


def _fractions(sigma_eps: float):
    learned = _NEARLY_LEARNED if sigma_eps == 0 else st.one_of(st.just(1.0), _NEARLY_LEARNED)
    return st.one_of(learned, _NOT_LEARNED, _PARTLY_LEARNED, _OVER_LEARNED)


@st.composite
def aligned_points(
    draw, *, min_depth: int = 1, max_depth: int = 5, min_modes: int = 1, moving: int = 0
):
    """Depth min_depth-max_depth, min_modes-3 modes, width n_modes..n_modes+2; the first
    ``moving`` modes partly or over-learned (away from 0 and from sigma_a), the others of any
    kind."""
    depth = draw(st.integers(min_depth, max_depth))
    n_modes = draw(st.integers(min_modes, 3))
    singular_values = draw(_singular_values(n_modes))
    sigma_eps = draw(LABEL_NOISES)
    fractions = [
        draw(st.one_of(_PARTLY_LEARNED, _OVER_LEARNED) if a < moving else _fractions(sigma_eps))
        for a in range(n_modes)
    ]
    return AlignedPoint(
        depth=depth,
        singular_values=singular_values,
        amplitudes=tuple(f * v for f, v in zip(fractions, singular_values, strict=True)),
        width=draw(st.integers(n_modes, n_modes + 2)),
        sigma_eps=sigma_eps,
        kappa=draw(KAPPAS),
        seed=draw(SEEDS),
    )


# --------------------------------------------------------------------------------------------
# comparisons (deterministic in the point: the simulation is seeded by it)
# --------------------------------------------------------------------------------------------


@cache
def _random_point_comparisons(
    point: RandomPoint, n_samples: int = N_SAMPLES
) -> tuple[Comparison, Comparison]:
    """(C5, C6) comparisons at the point, independent samples."""
    rng = np.random.default_rng(point.seed)
    teacher = random_teacher(
        point.singular_values,
        shape=(point.widths[-1], point.widths[0]),
        rng=rng,
        label_noise=point.sigma_eps,
    )
    weights = random_weights(point.widths, rng=rng)
    options = {"kappa": point.kappa, "rng": rng, "n_samples": n_samples}
    return (
        modewise_diffusion_comparison(weights, teacher, **options),
        ito_drift_comparison(weights, teacher, **options),
    )


@cache
def _aligned_comparisons(point: AlignedPoint, n_samples: int = N_SAMPLES) -> dict[str, Comparison]:
    """C7 comparisons at the point by observable: gradient drift, diffusion matrix, Itô drift."""
    comparisons = aligned_point_comparisons(
        point.depth,
        point.singular_values,
        point.amplitudes,
        point.width,
        kappa=point.kappa,
        sigma_eps=point.sigma_eps,
        rng=np.random.default_rng(point.seed),
        n_samples=n_samples,
    )
    return {c.parameters["observable"]: c for c in comparisons}


def _with_closed_form(comparison: Comparison, closed_form) -> Comparison:
    return Comparison(comparison.parameters, comparison.estimate, closed_form)


def _per_mode(expr: sp.Expr, point: AlignedPoint) -> np.ndarray:
    """A single-mode expression in the conventions' symbols, evaluated at every mode."""
    common = {L: point.depth, kappa: point.kappa, sigma_eps: point.sigma_eps}
    return np.array(
        [
            float(expr.xreplace(common | {s: amplitude, sigma: singular}))
            for amplitude, singular in zip(point.amplitudes, point.singular_values, strict=True)
        ]
    )


def _typed_diffusion(exponent: sp.Expr) -> sp.Expr:
    """DESIGN.md's diffusion statement, with the power of ``s`` as a parameter."""
    return kappa * L**2 * s**exponent * (2 * (sigma - s) ** 2 + sigma_eps**2)


# --------------------------------------------------------------------------------------------
# the power assertion
# --------------------------------------------------------------------------------------------


def _largest_shift(original: list[Comparison], perturbed: list[Comparison]) -> float:
    """Largest |perturbed - derived| over the entries, in standard errors of the estimate."""
    largest = 0.0
    for before, after in zip(original, perturbed, strict=True):
        shift = np.abs(np.asarray(after.closed_form, float) - np.asarray(before.closed_form, float))
        se = np.broadcast_to(np.asarray(before.estimate.standard_error, float), shift.shape)
        for change, error in zip(shift.ravel(), se.ravel(), strict=True):
            if change > 0:
                largest = max(largest, change / error if error > 0 else np.inf)
    return largest


def _assert_rejected(
    original: list[Comparison], perturbed: list[Comparison], *, must_detect: bool
) -> None:
    """The derived formula passes and, where the perturbation is detectable, the perturbed
    one fails; ``must_detect`` asserts detectability instead of discarding the example."""
    derived = numeric_check(original)
    assert derived.passed, derived.cases
    detectable = _largest_shift(original, perturbed) > derived.threshold + MARGIN
    if must_detect:
        assert detectable, "explicit example chosen where the perturbation is visible"
    assume(detectable)
    wrong = numeric_check(perturbed)
    assert not wrong.passed, wrong.cases


# --------------------------------------------------------------------------------------------
# C5 and C6 at random weights
# --------------------------------------------------------------------------------------------

_RANDOM_EXAMPLES = (
    RandomPoint((3, 2, 4), (2.0, 1.0), 0.3, 0.1, 0),
    RandomPoint((2, 5, 1, 3, 4), (1.5,), 0.0, 0.5, 1),
)


@settings(max_examples=20)
@given(point=random_points())
@example(point=_RANDOM_EXAMPLES[0])
@example(point=_RANDOM_EXAMPLES[1])
def test_modewise_diffusion_and_ito_drift_agree_with_monte_carlo_at_random_weights(point):
    """C5 (diffusion and cross-mode diffusion) and C6 (Itô drift) at one drawn network."""
    checked = numeric_check(_random_point_comparisons(point))
    assert checked.passed, checked.cases


@pytest.mark.parametrize("index", [0, 1], ids=["C5", "C6"])
@settings(max_examples=5)
@given(point=random_points(max_depth=3, max_width=3), must_detect=st.just(False))
@example(point=_RANDOM_EXAMPLES[0], must_detect=True)
def test_random_weight_checks_reject_a_formula_off_by_ten_percent(index, point, must_detect):
    """Small networks (cheap), more samples: a 10 % change is many standard errors."""
    comparison = _random_point_comparisons(point, POWER_SAMPLES)[index]
    perturbed = _with_closed_form(comparison, 1.1 * np.asarray(comparison.closed_form))
    _assert_rejected([comparison], [perturbed], must_detect=must_detect)


# --------------------------------------------------------------------------------------------
# C7 at aligned-balanced weights
# --------------------------------------------------------------------------------------------

#: Explicit points: a learned mode with label noise, three modes at depth 5, depth 1.
_ALIGNED_EXAMPLES = (
    AlignedPoint(3, (2.5, 1.0), (2.5, 0.1), 3, 0.3, 0.1, 0),
    AlignedPoint(5, (3.0, 2.0, 0.5), (1.5, 2.4, 0.01), 5, 0.0, 1.0, 1),
    AlignedPoint(1, (1.0, 2.0), (0.5, 0.1), 2, 0.2, 0.05, 2),
)
#: Two modes half learned at depth 3, no label noise: the modes couple.
_COUPLED_EXAMPLE = AlignedPoint(3, (3.0, 2.0), (1.5, 1.0), 2, 0.0, 0.1, 3)


@settings(max_examples=20)
@given(point=aligned_points())
@example(point=_ALIGNED_EXAMPLES[0])
@example(point=_ALIGNED_EXAMPLES[1])
@example(point=_ALIGNED_EXAMPLES[2])
@example(point=_COUPLED_EXAMPLE)
def test_aligned_modes_agree_with_monte_carlo(point):
    """C7: gradient drift, diffusion matrix and coupled Itô drift of every mode."""
    checked = numeric_check(list(_aligned_comparisons(point).values()))
    assert checked.passed, checked.cases


@pytest.mark.parametrize("observable", ["gradient drift", "diffusion matrix", "Itô drift"])
@settings(max_examples=5)
@given(point=aligned_points(max_depth=3), must_detect=st.just(False))
@example(point=_ALIGNED_EXAMPLES[0], must_detect=True)
def test_aligned_check_rejects_a_formula_off_by_ten_percent(observable, point, must_detect):
    """Depth at most 3 (cheap), more samples: a 10 % change is many standard errors."""
    comparison = _aligned_comparisons(point, POWER_SAMPLES)[observable]
    perturbed = _with_closed_form(comparison, 1.1 * np.asarray(comparison.closed_form))
    _assert_rejected([comparison], [perturbed], must_detect=must_detect)


def test_typed_diffusion_statement_is_the_derived_one():
    """So that the exponent perturbation below changes exactly one thing."""
    assert sp.simplify(_typed_diffusion(4 - 4 / L) - aligned_diffusion()) == 0
    assert sp.simplify(_typed_diffusion(4 - 3 / L) - aligned_diffusion()) != 0


@settings(max_examples=6)
@given(point=aligned_points(), must_detect=st.just(False))
@example(point=_ALIGNED_EXAMPLES[0], must_detect=True)
def test_aligned_check_rejects_diffusion_exponent_four_minus_three_over_l(point, must_detect):
    comparison = _aligned_comparisons(point)["diffusion matrix"]
    wrong = np.diag(_per_mode(_typed_diffusion(4 - 3 / L), point))
    _assert_rejected([comparison], [_with_closed_form(comparison, wrong)], must_detect=must_detect)


@settings(max_examples=6)
@given(point=aligned_points(min_depth=2, min_modes=2, moving=2), must_detect=st.just(False))
@example(point=_COUPLED_EXAMPLE, must_detect=True)
def test_aligned_check_rejects_the_decoupled_ito_drift_when_modes_couple(point, must_detect):
    """Two modes away from 0 and sigma_b: the paper's single-mode Itô drift is wrong."""
    comparison = _aligned_comparisons(point)["Itô drift"]
    decoupled = _per_mode(aligned_ito_drift(), point)
    _assert_rejected(
        [comparison], [_with_closed_form(comparison, decoupled)], must_detect=must_detect
    )
