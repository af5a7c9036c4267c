"""``network_mean``: the first-order stationary mean of the mode of a rank-one teacher in an
m x n network (hidden width 1, balanced start), label noise (C17).

The formula below is summed by hand from C17's statement, not copied from the derivations:
every null output or input direction k adds g(sigma, 0) = (1/L) sum_l (l-1) sigma^((2l-L-2)/L)
0^(2(L-l)/L), of which only l = L survives: (L-1)/L sigma^(1-2/L); with the mode's own term
(L-1) sigma^(1-2/L) (C12) and m - 1 + n - 1 null directions,

    E s = sigma - kappa sigma_eps^2 / 2 * (L-1) sigma^(1-2/L) (1 + (m + n - 2)/L).

At L = 2 it is sigma - kappa sigma_eps^2 (m + n)/4, and at m = n = 1 C12's Eq. 17 (the
network is the mode).
"""

import pytest
from check_assertions import assert_proven_and_simulated

from derivations.network_mean import rank_one_mean_gaps
from dlnverify.errors import InvalidParameter
from reports.formulas.engine import check
from reports.formulas.result import Verdict

#: Every test of the topic runs on one worker: its derivations (cached in-process) are
#: computed once per run (tests/README.md).
pytestmark = pytest.mark.xdist_group("network_mean")

SELF = "(L-1)*sigma**(1-2/L)"
NETWORK_MEAN = f"sigma - kappa*sigma_eps**2/2*{SELF}*(1 + (m + n - 2)/L)"
#: C12's single-mode mean (Eq. 17 as derived): the width ignored.
SINGLE_MODE = f"sigma - kappa*sigma_eps**2/2*{SELF}"


def test_the_closed_form_is_the_linear_response_at_concrete_depths_and_widths():
    gaps = rank_one_mean_gaps()
    assert len(gaps) == 8
    assert all(gap == 0 for gap in gaps.values()), gaps


def test_the_hand_summed_mean_is_proven_and_matches_simulated_networks():
    result = assert_proven_and_simulated("network_mean", NETWORK_MEAN)
    # the simulated networks are not single modes: the widths were drawn
    assert any(case.parameters["m"] + case.parameters["n"] > 2 for case in result.numeric.cases)


def test_the_depth_two_form_is_proven_at_depth_two_only():
    result = check(
        "network_mean", "sigma - kappa*sigma_eps**2*(m + n)/4", at={"L": 2}, monte_carlo=False
    )
    assert result.verdict == Verdict.VERIFIED, result.message
    free = check("network_mean", "sigma - kappa*sigma_eps**2*(m + n)/4", monte_carlo=False)
    assert free.verdict == Verdict.REFUTED
    assert free.depths == (2,)


def test_the_single_mode_mean_holds_for_a_single_mode_and_is_rejected_for_a_network():
    # at m = n = 1 the network is the mode (a boundary of the widths that is allowed)
    single = check("network_mean", SINGLE_MODE, at={"m": 1, "n": 1}, monte_carlo=False)
    assert single.verdict == Verdict.VERIFIED, single.message
    # in a wider network the width moves the mean at first order: the simulator sees it
    wide = check("network_mean", SINGLE_MODE, at={"m": 4, "n": 3, "L": 2}, n_points=1)
    assert wide.verdict == Verdict.REFUTED
    assert not wide.numeric.passed
    assert "differ at order kappa^1" in wide.message


def test_a_formula_off_by_ten_percent_is_rejected_by_the_simulator():
    result = check("network_mean", "1.1*(" + NETWORK_MEAN + ")", n_points=1)
    assert result.verdict == Verdict.REFUTED
    assert not result.numeric.passed


@pytest.mark.parametrize(
    ("wrong", "reason"),
    [
        (NETWORK_MEAN.replace("(m + n - 2)", "(m*n - 1)"), "differ at order kappa^1"),
        # eta for kappa: a shift of order kappa^0 (the learning rate stays fixed as kappa -> 0)
        (NETWORK_MEAN.replace("kappa*", "eta*"), "differ at order kappa^0"),
        (NETWORK_MEAN.replace("sigma - ", "sigma + ", 1), "differ at order kappa^1"),
        (
            NETWORK_MEAN + " + kappa**2*sigma",
            "terms of order kappa^2 and beyond that the derivation does not give",
        ),
    ],
)
def test_realistic_slips_are_refuted_with_the_reason(wrong, reason):
    result = check("network_mean", wrong, monte_carlo=False)
    assert result.verdict == Verdict.REFUTED
    assert reason in result.message, result.message


def test_network_mean_needs_label_noise():
    with pytest.raises(InvalidParameter, match=r"only where sigma_eps >= 0\.1 sigma"):
        check("network_mean", NETWORK_MEAN, at={"sigma_eps": 0})
