"""``cross_mode_diffusion`` (C14): the diffusion of the cross-mode amplitude
s_ab = u_a^T W v_b on the aligned-balanced manifold.

The formulas below are summed by hand, not copied from the derivations: on the manifold
u_a^T Theta(N) v_b = c N_ab with c = sum_{l=1}^L s^(2(L-l)/L) s_b^(2(l-1)/L), a geometric sum
equal to (s^2 - s_b^2)/(s^(2/L) - s_b^(2/L)) for s_b != s (s + s_b at L = 2), and
E[N_ab^2] = (sigma - s)^2 + sigma_eps^2.  The mode-a diffusion of Eq. 7 (L^2 s^(4-4/L), the
sum at s_b = s) is refuted away from s_b = s, and the simulator rejects it.
"""

import numpy as np
import pytest
from check_assertions import (
    assert_holds_at_one_depth_only,
    assert_proven_and_simulated,
    assert_refuted_and_rejected,
)

from dlnverify.errors import InvalidParameter
from reports.claims.invariance import simulated_cross_mode_diffusion
from reports.formulas.engine import check

#: Every test of the topic runs on one worker: its derivations (cached in-process) are
#: computed once per run (tests/README.md).
pytestmark = pytest.mark.xdist_group("invariance")

NOISE = "((sigma-s)**2+sigma_eps**2)"
LAYER_SUM = "(s**2-s_b**2)/(s**(2/L)-s_b**(2/L))"
CROSS = f"kappa*({LAYER_SUM})**2*{NOISE}"
CROSS_L2 = f"kappa*(s+s_b)**2*{NOISE}"


def test_the_hand_summed_diffusion_is_proven_for_free_depth_and_matches_the_simulator():
    assert_proven_and_simulated("cross_mode_diffusion", CROSS)


def test_the_depth_two_diffusion_is_proven_at_l_2_and_named_for_free_depth():
    assert_holds_at_one_depth_only("cross_mode_diffusion", CROSS_L2, 2)


@pytest.mark.parametrize(
    "wrong",
    [
        f"1.1*{CROSS}",  # factor 1.1
        CROSS.replace("s_b**(2/L)", "s_b**(1/L)"),  # wrong exponent
        f"kappa*({LAYER_SUM})**2*(sigma-s)**2",  # label noise dropped
        f"kappa*L**2*s**(4-4/L)*{NOISE}",  # the layer sum of mode a alone (Eq. 7's)
    ],
)
def test_perturbed_diffusions_are_refuted_and_rejected_by_the_simulator(wrong):
    assert_refuted_and_rejected("cross_mode_diffusion", wrong)


def test_the_observable_sees_both_modes_and_not_sigma_b():
    """Against the L = 2 value by hand, kappa (s + s_b)^2 ((sigma - s)^2 + sigma_eps^2), at two
    seeds (two draws of the second mode's teacher value sigma_b, which must not matter) and two
    amplitudes s_b.  Each comparison allows 5 standard errors: a false-alarm rate of 5.7e-7
    per comparison."""
    point = {"s": 1.0, "sigma": 2.0, "sigma_eps": 0.5, "L": 2, "kappa": 0.0625}
    for s_b, expected in ((0.5, 0.0625 * 2.25 * 1.25), (2.0, 0.0625 * 9.0 * 1.25)):
        for seed in (3, 4):
            estimate = simulated_cross_mode_diffusion(
                {**point, "s_b": s_b}, np.random.default_rng(seed)
            )
            assert abs(float(estimate.value) - expected) < 5 * float(estimate.standard_error)


def test_values_outside_the_domain_are_refused():
    """A negative second amplitude is outside the domain; ``s_b = 0`` (a second mode still at
    0) is its boundary, allowed (issue 26; ``test_boundary_second_mode.py``)."""
    with pytest.raises(InvalidParameter, match="s_b must be >= 0"):
        check("cross_mode_diffusion", CROSS, at={"s_b": -1})
