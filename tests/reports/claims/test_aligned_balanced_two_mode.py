"""``two_mode_ito_drift`` and ``two_mode_drift``: the Itô drift (and the total drift) of a
mode when a second mode is present (C7).

The formulas below are summed by hand from the coupled Itô drift
kappa sum_{d=1}^{L-1} (L - d) s^((2L-2-2d)/L) [(D^2 + sigma_eps^2) s^((L-2+2d)/L)
+ D D_b s_b^((L-2+2d)/L)], D = sigma - s, D_b = sigma_b - s_b, not copied from the
derivations:

* own part (the single-mode Eq. 6): kappa L (L-1)/2 s^(3-4/L) (2 D^2 + sigma_eps^2);
* cross part, free L: kappa D D_b s^(2-2/L) s_b^(1-2/L) q (q^L - L q + L - 1)/(1 - q)^2 with
  q = (s_b/s)^(2/L) (the derivative of the geometric series);
* cross part, L = 2: kappa D D_b s_b (one layer pair, gap d = 1).

The paper's decoupled drift (the own part alone) is refuted, and the simulator rejects it.
"""

import numpy as np
import pytest
from check_assertions import (
    assert_holds_at_one_depth_only,
    assert_proven_and_simulated,
    assert_refuted_and_rejected,
)

from dlnverify.errors import InvalidParameter
from reports.claims.aligned_balanced import simulated_ito_drift
from reports.formulas.engine import check
from reports.formulas.result import Verdict

#: Every test of the topic runs on one worker: its derivations (cached in-process) are
#: computed once per run (tests/README.md).
pytestmark = pytest.mark.xdist_group("aligned_balanced")

OWN = "kappa*L*(L-1)/2*s**(3-4/L)*(2*(sigma-s)**2+sigma_eps**2)"
_Q = "(s_b/s)**(2/L)"
CROSS = (
    f"kappa*(sigma-s)*(sigma_b-s_b)*s**(2-2/L)*s_b**(1-2/L)"
    f"*{_Q}*(({_Q})**L - L*{_Q} + L - 1)/(1-{_Q})**2"
)
TWO_MODE = f"{OWN} + {CROSS}"
TWO_MODE_L2 = "kappa*s*(2*(sigma-s)**2+sigma_eps**2) + kappa*(sigma-s)*(sigma_b-s_b)*s_b"


def test_the_hand_summed_drift_is_proven_for_free_depth_and_matches_the_simulator():
    assert_proven_and_simulated("two_mode_ito_drift", TWO_MODE)


def test_the_depth_two_drift_is_proven_at_l_2_and_named_for_free_depth():
    assert_holds_at_one_depth_only("two_mode_ito_drift", TWO_MODE_L2, 2)


@pytest.mark.parametrize(
    "wrong",
    [
        OWN,  # the paper's decoupled drift: the cross term dropped
        f"1.1*({TWO_MODE})",  # factor 1.1
        f"{OWN} + {CROSS.replace('s_b**(1-2/L)', 's_b**(2-2/L)', 1)}",  # wrong exponent
    ],
)
def test_perturbed_drifts_are_refuted_and_rejected_by_the_simulator(wrong):
    """(A factor 1.1 on the cross term alone is refuted symbolically, but the simulator sees
    it only where the cross term is a sizeable part of the drift.)"""
    assert_refuted_and_rejected("two_mode_ito_drift", wrong)


def test_the_observable_sees_the_second_mode():
    """The simulated drift of mode s moves with the other mode's gap: at s_b = sigma_b the
    cross term vanishes, at s_b = sigma_b / 2 it does not (same seed, same bases).  Each
    comparison allows 5 standard errors: a false alarm rate of 5.7e-7 per comparison."""
    point = {"s": 1.0, "sigma": 2.0, "sigma_b": 2.0, "sigma_eps": 0.5, "L": 2, "kappa": 0.0625}
    at_teacher = simulated_ito_drift({**point, "s_b": 2.0}, np.random.default_rng(3))
    learning = simulated_ito_drift({**point, "s_b": 1.0}, np.random.default_rng(3))
    # by hand: own part kappa s (2 (sigma - s)^2 + sigma_eps^2) = 0.140625; cross part
    # kappa (sigma - s)(sigma_b - s_b) s_b = 0 at the teacher, 0.0625 at s_b = 1
    for estimate, expected in ((at_teacher, 0.140625), (learning, 0.203125)):
        assert abs(float(estimate.value) - expected) < 5 * float(estimate.standard_error)
    gap = float(learning.value) - float(at_teacher.value)
    assert gap > 5 * float(np.hypot(learning.standard_error, at_teacher.standard_error))


GRADIENT = "L*s**(2-2/L)*(sigma-s)"


def test_the_total_drift_adds_the_gradient_drift_of_the_mode_alone():
    result = check("two_mode_drift", f"{GRADIENT} + {TWO_MODE}")
    assert result.symbolic == "equal", result.message
    assert result.verdict == Verdict.VERIFIED
    # the decoupled drift of Eqs. 4-6 is refuted, and the simulator rejects it
    decoupled = check("two_mode_drift", f"{GRADIENT} + {OWN}")
    assert decoupled.verdict == Verdict.REFUTED
    assert not decoupled.numeric.passed


def test_values_outside_the_domain_are_refused():
    with pytest.raises(InvalidParameter, match="s_b"):
        check("two_mode_ito_drift", TWO_MODE, at={"s_b": -1})
