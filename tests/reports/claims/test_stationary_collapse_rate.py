"""``collapse_rate`` (C11): the rate lambda = -d/dt E log|sigma - s_t| at which a mode without
label noise collapses onto its teacher value.

The formulas below are worked out by hand, not copied from the derivations.  Near sigma the
gap x = sigma - s obeys dx = -a x dt + b x dW with a = L sigma^(2-2/L) (the slope of Eq. 5;
Eq. 6 is quadratic in the gap without label noise) and b^2 = D''(sigma)/2 =
2 kappa L^2 sigma^(4-4/L) (Eq. 7), and Itô's formula for log x gives lambda = a + b^2/2.
Forgetting the Itô correction (lambda = a), taking it with the wrong sign, a factor 1.1 and a
wrong exponent are refuted and rejected by the simulator.
"""

import numpy as np
import pytest
from check_assertions import assert_proven_and_simulated, assert_refuted_and_rejected
from dln_strategies import check_points
from hypothesis import given, settings

from dlnverify.errors import InvalidParameter
from reports.claims.stationary import simulated_collapse_rate
from reports.formulas.engine import check

#: Every test of the topic runs on one worker: its derivations (cached in-process) are
#: computed once per run (tests/README.md).
pytestmark = pytest.mark.xdist_group("stationary")

SLOPE = "L*sigma**(2-2/L)"
NOISE = "kappa*L**2*sigma**(4-4/L)"
RATE = f"{SLOPE} + {NOISE}"


def test_the_hand_derived_rate_is_proven_for_free_depth_and_matches_the_simulator():
    assert_proven_and_simulated("collapse_rate", RATE)


def test_a_fixed_depth_form_is_proven_there():
    result = assert_proven_and_simulated("collapse_rate", "2*sigma + 4*kappa*sigma**2", at={"L": 2})
    assert all(case.parameters["L"] == 2 for case in result.numeric.cases)


@pytest.mark.parametrize(
    "wrong",
    [
        f"1.1*({RATE})",  # factor 1.1
        SLOPE,  # the Itô correction b^2/2 dropped: the deterministic rate
        f"{SLOPE} - {NOISE}",  # the correction with the sign of the drift
        f"{SLOPE} + 2*{NOISE}",  # b^2 instead of b^2/2
        f"L*sigma**(2-1/L) + {NOISE}",  # wrong exponent
    ],
)
def test_perturbed_rates_are_refuted_and_rejected_by_the_simulator(wrong):
    assert_refuted_and_rejected("collapse_rate", wrong)


def test_the_noise_convention_is_named():
    """Written with D as half the variance rate the Itô correction halves."""
    result = check("collapse_rate", f"{SLOPE} + {NOISE}/2", monte_carlo=False)
    assert result.convention == "half_variance_rate"


@pytest.mark.parametrize(
    ("depth", "sigma", "kappa", "expected"),
    [
        # L = 1: the gap follows exactly the geometric Brownian motion
        # dx = -x dt + sqrt(2 kappa) x dW, rate 1 + kappa for every sigma
        (1, 0.8, 0.05, 1.05),
        (1, 1.7, 0.02, 1.02),
        # L = 2: a = 2 sigma, b^2 = 8 kappa sigma^2
        (2, 1.0, 0.05, 2.0 + 0.2),
        (2, 1.5, 0.01, 3.0 + 4 * 0.01 * 2.25),
    ],
)
def test_the_observable_against_hand_values(depth, sigma, kappa, expected):
    """Five standard errors per comparison: a false-alarm rate of 5.7e-7 each."""
    estimate = simulated_collapse_rate(
        {"sigma": sigma, "L": depth, "kappa": kappa}, np.random.default_rng(7)
    )
    assert abs(estimate.value - expected) < 5 * estimate.standard_error
    # and it resolves the Itô correction: the deterministic rate is far outside
    deterministic = depth * sigma ** (2 - 2 / depth)
    assert abs(estimate.value - deterministic) > 5 * estimate.standard_error


def test_label_noise_is_not_a_parameter():
    with pytest.raises(InvalidParameter, match="sigma_eps"):
        check("collapse_rate", RATE, at={"sigma_eps": 0.1})


@settings(max_examples=5)
@given(point=check_points("sigma", "L", "kappa"))
def test_the_observable_at_drawn_points(point):
    """The hand rate at hypothesis-drawn points of the range ``check`` draws from, within 5
    standard errors (false-alarm rate 5.7e-7 per example)."""
    depth, sigma, kappa = point["L"], point["sigma"], point["kappa"]
    expected = depth * sigma ** (2 - 2 / depth) + kappa * depth**2 * sigma ** (4 - 4 / depth)
    estimate = simulated_collapse_rate(point, np.random.default_rng(depth))
    assert abs(estimate.value - expected) < 5 * estimate.standard_error
