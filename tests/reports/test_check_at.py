"""``check(..., at=...)`` / ``dlnverify check --at NAME=VALUE``: a formula claimed at fixed
parameter values (a depth, a noise level) is compared with the derived result there only.

The formulas below are written by hand from the paper's statements (Eq. 7 at a given depth)
or derived on paper (the depth-1 stationary density); none is copied from the derivations.
"""

import json

import pytest

from dlnverify.errors import InvalidParameter
from reports.cli import ExitCode, main
from reports.formula_check import Verdict, check

#: Eq. 7 at L = 3: kappa L^2 s^(4-4/L) (2(sigma-s)^2 + sigma_eps^2) with L = 3.
DIFFUSION_L3 = "9*kappa*s**(8/3)*(2*(sigma-s)**2+sigma_eps**2)"
#: Eq. 7 at L = 2.
DIFFUSION_L2 = "4*kappa*s**2*(2*(sigma-s)**2+sigma_eps**2)"
#: Depth 1: mu = sigma - s, D = kappa (2 (sigma-s)^2 + e^2), no Ito factor (s^(1-1/L) = 1);
#: int 2 mu / D ds = -log(2 (s-sigma)^2 + e^2) / (2 kappa), so p ~ D^-1 exp(...) is:
DENSITY_L1 = "(2*(sigma-s)**2+sigma_eps**2)**(-1-1/(2*kappa))"


def test_a_formula_at_a_fixed_depth_is_verified_there_with_monte_carlo_at_that_depth():
    result = check("diffusion", DIFFUSION_L3, at={"L": 3})
    assert result.verdict == Verdict.VERIFIED
    assert result.at == {"L": 3}
    assert "L" not in {symbol.name for symbol in result.derived.free_symbols}
    assert result.numeric is not None
    assert all(case.parameters["L"] == 3 for case in result.numeric.cases)
    # power: the same formula off by 1.1 is rejected, symbolically and by Monte Carlo
    wrong = check("diffusion", "1.1*" + DIFFUSION_L3, at={"L": 3})
    assert wrong.verdict == Verdict.REFUTED
    assert not wrong.numeric.passed
    assert wrong.counterexample["parameters"]["L"] == 3


def test_several_fixed_values_and_a_wrong_depth():
    both = {"L": 3, "sigma_eps": 0.2}
    result = check("diffusion", DIFFUSION_L3.replace("sigma_eps**2", "0.04"), at=both)
    assert result.verdict == Verdict.VERIFIED
    assert all(c.parameters["sigma_eps"] == 0.2 for c in result.numeric.cases)
    assert check("diffusion", DIFFUSION_L3, at={"L": 2}, monte_carlo=False).verdict == (
        Verdict.REFUTED
    )


def test_a_formula_right_at_one_depth_only_is_refuted_and_the_depth_named():
    result = check("diffusion", DIFFUSION_L2, monte_carlo=False)
    assert result.verdict == Verdict.REFUTED
    assert result.depths == (2,)
    assert "--at L=2" in result.message
    # a formula right at no depth names none; a fixed depth is not searched again
    assert check("diffusion", "1.1*" + DIFFUSION_L2, monte_carlo=False).depths == ()
    assert check("diffusion", DIFFUSION_L2, at={"L": 3}, monte_carlo=False).depths == ()


def test_stationary_density_at_every_depth_needs_the_depth_fixed():
    at_one = {"at": {"L": 1}, "monte_carlo": False}
    assert check("stationary_density", DENSITY_L1, **at_one).verdict == Verdict.VERIFIED
    for wrong in (
        DENSITY_L1.replace("-1-1/", "-1-1.1/"),  # exponent off by 1.1
        DENSITY_L1.replace("-1-", "-"),  # the prefactor 1/D dropped
        DENSITY_L1 + "*s",  # a spurious Ito factor
    ):
        assert check("stationary_density", wrong, **at_one).verdict == Verdict.REFUTED, wrong
    # the depth-1 law is not the law at other depths
    free = check("stationary_density", DENSITY_L1, monte_carlo=False)
    assert free.verdict == Verdict.REFUTED
    assert free.depths == (1,)


@pytest.mark.parametrize(
    ("at", "message"),
    [
        ({"x": 1}, "parameters of diffusion are"),
        ({"L": 0}, "L must be > 0"),
        ({"L": 2.5}, "L is an integer"),
        ({"L": 7}, "depths 1-6"),
        ({"sigma_eps": -1}, "sigma_eps must be >= 0"),
        ({"kappa": float("nan")}, "finite"),
        ({"kappa": "x"}, "must be a number"),
        ({"kappa": True}, "must be a number"),
    ],
)
def test_bad_fixed_values_are_named(at, message):
    with pytest.raises(InvalidParameter, match=message):
        check("diffusion", DIFFUSION_L3, at=at)


def test_fixed_values_outside_where_a_quantity_is_checked_are_named():
    with pytest.raises(InvalidParameter, match="s cannot be fixed"):
        check("stationary_density", DENSITY_L1, at={"s": 1})
    with pytest.raises(InvalidParameter, match=r"only where sigma_eps >= 0\.1 sigma"):
        check("stationary_mean", "sigma", at={"sigma_eps": 0})


def test_cli_at(capsys):
    argv = ["check", "diffusion", DIFFUSION_L3, "--at", "L=3", "--symbolic-only"]
    assert main(argv) == ExitCode.OK
    assert "  at:         L = 3" in capsys.readouterr().out
    assert main([*argv, "--json"]) == ExitCode.OK
    assert json.loads(capsys.readouterr().out)["at"] == {"L": 3}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--at", "L"], "must look like L=3"),
        (["--at", "=3"], "must look like L=3"),
        (["--at", "L=3", "--at", "L=2"], "twice"),
        (["--at", "L=x"], "must be a number"),
    ],
)
def test_cli_bad_at_is_one_line_exit_2(capsys, extra, message):
    try:
        code = main(["check", "diffusion", DIFFUSION_L3, *extra])
    except SystemExit as exit_info:  # argparse's own errors
        code = exit_info.code
    assert code == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_moments_at_depth_one_where_the_first_order_mean_shift_is_exactly_zero():
    # L = 1: no Ito drift, a symmetric law, so E s = sigma exactly (Eq. 17 with L = 1) and
    # Var s = kappa sigma_eps^2 / 2 (Eq. 18 with L = 1).  The quadrature's own error must not
    # make the exact zero shift fail on round-off; a shift of 1 % of the scale must fail.
    at_one = {"L": 1}
    for quantity, formula in (
        ("stationary_mean", "sigma"),
        ("stationary_variance", "kappa*sigma_eps**2/2"),
    ):
        result = check(quantity, formula, at=at_one)
        assert result.verdict == Verdict.VERIFIED, result.message
        assert result.numeric.passed
    for quantity, wrong in (
        ("stationary_mean", "sigma + kappa*sigma_eps**2/100"),
        ("stationary_variance", "1.1*kappa*sigma_eps**2/2"),
    ):
        assert not check(quantity, wrong, at=at_one).numeric.passed, wrong
