"""Tests of numerics.observables: the modewise-SDE observables simulated from their definitions.

No closed form of the paper appears here.  The polynomial coefficients are checked against
direct evaluation of the network (polynomial identity, finite differences); the Monte Carlo
observables are checked against each other along independent routes (three noise samplers;
Euler-Maruyama increments of the SDE), with z-tests at false-alarm rate 1e-6 and a perturbed
value (factor 1.1) that the same machinery must reject at the same sample size.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlnverify.errors import InvalidParameter
from numerics.montecarlo import (
    Estimate,
    covariance_estimate,
    mean_estimate,
    variance_estimate,
    z_test,
)
from numerics.network import (
    cross_mode_amplitudes,
    flatten_layers,
    mode_amplitudes,
    population_gradient,
    population_loss,
    unflatten_layers,
)
from numerics.noise import factored_gradient_noise
from numerics.observables import (
    cross_mode_diffusion_samples,
    cross_mode_expansion,
    cross_mode_ito_drift_samples,
    gradient_drift,
    imbalance_drift_samples,
    imbalance_expansion,
    ito_drift_increment_samples,
    ito_drift_samples,
    mode_amplitude_expansion,
    modewise_diffusion_samples,
)
from numerics.teacher import random_teacher
from numerics.weights import aligned_balanced_weights, layer_imbalance, random_weights

FALSE_ALARM = 1e-6


def _shifted(weights, direction, h):
    return tuple(w[..., None, :, :] + h * xi for w, xi in zip(weights, direction, strict=True))


def _difference(first: Estimate, second: Estimate, factor: float = 1.0) -> Estimate:
    """Two independent estimates: first - factor * second, SEs added in quadrature."""
    value = np.asarray(first.value) - factor * np.asarray(second.value)
    se = np.hypot(first.standard_error, factor * np.asarray(second.standard_error))
    return Estimate(value, se, min(first.n_samples, second.n_samples))


@st.composite
def _networks(draw, batch=False):
    """A random teacher, random weights (optionally a batch of 2) and a direction with 3 draws."""
    seed = draw(st.integers(0, 2**32 - 1))
    depth = draw(st.integers(1, 4))
    widths = tuple(draw(st.integers(1, 3)) for _ in range(depth + 1))
    rng = np.random.default_rng(seed)
    rank = draw(st.integers(1, min(widths[0], widths[-1])))
    teacher = random_teacher(
        rng.uniform(0.5, 2.0, rank), shape=(widths[-1], widths[0]), rng=rng, label_noise=0.3
    )
    batch_shape = (2,) if batch else ()
    weights = random_weights(widths, rng=rng, batch_shape=batch_shape)
    direction = tuple(rng.standard_normal((*batch_shape, 3, *w.shape[-2:])) for w in weights)
    return teacher, weights, direction


def _scale(coefficients, h):
    # |sum_k c_k h^k| is computed with round-off ~ 1e-15 * sum_k |c_k| |h|^k
    return np.sum(
        np.abs(coefficients) * np.abs(h) ** np.arange(coefficients.shape[-2])[:, None], -2
    )


@settings(max_examples=25)
@given(network=_networks(batch=True))
def test_expansion_is_the_exact_polynomial(network):
    teacher, weights, direction = network
    depth = len(weights)
    coefficients = mode_amplitude_expansion(weights, teacher, direction, order=depth)
    cross = cross_mode_expansion(weights, teacher, direction, order=depth)
    assert coefficients.shape == (2, 3, depth + 1, teacher.rank)
    assert cross.shape == (2, 3, depth + 1, teacher.rank, teacher.rank)
    # same products, different summation order: round-off only
    np.testing.assert_allclose(
        np.diagonal(cross, axis1=-2, axis2=-1), coefficients, rtol=1e-13, atol=1e-13
    )
    for h in (-1.3, 0.4, 2.0):
        direct = mode_amplitudes(_shifted(weights, direction, h), teacher)
        polynomial = np.polyval(np.moveaxis(coefficients, -2, 0)[::-1], h)
        # round-off: a few ulps of the largest term, relative 1e-12
        np.testing.assert_allclose(
            polynomial, direct, rtol=0, atol=1e-12 * _scale(coefficients, h).max() + 1e-300
        )
        direct_cross = cross_mode_amplitudes(_shifted(weights, direction, h), teacher)
        polynomial_cross = np.einsum("...kab,k->...ab", cross, h ** np.arange(depth + 1))
        np.testing.assert_allclose(
            polynomial_cross,
            direct_cross,
            rtol=0,
            atol=1e-12 * (1 + np.abs(cross).sum() * 2.0**depth),
        )
    # order 0 is the amplitude itself; orders beyond the degree L are exactly zero
    np.testing.assert_allclose(
        mode_amplitude_expansion(weights, teacher, direction, order=0)[..., 0, :],
        np.broadcast_to(mode_amplitudes(weights, teacher)[:, None, :], (2, 3, teacher.rank)),
        rtol=1e-12,
        atol=1e-12,
    )
    high = mode_amplitude_expansion(weights, teacher, direction, order=depth + 2)
    np.testing.assert_array_equal(high[..., depth + 1 :, :], 0.0)
    np.testing.assert_array_equal(high[..., : depth + 1, :], coefficients)


@settings(max_examples=25)
@given(network=_networks())
def test_first_and_second_coefficients_are_derivatives(network):
    teacher, weights, direction = network
    c = mode_amplitude_expansion(weights, teacher, direction, order=2)
    scale = 1.0 + np.abs(mode_amplitude_expansion(weights, teacher, direction, order=4)).sum()
    h = 1e-4
    plus = mode_amplitudes(_shifted(weights, direction, h), teacher)
    minus = mode_amplitudes(_shifted(weights, direction, -h), teacher)
    centre = mode_amplitudes(weights, teacher)
    # central difference: truncation h^2 |c_3| <= 1e-8 scale, round-off 1e-16 scale / h
    np.testing.assert_allclose((plus - minus) / (2 * h), c[..., 1, :], rtol=0, atol=1e-7 * scale)
    h = 1e-3
    plus = mode_amplitudes(_shifted(weights, direction, h), teacher)
    minus = mode_amplitudes(_shifted(weights, direction, -h), teacher)
    # second difference = 2 c_2 + 2 h^2 c_4: truncation 2e-6 scale, round-off 4e-16 scale / h^2
    np.testing.assert_allclose(
        (plus - 2 * centre + minus) / h**2, 2 * c[..., 2, :], rtol=0, atol=1e-5 * scale
    )


@settings(max_examples=15)
@given(network=_networks())
def test_gradient_drift_is_minus_grad_s_dot_grad_loss(network):
    teacher, weights, _ = network
    widths = (weights[0].shape[-1], *(w.shape[-2] for w in weights))
    theta = flatten_layers(weights)
    h = 1e-5
    grad_s = np.empty((theta.size, teacher.rank))
    grad_loss = np.empty(theta.size)
    for i in range(theta.size):
        step = np.zeros_like(theta)
        step[i] = h
        up, down = unflatten_layers(theta + step, widths), unflatten_layers(theta - step, widths)
        grad_s[i] = (mode_amplitudes(up, teacher) - mode_amplitudes(down, teacher)) / (2 * h)
        grad_loss[i] = (population_loss(up, teacher) - population_loss(down, teacher)) / (2 * h)
    expected = -grad_loss @ grad_s
    # central differences of polynomials of degree <= 2L: relative truncation ~ h^2 = 1e-10,
    # round-off ~ 1e-16 / h = 1e-11, times the number of parameters
    scale = 1.0 + float(np.max(np.abs(grad_loss) @ np.abs(grad_s)))
    np.testing.assert_allclose(
        gradient_drift(weights, teacher), expected, rtol=0, atol=1e-7 * scale
    )
    # power: the sign and a factor 1.1 are not within this tolerance unless the drift vanishes
    if np.max(np.abs(expected)) > 1e-3 * scale:
        assert not np.allclose(
            1.1 * gradient_drift(weights, teacher), expected, rtol=0, atol=1e-7 * scale
        )


def _random_network(seed, widths=(3, 3, 2, 3), rank=2):
    rng = np.random.default_rng(seed)
    teacher = random_teacher(
        rng.uniform(1.0, 2.0, rank), shape=(widths[-1], widths[0]), rng=rng, label_noise=0.5
    )
    # scale 0.7: amplitudes and gaps of order 1, so no observable is dominated by one term
    return teacher, random_weights(widths, rng=rng, scale=0.7)


def _upper(estimate):
    """The distinct entries (upper triangle with diagonal) of a covariance estimate."""
    upper = np.triu_indices(estimate.value.shape[-1])
    return Estimate(estimate.value[upper], estimate.standard_error[upper], estimate.n_samples)


N_MC = 200_000  # relative SE of a variance of these heavy-tailed samples <= ~1 %


@pytest.mark.parametrize("seed", [1, 2])
def test_samplers_agree_on_diffusion_and_ito_drift(seed):
    teacher, weights = _random_network(seed)
    rng = np.random.default_rng(100 + seed)
    draws = {
        sampler: (
            modewise_diffusion_samples(weights, teacher, n_samples=N_MC, rng=rng, sampler=sampler),
            ito_drift_samples(weights, teacher, n_samples=N_MC, rng=rng, sampler=sampler),
        )
        for sampler in ("empirical", "factored", "dense")
    }
    reference_c1, reference_c2 = draws["empirical"]
    assert reference_c1.shape == reference_c2.shape == (N_MC, teacher.rank)
    for sampler in ("factored", "dense"):
        c1, c2 = draws[sampler]
        # modewise and cross-mode diffusion (kappa-free): the full covariance across modes
        cov_ref, cov = covariance_estimate(reference_c1), covariance_estimate(c1)
        assert z_test(_difference(_upper(cov_ref), _upper(cov)), 0.0).passed
        assert not z_test(_difference(_upper(cov_ref), _upper(cov), 1.1), 0.0).passed
        var_ref, var = variance_estimate(reference_c1), variance_estimate(c1)
        assert z_test(_difference(var_ref, var), 0.0).passed
        # Itô drift (kappa-free): E c_2
        mean_ref, mean = mean_estimate(reference_c2), mean_estimate(c2)
        assert z_test(_difference(mean_ref, mean), 0.0).passed
        assert not z_test(_difference(mean_ref, mean, 1.1), 0.0).passed
        # the first coefficient has mean zero (xi has mean zero)
        assert z_test(mean_estimate(c1), 0.0).passed


@pytest.mark.parametrize("seed", [3, 4])
def test_euler_maruyama_increments_agree_with_second_coefficient(seed):
    teacher, weights = _random_network(seed)
    rng = np.random.default_rng(200 + seed)
    kappa = 0.3
    # bias of the increment route is O(dt) (kappa^2 dt c_4 and the shift of theta by one
    # gradient step): ~1e-6 relative, far below the ~0.5 % standard error
    increments = ito_drift_increment_samples(
        weights, teacher, dt=1e-6, kappa=kappa, n_samples=N_MC, rng=rng
    )
    assert increments.shape == (N_MC, teacher.rank)
    c2 = ito_drift_samples(weights, teacher, n_samples=N_MC, rng=rng, sampler="factored")
    route_em, route_c2 = mean_estimate(increments), mean_estimate(kappa * c2)
    assert z_test(_difference(route_em, route_c2), 0.0).passed
    assert not z_test(_difference(route_em, route_c2, 1.1), 0.0).passed
    # dropped factor: the Itô drift is kappa * E c_2, not kappa/2 * E c_2 nor E c_2
    assert not z_test(_difference(route_em, route_c2, 0.5), 0.0).passed


def _aligned_network(seed):
    rng = np.random.default_rng(seed)
    teacher = random_teacher([3.0, 2.0, 1.0], shape=(3, 4), rng=rng, label_noise=0.5)
    weights = aligned_balanced_weights(teacher, [2.0, 1.5, 0.3], (4, 5, 3, 3), rng=rng)
    return teacher, weights, rng


def test_cross_mode_diffusion_vanishes_at_aligned_balanced_weights():
    teacher, weights, rng = _aligned_network(5)
    c1 = modewise_diffusion_samples(weights, teacher, n_samples=N_MC, rng=rng)
    off = np.triu_indices(teacher.rank, 1)
    cov = covariance_estimate(c1)
    off_diagonal = Estimate(cov.value[off], cov.standard_error[off], cov.n_samples)
    assert z_test(off_diagonal, 0.0).passed
    # the same check has power: 10 % of the geometric mean of the modewise diffusions
    scale = np.sqrt(np.outer(np.diag(cov.value), np.diag(cov.value)))[off]
    assert not z_test(off_diagonal, 0.1 * scale).passed
    # and off the manifold (hidden layers rotated out of alignment) the same test rejects 0
    tilted = (weights[0] + 0.5 * rng.standard_normal(weights[0].shape), *weights[1:])
    c1 = modewise_diffusion_samples(tilted, teacher, n_samples=N_MC, rng=rng)
    cov = covariance_estimate(c1)
    assert not z_test(Estimate(cov.value[off], cov.standard_error[off], cov.n_samples), 0.0).passed
    # the cross-mode amplitudes' own samples: their diagonal equals the modewise samples
    same = np.random.default_rng(6)
    cross = cross_mode_diffusion_samples(weights, teacher, n_samples=10, rng=same)
    modes = modewise_diffusion_samples(weights, teacher, n_samples=10, rng=np.random.default_rng(6))
    np.testing.assert_allclose(
        np.diagonal(cross, axis1=-2, axis2=-1), modes, rtol=1e-12, atol=1e-12
    )


def test_cross_mode_ito_drift_samples_are_second_coefficients():
    teacher, weights, _ = _aligned_network(7)
    samples = cross_mode_ito_drift_samples(
        weights, teacher, n_samples=50, rng=np.random.default_rng(8), sampler="factored"
    )
    xi = factored_gradient_noise(weights, teacher, 50, rng=np.random.default_rng(8))
    expected = cross_mode_expansion(weights, teacher, xi, order=2)[..., 2, :, :]
    np.testing.assert_allclose(samples, expected, rtol=1e-12, atol=1e-12)


@settings(max_examples=20)
@given(network=_networks(batch=True))
def test_imbalance_expansion_is_exact_and_gradient_flow_conserves_imbalance(network):
    teacher, weights, direction = network
    if len(weights) < 2:
        with pytest.raises(InvalidParameter, match="L >= 2"):
            imbalance_expansion(weights, direction)
        return
    expansion = imbalance_expansion(weights, direction)
    assert len(expansion) == len(weights) - 1
    for h in (-0.7, 1.9):
        direct = layer_imbalance(_shifted(weights, direction, h))
        for coefficients, value in zip(expansion, direct, strict=True):
            polynomial = (
                coefficients[..., 0, :, :]
                + h * coefficients[..., 1, :, :]
                + h**2 * coefficients[..., 2, :, :]
            )
            np.testing.assert_allclose(
                polynomial, value, rtol=0, atol=1e-12 * (1 + np.abs(coefficients).sum())
            )
    # gradient part of the imbalance drift: first coefficient along -grad L is zero
    minus_gradient = tuple(-g[..., None, :, :] for g in population_gradient(weights, teacher))
    for coefficients in imbalance_expansion(weights, minus_gradient):
        # round-off of products of O(1) matrices
        np.testing.assert_allclose(
            coefficients[..., 1, :, :], 0.0, atol=1e-12 * (1 + np.abs(coefficients).sum())
        )


def test_imbalance_drift_samplers_agree_and_match_expansion():
    teacher, weights, rng = _aligned_network(9)
    empirical = imbalance_drift_samples(weights, teacher, n_samples=N_MC, rng=rng)
    factored = imbalance_drift_samples(
        weights, teacher, n_samples=N_MC, rng=rng, sampler="factored"
    )
    for a, b in zip(empirical, factored, strict=True):
        size = a.shape[-1]
        flat_a, flat_b = a.reshape(N_MC, size * size), b.reshape(N_MC, size * size)
        first, second = mean_estimate(flat_a), mean_estimate(flat_b)
        assert z_test(_difference(first, second), 0.0).passed
        assert not z_test(_difference(first, second, 1.1), 0.0).passed
    # samples are the h^2 coefficients of the expansion along the same draws
    draws = imbalance_drift_samples(
        weights, teacher, n_samples=20, rng=np.random.default_rng(10), sampler="factored"
    )
    xi = factored_gradient_noise(weights, teacher, 20, rng=np.random.default_rng(10))
    for sample, coefficients in zip(draws, imbalance_expansion(weights, xi), strict=True):
        np.testing.assert_allclose(sample, coefficients[..., 2, :, :], rtol=1e-12, atol=1e-12)


def test_batched_networks_match_single_networks():
    rng = np.random.default_rng(11)
    teacher = random_teacher([1.5, 0.5], shape=(2, 3), rng=rng)
    weights = random_weights((3, 2, 2), rng=rng, batch_shape=(4,))
    drift = gradient_drift(weights, teacher)
    assert drift.shape == (4, 2)
    for i in range(4):
        single = tuple(w[i] for w in weights)
        np.testing.assert_allclose(
            drift[i], gradient_drift(single, teacher), rtol=1e-13, atol=1e-14
        )
    assert modewise_diffusion_samples(weights, teacher, n_samples=7, rng=rng).shape == (4, 7, 2)
    assert ito_drift_samples(weights, teacher, n_samples=7, rng=rng, sampler="factored").shape == (
        4,
        7,
        2,
    )
    assert ito_drift_increment_samples(
        weights, teacher, dt=1e-3, kappa=1.0, n_samples=5, rng=rng
    ).shape == (4, 5, 2)
    assert cross_mode_ito_drift_samples(weights, teacher, n_samples=3, rng=rng).shape == (
        4,
        3,
        2,
        2,
    )
    assert [a.shape for a in imbalance_drift_samples(weights, teacher, n_samples=3, rng=rng)] == [
        (4, 3, 2, 2)
    ]
    assert modewise_diffusion_samples(weights, teacher, n_samples=3, rng=rng, n_modes=2).shape == (
        4,
        3,
        2,
    )


def _small():
    rng = np.random.default_rng(12)
    teacher = random_teacher([1.0], shape=(2, 2), rng=rng)
    return teacher, random_weights((2, 2, 2), rng=rng), rng


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda t, w, r: mode_amplitude_expansion(w, t, w[:1]), "depth"),
        (lambda t, w, r: mode_amplitude_expansion(w, t, np.ones((2, 2, 2))), "sequence"),
        (
            lambda t, w, r: mode_amplitude_expansion(w, t, (np.ones((2, 2)), np.ones((2, 3)))),
            "xi_2",
        ),
        (
            lambda t, w, r: mode_amplitude_expansion(
                w, t, (np.ones((3, 2, 2)), np.ones((4, 2, 2)))
            ),
            "extra axes",
        ),
        (
            lambda t, w, r: mode_amplitude_expansion(
                w, t, (np.ones((2, 2)), np.full((2, 2), np.nan))
            ),
            "NaN",
        ),
        (lambda t, w, r: mode_amplitude_expansion(w, t, w, order=-1), "order"),
        (lambda t, w, r: mode_amplitude_expansion(w, t, w, order=1.5), "order"),
        (lambda t, w, r: cross_mode_expansion(w, t, w, n_modes=3), "n_modes"),
        (lambda t, w, r: gradient_drift(w, "teacher"), "teacher"),
        (lambda t, w, r: gradient_drift((np.ones((3, 3)), np.ones((2, 3))), t), "shape"),
        (lambda t, w, r: modewise_diffusion_samples(w, t, n_samples=0, rng=r), "n_samples"),
        (lambda t, w, r: modewise_diffusion_samples(w, t, n_samples=5, rng=None), "rng"),
        (lambda t, w, r: ito_drift_samples(w, t, n_samples=5, rng=r, sampler="exact"), "sampler"),
        (
            lambda t, w, r: ito_drift_samples(
                tuple(x[None] for x in w), t, n_samples=5, rng=r, sampler="dense"
            ),
            "dense",
        ),
        (lambda t, w, r: imbalance_drift_samples(w[:1], t, n_samples=5, rng=r), "L >= 2"),
        (
            lambda t, w, r: ito_drift_increment_samples(
                w, t, dt=0.0, kappa=1.0, n_samples=5, rng=r
            ),
            "dt",
        ),
        (
            lambda t, w, r: ito_drift_increment_samples(
                w, t, dt=0.1, kappa=-1.0, n_samples=5, rng=r
            ),
            "kappa",
        ),
    ],
)
def test_invalid_input_raises(call, match):
    teacher, weights, rng = _small()
    with pytest.raises(InvalidParameter, match=match):
        call(teacher, weights, rng)
