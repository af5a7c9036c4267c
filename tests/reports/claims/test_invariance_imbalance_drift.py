"""``imbalance_drift`` (C14): the drift of the end-to-end imbalance a_L^2 - a_1^2 of a mode
a (s, sigma) in a network of width 2 with a second mode b (s_b, sigma_b), aligned-balanced.

Summed by hand from the per-layer noise drift of the C14 statement, not copied from the
derivations: with two coordinates, layer l gains kappa s^(2l/L) s_b^(2(L-l-1)/L)
((sigma_b - s_b)^2 + sigma_eps^2) and loses kappa s^(2(L-l)/L) s_b^(2(l-1)/L)
((sigma - s)^2 + sigma_eps^2); over l = 1..L-1 both layer sums equal
S = sum_l s^(2l/L) s_b^(2(L-1-l)/L) = s^(2/L) (s^(2-2/L) - s_b^(2-2/L)) / (s^(2/L) - s_b^(2/L))
(geometric, s_b != s), so the label noise cancels:

    drift = kappa ((sigma_b - s_b)^2 - (sigma - s)^2) S,   S = s at L = 2.
"""

import pytest
from check_assertions import (
    assert_holds_at_one_depth_only,
    assert_proven_and_simulated,
    assert_refuted_and_rejected,
)

from derivations.invariance import mode_imbalance_drift_gaps
from dlnverify.errors import InvalidParameter
from reports.formulas.engine import check

#: Every test of the topic runs on one worker: its derivations (cached in-process) are
#: computed once per run (tests/README.md).
pytestmark = pytest.mark.xdist_group("invariance")

LAYER_SUM = "s**(2/L)*(s**(2-2/L)-s_b**(2-2/L))/(s**(2/L)-s_b**(2/L))"
GAPS = "((sigma_b-s_b)**2-(sigma-s)**2)"
IMBALANCE = f"kappa*{GAPS}*{LAYER_SUM}"
IMBALANCE_L2 = f"kappa*{GAPS}*s"


def test_the_closed_form_is_the_matrix_derivation_summed_over_layers():
    assert mode_imbalance_drift_gaps() == {2: 0, 3: 0, 4: 0}


def test_the_hand_summed_drift_is_proven_for_free_depth_and_matches_the_simulator():
    assert_proven_and_simulated("imbalance_drift", IMBALANCE)


def test_the_depth_two_drift_is_proven_at_l_2_and_named_for_free_depth():
    assert_holds_at_one_depth_only("imbalance_drift", IMBALANCE_L2, 2)


@pytest.mark.parametrize(
    "wrong",
    [
        "1.1*" + IMBALANCE,  # factor 1.1: the Monte Carlo power
        "0",  # "gradient flow conserves the balance": the noise does not
        IMBALANCE.replace(GAPS, "((sigma_b-s_b)**2+sigma_eps**2-(sigma-s)**2)"),  # noise kept
    ],
)
def test_slips_are_refuted_and_rejected_by_the_simulator(wrong):
    assert_refuted_and_rejected("imbalance_drift", wrong, at={"L": 3})


def test_the_imbalance_is_checked_where_it_exists():
    with pytest.raises(InvalidParameter, match="depths 2-5"):
        check("imbalance_drift", IMBALANCE, at={"L": 1})
