r"""``check(..., at={"L": "oo"})`` / ``dlnverify check --at L=oo``: the limit of a quantity as
the depth grows, compared with the limit of the formula.

The limits below are derived by hand, not copied from the tool:

* ``diffusion_peak``: :math:`D \propto s^{4-4/L}(2(\sigma-s)^2+\sigma_\epsilon^2)` tends to
  :math:`s^4(2(\sigma-s)^2+\sigma_\epsilon^2)`, whose derivative vanishes where
  :math:`3s^2 - 5\sigma s + 2\sigma^2 + \sigma_\epsilon^2 = 0`: the interior maximum is the
  smaller root :math:`(5\sigma - \sqrt{\sigma^2 - 12\sigma_\epsilon^2})/6`, which is
  :math:`2\sigma/3` without label noise (the other root, :math:`\sigma`, is the minimum);
* ``peak_threshold``: the roots exist while :math:`\sigma^2 \ge 12\sigma_\epsilon^2`, so the
  threshold tends to :math:`\sigma/\sqrt{12}`;
* ``singularity_exponent`` (Prop. 5.2(i)): :math:`-2 - \sigma^{2/L}/(L\kappa\sigma^2)` tends
  to :math:`-2`; the collapse rate grows like :math:`L^2\kappa\sigma^4`, without a limit.
"""

import json
import math

import pytest

from dlnverify.errors import FormulaError, InvalidParameter
from reports.cli import ExitCode, main
from reports.formulas.engine import check, validate
from reports.formulas.result import Symbolic, Verdict

#: The interior maximum of the diffusion as L -> oo (module docstring).
PEAK_LIMIT = "(5*sigma - sqrt(sigma**2 - 12*sigma_eps**2))/6"


def test_the_diffusion_peak_without_label_noise_tends_to_two_thirds_of_sigma():
    for depth in ("oo", "inf", r"\infty", math.inf):
        result = check(
            "diffusion_peak", "2*sigma/3", at={"L": depth, "sigma_eps": 0}, monte_carlo=False
        )
        assert result.verdict == Verdict.VERIFIED, (depth, result.message)
        assert result.symbolic == Symbolic.EQUAL
        assert "L = oo" in " ".join(result.reading)
        assert result.at == {"sigma_eps": 0, "L": math.inf}
        assert "at:         sigma_eps = 0, L = oo" in result.text()


def test_the_diffusion_peak_limit_with_label_noise_and_its_slips():
    assert check("diffusion_peak", PEAK_LIMIT, at={"L": "oo"}).verified
    # a sign slip under the square root, and the larger root (the minimum), are refuted
    for wrong in (PEAK_LIMIT.replace("- 12", "+ 12"), PEAK_LIMIT.replace("- sqrt", "+ sqrt")):
        result = check("diffusion_peak", wrong, at={"L": "oo"}, monte_carlo=False)
        assert result.verdict == Verdict.REFUTED, wrong
        assert result.counterexample is not None
        assert "L" not in result.counterexample["parameters"]


def test_a_wrong_limit_is_refuted_and_the_simulator_is_not_run_at_a_finite_depth():
    result = check("diffusion_peak", "sigma/2", at={"L": "oo", "sigma_eps": 0})
    assert result.verdict == Verdict.REFUTED
    assert result.numeric is None
    assert "Monte Carlo not run at L = oo" in result.message
    assert result.counterexample["formula"] == pytest.approx(
        0.75 * result.counterexample["derived"]
    )


def test_a_formula_in_L_is_compared_through_its_own_limit():
    """Read as a function of the depth, as --at L=3 reads it there: the finite-depth peak
    2(L-1)sigma/(3L-2) (the README's result) has the limit 2 sigma/3; a formula that grows
    with L is refuted, naming its limit."""
    right = check(
        "diffusion_peak", "2*(L-1)*sigma/(3*L-2)", at={"L": "oo", "sigma_eps": 0}, monte_carlo=False
    )
    assert right.verified, right.message
    growing = check("diffusion_peak", "L*sigma/3", at={"L": "oo"}, monte_carlo=False)
    assert growing.verdict == Verdict.REFUTED
    assert "tends to oo as L -> oo" in growing.message
    assert growing.derived is not None


def test_the_threshold_and_the_singularity_exponent_at_infinite_depth():
    assert check("peak_threshold", "sigma/sqrt(12)", at={"L": "oo"}).verified
    assert check("singularity_exponent", "-2", at={"L": "oo"}).verified
    wrong = check("singularity_exponent", "-2 - 1/(kappa*sigma**2)", at={"L": "oo"})
    assert wrong.verdict == Verdict.REFUTED


def test_a_quantity_without_a_finite_limit_is_refused_naming_it():
    with pytest.raises(InvalidParameter, match="collapse_rate has no finite limit as L -> oo"):
        check("collapse_rate", "kappa", at={"L": "oo"})
    with pytest.raises(InvalidParameter, match="gradient_drift part tends to"):
        check("drift", "sigma - s", at={"L": "oo"})


def test_a_quantity_derived_only_at_fixed_depths_or_without_a_depth_is_refused_first():
    with pytest.raises(InvalidParameter, match="derived only at the depths L = 1-4"):
        validate("gf_time", "s0", at={"L": "oo"})
    with pytest.raises(InvalidParameter, match="parameters of batch_noise_factor"):
        validate("batch_noise_factor", "1/B", at={"L": "oo"})
    with pytest.raises(InvalidParameter, match="must be a number"):
        validate("diffusion_peak", "sigma", at={"L": "-oo"})
    with pytest.raises(FormulaError, match="held fixed"):
        validate("singularity_exponent", "-2 + O(1/L)", at={"L": "oo"})


# the time limit may fire inside hypothesis's garbage-collector callback, which reports it
# as "ignored" before the repeated alarm ends the check (reports.formulas.time_limit)
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_limit_beyond_the_time_limit_is_undecided():
    result = check("stationary_density", "1", at={"L": "oo"}, timeout=1.0)
    assert result.verdict == Verdict.UNDECIDED
    assert "time limit" in result.message


def test_cli_at_infinite_depth(capsys):
    code = main(
        ["check", "diffusion_peak", "2*sigma/3", "--at", "L=oo", "--at", "sigma_eps=0", "--json"]
    )
    payload = json.loads(capsys.readouterr().out)
    assert code == ExitCode.OK
    assert payload["verified"] is True
    assert payload["derived"] == "2*sigma/3"
    assert payload["at"] == {"L": "oo", "sigma_eps": 0}  # strict JSON: no Infinity
    code = main(["check", "collapse_rate", "kappa", "--at", "L=oo", "--json"])
    error = json.loads(capsys.readouterr().out)
    assert code == ExitCode.BAD_INPUT
    assert error["exit_code"] == 2
    assert "no finite limit" in error["error"]
