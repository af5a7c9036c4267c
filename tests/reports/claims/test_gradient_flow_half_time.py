"""``half_time``: the time a mode takes under gradient flow to grow from s0 to sigma/2.

The closed forms below are integrated by hand from the separated ODE
dt = ds / (L s^(2-2/L) (sigma - s)) (paper Eq. 2) up to s = sigma/2, not copied from the
derivations:

* L = 1: t = log((sigma - s0) / (sigma - sigma/2)) = log(2 (sigma - s0) / sigma);
* L = 2: t = log(sigma/s0 - 1) / (2 sigma)  (the paper's half time, from Eq. 3);
* L = 4: with w = s^(1/2), r = sigma^(1/2), dt = dw / (2 w^2 (r^2 - w^2)) and
  1/(w^2 (r^2 - w^2)) = (1/w^2 + 1/(r^2 - w^2)) / r^2 give
  F(w) = -1/(2 r^2 w) + log((r + w)/(r - w)) / (4 r^3), t = F(sqrt(sigma/2)) - F(sqrt(s0)).
"""

import pytest
from check_assertions import assert_proven_and_simulated, assert_refuted_and_rejected

from dlnverify.errors import InvalidParameter
from reports.formulas.engine import check
from reports.formulas.result import Verdict

#: Every test of the topic runs on one worker: its derivations (cached in-process) are
#: computed once per run (tests/README.md).
pytestmark = pytest.mark.xdist_group("gradient_flow")

HALF_L1 = "log(2*(sigma - s0)/sigma)"
HALF_L2 = "log(sigma/s0 - 1)/(2*sigma)"
_F = "(-1/(2*sigma*W) + log((sqrt(sigma) + W)/(sqrt(sigma) - W))/(4*sigma**(3/2)))"
HALF_L4 = f"{_F.replace('W', 'sqrt(sigma/2)')} - {_F.replace('W', 'sqrt(s0)')}"


@pytest.mark.parametrize(("depth", "formula"), [(1, HALF_L1), (2, HALF_L2), (4, HALF_L4)])
def test_hand_integrated_half_times_are_proven_and_match_the_simulated_flow(depth, formula):
    result = assert_proven_and_simulated("half_time", formula, at={"L": depth})
    assert all(case.parameters["L"] == depth for case in result.numeric.cases)


@pytest.mark.parametrize(
    ("depth", "wrong"),
    [
        (2, "1.1*" + HALF_L2),  # factor 1.1: the Monte Carlo power
        (2, "log(sigma/s0)/(2*sigma)"),  # the -1 dropped (the small-s0 approximation)
        (4, HALF_L4.replace("(4*sigma**(3/2))", "(2*sigma**(3/2))")),  # factor 2 in one term
    ],
)
def test_perturbed_half_times_are_refuted_and_rejected_by_the_simulated_flow(depth, wrong):
    assert_refuted_and_rejected("half_time", wrong, at={"L": depth})


def test_a_half_time_counted_in_sgd_steps_is_named_as_that_convention():
    result = check("half_time", f"({HALF_L2})/eta", at={"L": 2})
    assert result.verdict == Verdict.REFUTED
    assert result.convention == "time_in_steps"
    # the same slip in gf_time, and a wrong factor in eta is not that convention
    time_l1 = "log((sigma - s0)/(sigma - s))"
    assert check("gf_time", f"{time_l1}/eta", at={"L": 1}).convention == "time_in_steps"
    assert check("half_time", f"eta*{HALF_L2}", at={"L": 2}).convention is None


def test_a_depth_two_half_time_for_free_depth_is_refuted_and_depth_two_named():
    result = check("half_time", HALF_L2, monte_carlo=False)
    assert result.verdict == Verdict.REFUTED
    assert result.depths == (2,)


def test_half_time_is_checked_only_below_half_the_teacher():
    with pytest.raises(InvalidParameter, match="only where s0 < sigma/2"):
        check("half_time", HALF_L2, at={"s0": 0.6, "sigma": 1})
    with pytest.raises(InvalidParameter, match="depths 1-4"):
        check("half_time", HALF_L2, at={"L": 5})
