"""``singularity_exponent`` (C11): the power beta of p(s) ~ |sigma - s|^beta, the stationary
density of a mode without label noise, at s = sigma.

Worked out by hand, not copied from the derivations.  Near sigma, x = s - sigma, the drift is
-a x with a = L sigma^(2-2/L) (Eq. 5; Eq. 6 is O(x^2) without label noise) and the diffusion
is D = 2 kappa a^2 x^2 (Eq. 7), so int 2 mu / D = -log|x| / (kappa a) and the factor D^-1
adds -2: beta = -2 - 1/(kappa L sigma^(2-2/L)) (paper Prop. 5.2(i)).  Forgetting the D^-1,
taking b^2 for b^2/2, a factor 1.1 and a wrong exponent of sigma are refuted and rejected by
the quadrature.
"""

import numpy as np
import pytest
from check_assertions import assert_proven_and_simulated, assert_refuted_and_rejected
from dln_strategies import check_points
from hypothesis import given, settings

from reports.claims.stationary import simulated_singularity_exponent

#: Every test of the topic runs on one worker: its derivations (cached in-process) are
#: computed once per run (tests/README.md).
pytestmark = pytest.mark.xdist_group("stationary")

GRADIENT = "1/(kappa*L*sigma**(2-2/L))"
BETA = f"-2 - {GRADIENT}"


def test_the_paper_exponent_is_proven_and_matches_the_quadrature():
    assert_proven_and_simulated("singularity_exponent", BETA)


@pytest.mark.parametrize(
    "wrong",
    [
        f"-1 - {GRADIENT}",  # the D^-1 prefactor forgotten
        f"-2 - 2*{GRADIENT}",  # 2 mu / D with D written as half the variance rate
        f"1.1*({BETA})",  # factor 1.1
        "-2 - 1/(kappa*L*sigma**(2-1/L))",  # wrong exponent of sigma
    ],
)
def test_perturbed_exponents_are_refuted_and_rejected_by_the_quadrature(wrong):
    assert_refuted_and_rejected("singularity_exponent", wrong)


@pytest.mark.parametrize(
    ("depth", "sigma", "kappa"),
    [(1, 0.7, 0.05), (2, 1.0, 0.01), (3, 1.6, 0.1), (5, 0.6, 0.003)],
)
def test_the_observable_against_hand_values(depth, sigma, kappa):
    """Within 5 of the observable's error bars (the Richardson difference in the distance
    from sigma, a bound on the O(x^2) remainder), which are fine enough for a shift of 1."""
    expected = -2 - 1 / (kappa * depth * sigma ** (2 - 2 / depth))
    point = {"sigma": sigma, "L": depth, "kappa": kappa}
    estimate = simulated_singularity_exponent(point, np.random.default_rng(0))
    assert abs(estimate.value - expected) <= 5 * estimate.standard_error
    assert estimate.standard_error < 0.1


@settings(max_examples=10)
@given(point=check_points("sigma", "L", "kappa"))
def test_the_observable_at_drawn_points(point):
    """The hand exponent at hypothesis-drawn points of the range ``check`` draws from."""
    depth, sigma, kappa = point["L"], point["sigma"], point["kappa"]
    expected = -2 - 1 / (kappa * depth * sigma ** (2 - 2 / depth))
    estimate = simulated_singularity_exponent(point, np.random.default_rng(0))
    assert abs(estimate.value - expected) <= 5 * estimate.standard_error
    assert estimate.standard_error < 1e-3 * abs(expected)
