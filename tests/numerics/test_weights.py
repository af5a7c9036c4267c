"""Tests of numerics.teacher and numerics.weights: the teacher's SVD, the aligned-balanced
manifold (assumptions A1-A2 of the paper), the Gaussian initialisations, the imbalance.

Structural identities are checked deterministically up to round-off (tolerances in comments),
each alongside a case where the identity must fail; variances of random initialisations are
z-tests at false-alarm rate 1e-6 paired with a rejected x1.1 variance.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics.montecarlo import mean_estimate, variance_estimate, z_test
from numerics.network import cross_mode_amplitudes, end_to_end, network_widths
from numerics.teacher import Teacher, random_orthogonal, random_teacher
from numerics.weights import (
    aligned_balanced_weights,
    layer_imbalance,
    random_weights,
    small_gaussian_init,
)

FALSE_ALARM = 1e-6
SEEDS = st.integers(0, 2**32 - 1)
# Round-off of products of <= 5 orthogonal/diagonal matrices of size <= 5 with entries O(1):
# a few eps_mach * d ~ 1e-15; 1e-12 (relative to the largest amplitude) leaves margin.
ROUNDOFF = 1e-12


@st.composite
def widths_strategy(draw, max_depth=4, max_width=5):
    depth = draw(st.integers(1, max_depth))
    return tuple(draw(st.lists(st.integers(1, max_width), min_size=depth + 1, max_size=depth + 1)))


# ---------------------------------------------------------------- teacher


@given(n=st.integers(1, 6), seed=SEEDS)
def test_random_orthogonal_is_orthogonal(n, seed):
    q = random_orthogonal(n, rng=np.random.default_rng(seed))
    np.testing.assert_allclose(q.T @ q, np.eye(n), rtol=0, atol=ROUNDOFF)


def test_random_orthogonal_is_haar_in_its_first_moments():
    # Haar: each entry has mean 0 and variance 1/n.  The plain QR factor (no sign fix) is not
    # Haar, its diagonal is biased, and the same mean test at the same size rejects it.  The
    # variance of an entry's square is 3/(n(n+2)) - 1/n^2 = 0.089 for n = 3, so with 10^4
    # draws the x1.1 variance is 11 SE off (threshold 5.3 for 9 entries).
    n, draws = 3, 10_000
    rng = np.random.default_rng(5)
    entries = np.array([random_orthogonal(n, rng=rng) for _ in range(draws)]).reshape(draws, -1)
    assert z_test(mean_estimate(entries), 0.0, false_alarm_rate=FALSE_ALARM).passed
    variance = variance_estimate(entries)
    assert z_test(variance, 1 / n, false_alarm_rate=FALSE_ALARM).passed
    assert not z_test(variance, 1.1 / n, false_alarm_rate=FALSE_ALARM).passed
    plain = np.array([np.linalg.qr(rng.standard_normal((n, n)))[0] for _ in range(draws)])
    plain_mean = mean_estimate(plain.reshape(draws, -1))
    assert not z_test(plain_mean, 0.0, false_alarm_rate=FALSE_ALARM).passed


@given(widths=widths_strategy(max_depth=1, max_width=6), data=st.data(), seed=SEEDS)
def test_random_teacher_has_the_requested_singular_values(widths, data, seed):
    n, m = widths
    rank = data.draw(st.integers(1, min(m, n)))
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.5, 3.0, size=rank)
    teacher = random_teacher(values, shape=(m, n), rng=rng, label_noise=0.25)
    assert (teacher.m, teacher.n, teacher.rank) == (m, n, rank)
    spectrum = np.linalg.svd(teacher.matrix, compute_uv=False)
    expected = np.zeros(min(m, n))
    expected[:rank] = np.sort(values)[::-1]
    np.testing.assert_allclose(spectrum, expected, rtol=0, atol=ROUNDOFF * 3)
    np.testing.assert_allclose(teacher.left.T @ teacher.left, np.eye(m), atol=ROUNDOFF)
    np.testing.assert_allclose(teacher.right.T @ teacher.right, np.eye(n), atol=ROUNDOFF)
    # the stored singular vectors are singular vectors: W* v_a = sigma_a u_a
    np.testing.assert_allclose(
        teacher.matrix @ teacher.right_vectors,
        teacher.left_vectors * values,
        atol=ROUNDOFF * 3,
    )
    np.testing.assert_allclose(teacher.label_noise_cov, 0.0625 * np.eye(m), rtol=0, atol=0)
    root = teacher.label_noise_sqrt
    np.testing.assert_allclose(root @ root, teacher.label_noise_cov, atol=ROUNDOFF)


def test_teacher_accepts_a_psd_label_noise_matrix_and_is_read_only():
    rng = np.random.default_rng(1)
    factor = rng.standard_normal((3, 2))
    cov = factor @ factor.T  # rank 2, PSD, singular
    teacher = random_teacher([1.0], shape=(3, 2), rng=rng, label_noise=cov)
    root = teacher.label_noise_sqrt
    np.testing.assert_allclose(root, root.T, atol=0)
    np.testing.assert_allclose(root @ root, cov, atol=1e-7)  # sqrt of a zero eigenvalue: ~1e-8
    with pytest.raises(ValueError, match="read-only"):
        teacher.left[0, 0] = 2.0
    same = Teacher(teacher.left, teacher.singular_values, teacher.right, teacher.label_noise_cov)
    np.testing.assert_array_equal(same.matrix, teacher.matrix)


# ---------------------------------------------------------------- aligned-balanced manifold


@given(widths=widths_strategy(), data=st.data(), seed=SEEDS)
@settings(max_examples=25)
def test_aligned_balanced_weights_are_aligned_and_balanced(widths, data, seed):
    n, m = widths[0], widths[-1]
    rank = data.draw(st.integers(1, min(m, n)))
    k = data.draw(st.integers(1, min(widths)))
    rng = np.random.default_rng(seed)
    teacher = random_teacher(rng.uniform(0.5, 2.0, size=rank), shape=(m, n), rng=rng)
    amplitudes = rng.uniform(0.05, 2.0, size=k)
    weights = aligned_balanced_weights(teacher, amplitudes, widths, rng=rng)
    assert network_widths(weights) == widths
    # aligned: in the full teacher bases the student is diag(s_1..s_k, 0, ...)
    full = teacher.left.T @ end_to_end(weights) @ teacher.right
    expected = np.zeros((m, n))
    expected[np.arange(k), np.arange(k)] = amplitudes
    np.testing.assert_allclose(full, expected, rtol=0, atol=ROUNDOFF)
    cross = cross_mode_amplitudes(weights, teacher)
    np.testing.assert_allclose(cross, expected[:rank, :rank], rtol=0, atol=ROUNDOFF)
    # balanced: W_{l+1}^T W_{l+1} = W_l W_l^T, each layer has singular values s^(1/L)
    for imbalance in layer_imbalance(weights):
        np.testing.assert_allclose(imbalance, 0.0, rtol=0, atol=ROUNDOFF)
    depth = len(widths) - 1
    for w in weights:
        spectrum = np.linalg.svd(w, compute_uv=False)[:k]
        np.testing.assert_allclose(
            spectrum, np.sort(amplitudes ** (1 / depth))[::-1], rtol=0, atol=ROUNDOFF
        )
    # the balance check is not vacuous: W_1 -> 1.1 W_1, W_2 -> W_2 / 1.1 keeps W (and the
    # alignment) but makes W_2^T W_2 - W_1 W_1^T = (1/1.21 - 1.21) W_1 W_1^T, whose largest
    # entry is >= 0.4 * tr(W_1 W_1^T) / h_1 >= 0.4 * 0.05^2 / 5, far above round-off.
    if depth >= 2:
        rescaled = (1.1 * weights[0], weights[1] / 1.1, *weights[2:])
        np.testing.assert_allclose(end_to_end(rescaled), end_to_end(weights), atol=ROUNDOFF)
        assert np.max(np.abs(layer_imbalance(rescaled)[0])) > 1e3 * ROUNDOFF


def test_layer_imbalance_definition():
    rng = np.random.default_rng(3)
    weights = random_weights((2, 3, 4), rng=rng)
    (imbalance,) = layer_imbalance(weights)
    expected = weights[1].T @ weights[1] - weights[0] @ weights[0].T
    np.testing.assert_allclose(imbalance, expected, rtol=0, atol=0)
    assert layer_imbalance((weights[0],)) == ()


# ---------------------------------------------------------------- Gaussian initialisations


@given(widths=widths_strategy(max_width=4), gamma=st.floats(0.5, 2.0), seed=SEEDS)
@settings(max_examples=5)
def test_small_gaussian_init_has_variance_d_to_minus_gamma(widths, gamma, seed):
    # one z-test over the L layer variances, 40000 networks: relative SE of a Gaussian
    # variance is sqrt(2 / N) = 0.007, so the x1.1 variance is 14 SE off, while the threshold
    # for 4 tests at 1e-6 is 5.5: missed with probability Phi(-8) ~ 1e-15.
    rng = np.random.default_rng(seed)
    weights = small_gaussian_init(widths, gamma=gamma, rng=rng, batch_shape=(40_000,))
    d = max(widths)
    samples = np.stack([w[:, 0, 0] for w in weights], axis=1)
    estimate = variance_estimate(samples)
    assert z_test(estimate, d**-gamma, false_alarm_rate=FALSE_ALARM).passed
    assert not z_test(estimate, 1.1 * d**-gamma, false_alarm_rate=FALSE_ALARM).passed
    explicit = small_gaussian_init(widths, gamma=gamma, rng=rng, d=7, batch_shape=(40_000,))
    samples = np.stack([w[:, -1, -1] for w in explicit], axis=1)
    assert z_test(variance_estimate(samples), 7.0**-gamma, false_alarm_rate=FALSE_ALARM).passed


@given(widths=widths_strategy(max_width=4), scale=st.floats(0.5, 2.0), seed=SEEDS)
@settings(max_examples=5)
def test_random_weights_have_variance_scale_squared_over_fan_in(widths, scale, seed):
    rng = np.random.default_rng(seed)
    weights = random_weights(widths, rng=rng, scale=scale, batch_shape=(40_000,))
    samples = np.stack([w[:, 0, -1] for w in weights], axis=1)
    expected = scale**2 / np.array(widths[:-1], dtype=float)
    estimate = variance_estimate(samples)
    assert z_test(estimate, expected, false_alarm_rate=FALSE_ALARM).passed
    assert not z_test(estimate, 1.1 * expected, false_alarm_rate=FALSE_ALARM).passed
