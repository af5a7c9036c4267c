"""``population_loss``: E 1/2||y - Wx||^2 at an aligned point with two modes (C1, C7).

By hand: y - Wx = (W* - W) x + eps with x ~ N(0, I) and eps ~ N(0, sigma_eps^2 I_m)
independent, so E 1/2||y - Wx||^2 = 1/2||W* - W||_F^2 + m sigma_eps^2 / 2, and at the aligned
point W* - W = (sigma - s) u v^T + (sigma_b - s_b) u_b v_b^T, whose squared norm is
(sigma - s)^2 + (sigma_b - s_b)^2.
"""

import pytest
from check_assertions import assert_proven_and_simulated, assert_refuted_and_rejected

from dlnverify.errors import InvalidParameter
from reports.formulas.engine import check
from reports.formulas.result import Verdict

#: Every test of the topic runs on one worker: its derivations (cached in-process) are
#: computed once per run (tests/README.md).
pytestmark = pytest.mark.xdist_group("aligned_balanced")

LOSS = "((sigma-s)**2 + (sigma_b-s_b)**2 + m*sigma_eps**2)/2"


def test_the_hand_computed_loss_is_proven_and_matches_sampled_data():
    assert_proven_and_simulated("population_loss", LOSS)


def test_the_latex_loss_of_a_paper_is_verified():
    latex = r"\mathcal{L} = \tfrac12(\sigma-s)^2 + \tfrac12(\sigma_b - s_b)^2 + \frac{m}{2}\sigma_\varepsilon^2"
    result = check("population_loss", latex, syntax="latex", monte_carlo=False)
    assert result.verdict == Verdict.VERIFIED, result.message


@pytest.mark.parametrize(
    "wrong",
    [
        "1.1*" + LOSS,  # factor 1.1: the Monte Carlo power
        "((sigma-s)**2 + (sigma_b-s_b)**2)/2",  # label noise missing
        "((sigma-s)**2 + (sigma_b-s_b)**2 + sigma_eps**2)/2",  # label noise of one output
    ],
)
def test_slips_are_refuted_and_rejected_by_sampled_data(wrong):
    assert_refuted_and_rejected("population_loss", wrong)


@pytest.mark.parametrize(
    ("wrong", "convention"),
    [
        ("2*" + LOSS, "loss_without_half"),  # ||y - Wx||^2 without the 1/2
        (f"2*{LOSS}/m", "mse_mean_over_outputs"),  # PyTorch MSELoss
    ],
)
def test_a_loss_in_another_convention_is_named(wrong, convention):
    result = check("population_loss", wrong, monte_carlo=False)
    assert result.verdict == Verdict.REFUTED
    assert result.convention == convention


def test_two_modes_need_two_outputs():
    with pytest.raises(InvalidParameter, match="only where m >= 2"):
        check("population_loss", LOSS, at={"m": 1})
