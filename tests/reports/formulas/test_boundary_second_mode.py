r"""``check(..., at={"s_b": 0})``: a second mode still at 0, a boundary the two-mode
quantities are meaningful on.

The formulas are the paper's, written by hand: with the second mode at 0 its cross terms
vanish, so the first mode's Itô drift is the single-mode Eq. 6,
:math:`\kappa\frac{L(L-1)}{2}s^{3-4/L}(2(\sigma-s)^2+\sigma_\epsilon^2)`, its total drift adds
the gradient drift :math:`L s^{2-2/L}(\sigma-s)`, and the population loss keeps the second
teacher value whole, :math:`\frac12((\sigma-s)^2+\sigma_b^2) + \frac m2\sigma_\epsilon^2`.
Each is simulated with the second mode's weights at 0 (the Monte Carlo check must pass).
"""

import pytest
import sympy as sp

from derivations.conventions import PARAMETERS
from dlnverify.errors import InvalidParameter
from reports.claims import get_quantity
from reports.formulas import engine
from reports.formulas.engine import check, validate
from reports.formulas.inputs import prepare_inputs
from reports.formulas.result import Verdict

ITO = "kappa*L*(L-1)/2*s**(3-4/L)*(2*(sigma-s)**2+sigma_eps**2)"
GRADIENT = "L*s**(2-2/L)*(sigma-s)"
LOSS = "((sigma-s)**2 + sigma_b**2)/2 + m*sigma_eps**2/2"


def test_the_ito_drift_next_to_a_mode_at_zero_is_the_single_mode_one_simulated_there():
    result = check("two_mode_ito_drift", ITO, at={"s_b": 0})
    assert result.verdict == Verdict.VERIFIED, result.message
    assert result.numeric is not None
    assert result.numeric.passed
    assert all(case.parameters["s_b"] == 0 for case in result.numeric.cases)
    # a cross term that would survive at s_b = 0 is refuted, by the simulator too
    wrong = check("two_mode_ito_drift", f"{ITO} + kappa*sigma_b**2*s", at={"s_b": 0})
    assert wrong.verdict == Verdict.REFUTED
    assert not wrong.numeric.passed


def test_the_total_drift_and_the_loss_at_a_second_mode_at_zero():
    assert check("two_mode_drift", f"{GRADIENT} + {ITO}", at={"s_b": 0}).verified
    assert check("population_loss", LOSS, at={"s_b": 0}).verified
    dropped = check("population_loss", "(sigma-s)**2/2 + m*sigma_eps**2/2", at={"s_b": 0})
    assert dropped.verdict == Verdict.REFUTED


def test_a_closed_form_singular_at_zero_is_taken_in_its_limit_from_above():
    """The cross-mode diffusion's closed form for free L divides by log s - log s_b: at
    s_b = 0 its limit from above is compared, and the simulator, run with the mode at 0,
    agrees with it."""
    result = check(
        "cross_mode_diffusion", "kappa*s**(4-4/L)*(sigma_eps**2+(sigma-s)**2)", at={"s_b": 0}
    )
    assert result.verdict == Verdict.VERIFIED, result.message
    assert result.numeric is not None
    assert result.numeric.passed
    assert "s_b" not in {symbol.name for symbol in result.derived.free_symbols}


def test_a_simulator_that_cannot_place_a_mode_at_zero_leaves_the_check_symbolic():
    formula = "kappa*s**(2-2/L)*(sigma_b**2-(s-sigma)**2)"
    result = check("imbalance_drift", formula, at={"s_b": 0})
    assert result.verdict == Verdict.VERIFIED
    assert result.numeric is None
    assert "Monte Carlo not run at s_b = 0" in result.message
    wrong = check("imbalance_drift", formula.replace("sigma_b**2", "2*sigma_b**2"), at={"s_b": 0})
    assert wrong.verdict == Verdict.REFUTED


def test_zero_is_allowed_for_the_second_mode_only():
    validate("two_mode_drift", GRADIENT, at={"s_b": 0})
    with pytest.raises(InvalidParameter, match=r"s_b must be >= 0 \(0: the mode still at 0\)"):
        validate("two_mode_drift", GRADIENT, at={"s_b": -0.1})
    for at in ({"s": 0}, {"sigma_b": 0}):
        with pytest.raises(InvalidParameter, match="must be > 0"):
            validate("two_mode_drift", GRADIENT, at=at)


def test_a_derived_result_without_a_finite_value_at_zero_is_refused():
    inputs = prepare_inputs(get_quantity("two_mode_drift"), GRADIENT, {"s_b": 0}, "sympy")
    singular = {"ito_drift": sp.Integer(1) / PARAMETERS["s_b"].symbol}
    components = {
        kind: sp.limit(expr, PARAMETERS["s_b"].symbol, 0, "+") for kind, expr in singular.items()
    }
    with pytest.raises(InvalidParameter, match="no finite value or limit there"):
        engine._check_boundary(inputs, components)
