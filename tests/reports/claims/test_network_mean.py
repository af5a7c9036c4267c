"""The C17 Monte Carlo check: full networks with label noise against the derived mode means
and variances.

The comparisons are computed once with the generator the registry uses for C17
(``verify_claim(seed=0)``: ``default_rng([0, 17])``), and the simulations are cached, so this
module and ``claims/test_catalogue.py`` share them.  Power, on the same samples and at the same
false-alarm rate (1e-6): the check rejects C12's single-mode mean (the width terms dropped),
and an estimate that couples the null directions only (the other modes' terms dropped).  A factor 1.1 on the whole shift (0.05-0.08 kappa here, 1-2 standard errors) and a
wrong exponent in the coupling (the depth-3 point has sigma = 1 and 0.5, where the powers of
sigma differ little) are below this check's resolution; the symbolic comparison rejects them
(tests/derivations/test_network_mean.py).  The variances are resolved far better (their
fluctuations are of order sqrt(kappa), the shift of order kappa): there the check rejects a
factor 1.1 and a wrong exponent of sigma.  It accepts the statement because the variance
is extrapolated to kappa -> 0: the kappa = 0.01 estimate alone sits several standard errors
above the first order at L = 2, sigma = 2 (the O(kappa^2) remainder, about 9 %).
"""

import numpy as np
import pytest
import sympy as sp

from derivations.conventions import L, kappa, sigma, sigma_eps
from derivations.network_mean import stated_mode_mean, stated_network_mean
from reports.claims.network_mean import (
    HIDDEN,
    LABEL_NOISE,
    NETWORK_MEAN_POINTS,
    derived_mean_shifts,
    derived_variance_coefficients,
    network_mean_comparisons,
)
from reports.engine.verdict import Comparison, numeric_check

# with the registry's C17 test (claims/test_catalogue.py) on one worker: one simulation
pytestmark = pytest.mark.xdist_group("network_mean")

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


@pytest.mark.parametrize(("depth", "width", "values", "networks"), NETWORK_MEAN_POINTS)
def test_derived_variance_equals_the_statement(depth, width, values, networks):
    """Var s_a / kappa = L sigma_a^(2-2/L) sigma_eps^2 / 2, C12's single-mode value: the
    derivation (grad s_a^T C grad s_a at this width) has no width term."""
    np.testing.assert_allclose(
        derived_variance_coefficients(depth, width, values),
        _stated_variances(depth, values, stated_network_mean()["variance"]),
        rtol=1e-12,
    )


def _stated_variances(depth, singular_values, variance):
    """Var s_a / kappa of a (perturbed) statement of the variance at a check point."""
    at = {L: depth, sigma_eps: sp.nsimplify(LABEL_NOISE)}
    return np.array(
        [
            float(sp.diff(variance, kappa).subs(at).subs(sigma, sp.nsimplify(v)))
            for v in singular_values
        ]
    )


def _means_and_variances(comparisons):
    means = [c for c in comparisons if c.parameters["observable"].startswith("(E s_a")]
    variances = [c for c in comparisons if c.parameters["observable"].startswith("Var s_a")]
    return means, variances


def _null_only():
    null = (L - 1) / L * sigma ** (1 - 2 / L)
    return {"coupling": sp.Piecewise((null, sp.Eq(SIGMA_K, 0)), (0, True))}


def test_check_passes_and_has_power(comparisons):
    assert numeric_check(comparisons).passed
    means, variances = _means_and_variances(comparisons)
    for wrong in ({"coupling": sp.Integer(0)}, _null_only()):
        perturbed = variances + [
            Comparison(
                c.parameters,
                c.estimate,
                _stated_shifts(c.parameters["L"], c.parameters["d"], c.parameters["sigma"], wrong),
            )
            for c in means
        ]
        assert not numeric_check(perturbed).passed, wrong


def test_variance_check_rejects_a_factor_and_a_wrong_exponent(comparisons):
    """On the same samples: 1.1 x the variance, and sigma^(2-1/L) for sigma^(2-2/L)."""
    means, variances = _means_and_variances(comparisons)
    stated = stated_network_mean()["variance"]
    for wrong in (
        sp.Rational(11, 10) * stated,
        stated.subs(sigma ** (2 - 2 / L), sigma ** (2 - 1 / L)),
    ):
        assert wrong != stated
        perturbed = means + [
            Comparison(
                c.parameters,
                c.estimate,
                _stated_variances(c.parameters["L"], c.parameters["sigma"], wrong),
            )
            for c in variances
        ]
        assert not numeric_check(perturbed).passed, wrong


def test_estimates_are_richardson_combinations(comparisons):
    """Standard errors are positive and finite; one mean and one variance comparison per
    point, one entry per mode."""
    means, variances = _means_and_variances(comparisons)
    assert len(means) == len(variances) == len(NETWORK_MEAN_POINTS)
    assert len(comparisons) == 2 * len(NETWORK_MEAN_POINTS)
    for c in comparisons:
        error = np.asarray(c.estimate.standard_error)
        assert error.shape == (HIDDEN,)
        assert np.all(np.isfinite(error))
        assert np.all(error > 0)
