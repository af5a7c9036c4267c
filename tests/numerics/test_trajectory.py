"""Recorded training runs (numerics.trajectory): the run is the repeated step, observables
are their definitions, seeds reproduce, bad input and divergence are one-line errors."""

import tracemalloc

import numpy as np
import pytest

from dlnverify.errors import InvalidParameter
from numerics.montecarlo import variance_estimate
from numerics.network import mode_amplitudes, population_loss
from numerics.observables import modewise_diffusion_samples
from numerics.sde import (
    anisotropic_langevin_step,
    gradient_descent_step,
    isotropic_langevin_step,
    sgd_step,
)
from numerics.teacher import random_teacher
from numerics.trajectory import (
    OPTIMIZERS,
    empirical_diffusion,
    record,
    record_count,
    record_steps,
    simulate_trajectory,
)
from numerics.weights import aligned_balanced_weights, small_gaussian_init


@pytest.fixture
def setup():
    rng = np.random.default_rng(5)
    teacher = random_teacher([2.0, 1.0], shape=(4, 3), rng=rng, label_noise=0.1)
    weights = small_gaussian_init((3, 5, 4), gamma=1.5, rng=rng)
    return teacher, weights


def _run(weights, teacher, **kwargs):
    """``simulate_trajectory`` with test defaults: gradient descent, eta 0.05, seed 0."""
    arguments = {"optimizer": "gd", "eta": 0.05, "steps": 1, "rng": np.random.default_rng(0)}
    return simulate_trajectory(weights, teacher, **(arguments | kwargs))


def test_gd_run_is_the_repeated_step(setup):
    teacher, weights = setup
    run = _run(weights, teacher, steps=7, record_every=3)
    assert run.steps.tolist() == [0, 3, 6, 7]
    np.testing.assert_allclose(run.times, 0.05 * run.steps)
    layers = weights
    for k in range(1, 8):
        layers = gradient_descent_step(layers, teacher, eta=0.05)
        if k in (3, 6, 7):
            i = run.steps.tolist().index(k)
            np.testing.assert_allclose(run.loss[i], population_loss(layers, teacher), rtol=1e-12)
            np.testing.assert_allclose(run.modes[i], mode_amplitudes(layers, teacher), rtol=1e-12)
    for final, expected in zip(run.weights, layers, strict=True):
        np.testing.assert_allclose(final, expected, rtol=1e-12)


@pytest.mark.parametrize(
    ("steps", "every"), [(1, 1), (7, 3), (9, 3), (5, 50), (50, 50), (100, 7), (12, 1)]
)
def test_the_recorded_steps_are_the_start_the_multiples_and_the_end(setup, steps, every):
    teacher, weights = setup
    expected = sorted({0, steps, *(k for k in range(1, steps + 1) if k % every == 0)})
    assert record_steps(steps, every).tolist() == expected
    assert record_count(steps, every) == len(expected)
    assert _run(weights, teacher, steps=steps, record_every=every).steps.tolist() == expected


def test_a_long_run_allocates_nothing_in_proportion_to_its_steps(setup):
    """A million steps recorded at every step, stopped by divergence at the first: records
    are kept as they come, nothing is built in advance for the steps to come."""
    teacher, weights = setup
    tracemalloc.start()
    try:
        with pytest.raises(InvalidParameter, match=r"at step 1 .*diverged"):
            _run(weights, teacher, eta=1e308, steps=10**6, record_every=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20  # bytes; the million step numbers alone take 8 MB as an array


def test_sgd_run_uses_the_generator_like_the_step(setup):
    teacher, weights = setup
    run = _run(
        weights, teacher, optimizer="sgd", steps=4, rng=np.random.default_rng(3), batch_size=2
    )
    _assert_repeated_step(
        run, weights, 4, 3, lambda w, rng: sgd_step(w, teacher, eta=0.05, batch_size=2, rng=rng)
    )


def _assert_repeated_step(run, weights, steps, seed, step):
    """The run's final weights are ``step(layers, rng)`` applied ``steps`` times, seeded."""
    rng, layers = np.random.default_rng(seed), weights
    for _ in range(steps):
        layers = step(layers, rng)
    for final, expected in zip(run.weights, layers, strict=True):
        np.testing.assert_allclose(final, expected, rtol=1e-12)


@pytest.mark.parametrize("optimizer", ["anisotropic", "isotropic"])
def test_langevin_dt_is_the_step_and_eta_sets_kappa(setup, optimizer):
    """``dt`` apart from ``eta``: steps of size dt, kappa = eta/B, times k*dt."""
    teacher, weights = setup
    run = _run(
        weights,
        teacher,
        optimizer=optimizer,
        eta=0.04,
        dt=0.01,
        batch_size=2,
        temperature=0.03,
        steps=6,
        record_every=3,
        rng=np.random.default_rng(4),
    )
    np.testing.assert_allclose(run.times, 0.01 * run.steps)
    if optimizer == "anisotropic":
        _assert_repeated_step(
            run,
            weights,
            6,
            4,
            lambda w, rng: anisotropic_langevin_step(w, teacher, dt=0.01, kappa=0.02, rng=rng),
        )
    else:
        _assert_repeated_step(
            run,
            weights,
            6,
            4,
            lambda w, rng: isotropic_langevin_step(w, teacher, dt=0.01, temperature=0.03, rng=rng),
        )


@pytest.mark.parametrize("optimizer", ["gd", "sgd"])
def test_dt_is_refused_where_eta_is_the_step(setup, optimizer):
    teacher, weights = setup
    with pytest.raises(InvalidParameter, match=r"dt=0\.01 with optimizer=.*step by eta"):
        _run(weights, teacher, optimizer=optimizer, dt=0.01)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_same_seed_same_run_and_ensemble_shapes(setup, optimizer):
    teacher, _ = setup
    weights = small_gaussian_init(
        (3, 5, 4), gamma=1.5, rng=np.random.default_rng(1), batch_shape=(3,)
    )
    runs = [
        _run(
            weights,
            teacher,
            optimizer=optimizer,
            eta=0.02,
            steps=5,
            rng=np.random.default_rng(9),
            temperature=0.01,
            record_every=2,
        )
        for _ in range(2)
    ]
    for name, array in runs[0].arrays().items():
        np.testing.assert_array_equal(array, runs[1].arrays()[name], err_msg=name)
    assert runs[0].loss.shape == (4, 3)
    assert runs[0].modes.shape == (4, 3, 2)
    assert runs[0].imbalance.shape == (4, 3, 1)


def test_gd_decreases_the_loss_from_small_init(setup):
    teacher, weights = setup
    run = _run(weights, teacher, steps=3000, record_every=50)
    assert np.all(np.diff(run.loss) <= 0)
    # Learned: only the label-noise floor 1/2 tr Sigma_eps = 1/2 * 4 * 0.1^2 is left.
    assert run.loss[-1] == pytest.approx(0.5 * 4 * 0.1**2, abs=1e-6)


def test_record_on_aligned_balanced_weights():
    rng = np.random.default_rng(2)
    teacher = random_teacher([3.0, 1.0], shape=(3, 4), rng=rng)
    amplitudes = np.array([0.7, 0.2])
    weights = aligned_balanced_weights(teacher, amplitudes, (4, 5, 3, 3), rng=rng)
    observed = record(weights, teacher)
    np.testing.assert_allclose(observed["modes"], amplitudes, rtol=1e-12)
    assert observed["cross_modes"] < 1e-12
    np.testing.assert_allclose(observed["imbalance"], 0.0, atol=1e-12)
    expected_loss = 0.5 * np.sum((np.array([3.0, 1.0]) - amplitudes) ** 2)
    assert observed["loss"] == pytest.approx(expected_loss, rel=1e-12)


def test_record_depth_one_has_no_imbalance():
    rng = np.random.default_rng(0)
    teacher = random_teacher([1.0], shape=(2, 2), rng=rng)
    observed = record([rng.standard_normal((2, 2))], teacher)
    assert observed["imbalance"].shape == (0,)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"optimizer": "adam"}, "optimizer"),
        ({"eta": 0.0}, "eta"),
        ({"steps": 0}, "steps"),
        ({"record_every": 0}, "record_every"),
        ({"batch_size": 0}, "batch_size"),
        ({"temperature": -1.0}, "temperature"),
        ({"optimizer": "anisotropic", "dt": 0.0}, "dt"),
        ({"optimizer": "isotropic", "dt": float("nan")}, "dt"),
    ],
)
def test_bad_input(setup, kwargs, message):
    teacher, weights = setup
    arguments = {"optimizer": "gd", "eta": 0.01, "steps": 3, "rng": np.random.default_rng(0)}
    with pytest.raises(InvalidParameter, match=message):
        simulate_trajectory(weights, teacher, **{**arguments, **kwargs})


def test_divergence_is_a_one_line_error(setup):
    teacher, weights = setup
    with pytest.raises(InvalidParameter, match=r"diverged.*lower eta") as info:
        simulate_trajectory(
            weights, teacher, optimizer="gd", eta=50.0, steps=200, rng=np.random.default_rng(0)
        )
    assert "\n" not in str(info.value)


def test_progress_is_reported(setup):
    teacher, weights = setup
    seen = []
    _run(
        weights,
        teacher,
        eta=0.01,
        steps=250,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen[-1] == (250, 250)
    assert 10 <= len(seen) <= 260


# --- recorded empirical modewise diffusion --------------------------------------------------


@pytest.mark.parametrize("optimizer", ["sgd", "anisotropic"])
def test_diffusion_recording_leaves_the_run_unchanged(setup, optimizer):
    teacher, weights = setup
    arguments = {
        "optimizer": optimizer,
        "eta": 0.05,
        "steps": 6,
        "record_every": 2,
        "batch_size": 2,
    }
    plain = simulate_trajectory(weights, teacher, rng=np.random.default_rng(4), **arguments)
    recorded = simulate_trajectory(
        weights, teacher, rng=np.random.default_rng(4), diffusion_samples=50, **arguments
    )
    assert plain.diffusion is None
    assert plain.diffusion_se is None
    assert "diffusion" not in plain.arrays()
    for name, array in plain.arrays().items():
        np.testing.assert_array_equal(array, recorded.arrays()[name], err_msg=name)
    for final, expected in zip(plain.weights, recorded.weights, strict=True):
        np.testing.assert_array_equal(final, expected)
    assert recorded.diffusion.shape == recorded.diffusion_se.shape == (4, 2)
    assert np.all(recorded.diffusion > 0)
    assert np.all(recorded.diffusion_se > 0)
    assert {"diffusion", "diffusion_se"} <= set(recorded.arrays())


def test_recorded_diffusion_is_kappa_times_the_sample_variance(setup):
    """The record is kappa Var(<grad s_a, xi>) of modewise_diffusion_samples (default kappa
    eta / B), drawn from the stream spawned from rng; ensemble shapes."""
    teacher, _ = setup
    weights = small_gaussian_init(
        (3, 5, 4), gamma=1.0, rng=np.random.default_rng(1), batch_shape=(2,)
    )
    recorded = {"eta": 0.04, "batch_size": 4, "diffusion_samples": 300}
    run = _run(weights, teacher, rng=np.random.default_rng(7), **recorded)
    child = np.random.default_rng(7).spawn(1)[0]
    samples = modewise_diffusion_samples(weights, teacher, n_samples=300, rng=child)
    estimate = variance_estimate(samples, axis=-2)
    np.testing.assert_allclose(run.diffusion[0], 0.01 * estimate.value, rtol=1e-12)
    np.testing.assert_allclose(run.diffusion_se[0], 0.01 * estimate.standard_error, rtol=1e-12)
    assert run.diffusion.shape == (2, 2, 2)
    value, error = empirical_diffusion(
        weights, teacher, n_samples=300, kappa=0.01, rng=np.random.default_rng(7).spawn(1)[0]
    )
    np.testing.assert_allclose(value, run.diffusion[0], rtol=1e-12)
    np.testing.assert_allclose(error, run.diffusion_se[0], rtol=1e-12)
    scaled = _run(weights, teacher, rng=np.random.default_rng(7), kappa=0.5, **recorded)
    np.testing.assert_allclose(scaled.diffusion, 50 * run.diffusion, rtol=1e-12)


def test_recorded_diffusion_at_a_learned_mode_without_label_noise_is_zero():
    """At W = W* (no label noise) the gradient noise vanishes: D_a = 0 exactly."""
    rng = np.random.default_rng(3)
    teacher = random_teacher([2.0, 1.0], shape=(3, 3), rng=rng)
    weights = aligned_balanced_weights(teacher, [2.0, 1.0], (3, 4, 3), rng=rng)
    value, error = empirical_diffusion(weights, teacher, n_samples=20, kappa=0.1, rng=rng)
    np.testing.assert_allclose(value, 0.0, atol=1e-24)
    np.testing.assert_allclose(error, 0.0, atol=1e-24)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"diffusion_samples": -1}, "diffusion_samples"),
        ({"diffusion_samples": 1}, "diffusion_samples"),
        ({"diffusion_samples": 2.5}, "diffusion_samples"),
        ({"diffusion_samples": True}, "diffusion_samples"),
        ({"diffusion_samples": 10, "kappa": 0.0}, "kappa"),
        ({"diffusion_samples": 10, "kappa": float("nan")}, "kappa"),
    ],
)
def test_bad_diffusion_input(setup, kwargs, message):
    teacher, weights = setup
    arguments = {"optimizer": "sgd", "eta": 0.01, "steps": 3, "rng": np.random.default_rng(0)}
    with pytest.raises(InvalidParameter, match=message) as info:
        simulate_trajectory(weights, teacher, **{**arguments, **kwargs})
    assert "\n" not in str(info.value)


def test_bad_empirical_diffusion_input(setup):
    teacher, weights = setup
    rng = np.random.default_rng(0)
    with pytest.raises(InvalidParameter, match="n_samples"):
        empirical_diffusion(weights, teacher, n_samples=0, kappa=0.1, rng=rng)
    with pytest.raises(InvalidParameter, match="kappa"):
        empirical_diffusion(weights, teacher, n_samples=5, kappa=-1.0, rng=rng)


def test_the_diffusion_samples_of_each_record_report_their_progress(setup, monkeypatch):
    """``diffusion_progress(step, done, n)`` at every record, after each chunk of draws (chunks
    made small here), up to all ``n``; the run is the same with and without it."""
    import numerics.observables

    teacher, weights = setup
    per_draw = sum(np.shape(w)[-1] * np.shape(w)[-2] for w in weights)
    monkeypatch.setattr(numerics.observables, "_CHUNK_ENTRIES", 40 * per_draw)  # 40 a chunk
    arguments = {"optimizer": "sgd", "eta": 0.05, "steps": 5, "record_every": 2}
    seen = []
    reported = simulate_trajectory(
        weights,
        teacher,
        rng=np.random.default_rng(4),
        diffusion_samples=100,
        diffusion_progress=lambda step, done, total: seen.append((step, done, total)),
        **arguments,
    )
    per_record = [(step, done, 100) for step in (0, 2, 4, 5) for done in (40, 80, 100)]
    assert seen == per_record
    silent = simulate_trajectory(
        weights, teacher, rng=np.random.default_rng(4), diffusion_samples=100, **arguments
    )
    np.testing.assert_array_equal(reported.diffusion, silent.diffusion)
