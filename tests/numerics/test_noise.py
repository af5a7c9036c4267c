"""Tests of numerics.noise: the gradient-noise samplers against the exact covariance.

``dense_noise_covariance`` is exact (built from the definition with Isserlis on numbers), so
each sampler's ``covariance_estimate`` is z-tested against it (false-alarm rate 1e-6,
Bonferroni over the P^2 entries): (a) the empirical noise (simulated definition), (b) the
factored Gaussian sampler of DESIGN.md §6, (d) the dense square-root sampler.  The same z-test
at the same sample size must reject two perturbed samplers: (b) with Delta scaled by 1.1, and
(b) without the symmetrisation of G (the commutation term of Prop. 3.2 dropped).  The sample
size of each example is computed from the exact covariances so that this power holds.
"""

import math

import numpy as np
from dln_strategies import SEEDS, network_cases
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from numerics.montecarlo import Estimate, covariance_estimate, mean_estimate, z_test, z_threshold
from numerics.network import end_to_end, flatten_layers, partial_products, population_gradient
from numerics.noise import (
    dense_gradient_noise,
    dense_noise_covariance,
    empirical_gradient_noise,
    factored_gradient_noise,
)
from numerics.teacher import Teacher, random_teacher
from numerics.weights import aligned_balanced_weights, random_weights

FALSE_ALARM = 1e-6
POWER_MARGIN = 5.0  # a perturbed sampler's worst entry sits >= threshold + 5 SE away
MAX_SAMPLES = 60_000  # examples needing more for that power (~1% of draws) are skipped


def small_network_cases(max_depth=3):
    """P = sum h_l h_(l-1) <= 27, so P^2 <= 729 covariance entries."""
    return network_cases(max_depth=max_depth, max_width=3)


def _without_label_noise(teacher):
    return Teacher(teacher.left, teacher.singular_values, teacher.right, np.zeros((teacher.m,) * 2))


def _perturbed_factored(weights, teacher, n_draws, rng, *, gap_factor=1.0, symmetrise=True):
    """The factored sampler with one deliberate error (a test device, not library code)."""
    gap = gap_factor * (teacher.matrix - end_to_end(weights))
    z1 = rng.standard_normal((n_draws, teacher.n, teacher.n))
    g = (z1 + np.swapaxes(z1, -1, -2)) / np.sqrt(2.0) if symmetrise else z1
    z = rng.standard_normal((n_draws, teacher.m, teacher.n))
    noise = gap @ g + teacher.label_noise_sqrt @ z
    lefts, rights = partial_products(weights)
    return tuple(-(a.T @ noise @ b.T) for a, b in zip(lefts, rights, strict=True))


def _unsymmetrised_covariance(weights, teacher):
    """Exact covariance of the perturbed sampler without symmetrisation (test device).

    vec xi_l = -(B_l kron A_l^T) vec N with Cov(vec N) = I_n kron (Delta Delta^T + Sigma_eps)
    for N = Delta Z1 + Sigma_eps^(1/2) Z.
    """
    lefts, rights = partial_products(weights)
    gap = teacher.matrix - end_to_end(weights)
    cov_n = np.kron(np.eye(teacher.n), gap @ gap.T + teacher.label_noise_cov)
    transfer = np.concatenate([-np.kron(b, a.T) for a, b in zip(lefts, rights, strict=True)])
    return transfer @ cov_n @ transfer.T


def _gaussian_covariance_se2(sigma, n):
    """Variance of a sample covariance entry for Gaussian data: (S_ii S_jj + S_ij^2) / n."""
    return (np.outer(np.diag(sigma), np.diag(sigma)) + sigma**2) / n


def _samples_for_power(sigma, shift, *, diagonal_only=False):
    """Smallest n with the largest |shift_ij| / SE_ij >= threshold + POWER_MARGIN, for
    Gaussian samples (over the diagonal entries only if ``diagonal_only``)."""
    threshold = z_threshold(FALSE_ALARM, sigma.size)
    with np.errstate(divide="ignore"):
        needed = (threshold + POWER_MARGIN) ** 2 * _gaussian_covariance_se2(sigma, 1) / shift**2
    return float(np.min(np.diag(needed) if diagonal_only else needed))


@given(case=small_network_cases())
@settings(max_examples=8)
def test_factored_and_empirical_noise_have_the_exact_covariance(case):
    teacher, weights, rng = case
    sigma = dense_noise_covariance(weights, teacher)
    # Delta x 1.1 multiplies the label-free part of Sigma by 1.21
    gap_shift = 0.21 * dense_noise_covariance(weights, _without_label_noise(teacher))
    sym_shift = _unsymmetrised_covariance(weights, teacher) - sigma
    needed = max(_samples_for_power(sigma, gap_shift), _samples_for_power(sigma, sym_shift))
    assume(needed <= MAX_SAMPLES)
    n = max(math.ceil(needed), 1000)

    factored = covariance_estimate(
        flatten_layers(factored_gradient_noise(weights, teacher, n, rng=rng))
    )
    assert z_test(factored, sigma, false_alarm_rate=FALSE_ALARM).passed
    empirical_draws = flatten_layers(empirical_gradient_noise(weights, teacher, n, rng=rng))
    assert z_test(covariance_estimate(empirical_draws), sigma, false_alarm_rate=FALSE_ALARM).passed
    # the noise is centred: the per-sample gradient is unbiased (Prop. 3.1)
    assert z_test(mean_estimate(empirical_draws), 0.0, false_alarm_rate=FALSE_ALARM).passed

    for perturbation in ({"gap_factor": 1.1}, {"symmetrise": False}):
        wrong = _perturbed_factored(weights, teacher, n, rng, **perturbation)
        estimate = covariance_estimate(flatten_layers(wrong))
        assert not z_test(estimate, sigma, false_alarm_rate=FALSE_ALARM).passed, perturbation


@given(case=small_network_cases(max_depth=2), copies=st.integers(2, 3))
@settings(max_examples=4)
def test_factored_noise_is_batched_over_independent_networks(case, copies):
    teacher, weights, rng = case
    widths = (weights[0].shape[1], *(w.shape[0] for w in weights))
    ensemble = random_weights(widths, rng=rng, batch_shape=(copies,))
    n = 20_000
    draws = flatten_layers(factored_gradient_noise(ensemble, teacher, n, rng=rng))
    assert draws.shape == (
        copies,
        n,
        sum(a * b for a, b in zip(widths[1:], widths[:-1], strict=True)),
    )
    for index in range(copies):
        single = tuple(w[index] for w in ensemble)
        sigma = dense_noise_covariance(single, teacher)
        # Bonferroni over the ensemble: each network gets false-alarm rate 1e-6 / copies
        result = z_test(
            covariance_estimate(draws[index]), sigma, false_alarm_rate=FALSE_ALARM / copies
        )
        assert result.passed
    # the draws of different networks are independent: their cross-covariance is zero; the
    # same test rejects a fully dependent pair (cross-covariance = Sigma, z ~ sqrt(n / 2)).
    assert z_test(_cross_covariance(draws[0], draws[1]), 0.0, false_alarm_rate=FALSE_ALARM).passed
    assert not z_test(
        _cross_covariance(draws[0], draws[0]), 0.0, false_alarm_rate=FALSE_ALARM
    ).passed


def _cross_covariance(first, second):
    joint = covariance_estimate(np.concatenate([first, second], axis=1))
    p = first.shape[1]
    return Estimate(joint.value[:p, p:], joint.standard_error[:p, p:], joint.n_samples)


@given(case=small_network_cases())
@settings(max_examples=8)
def test_dense_covariance_is_symmetric_psd_and_its_sampler_reproduces_it(case):
    teacher, weights, rng = case
    sigma = dense_noise_covariance(weights, teacher)
    np.testing.assert_array_equal(sigma, sigma.T)
    # PSD up to round-off: eigenvalues of a P x P (P <= 27) float64 matrix carry absolute
    # errors ~ P eps_mach max|lambda| ~ 1e-14 max|lambda|; 1e-12 leaves margin.
    eigenvalues = np.linalg.eigvalsh(sigma)
    assert eigenvalues[0] >= -1e-12 * max(1.0, eigenvalues[-1])
    # the diagonal of Sigma is the variance of the per-sample gradient entries: > 0 unless
    # the Jacobian or the gap vanishes
    assert np.all(np.diag(sigma) >= 0)

    needed = _samples_for_power(sigma, 0.1025 * sigma)  # draws x 1.05 -> cov x 1.1025
    assume(needed <= MAX_SAMPLES)
    n = max(math.ceil(needed), 1000)
    draws = dense_gradient_noise(weights, teacher, n, rng=rng)
    estimate = covariance_estimate(draws)
    assert z_test(estimate, sigma, false_alarm_rate=FALSE_ALARM).passed
    wrong = covariance_estimate(1.05 * dense_gradient_noise(weights, teacher, n, rng=rng))
    assert not z_test(wrong, sigma, false_alarm_rate=FALSE_ALARM).passed


@given(seed=SEEDS, depth=st.integers(1, 4))
@settings(max_examples=5)
def test_noise_vanishes_at_a_global_minimum_without_label_noise(seed, depth):
    # paper remark after Prop. 3.2: Sigma = 0 where Delta = 0 and Sigma_eps = 0; with label
    # noise it does not vanish.  The gap is round-off there (|Delta| ~ 1e-15), so Sigma ~ 1e-30.
    rng = np.random.default_rng(seed)
    teacher = random_teacher([1.5, 0.7], shape=(3, 3), rng=rng)
    widths = (3, *([4] * (depth - 1)), 3)
    minimum = aligned_balanced_weights(teacher, teacher.singular_values, widths, rng=rng)
    assert np.max(np.abs(dense_noise_covariance(minimum, teacher))) < 1e-24
    for g in population_gradient(minimum, teacher):
        assert np.max(np.abs(g)) < 1e-12
    noisy = Teacher(teacher.left, teacher.singular_values, teacher.right, 0.09 * np.eye(3))
    assert np.max(np.abs(dense_noise_covariance(minimum, noisy))) > 1e-3


@given(seed=SEEDS, depth=st.integers(1, 3))
@settings(max_examples=4)
def test_label_noise_part_of_the_samplers(seed, depth):
    # At a global minimum (Delta = 0) the noise is the label term alone,
    # xi_l = -A_l^T eps x^T B_l^T; the samplers must reproduce it, and a sampler whose label
    # noise is scaled by 1.1 (covariance x 1.21) is rejected at the same sample size.
    rng = np.random.default_rng(seed)
    teacher = random_teacher([1.5], shape=(2, 2), rng=rng, label_noise=0.5)
    widths = (2, *([2] * (depth - 1)), 2)
    weights = aligned_balanced_weights(teacher, [1.5, 0.0], widths, rng=rng)
    sigma = dense_noise_covariance(weights, teacher)
    needed = _samples_for_power(sigma, 0.21 * sigma, diagonal_only=True)
    # The empirical noise entries are bilinear forms e = eps^T M x with Q = M^T Sigma_eps M:
    # E e^4 = 3 (tr(Q)^2 + 2 tr(Q^2)) <= 9 (E e^2)^2 instead of 3 (E e^2)^2 for a Gaussian,
    # so Var(e^2) <= 8 s^4 instead of 2 s^4: the SE of a diagonal covariance entry is at most
    # twice the Gaussian one, hence 4x the samples.
    for sampler, factor in ((factored_gradient_noise, 1), (empirical_gradient_noise, 4)):
        n = max(math.ceil(factor * needed), 1000)
        draws = flatten_layers(sampler(weights, teacher, n, rng=rng))
        assert z_test(covariance_estimate(draws), sigma, false_alarm_rate=FALSE_ALARM).passed
        wrong = covariance_estimate(1.1 * draws)
        assert not z_test(wrong, sigma, false_alarm_rate=FALSE_ALARM).passed
