"""``cross_mode_drift`` (C14): the drift of the cross-mode amplitude s_ab = u_a^T W v_b on the
aligned-balanced manifold, modes a (s, sigma) and b (s_b, sigma_b).

By hand: the gap Delta = W* - W is diagonal in the teacher's bases, so the gradient part
u_a^T Theta(Delta) v_b = c Delta_ab vanishes; the Itô part pairs two output-noise entries
N_ac N_cb whose mean vanishes for a != b (label noise and data are isotropic).  The drift is
0 at every depth: alignment is kept in expectation (not pathwise: the diffusion is not 0).
"""

import pytest
from check_assertions import assert_proven_and_simulated, assert_refuted_and_rejected

from reports.formulas.engine import check
from reports.formulas.result import Verdict

#: Every test of the topic runs on one worker: its derivations (cached in-process) are
#: computed once per run (tests/README.md).
pytestmark = pytest.mark.xdist_group("invariance")


def test_zero_drift_is_proven_at_every_depth_and_matches_the_simulator():
    result = assert_proven_and_simulated("cross_mode_drift", "0")
    assert {case.parameters["L"] for case in result.numeric.cases} <= set(range(1, 7))
    fixed = check("cross_mode_drift", "0", at={"L": 4}, monte_carlo=False)
    assert fixed.verdict == Verdict.VERIFIED


@pytest.mark.parametrize(
    "wrong",
    [
        # an Itô drift borrowed from the diffusion's noise factor
        "kappa*sigma_eps**2*s*s_b",
        # a gradient part as if the gap had an off-diagonal entry (sigma - s)(sigma_b - s_b)
        "(s+s_b)*(sigma-s)*(sigma_b-s_b)/4",
    ],
)
def test_a_nonzero_cross_mode_drift_is_refuted_and_rejected_by_the_simulator(wrong):
    assert_refuted_and_rejected("cross_mode_drift", wrong, at={"L": 2})
