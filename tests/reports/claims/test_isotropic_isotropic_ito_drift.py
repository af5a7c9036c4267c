"""``isotropic_ito_drift`` (C13): the Itô drift (T/2) tr H of a mode amplitude under isotropic
noise sqrt(T) dW.

By hand: s_a = u^T W_L ... W_1 v is linear in each layer, so the second derivative of s_a
twice in the same layer vanishes: every diagonal block of the Hessian, hence its trace, is 0,
at every depth (the paper's "proportional to the trace of the Hessian" is exactly 0).
"""

import pytest
from check_assertions import assert_proven_and_simulated, assert_refuted_and_rejected

from reports.formulas.engine import check
from reports.formulas.result import Verdict

#: Every test of the topic runs on one worker: its derivations (cached in-process) are
#: computed once per run (tests/README.md).
pytestmark = pytest.mark.xdist_group("isotropic")


def test_zero_is_proven_and_matches_the_simulated_second_order_term():
    assert_proven_and_simulated("isotropic_ito_drift", "0")
    fixed = check("isotropic_ito_drift", "0", at={"L": 5}, monte_carlo=False)
    assert fixed.verdict == Verdict.VERIFIED


@pytest.mark.parametrize(
    "wrong",
    [
        # (T/2) times a "trace" summing the off-diagonal layer blocks' magnitudes
        "T*(L-1)*s**(1-2/L)/2",
        # the Itô drift of the SGD noise's structure, with T for kappa
        "T*L*(L-1)*s**(3-4/L)/2",
    ],
)
def test_a_nonzero_isotropic_ito_drift_is_refuted_and_rejected_by_the_simulator(wrong):
    assert_refuted_and_rejected("isotropic_ito_drift", wrong, at={"L": 3})
