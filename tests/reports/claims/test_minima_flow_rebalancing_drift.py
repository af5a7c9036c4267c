"""``rebalancing_drift`` (C18): the drift of the end-to-end imbalance a_L^2 - a_1^2 of one mode
at the balanced teacher point of an m x n network with label noise.

By hand: between the ends every layer pair contributes P_l ||A_{l+1}||^2 = Q_l ||B_l||^2 =
sigma^(2(L-1)/L) and cancels; the first pair has ||B_1||^2 = n, the last ||A_L||^2 = m, so the
sum is kappa sigma_eps^2 (m - n) sigma^(2 - 2/L).  Slips a user might make are refuted by the
symbolic comparison and rejected by the simulator.
"""

import numpy as np
import pytest
from check_assertions import assert_proven_and_simulated, assert_refuted_and_rejected

from reports.claims.minima_flow import simulated_rebalancing_drift

#: Every test of the topic runs on one worker: its derivations (cached in-process) are
#: computed once per run (tests/README.md).
pytestmark = pytest.mark.xdist_group("minima_flow")

BY_HAND = "kappa*sigma_eps**2*(m-n)*sigma**(2-2/L)"


def test_the_hand_summed_drift_is_proven_and_matches_the_simulator():
    assert_proven_and_simulated("rebalancing_drift", BY_HAND)


@pytest.mark.parametrize(
    "wrong",
    [
        "0",  # "the noise moves the imbalance only at second order"
        "kappa*sigma_eps**2*(n-m)*sigma**(2-2/L)",  # ends swapped
        "kappa*sigma_eps**2*(m-n)*sigma**(2-1/L)",  # wrong exponent
        "2*kappa*sigma_eps**2*(m-n)*sigma**(2-2/L)",  # factor 2
    ],
)
def test_slips_are_refuted_and_rejected(wrong):
    assert_refuted_and_rejected("rebalancing_drift", wrong)


def test_the_observable_sees_the_widths():
    """L = 2, sigma = 1, sigma_eps = 0.5, kappa = 0.1: m - n = 3 - 1 gives 0.1 * 0.25 * 2 =
    0.05, m = n gives 0.  Each comparison allows 5 standard errors (false-alarm rate 5.7e-7
    per comparison)."""
    point = {"sigma": 1.0, "sigma_eps": 0.5, "L": 2, "kappa": 0.1}
    for (m, n), expected in (((3, 1), 0.05), ((2, 2), 0.0)):
        estimate = simulated_rebalancing_drift({**point, "m": m, "n": n}, np.random.default_rng(1))
        assert abs(float(estimate.value) - expected) <= 5 * float(estimate.standard_error)
