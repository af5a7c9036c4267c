r"""An order term in ``eta`` for a formula written in ``eta`` and ``B`` (the paper's App. J
scalings): ``... + O(\eta^2)`` compares the series in ``eta`` at fixed ``B``, which with
``kappa = eta/B`` keeps the same terms as ``O(\kappa^2)``.

The formula is the paper's first-order stationary mean of a mode with label noise,
:math:`\sigma - \frac{\eta}{B}\frac{L-1}{2}\sigma^{1-2/L}\sigma_\epsilon^2`, written by hand.
"""

import pytest

from dlnverify.errors import FormulaError
from reports.formulas.engine import check, validate
from reports.formulas.result import Verdict

MEAN = "sigma - eta/B*(L-1)*sigma**(1-2/L)*sigma_eps**2/2"


def test_a_first_order_formula_in_eta_and_B_is_verified_to_first_order_in_eta():
    result = check("stationary_mean", f"{MEAN} + O(eta**2)")
    assert result.verdict == Verdict.VERIFIED, result.message
    assert "to first order in eta" in result.message
    assert any("series in eta at fixed B" in line for line in result.reading)
    # the simulator measures the whole mean, which the first order is: it agrees
    assert result.numeric is not None
    assert result.numeric.passed


def test_LaTeX_with_an_order_term_in_eta():
    latex = (
        r"\mathbb{E}[s] = \sigma - \frac{\eta}{B}\,\frac{L-1}{2}\,\sigma^{1-2/L}"
        r"\sigma_\varepsilon^2 + O(\eta^2)"
    )
    assert check("stationary_mean", latex, monte_carlo=False).verified


def test_a_term_beyond_the_order_is_not_compared_but_one_at_first_order_is():
    beyond = check("stationary_mean", f"{MEAN} + 3*eta**2/B**2 + O(eta**2)")
    assert beyond.verified, beyond.message
    # the Monte Carlo check compares the formula's first order only, as the order term says
    assert beyond.numeric.passed
    wrong = check("stationary_mean", MEAN.replace("/2", "") + " + O(eta**2)", monte_carlo=False)
    assert wrong.verdict == Verdict.REFUTED
    assert "differ at order eta^1" in wrong.message


def test_a_wrong_eta_squared_term_without_an_order_term_is_refuted_with_the_reason():
    result = check("stationary_mean", f"{MEAN} + 3*eta**2/B**2", monte_carlo=False)
    assert result.verdict == Verdict.REFUTED
    assert "agrees with the derived result to first order in eta" in result.message
    assert "terms of order eta^2" in result.message
    assert "+ O(eta**2)" in result.message


def test_order_terms_in_eta_that_cannot_be_compared_are_refused():
    with pytest.raises(FormulaError, match=r"first order in kappa = eta/B only.*O\(eta\*\*2\)"):
        validate("stationary_mean", f"{MEAN} + O(eta**3)")
    with pytest.raises(FormulaError, match="kappa = eta/B is held fixed"):
        validate("stationary_mean", f"{MEAN} + O(eta**2)", at={"kappa": 0.1})
    # eta without B is another convention's learning rate, not a series variable
    with pytest.raises(FormulaError, match="eta is not a parameter"):
        validate("stationary_mean", "sigma + O(eta**2)")
