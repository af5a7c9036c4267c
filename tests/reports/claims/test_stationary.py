"""C10, C12: the stationary law of a mode against Euler-Maruyama runs and quadrature.

Validity: every comparison list passes :func:`reports.engine.verdict.numeric_check` (two-sided
z-test, false-alarm rate 1e-6 Bonferroni over all compared numbers of the list).  Power: the
same estimates reject the derived formula times 1.1, the variance with a wrong power of sigma,
the density with the Itô factor s^(1-1/L) dropped, and the paper's mean (the zero of the
linearised drift, above sigma); for C11 the collapse rate times 1.1 and without its Itô term
kappa L^2 sigma^(4-4/L).
"""

from dataclasses import replace
from functools import cache

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.claims.stationary import (
    _KAPPA0,
    MOMENT_POINTS,
    dirac_limit_comparisons,
    first_order_coefficients,
    label_noise_moments_comparisons,
    simulated_stationary_mean,
    simulated_stationary_variance,
    stationary_density_comparisons,
)
from reports.engine.verdict import Comparison, numeric_check

#: Every test of the topic runs on one worker: its derivations (cached in-process) are
#: computed once per run (tests/README.md).
pytestmark = pytest.mark.xdist_group("stationary")


@cache
def _density(ito=True):
    return tuple(stationary_density_comparisons(np.random.default_rng(20261124), ito=ito))


@cache
def _moments():
    return tuple(label_noise_moments_comparisons(np.random.default_rng(0)))


def _passes(comparisons):
    check = numeric_check(list(comparisons))
    return all(abs(case.z) <= check.threshold for case in check.cases)


def _scaled(comparisons, factor, index=Ellipsis):
    out = []
    for comparison in comparisons:
        closed = np.array(comparison.closed_form, dtype=float)
        closed[index] = closed[index] * factor
        out.append(replace(comparison, closed_form=closed))
    return out


def test_density_moments_agree_with_simulation():
    assert _passes(_density())


def test_density_check_has_power():
    assert not _passes(_scaled(_density(), 1.1, 1))  # variance x 1.1
    # dropped Itô factor: same simulations, moments of the density without s^(1-1/L)
    dropped = [
        replace(mine, closed_form=other.closed_form)
        for mine, other in zip(_density(), _density(ito=False), strict=True)
    ]
    assert not _passes(dropped)


@cache
def _collapse():
    return tuple(dirac_limit_comparisons(np.random.default_rng(11)))


def test_collapse_rate_agrees_with_simulation():
    assert _passes(_collapse())


def test_collapse_rate_check_has_power():
    assert not _passes(_scaled(_collapse(), 1.1))
    dropped = []
    for comparison in _collapse():
        depth, sig = comparison.parameters["L"], comparison.parameters["sigma"]
        gradient_only = depth * sig ** (2 - 2 / depth)  # lambda without kappa L^2 sigma^(4-4/L)
        dropped.append(replace(comparison, closed_form=gradient_only))
    assert not _passes(dropped)


def test_first_order_moments_agree_with_quadrature():
    assert _passes(_moments())


def test_first_order_check_has_power():
    assert not _passes(_scaled(_moments(), 1.1, 0))  # mean shift x 1.1
    assert not _passes(_scaled(_moments(), 1.1, 1))  # variance x 1.1
    assert not _passes(_scaled(_moments(), 1.1, 2))  # mode shift x 1.1
    # the mean's shift given as the mode's (they differ by a factor 3)
    mean_as_mode = []
    for comparison in _moments():
        closed = np.array(comparison.closed_form, dtype=float)
        closed[2] = closed[0]
        mean_as_mode.append(replace(comparison, closed_form=closed))
    assert not _passes(mean_as_mode)
    # the paper's mean: the shift with the opposite sign (zero of the linearised drift)
    assert not _passes(_scaled(_moments(), -1.0, 0))
    # variance with sigma^(2-1/L) instead of sigma^(2-2/L)
    wrong_power = []
    for comparison in _moments():
        sig, depth = comparison.parameters["sigma"], comparison.parameters["L"]
        closed = np.array(comparison.closed_form, dtype=float)
        closed[1] *= sig ** (1 / depth)
        wrong_power.append(replace(comparison, closed_form=closed))
    assert not _passes(wrong_power)


@pytest.mark.parametrize("depth", sorted({point[0] for point in MOMENT_POINTS}))
def test_per_point_observables(depth):
    point = {"sigma": 1.1, "sigma_eps": 0.3, "L": depth, "kappa": 0.01}
    mean = simulated_stationary_mean(point, np.random.default_rng(1))
    variance = simulated_stationary_variance(point, np.random.default_rng(1))
    assert mean.value < point["sigma"] or depth == 1
    assert variance.value > 0
    assert variance.standard_error < 0.1 * variance.value


@settings(max_examples=5)
@given(
    depth=st.integers(1, 4),
    sigma=st.sampled_from([0.6, 1.0, 1.4, 1.9]),
    ratio=st.sampled_from([0.15, 0.3, 0.5]),
)
def test_first_order_moments_at_drawn_points(depth, sigma, ratio):
    """C12 at hypothesis-drawn (L, sigma, sigma_eps = ratio * sigma): the quadrature
    estimate of the exact density's first-order coefficients (mean, variance, mode) agrees
    with the derived ones and rejects the paper's mean (for L >= 2, where the shift is not
    zero)."""
    from derivations.conventions import L, kappa, sigma_eps
    from derivations.conventions import sigma as sigma_symbol
    from derivations.stationary import (
        drift_zero_mean,
        stationary_mean,
        stationary_mode,
        stationary_variance,
    )

    where = {L: depth, sigma_symbol: sigma, sigma_eps: ratio * sigma}
    estimate = first_order_coefficients(depth, sigma, ratio * sigma)
    derived = [
        float(sp.diff(f(), kappa).subs(where))
        for f in (stationary_mean, stationary_variance, stationary_mode)
    ]
    point = {"L": depth, "sigma": sigma, "sigma_eps": ratio * sigma}
    assert numeric_check([Comparison(point, estimate, np.array(derived))]).passed
    if depth >= 2:
        paper = [float(sp.diff(drift_zero_mean(), kappa).subs(where)), *derived[1:]]
        assert not numeric_check([Comparison(point, estimate, np.array(paper))]).passed


@pytest.mark.parametrize(("depth", "sigma", "sigma_eps"), MOMENT_POINTS)
def test_the_richardson_error_bar_covers_the_remaining_bias(depth, sigma, sigma_eps):
    """C12's error bar is |f(kappa0/2) - f(kappa0)| (plus quadrature tolerances): a standard
    error for an estimate that draws no samples.  It must cover what Richardson leaves, the
    O(kappa0) bias of 2 f(kappa0/2) - f(kappa0).  Measured with a third level: the same
    extrapolation from kappa0/2 and kappa0/4 has half that bias, so the difference of the two
    extrapolations is (half) the bias of the first; it must lie well inside the first's bar
    (a factor 3, so that the bar, used at z* ~ 5, is not the bias)."""
    coarse = first_order_coefficients(depth, sigma, sigma_eps)
    fine = first_order_coefficients(depth, sigma, sigma_eps, kappa0=_KAPPA0 / 2)
    residual = np.abs(np.asarray(coarse.value) - np.asarray(fine.value))
    assert np.all(3 * residual <= np.asarray(coarse.standard_error)), (residual, coarse)
