"""``stationary_mode`` (C12): the maximiser of the stationary density of a mode with label
noise, to first order in kappa.

Worked out by hand, not copied from the derivations.  The density p ~ D^-1 exp(int 2 mu / D)
peaks where 2 mu = D'.  With x = s - sigma, at s = sigma: the gradient drift is -a x,
a = L sigma^(2-2/L) (Eq. 5); the Itô drift (Eq. 6) is kappa L (L-1)/2 sigma^(3-4/L) sigma_eps^2;
D' (Eq. 7) is 4 kappa L (L-1) sigma^(3-4/L) sigma_eps^2.  So -2 a x = 3 kappa L (L-1)
sigma^(3-4/L) sigma_eps^2 and the mode is sigma - 3 kappa (L-1) sigma^(1-2/L) sigma_eps^2 / 2,
three times as far below sigma as the mean.  The mean, the paper's shift (the zero of the
drift, above sigma), the mode without the Itô drift, a factor 1.1 on the shift and a wrong
exponent are refuted and rejected by the quadrature.
"""

import numpy as np
import pytest
from check_assertions import assert_proven_and_simulated, assert_refuted_and_rejected
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.claims.stationary import simulated_stationary_mode

#: Every test of the topic runs on one worker: its derivations (cached in-process) are
#: computed once per run (tests/README.md).
pytestmark = pytest.mark.xdist_group("stationary")

SHIFT = "kappa*(L-1)*sigma**(1-2/L)*sigma_eps**2/2"
MODE = f"sigma - 3*{SHIFT}"


def test_the_hand_derived_mode_is_proven_and_matches_the_quadrature():
    assert_proven_and_simulated("stationary_mode", MODE)


@pytest.mark.parametrize(
    "wrong",
    [
        f"sigma - {SHIFT}",  # the mean, not the mode
        f"sigma + {SHIFT}",  # the paper's mean: the zero of the drift
        f"sigma - 4*{SHIFT}",  # the Itô drift dropped: 2 mu = D' with mu the gradient drift
        f"sigma - 3.3*{SHIFT}",  # the shift x 1.1
        MODE.replace("1-2/L", "2-2/L"),  # wrong exponent
    ],
)
def test_perturbed_modes_are_refuted_and_rejected_by_the_quadrature(wrong):
    assert_refuted_and_rejected("stationary_mode", wrong)


@pytest.mark.parametrize(
    ("depth", "sigma", "sigma_eps"),
    [(1, 1.2, 0.4), (2, 1.0, 0.5), (3, 1.5, 0.3)],
)
def test_the_observable_against_hand_values(depth, sigma, sigma_eps):
    """sigma - 3 kappa (L-1) sigma^(1-2/L) sigma_eps^2 / 2 by hand (sigma at L = 1, where the
    density is symmetric about sigma), within 5 of the observable's error bars (the
    Richardson difference, a bound on the O(kappa_0^2) remainder, not a random error)."""
    kappa = 0.02
    expected = sigma - 1.5 * kappa * (depth - 1) * sigma ** (1 - 2 / depth) * sigma_eps**2
    point = {"sigma": sigma, "sigma_eps": sigma_eps, "L": depth, "kappa": kappa}
    estimate = simulated_stationary_mode(point, np.random.default_rng(0))
    assert abs(estimate.value - expected) <= 5 * estimate.standard_error
    # fine enough to tell a shift off by 10 % apart at 5 error bars
    assert estimate.standard_error < 0.02 * abs(expected - sigma) + 1e-6 * kappa


@settings(max_examples=5)
@given(
    depth=st.integers(1, 6),
    sigma=st.floats(0.5, 2.0),
    ratio=st.floats(0.1, 0.25),
    kappa=st.floats(0.001, 0.1),
)
def test_the_observable_at_drawn_points(depth, sigma, ratio, kappa):
    """The hand mode at hypothesis-drawn points of the range ``check`` draws from
    (sigma_eps >= 0.1 sigma, its domain; sigma_eps <= 0.5)."""
    sigma_eps = ratio * sigma
    expected = sigma - 1.5 * kappa * (depth - 1) * sigma ** (1 - 2 / depth) * sigma_eps**2
    point = {"sigma": sigma, "sigma_eps": sigma_eps, "L": depth, "kappa": kappa}
    estimate = simulated_stationary_mode(point, np.random.default_rng(0))
    assert abs(estimate.value - expected) <= 5 * estimate.standard_error
