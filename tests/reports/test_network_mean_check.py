"""The C17 Monte Carlo check: full networks with label noise against the derived mode means.

The comparisons are computed once with the generator the registry uses for C17
(``verify_claim(seed=0)``: ``default_rng([0, 17])``), and the simulations are cached, so this
module and ``test_claim_checks`` share them.  Power, on the same samples and at the same
false-alarm rate (1e-6): the check rejects C12's single-mode mean (the width terms dropped),
and the session-5 estimate that coupled the null directions only (the other modes' terms
dropped).  A factor 1.1 on the whole shift (0.05-0.08 kappa here, 1-2 standard errors) and a
wrong exponent in the coupling (the depth-3 point has sigma = 1 and 0.5, where the powers of
sigma differ little) are below this check's resolution; the symbolic comparison rejects them
(tests/derivations/test_network_mean.py).
"""

import numpy as np
import pytest
import sympy as sp

from derivations.conventions import L, kappa, sigma, sigma_eps
from derivations.network_mean import stated_mode_mean
from reports.network_mean_check import (
    HIDDEN,
    LABEL_NOISE,
    NETWORK_MEAN_POINTS,
    derived_mean_shifts,
    network_mean_comparisons,
)
from reports.numeric_checks import Comparison, numeric_check

SIGMA_K = sp.Symbol("sigma_k", nonnegative=True)


@pytest.fixture(scope="module")
def comparisons():
    return network_mean_comparisons(np.random.default_rng([0, 17]))


def _stated_shifts(depth, width, singular_values, stated):
    """(E s_a - sigma_a)/kappa of a (perturbed) statement at a check point."""
    values = [sp.nsimplify(v) for v in singular_values]
    return np.array(
        [
            float(
                sp.diff(stated_mode_mean(depth, values, (width, width), a, stated), kappa).subs(
                    sigma_eps, sp.nsimplify(LABEL_NOISE)
                )
            )
            for a in range(len(values))
        ]
    )


def test_derived_shift_at_depth_two_is_the_closed_form():
    """L = 2: -sigma_eps^2 (m + n)/4 per unit kappa for both modes, d = m = n = 4."""
    for values in ((2.0, 1.0), (1.0, 0.5)):
        np.testing.assert_allclose(
            derived_mean_shifts(2, 4, values), [-(LABEL_NOISE**2) * 8 / 4] * 2
        )


@pytest.mark.parametrize(("depth", "width", "values", "networks"), NETWORK_MEAN_POINTS)
def test_derived_shift_equals_the_statement(depth, width, values, networks):
    assert len(values) == HIDDEN <= width
    assert networks >= 2
    np.testing.assert_allclose(
        derived_mean_shifts(depth, width, values),
        _stated_shifts(depth, width, values, None),
        rtol=1e-12,
    )


def _null_only():
    null = (L - 1) / L * sigma ** (1 - 2 / L)
    return {"coupling": sp.Piecewise((null, sp.Eq(SIGMA_K, 0)), (0, True))}


def test_check_passes_and_has_power(comparisons):
    assert numeric_check(comparisons).passed
    for wrong in ({"coupling": sp.Integer(0)}, _null_only()):
        perturbed = [
            Comparison(
                c.parameters,
                c.estimate,
                _stated_shifts(c.parameters["L"], c.parameters["d"], c.parameters["sigma"], wrong),
            )
            for c in comparisons
        ]
        assert not numeric_check(perturbed).passed, wrong


def test_estimates_are_richardson_combinations(comparisons):
    """Standard errors are positive and finite; one comparison per point, one entry per mode."""
    assert len(comparisons) == len(NETWORK_MEAN_POINTS)
    for c in comparisons:
        error = np.asarray(c.estimate.standard_error)
        assert error.shape == (HIDDEN,)
        assert np.all(np.isfinite(error))
        assert np.all(error > 0)
