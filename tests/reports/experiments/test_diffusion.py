"""The diffusion-along-training experiment (reports.experiments.diffusion): the recorded empirical
diffusion agrees with the derived Eq. 7 on the aligned-balanced manifold and rejects it x 1.1
(false-alarm rate 1e-6 over all compared numbers, Bonferroni); the run is run_simulation's;
peak times on a synthetic experiment; the figure is deterministic; bad input."""

import json
import math

import numpy as np
import pytest

from dlnverify.errors import InvalidParameter
from numerics.montecarlo import Estimate
from numerics.teacher import random_teacher
from numerics.trajectory import Trajectory, simulate_trajectory
from numerics.weights import aligned_balanced_weights
from reports.engine.verdict import Comparison, numeric_check
from reports.experiments.diffusion import (
    DiffusionExperiment,
    default_experiment_config,
    diffusion_along_training,
    diffusion_figure,
    experiment_summary,
    peak_times,
)
from reports.experiments.diffusion import _eq7 as eq7
from reports.experiments.training import SimulationConfig, run_simulation

#: Amplitudes of the aligned-balanced networks (one network per row, three modes each).
AMPLITUDES = np.array([[0.4, 1.3, 0.2], [1.5, 0.6, 0.9], [2.2, 0.3, 0.05]])
SIGMAS = (2.5, 1.5, 1.0)


def _aligned_records(depth, label_noise, n_samples, seed):
    """Record 0 of a run started at a batch of aligned-balanced networks."""
    rng = np.random.default_rng(seed)
    teacher = random_teacher(SIGMAS, shape=(4, 3), rng=rng, label_noise=label_noise)
    widths = (3, *[5] * (depth - 1), 4)
    networks = [aligned_balanced_weights(teacher, a, widths, rng=rng) for a in AMPLITUDES]
    weights = tuple(np.stack(layer) for layer in zip(*networks, strict=True))
    run = simulate_trajectory(
        weights,
        teacher,
        optimizer="gd",
        eta=0.02,
        steps=1,
        rng=rng,
        batch_size=2,
        diffusion_samples=n_samples,
    )
    estimate = Estimate(run.diffusion[0], run.diffusion_se[0], n_samples)
    formula = eq7(AMPLITUDES, np.array(SIGMAS), label_noise, 0.01, depth)
    return estimate, formula


@pytest.fixture(scope="module")
def aligned_cases():
    cases = [(2, 0.0), (3, 0.5), (4, 0.3)]
    return [
        (depth, noise, *_aligned_records(depth, noise, 60_000, seed))
        for seed, (depth, noise) in enumerate(cases)
    ]


def _check(cases, factor):
    return numeric_check(
        [
            Comparison({"L": depth, "sigma_eps": noise}, estimate, factor * formula)
            for depth, noise, estimate, formula in cases
        ]
    )


def test_recorded_diffusion_agrees_with_eq7_on_the_aligned_balanced_manifold(aligned_cases):
    check = _check(aligned_cases, 1.0)
    assert check.n_tests == 27
    assert check.passed, check


def test_recorded_diffusion_rejects_eq7_times_1_1(aligned_cases):
    assert not _check(aligned_cases, 1.1).passed


def test_recorded_diffusion_rejects_a_wrong_exponent_or_a_dropped_term(aligned_cases):
    sigmas = np.array(SIGMAS)
    wrong_exponent = [  # s^(4-3/L) instead of s^(4-4/L)
        Comparison({"L": d}, e, f * AMPLITUDES ** (1 / d)) for d, _, e, f in aligned_cases
    ]
    dropped_noise = [  # without the sigma_eps^2 term
        Comparison({"L": d}, e, eq7(AMPLITUDES, sigmas, 0.0, 0.01, d))
        for d, _, e, _ in aligned_cases
    ]
    assert not numeric_check(wrong_exponent).passed
    assert not numeric_check(dropped_noise).passed


def test_eq7_is_the_derived_formula_and_undefined_below_zero():
    s = np.array([[0.5, 2.0], [-0.1, 0.0]])
    sigma = np.array([1.0, 3.0])
    value = eq7(s, sigma, 0.2, 0.05, 3)
    expected = 0.05 * 9 * np.abs(s) ** (8 / 3) * (2 * (sigma - s) ** 2 + 0.04)
    np.testing.assert_allclose(value[0], expected[0], rtol=1e-12)
    assert math.isnan(value[1, 0])
    assert value[1, 1] == 0.0


@pytest.fixture(scope="module")
def small_experiment():
    config = default_experiment_config(
        2, width=4, singular_values=(2.0, 1.0), steps=300, record_every=10, gamma=1.5
    )
    return diffusion_along_training(config, diffusion_samples=200)


def test_experiment_runs_run_simulation_and_evaluates_eq7(small_experiment):
    experiment = small_experiment
    plain = run_simulation(experiment.config)
    for name, array in plain.arrays().items():
        np.testing.assert_array_equal(array, experiment.trajectory.arrays()[name], err_msg=name)
    assert experiment.kappa == pytest.approx(0.01)
    assert experiment.trajectory.diffusion.shape == (31, 2)
    modes = experiment.trajectory.modes
    positive = modes >= 0
    expected = 0.01 * 4 * np.abs(modes) ** 2 * 2 * (np.array([2.0, 1.0]) - modes) ** 2
    np.testing.assert_allclose(experiment.predicted[positive], expected[positive], rtol=1e-12)
    # no label noise: s* = 2(L-1) sigma / (3L-2) = sigma / 2 at L = 2
    np.testing.assert_allclose(experiment.peak_amplitudes, [1.0, 0.5], rtol=1e-12)


def test_peak_amplitudes_follow_depth_and_label_noise():
    config = default_experiment_config(1, width=3, singular_values=(1.0,), steps=2)
    assert math.isnan(diffusion_along_training(config, diffusion_samples=2).peak_amplitudes[0])
    config = default_experiment_config(4, width=3, singular_values=(1.0, 0.2), steps=2)
    config = SimulationConfig.from_mapping({"label_noise": 0.1}, base=config)
    peaks = diffusion_along_training(config, diffusion_samples=2).peak_amplitudes
    # Eq. 10: a peak iff sigma_eps < L sigma / (2 sqrt((3L-2)(L-1))) = sigma / sqrt(7.5)
    root = math.sqrt(16 - 4 * 10 * 3 * 0.01)
    assert peaks[0] == pytest.approx((16 - root) / 20, rel=1e-12)
    assert math.isnan(peaks[1])


def _synthetic(times, modes, diffusion, peak_amplitudes, sigmas):
    records = times.size
    trajectory = Trajectory(
        steps=np.arange(records, dtype=np.int64),
        times=times,
        loss=np.zeros(records),
        modes=modes,
        cross_modes=np.zeros(records),
        imbalance=np.zeros((records, 1)),
        relative_imbalance=np.zeros((records, 1)),
        weights=(np.eye(2), np.eye(2)),
        diffusion=diffusion,
        diffusion_se=np.full_like(diffusion, 0.01),
    )
    return DiffusionExperiment(
        config=default_experiment_config(2, width=2, singular_values=tuple(sigmas)),
        trajectory=trajectory,
        diffusion_samples=100,
        kappa=0.01,
        singular_values=np.asarray(sigmas, dtype=float),
        predicted=diffusion.copy(),
        peak_amplitudes=np.asarray(peak_amplitudes, dtype=float),
    )


def test_peak_times_on_a_synthetic_experiment():
    times = np.linspace(0.0, 10.0, 51)  # spacing 0.2
    # s_1 = 0.2 t (sigma 2), s_2 = 0.1 t (sigma 1): s* = 0.8, 0.5 crossed at t = 4, 5
    modes = np.stack([0.2 * times, 0.1 * times], axis=-1)
    diffusion = np.stack([np.exp(-((times - 3.0) ** 2)), np.exp(-((times - 7.2) ** 2))], axis=-1)
    experiment = _synthetic(times, modes, diffusion, [0.8, 0.5], [2.0, 1.0])
    peaks = peak_times(experiment)
    np.testing.assert_allclose(peaks.empirical, [3.0, 7.2], atol=1e-12)
    np.testing.assert_allclose(peaks.empirical_uncertainty, [0.2, 0.2], atol=1e-12)
    np.testing.assert_allclose(peaks.peak_crossing, [4.0, 5.0], atol=1e-12)
    np.testing.assert_allclose(peaks.learned, [5.0, 5.0], atol=1e-12)
    full = peak_times(experiment, learned_fraction=0.9)
    np.testing.assert_allclose(full.learned, [9.0, 9.0], atol=1e-12)
    # a crossing between records is interpolated; an unreached level and a missing s* are NaN
    experiment = _synthetic(times, modes, diffusion, [0.81, math.nan], [2.0, 3.0])
    peaks = peak_times(experiment)
    assert peaks.peak_crossing[0] == pytest.approx(4.05, abs=1e-12)
    assert math.isnan(peaks.peak_crossing[1])
    assert math.isnan(peaks.learned[1])
    summary = experiment_summary(_synthetic(times, modes, diffusion, [0.8, 0.5], [2.0, 1.0]))
    first, second = summary["modes"]
    assert first["peak_before_half"] is True
    assert second["peak_before_half"] is False
    assert first["max_abs_z_aligned"] == 0.0
    assert first["n_aligned_records"] == 51
    json.dumps(summary)


def test_summary_is_json_and_figure_is_deterministic(small_experiment, tmp_path):
    summary = experiment_summary(small_experiment)
    text = json.dumps(summary)
    assert json.loads(text)["diffusion_samples"] == 200
    assert len(summary["modes"]) == 2
    for suffix in (".pdf", ".png"):
        first = diffusion_figure(small_experiment, tmp_path / f"a{suffix}")
        second = diffusion_figure(small_experiment, tmp_path / "sub" / f"b{suffix}")
        assert first.stat().st_size > 0
        assert first.read_bytes() == second.read_bytes()


def test_ensemble_experiment(tmp_path):
    config = default_experiment_config(
        2, width=3, singular_values=(1.0,), steps=40, record_every=10, ensemble=3
    )
    experiment = diffusion_along_training(config, diffusion_samples=20)
    assert experiment.trajectory.diffusion.shape == (5, 3, 1)
    assert peak_times(experiment).empirical.shape == (3, 1)
    json.dumps(experiment_summary(experiment))
    assert diffusion_figure(experiment, tmp_path / "e.png").exists()


@pytest.mark.parametrize("samples", [-1, 0, 1, 2.0, True])
def test_bad_diffusion_samples(samples):
    config = default_experiment_config(2, width=3, singular_values=(1.0,), steps=2)
    with pytest.raises(InvalidParameter, match="diffusion_samples") as info:
        diffusion_along_training(config, diffusion_samples=samples)
    assert "\n" not in str(info.value)


def test_bad_input(small_experiment, tmp_path):
    with pytest.raises(InvalidParameter, match="config"):
        diffusion_along_training({"depth": 2}, diffusion_samples=10)
    with pytest.raises(InvalidParameter, match="depth"):
        default_experiment_config(0)
    with pytest.raises(InvalidParameter, match="learned_fraction"):
        peak_times(small_experiment, learned_fraction=0.0)
    with pytest.raises(InvalidParameter, match="experiment"):
        peak_times("run")
    with pytest.raises(InvalidParameter, match="extension"):
        diffusion_figure(small_experiment, tmp_path / "figure.jpg")
