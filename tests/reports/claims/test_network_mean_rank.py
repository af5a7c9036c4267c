r"""C17 beyond a rank-one teacher: the first-order stationary mean of the first mode of a
rank-two teacher :math:`(\sigma, \sigma_b)` (``two_mode_network_mean``).

The formulas are written by hand from C17's statement, :math:`E s_a = \sigma_a -
\frac{\kappa\sigma_\varepsilon^2}{2}[(L-1)\sigma_a^{1-2/L} + \sum_{k \ne a} g(\sigma_a,
\sigma_k)]` over the other output and input directions, with
:math:`g(x, y) = \frac1L\sum_{l=1}^{L}(l-1)x^{(2l-L-2)/L}y^{2(L-l)/L}`:

* ``L = 2``: :math:`g = 1/2`, so :math:`E s = \sigma - \kappa\sigma_\varepsilon^2(m+n)/4`,
  whatever :math:`\sigma_b`;
* ``L = 3``: :math:`g(x, y) = (x^{-1/3}y^{2/3} + 2x^{1/3})/3`, the second mode counted in
  both the output and the input directions, :math:`m - 2` and :math:`n - 2` null ones
  (:math:`g(\sigma, 0) = \frac23\sigma^{1/3}`).
"""

import pytest
import sympy as sp

from derivations.conventions import L, m_out, n_in, sigma, sigma_b
from derivations.network_mean import (
    network_mean_shift,
    rank_one_network_mean,
    two_mode_mean_gaps,
)
from dlnverify.errors import InvalidParameter
from reports.formulas.engine import check, validate
from reports.formulas.result import Verdict

MEAN_L2 = "sigma - kappa*sigma_eps**2*(m+n)/4"
MEAN_L3 = (
    "sigma - kappa*sigma_eps**2/2*(2*sigma**(1/3) + (m+n-4)*2*sigma**(1/3)/3"
    " + 2*(sigma**(-1/3)*sigma_b**(2/3) + 2*sigma**(1/3))/3)"
)
#: The slip of reading the second mode as a null direction (the rank-one result at L = 3).
RANK_ONE_L3 = "sigma - kappa*sigma_eps**2/2*(2*sigma**(1/3) + (m+n-2)*2*sigma**(1/3)/3)"


def test_the_closed_form_for_free_depth_is_the_linear_response_at_depths_2_and_3():
    gaps = two_mode_mean_gaps(depths=(2, 3), widths=((2, 2), (3, 2)))
    assert gaps
    assert all(gap == 0 for gap in gaps.values()), gaps


def test_the_linear_response_tells_a_second_mode_from_a_null_direction():
    """The comparison can fail: the rank-one closed form, the second mode read as null,
    differs from the rank-two linear response at depth 3."""
    derived = network_mean_shift((2, 2, 2, 3), 2)
    (tau, _), (mean, _) = derived["taus"], derived["mode_means"]
    rank_one = rank_one_network_mean().subs({L: 3, m_out: 3, n_in: 2, sigma: tau**3})
    assert sp.simplify(mean - rank_one) != 0
    assert sigma_b not in rank_one.free_symbols


def test_the_depth_two_mean_is_verified_and_simulated_with_both_modes():
    result = check("two_mode_network_mean", MEAN_L2, at={"L": 2}, n_points=1)
    assert result.verdict == Verdict.VERIFIED, result.message
    assert result.numeric is not None
    assert result.numeric.passed
    assert all("sigma_b" in case.parameters for case in result.numeric.cases)


def test_the_depth_three_mean_and_the_rank_one_slip():
    assert check("two_mode_network_mean", MEAN_L3, at={"L": 3}, monte_carlo=False).verified
    slip = check("two_mode_network_mean", RANK_ONE_L3, at={"L": 3}, monte_carlo=False)
    assert slip.verdict == Verdict.REFUTED
    assert slip.counterexample is not None


def test_a_network_without_room_for_two_modes_is_refused():
    with pytest.raises(InvalidParameter, match="m, n >= 2"):
        validate("two_mode_network_mean", MEAN_L2, at={"m": 1})
    with pytest.raises(InvalidParameter, match="depths 1-4"):
        validate("two_mode_network_mean", MEAN_L2, at={"L": 5})
