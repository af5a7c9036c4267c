"""Tests of numerics.network and numerics.data: gradients (paper Prop. 3.1) against finite
differences and Monte Carlo, partial products, vectorisation, batching, the data law.

Finite-difference checks are deterministic (tolerances justified by the truncation and
round-off errors); Monte Carlo checks use numerics.montecarlo.z_test at false-alarm rate 1e-6
with Bonferroni over entries, and each one also shows that a perturbed formula (x 1.05) is
rejected at the same sample size.
"""

import math

import numpy as np
import pytest
from dln_strategies import SEEDS, network_cases
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics.data import sample_data
from numerics.montecarlo import covariance_estimate, mean_estimate, z_test, z_threshold
from numerics.network import (
    cross_mode_amplitudes,
    end_to_end,
    flatten_layers,
    minibatch_gradient,
    mode_amplitudes,
    network_widths,
    partial_products,
    per_sample_gradients,
    population_gradient,
    population_loss,
    sample_loss,
    unflatten_layers,
)
from numerics.noise import dense_noise_covariance
from numerics.teacher import random_teacher
from numerics.weights import aligned_balanced_weights, random_weights

FALSE_ALARM = 1e-6
POWER_MARGIN = 5.0  # a perturbed formula is expected this many SE beyond the threshold:
# it then escapes rejection with probability Phi(-5) < 3e-7.


def _perturbed(weights, layer, index, step):
    layers = [w.copy() for w in weights]
    layers[layer][index] += step
    return tuple(layers)


# Both losses are exactly quadratic in each layer W_l (W = A_l W_l B_l is linear in W_l), so
# the central difference (f(w+h) - f(w-h)) / 2h has zero truncation error (its error term is
# h^2 f'''/6 = 0).  What remains is round-off, about eps_mach * |f| / h ~ 2e-16 * |f| / 0.1;
# the tolerance 1e-10 * (1 + |f|) leaves a factor ~50 of margin and catches any wrong
# gradient (the x1.05 and the sign-flipped gradients are checked to fail it).
FD_STEP = 0.1
FD_RTOL = 1e-10


def _central_differences(loss, weights):
    """Central differences of loss(weights) (any output shape) w.r.t. every weight entry."""
    gradients = []
    for l, w in enumerate(weights):
        g = np.empty((*np.shape(loss(weights)), *w.shape))
        for index in np.ndindex(w.shape):
            plus = loss(_perturbed(weights, l, index, FD_STEP))
            minus = loss(_perturbed(weights, l, index, -FD_STEP))
            g[(..., *index)] = (plus - minus) / (2 * FD_STEP)
        gradients.append(g)
    return gradients


def _fd_agrees(candidate, reference, scale):
    return all(
        np.max(np.abs(c - r)) <= FD_RTOL * (1 + scale)
        for c, r in zip(candidate, reference, strict=True)
    )


@given(case=network_cases())
@settings(max_examples=15)
def test_per_sample_gradients_match_central_differences(case):
    teacher, weights, rng = case
    x, y = sample_data(teacher, 3, rng=rng)
    gradients = per_sample_gradients(weights, x, y)
    # sample axis first: FD array has shape (n_samples, h_l, h_{l-1}) like the gradient
    finite = _central_differences(lambda w: sample_loss(w, x, y), weights)
    scale = float(np.max(sample_loss(weights, x, y)))
    assert _fd_agrees(gradients, finite, scale)
    assert not _fd_agrees([1.05 * g for g in gradients], finite, scale)
    assert not _fd_agrees([-g for g in gradients], finite, scale)


@given(case=network_cases())
@settings(max_examples=15)
def test_population_gradient_matches_central_differences(case):
    teacher, weights, _ = case
    gradient = population_gradient(weights, teacher)
    finite = _central_differences(lambda w: population_loss(w, teacher), weights)
    scale = float(population_loss(weights, teacher))
    assert _fd_agrees(gradient, finite, scale)
    assert not _fd_agrees([1.05 * g for g in gradient], finite, scale)


@given(case=network_cases(), n_samples=st.integers(1, 5))
@settings(max_examples=15)
def test_minibatch_gradient_matches_central_differences_of_the_mean_loss(case, n_samples):
    teacher, weights, rng = case
    x, y = sample_data(teacher, n_samples, rng=rng)
    gradient = minibatch_gradient(weights, x, y)
    finite = _central_differences(lambda w: sample_loss(w, x, y).mean(), weights)
    scale = float(np.max(sample_loss(weights, x, y)))
    assert _fd_agrees(gradient, finite, scale)
    assert not _fd_agrees([1.05 * g for g in gradient], finite, scale)
    # the sum over the samples instead of the mean
    if n_samples > 1:
        assert not _fd_agrees([n_samples * g for g in gradient], finite, scale)


def _batch_mean_gradients(weights, teacher, n_batches, batch_size, rng, chunk=100):
    """Means over batches of ``batch_size`` fresh samples of the flattened per-sample gradient.

    The batch means are i.i.d. with the mean of one per-sample gradient; a z-test on their
    mean is the z-test on the mean of all n_batches * batch_size samples, with memory of one
    chunk of batches.  1000 batch means make the estimated SE accurate to ~2%.
    """
    means = []
    for start in range(0, n_batches, chunk):
        k = min(chunk, n_batches - start)
        ensemble = tuple(np.broadcast_to(w, (k, *w.shape)) for w in weights)
        x, y = sample_data(teacher, batch_size, rng=rng, batch_shape=(k,))
        means.append(flatten_layers(per_sample_gradients(ensemble, x, y)).mean(axis=1))
    return np.concatenate(means)


@given(case=network_cases())
@settings(max_examples=4)
def test_mean_of_per_sample_gradients_is_the_population_gradient(case):
    teacher, weights, rng = case
    expected = flatten_layers(population_gradient(weights, teacher))
    # Sample size with power: the per-sample gradient of entry i has variance Sigma_ii (the
    # noise covariance, exact); the x1.05 gradient moves entry i by 0.05 |g_i|, which must be
    # >= (threshold + POWER_MARGIN) standard errors for the best entry.
    variances = np.diag(dense_noise_covariance(weights, teacher))
    threshold = z_threshold(FALSE_ALARM, expected.size)
    with np.errstate(divide="ignore"):
        needed = (threshold + POWER_MARGIN) ** 2 * variances / (0.05 * expected) ** 2
    n_batches = 1000
    batch_size = math.ceil(float(np.min(needed)) / n_batches)
    assert batch_size <= 300, "pathological draw: the power would need too many samples"
    means = _batch_mean_gradients(weights, teacher, n_batches, batch_size, rng)
    estimate = mean_estimate(means)
    assert z_test(estimate, expected, false_alarm_rate=FALSE_ALARM).passed
    assert not z_test(estimate, 1.05 * expected, false_alarm_rate=FALSE_ALARM).passed


@given(case=network_cases())
@settings(max_examples=10)
def test_partial_products_factor_the_end_to_end_map(case):
    _, weights, _ = case
    lefts, rights = partial_products(weights)
    product = end_to_end(weights)
    widths = network_widths(weights)
    assert widths == (weights[0].shape[1], *(w.shape[0] for w in weights))
    assert lefts[-1].shape == (widths[-1], widths[-1])
    assert rights[0].shape == (widths[0], widths[0])
    np.testing.assert_array_equal(lefts[-1], np.eye(widths[-1]))
    np.testing.assert_array_equal(rights[0], np.eye(widths[0]))
    scale = 1 + np.max(np.abs(product))
    for a_l, w_l, b_l in zip(lefts, weights, rights, strict=True):
        # W = A_l W_l B_l exactly up to the round-off of a product of <= 4 small matrices
        np.testing.assert_allclose(a_l @ w_l @ b_l, product, rtol=0, atol=1e-12 * scale)


@given(case=network_cases(), batch=st.integers(1, 3))
@settings(max_examples=10)
def test_batched_networks_equal_one_by_one(case, batch):
    teacher, _, rng = case
    widths = network_widths(case[1])
    ensemble = random_weights(widths, rng=rng, batch_shape=(batch, 2))
    x, y = sample_data(teacher, 4, rng=rng, batch_shape=(batch, 2))
    together = per_sample_gradients(ensemble, x, y)
    population = population_gradient(ensemble, teacher)
    minibatch = minibatch_gradient(ensemble, x, y)
    losses = sample_loss(ensemble, x, y)
    amplitudes = mode_amplitudes(ensemble, teacher)
    for index in np.ndindex(batch, 2):
        single = tuple(w[index] for w in ensemble)
        for g_all, g_one in zip(
            together, per_sample_gradients(single, x[index], y[index]), strict=True
        ):
            np.testing.assert_allclose(g_all[index], g_one, rtol=1e-13, atol=1e-14)
        for g_all, g_one in zip(population, population_gradient(single, teacher), strict=True):
            np.testing.assert_allclose(g_all[index], g_one, rtol=1e-13, atol=1e-14)
        for g_all, g_one in zip(
            minibatch, minibatch_gradient(single, x[index], y[index]), strict=True
        ):
            np.testing.assert_allclose(g_all[index], g_one, rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(
            losses[index], sample_loss(single, x[index], y[index]), rtol=1e-13
        )
        np.testing.assert_allclose(
            amplitudes[index], mode_amplitudes(single, teacher), rtol=1e-13, atol=1e-14
        )


@given(case=network_cases())
@settings(max_examples=10)
def test_mode_amplitudes_are_projections_on_the_teacher_modes(case):
    teacher, weights, _ = case
    product = end_to_end(weights)
    cross = cross_mode_amplitudes(weights, teacher)
    for a in range(teacher.rank):
        for b in range(teacher.rank):
            expected = teacher.left[:, a] @ product @ teacher.right[:, b]
            assert cross[a, b] == pytest.approx(expected, rel=1e-12, abs=1e-14)
    np.testing.assert_array_equal(mode_amplitudes(weights, teacher), np.diagonal(cross))


@given(case=network_cases(), leading=st.integers(1, 3))
@settings(max_examples=10)
def test_flatten_is_column_major_and_unflatten_inverts_it(case, leading):
    _, weights, rng = case
    widths = network_widths(weights)
    layers = random_weights(widths, rng=rng, batch_shape=(leading,))
    vec = flatten_layers(layers)
    offset = 0
    for w in layers:
        rows, cols = w.shape[-2:]
        for i in range(rows):
            for j in range(cols):
                # column-major: entry (i, j) sits at i + j * rows within its layer's block
                np.testing.assert_array_equal(vec[:, offset + i + j * rows], w[:, i, j])
        offset += rows * cols
    assert offset == vec.shape[-1]
    for original, recovered in zip(layers, unflatten_layers(vec, widths), strict=True):
        np.testing.assert_array_equal(original, recovered)


@given(seed=SEEDS, label_noise=st.sampled_from([0.0, 0.5]))
@settings(max_examples=5)
def test_sample_data_has_the_teacher_law(seed, label_noise):
    # E[x x^T] = I, E[y x^T] = W*, Cov(y - W* x) = Sigma_eps, all as z-tests on one sample
    # set; the perturbed values (x1.05 / x1.1) must be rejected at the same sample size.
    rng = np.random.default_rng(seed)
    teacher = random_teacher([2.0, 1.0], shape=(3, 2), rng=rng, label_noise=label_noise)
    x, y = sample_data(teacher, 400_000, rng=rng)
    joint = np.concatenate([x, y], axis=1)
    estimate = covariance_estimate(joint)
    n, m = teacher.n, teacher.m
    expected = np.block(
        [
            [np.eye(n), teacher.matrix.T],
            [teacher.matrix, teacher.matrix @ teacher.matrix.T + teacher.label_noise_cov],
        ]
    )
    assert z_test(estimate, expected, false_alarm_rate=FALSE_ALARM).passed
    wrong = expected.copy()
    wrong[n:, :n] *= 1.05
    wrong[:n, n:] *= 1.05
    assert not z_test(estimate, wrong, false_alarm_rate=FALSE_ALARM).passed
    assert z_test(mean_estimate(joint), np.zeros(n + m), false_alarm_rate=FALSE_ALARM).passed


@given(case=network_cases())
@settings(max_examples=5)
def test_population_loss_is_the_mean_sample_loss(case):
    teacher, weights, rng = case
    expected = float(population_loss(weights, teacher))
    # 1/2 |Delta x + eps|^2 is 1/2 a weighted chi-square; its variance is
    # 1/2 tr((Delta Delta^T + Sigma_eps)^2) <= 1/2 (2 L)^2 = 2 L^2 with L the expected loss,
    # so with 10^5 samples the x1.05 loss is >= 0.05 L / (sqrt(2) L / 316) = 11 SE away.
    x, y = sample_data(teacher, 100_000, rng=rng)
    estimate = mean_estimate(sample_loss(weights, x, y))
    assert z_test(estimate, expected, false_alarm_rate=FALSE_ALARM).passed
    assert not z_test(estimate, 1.05 * expected, false_alarm_rate=FALSE_ALARM).passed


@given(seed=SEEDS, depth=st.integers(1, 4), sigma_eps=st.floats(0.1, 1.0))
@settings(max_examples=4)
def test_population_loss_at_a_global_minimum_is_the_label_noise_floor(seed, depth, sigma_eps):
    # Delta = 0: l = 1/2 |eps|^2, L = 1/2 tr Sigma_eps; 1/2|eps|^2 is (sigma^2 / 2) chi^2_m with
    # relative SD sqrt(2 / m) <= 1.5, so with 10^5 samples the x1.05 value is >= 10 SE away.
    rng = np.random.default_rng(seed)
    teacher = random_teacher([1.2, 0.4], shape=(2, 3), rng=rng, label_noise=sigma_eps)
    widths = (3, *([3] * (depth - 1)), 2)
    minimum = aligned_balanced_weights(teacher, teacher.singular_values, widths, rng=rng)
    expected = float(population_loss(minimum, teacher))
    assert expected == pytest.approx(sigma_eps**2, rel=1e-12)  # 1/2 tr(sigma^2 I_2)
    x, y = sample_data(teacher, 100_000, rng=rng)
    estimate = mean_estimate(sample_loss(minimum, x, y))
    assert z_test(estimate, expected, false_alarm_rate=FALSE_ALARM).passed
    assert not z_test(estimate, 1.05 * expected, false_alarm_rate=FALSE_ALARM).passed
