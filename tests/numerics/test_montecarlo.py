"""Tests of numerics.montecarlo: estimators against exact moments of known distributions,
standard-error calibration, streaming = in-memory, the z-threshold and the z-test.

Every Monte Carlo assertion uses the false-alarm rate 1e-6 (Bonferroni over entries) and is
paired with a perturbed value that the same machinery must reject at the same sample size.
"""

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from dlnverify.errors import InvalidParameter
from numerics.montecarlo import (
    Estimate,
    RunningMoments,
    covariance_estimate,
    mean_estimate,
    streaming_moments,
    variance_estimate,
    z_test,
    z_threshold,
)

FALSE_ALARM = 1e-6

# Distributions with exact moments (mean, variance, fourth central moment), from their
# definitions: N(mu, sd^2): mu4 = 3 sd^4; Exp(scale): var = scale^2, mu4 = 9 scale^4;
# U(a, b): var = (b-a)^2/12, mu4 = (b-a)^4/80.
DISTRIBUTIONS = {
    "normal": (
        lambda rng, size: rng.normal(1.0, 2.0, size=size),
        (1.0, 4.0, 3 * 2.0**4),
    ),
    "exponential": (
        lambda rng, size: rng.exponential(1.5, size=size),
        (1.5, 1.5**2, 9 * 1.5**4),
    ),
    "uniform": (
        lambda rng, size: rng.uniform(-1.0, 3.0, size=size),
        (1.0, 4.0**2 / 12, 4.0**4 / 80),
    ),
}


def _exact_variance_of_sample_variance(var, mu4, n):
    # Var(s^2) for i.i.d. samples (unbiased s^2), e.g. Cramér (1946) §27.4.
    return (mu4 - (n - 3) / (n - 1) * var**2) / n


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_mean_and_variance_match_exact_moments(name):
    draw, (mean, var, _) = DISTRIBUTIONS[name]
    x = draw(np.random.default_rng(11), 400_000)
    m, v = mean_estimate(x), variance_estimate(x)
    assert z_test(m, mean, false_alarm_rate=FALSE_ALARM).passed
    assert z_test(v, var, false_alarm_rate=FALSE_ALARM).passed
    # power: 5% off is rejected at this sample size (SE/var <= sqrt(8/4e5) = 0.45%)
    assert not z_test(m, 1.05 * mean, false_alarm_rate=FALSE_ALARM).passed
    assert not z_test(v, 1.05 * var, false_alarm_rate=FALSE_ALARM).passed


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_variance_of_sample_variance_matches_exact(name):
    # R independent batches of size n: the spread of s^2 over batches is the exact Var(s^2).
    draw, (_, var, mu4) = DISTRIBUTIONS[name]
    n, reps = 10, 200_000
    batches = draw(np.random.default_rng(12), (n, reps))
    s2 = variance_estimate(batches, axis=0)
    assert np.shape(s2.value) == (reps,)
    spread = variance_estimate(s2.value)
    exact = _exact_variance_of_sample_variance(var, mu4, n)
    assert z_test(spread, exact, false_alarm_rate=FALSE_ALARM).passed
    # dropped term: mu4 / n alone (no -(n-3)/(n-1) sigma^4 / n) must be rejected
    assert not z_test(spread, mu4 / n, false_alarm_rate=FALSE_ALARM).passed
    assert not z_test(spread, 1.1 * exact, false_alarm_rate=FALSE_ALARM).passed


def test_covariance_matches_exact_covariance():
    cov = np.array([[2.0, 0.6, -0.3], [0.6, 1.0, 0.2], [-0.3, 0.2, 0.5]])
    x = np.random.default_rng(13).multivariate_normal(np.zeros(3), cov, size=400_000)
    estimate = covariance_estimate(x)
    assert estimate.value.shape == (3, 3)
    np.testing.assert_array_equal(estimate.value, estimate.value.T)
    # 6 distinct entries, counted once each
    assert z_test(estimate, cov, false_alarm_rate=FALSE_ALARM, n_tests=6).passed
    # the diagonal agrees with variance_estimate (its SE differs by O(1/n) only)
    np.testing.assert_allclose(np.diag(estimate.value), variance_estimate(x).value, rtol=1e-12)
    assert not z_test(estimate, 1.05 * cov, false_alarm_rate=FALSE_ALARM, n_tests=6).passed


def _binomial_consistent(count, trials, p):
    # two-sided exact binomial test with its own false-alarm rate
    return stats.binomtest(count, trials, p).pvalue > FALSE_ALARM


P_BEYOND_2 = 2 * stats.norm.sf(2.0)  # 4.55 %


@pytest.mark.parametrize(
    ("estimator", "name", "exact_index"),
    [(mean_estimate, "exponential", 0), (variance_estimate, "normal", 1)],
)
def test_standard_error_is_calibrated(estimator, name, exact_index):
    # Over many repetitions the fraction of |z| > 2 must be 4.55 % (binomial test); an SE off
    # by 10 % moves it to 3.0 % or 6.9 % and must be rejected.
    draw, moments = DISTRIBUTIONS[name]
    n, reps = 400, 20_000
    estimate = estimator(draw(np.random.default_rng(14), (n, reps)), axis=0)
    z = (estimate.value - moments[exact_index]) / estimate.standard_error
    beyond = int(np.sum(np.abs(z) > 2))
    assert _binomial_consistent(beyond, reps, P_BEYOND_2)
    for factor in (0.9, 1.1):
        assert not _binomial_consistent(int(np.sum(np.abs(z / factor) > 2)), reps, P_BEYOND_2)


def test_covariance_standard_error_is_calibrated():
    cov = np.array([[1.0, 0.5], [0.5, 2.0]])
    root = np.linalg.cholesky(cov)
    rng = np.random.default_rng(15)
    # n = 1000: at n ~ 300 the plug-in fourth moment is noisy enough to fatten the tails of z
    # measurably (about 6 % beyond 2); the SE is an asymptotic (large-n) statement
    reps, n = 6000, 1000
    z = np.empty((reps, 2))
    for k in range(reps):
        estimate = covariance_estimate(rng.standard_normal((n, 2)) @ root.T)
        z[k] = (np.array([estimate.value[0, 1], estimate.value[1, 1]]) - [0.5, 2.0]) / np.array(
            [estimate.standard_error[0, 1], estimate.standard_error[1, 1]]
        )
    for column in z.T:
        assert _binomial_consistent(int(np.sum(np.abs(column) > 2)), reps, P_BEYOND_2)
        assert not _binomial_consistent(int(np.sum(np.abs(column / 1.15) > 2)), reps, P_BEYOND_2)


@settings(max_examples=15)
@given(
    seed=st.integers(0, 2**32 - 1),
    dim=st.integers(1, 4),
    cuts=st.lists(st.integers(1, 499), max_size=6),
    offset=st.sampled_from([0.0, 1e3, 1e6]),
)
def test_streaming_and_merge_equal_in_memory(seed, dim, cuts, offset):
    rng = np.random.default_rng(seed)
    x = offset + rng.standard_exponential((500, dim)) * rng.uniform(0.5, 2.0, dim)
    chunks = np.split(x, sorted(set(cuts)))
    running = RunningMoments(dim)
    for chunk in chunks:
        running.update(chunk)
    halves = [RunningMoments(dim).update(c) for c in chunks]
    merged = RunningMoments(dim)
    for part in halves:
        merged.merge(part)
    mean, cov, var = mean_estimate(x), covariance_estimate(x), variance_estimate(x)
    for moments in (running, merged):
        assert moments.n_samples == 500
        # round-off: shifted sums lose at most a few ulps of the offset in the mean, and
        # relative ~1e-9 of the spread in the second and fourth moments
        np.testing.assert_allclose(moments.mean().value, mean.value, rtol=1e-12)
        np.testing.assert_allclose(moments.mean().standard_error, mean.standard_error, rtol=1e-9)
        np.testing.assert_allclose(moments.covariance().value, cov.value, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(
            moments.covariance().standard_error, cov.standard_error, rtol=1e-8, atol=1e-9
        )
        np.testing.assert_allclose(moments.variance().value, var.value, rtol=1e-9)
        np.testing.assert_allclose(moments.variance().standard_error, var.standard_error, rtol=1e-8)


def test_streaming_moments_draws_all_samples_and_reports_progress():
    recorded, seen = [], []

    def draw(k, rng):
        chunk = rng.normal(size=(k, 2))
        recorded.append(chunk)
        return chunk

    moments = streaming_moments(
        draw,
        1000,
        rng=np.random.default_rng(16),
        chunk_size=300,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(300, 1000), (600, 1000), (900, 1000), (1000, 1000)]
    x = np.concatenate(recorded)
    np.testing.assert_allclose(moments.mean().value, x.mean(axis=0), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(moments.covariance().value, np.cov(x.T), rtol=1e-12)


def test_streaming_ten_million_samples_in_bounded_memory():
    tracemalloc.start()
    try:
        moments = streaming_moments(
            lambda k, rng: rng.normal(3.0, 1.0, size=(k, 1)), 10**7, rng=np.random.default_rng(17)
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # in memory the samples alone would take 80 MB; one chunk is 0.5 MB
    assert peak < 8 * 2**20
    assert moments.n_samples == 10**7
    assert z_test(moments.mean(), [3.0]).passed
    assert z_test(moments.variance(), [1.0]).passed
    assert not z_test(moments.variance(), [1.05]).passed


def test_z_threshold():
    # textbook quantiles: 1.959963984540054 (95 %), 3.2905267314919255 (99.9 %)
    assert z_threshold(0.05) == pytest.approx(1.959963984540054, rel=1e-12)
    assert z_threshold(0.01, n_tests=10) == pytest.approx(3.2905267314919255, rel=1e-12)
    for alpha, count in [(1e-6, 1), (1e-6, 37), (0.3, 5)]:
        t = z_threshold(alpha, count)
        assert t == pytest.approx(stats.norm.isf(alpha / (2 * count)), rel=1e-12)
        # inverse check: the two-sided tail of count tests sums to alpha
        assert 2 * count * stats.norm.sf(t) == pytest.approx(alpha, rel=1e-9)


def test_z_test_scores_and_rejection():
    rng = np.random.default_rng(18)
    x = rng.normal(2.0, 0.1, size=(100_000, 3))
    estimate = mean_estimate(x)
    result = z_test(estimate, [2.0, 2.0, 2.0])
    assert result.passed
    assert result.n_tests == 3
    assert result.threshold == z_threshold(1e-6, 3)
    np.testing.assert_allclose(
        result.z_scores, (estimate.value - 2.0) / estimate.standard_error, rtol=1e-12
    )
    assert not z_test(estimate, 1.05 * 2.0).passed
    # atol is added in quadrature
    loose = z_test(estimate, 2.0 * 1.05, atol=0.2)
    assert loose.passed
    # zero SE: exact equality passes, any difference fails
    exact = Estimate(np.array([1.0]), np.array([0.0]), 10)
    assert z_test(exact, 1.0).passed
    assert not z_test(exact, 1.0 + 1e-12).passed


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: mean_estimate([]), "at least 2"),
        (lambda: mean_estimate(np.float64(1.0)), "ndim=0"),
        (lambda: variance_estimate([1.0]), "at least 2"),
        (lambda: variance_estimate([1.0, np.nan, 2.0]), "NaN"),
        (lambda: mean_estimate(np.ones((3, 2)), axis=2), "axis"),
        (lambda: covariance_estimate(np.ones(5)), "2-D"),
        (lambda: covariance_estimate(np.ones((1, 3))), "at least 2"),
        (lambda: covariance_estimate([[1.0, np.inf], [0.0, 1.0]]), "NaN or inf"),
        (lambda: RunningMoments(0), "dim"),
        (lambda: RunningMoments(2).update(np.ones((4, 3))), "chunk"),
        (lambda: RunningMoments(2).update(np.ones(4)), "chunk"),
        (lambda: RunningMoments(2).update(np.ones((1, 2))).mean(), "at least 2"),
        (lambda: RunningMoments(2).merge(RunningMoments(3)), "other"),
        (lambda: streaming_moments(lambda k, rng: np.ones((k, 1)), 1, rng=None), "n_samples"),
        (lambda: streaming_moments(lambda k, rng: np.ones((k, 1)), 5, rng=None), "rng"),
        (
            lambda: streaming_moments(
                lambda k, rng: np.ones((k, 1)), 5, rng=np.random.default_rng(0), chunk_size=0
            ),
            "chunk_size",
        ),
        (
            lambda: streaming_moments(lambda k, rng: np.ones(k), 5, rng=np.random.default_rng(0)),
            "dim",
        ),
        (lambda: z_threshold(0.0), "false_alarm_rate"),
        (lambda: z_threshold(1.0), "false_alarm_rate"),
        (lambda: z_threshold(1e-6, n_tests=0), "n_tests"),
        (lambda: z_test(Estimate(1.0, 0.1, 5), 1.0, false_alarm_rate=1.5), "false_alarm_rate"),
        (lambda: z_test(Estimate(1.0, 0.1, 5), np.nan), "expected"),
        (lambda: z_test(Estimate(np.ones(2), np.ones(2), 5), np.ones(3)), "broadcast"),
        (lambda: z_test(Estimate(1.0, -0.1, 5), 1.0), "non-negative"),
        (lambda: z_test(Estimate(1.0, 0.1, 5), 1.0, atol=-1.0), "atol"),
        (lambda: z_test((1.0, 0.1), 1.0), "Estimate"),
    ],
)
def test_invalid_input_raises(call, match):
    with pytest.raises(InvalidParameter, match=match):
        call()
