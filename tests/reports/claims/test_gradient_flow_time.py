"""``gf_time``: the time a mode takes under gradient flow to grow from s0 to s, any depth.

The closed forms below are integrated by hand from the separated ODE
dt = ds / (L s^(2-2/L) (sigma - s)) (paper Eq. 2), not copied from the derivations:

* L = 1: t = log((sigma - s0) / (sigma - s));
* L = 2: t = log(s (sigma - s0) / (s0 (sigma - s))) / (2 sigma)  (the inverse of Eq. 3);
* L = 3: with w = s^(1/3), r = sigma^(1/3), dt = dw / (w^2 (r^3 - w^3)) and partial
  fractions give F(w) = -1/(r^3 w) + (-log(r - w)/3 + log(w^2 + r w + r^2)/6
  - atan((2w + r)/(sqrt(3) r))/sqrt(3)) / r^4, t = F(s^(1/3)) - F(s0^(1/3)).
"""

import pytest

from dlnverify.errors import InvalidParameter
from reports.formulas.engine import check
from reports.formulas.result import Verdict

#: Every test of the topic runs on one worker: its derivations (cached in-process) are
#: computed once per run (tests/README.md).
pytestmark = pytest.mark.xdist_group("gradient_flow")

TIME_L1 = "log((sigma - s0)/(sigma - s))"
TIME_L2 = "log(s*(sigma - s0)/(s0*(sigma - s)))/(2*sigma)"
_F = (
    "(-1/(sigma*W) + (-log(sigma**(1/3) - W)/3 + log(W**2 + sigma**(1/3)*W + sigma**(2/3))/6"
    " - atan((2*W + sigma**(1/3))/(sqrt(3)*sigma**(1/3)))/sqrt(3))/sigma**(4/3))"
)
TIME_L3 = f"{_F.replace('W', '(s**(1/3))')} - {_F.replace('W', '(s0**(1/3))')}"


@pytest.mark.parametrize(("depth", "formula"), [(1, TIME_L1), (2, TIME_L2), (3, TIME_L3)])
def test_hand_integrated_times_are_proven_and_match_the_simulated_flow(depth, formula):
    result = check("gf_time", formula, at={"L": depth})
    assert result.symbolic == "equal", result.message
    assert result.verdict == Verdict.VERIFIED
    assert result.numeric is not None
    assert all(case.parameters["L"] == depth for case in result.numeric.cases)


@pytest.mark.parametrize(
    ("depth", "wrong"),
    [
        (2, "1.1*" + TIME_L2),  # factor 1.1
        (2, TIME_L2.replace("(2*sigma)", "(2*sigma**2)")),  # wrong exponent
        (3, TIME_L3.replace("-1/(sigma*(s**(1/3))) + ", "")),  # a dropped term
    ],
)
def test_perturbed_times_are_refuted_and_rejected_by_the_simulated_flow(depth, wrong):
    result = check("gf_time", wrong, at={"L": depth})
    assert result.verdict == Verdict.REFUTED
    assert result.numeric is not None
    assert not result.numeric.passed


def test_a_depth_two_time_for_free_depth_is_refuted_and_depth_two_named():
    result = check("gf_time", TIME_L2, monte_carlo=False)
    assert result.verdict == Verdict.REFUTED
    assert result.depths == (2,)


def test_gf_time_is_checked_only_while_the_mode_grows():
    with pytest.raises(InvalidParameter, match="only where s0 < s < sigma"):
        check("gf_time", TIME_L2, at={"s": 5})
    with pytest.raises(InvalidParameter, match="depths 1-4"):
        check("gf_time", TIME_L2, at={"L": 5})
