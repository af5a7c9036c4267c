"""End-of-training histograms vs the stationary law (reports.experiments.stationary): a tiny run
has the right shapes and a JSON summary, is reproducible, draws a byte-identical figure; bad
input is refused in one line; and where the single-mode law is exact for the full network
(depth 1, width 1: the network is the mode) the ensemble variance agrees with the derived
density's and rejects it x 1.3 (false-alarm rate 1e-6, Bonferroni)."""

import json

import numpy as np
import pytest

from dlnverify.errors import InvalidParameter
from numerics.montecarlo import z_threshold
from reports.experiments.stationary import (
    StationaryExperiment,
    default_stationary_config,
    full_network_means,
    stationary_experiment_summary,
    stationary_histogram,
    stationary_histogram_figure,
)
from reports.experiments.training import SimulationConfig
from reports.laws.mode_law import derived_mode_law

TINY = {"depth": 2, "width": 3, "singular_values": (1.5, 1.0), "ensemble": 8, "steps": 40}

MODE_KEYS = {
    "mode",
    "sigma",
    "mean",
    "mean_se",
    "variance",
    "variance_se",
    "derived_mean",
    "derived_variance",
    "z_mean",
    "z_variance",
    "variance_ratio",
    "first_order_mean",
    "first_order_variance",
    "drift_zero_mean",
    "network_mean",
    "z_network_mean",
}


@pytest.fixture(scope="module")
def tiny():
    return stationary_histogram(default_stationary_config(**TINY))


def test_tiny_run_shapes_and_json_summary(tiny):
    assert isinstance(tiny, StationaryExperiment)
    assert tiny.final_modes.shape == (8, 2)
    for array in (tiny.mean, tiny.mean_se, tiny.variance, tiny.variance_se, tiny.z_mean):
        assert array.shape == (2,)
    assert tiny.kappa == pytest.approx(0.01)
    summary = json.loads(json.dumps(stationary_experiment_summary(tiny)))
    assert summary["start"] == "aligned"
    assert summary["n_networks"] == 8
    assert summary["final_time"] == pytest.approx(0.4)
    assert len(summary["final_relative_imbalance"]) == 1
    assert [set(m) for m in summary["modes"]] == [MODE_KEYS, MODE_KEYS]
    assert summary["threshold"] == pytest.approx(z_threshold(1e-6, 4))
    # the derived law's moments are close to the first-order ones at kappa = 0.01
    for mode in summary["modes"]:
        assert mode["derived_variance"] == pytest.approx(mode["first_order_variance"], rel=0.1)
        assert mode["derived_mean"] < mode["sigma"] < mode["drift_zero_mean"]
        assert mode["network_mean"] < mode["derived_mean"]  # width 3 adds couplings (C17)


def test_full_network_means_at_depth_two_and_width_one():
    """At L = 2 every coupling is 1/2 (C17), so each mode of a d x d network sits
    kappa sigma_eps^2 d / 2 below sigma, whatever the teacher; at width one the full
    network's mean is C12's first-order mean, computed by derivations.stationary."""
    for width, values in ((4, (2.0, 1.0)), (6, (3.0, 2.0, 1.0)), (2, (0.5,))):
        config = default_stationary_config(width=width, singular_values=values)
        shift = config.kappa * config.label_noise**2 * width / 2
        np.testing.assert_allclose(full_network_means(config), np.array(values) - shift)
    for depth in (1, 2, 3, 4):
        config = default_stationary_config(depth=depth, width=1, singular_values=(1.5,))
        law = derived_mode_law(depth, 1.5, config.label_noise, config.kappa)
        np.testing.assert_allclose(full_network_means(config), [law.first_order_mean])


def test_same_seed_same_numbers_and_small_start(tiny):
    again = stationary_histogram(default_stationary_config(**TINY))
    np.testing.assert_array_equal(again.final_modes, tiny.final_modes)
    other = stationary_histogram(default_stationary_config(**TINY, seed=1))
    assert not np.array_equal(other.final_modes, tiny.final_modes)
    small = stationary_histogram(default_stationary_config(**TINY), start="small")
    assert small.start == "small"
    assert np.all(small.final_modes < tiny.final_modes)  # far from learned after t = 0.4


def test_figure_is_deterministic(tiny, tmp_path):
    first = stationary_histogram_figure(tiny, tmp_path / "a.png")
    second = stationary_histogram_figure(tiny, tmp_path / "b.png")
    assert first.stat().st_size > 0
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.parametrize(
    ("overrides", "start", "match"),
    [
        ({"label_noise": 0.0}, "aligned", "needs label noise"),
        ({}, "random", "start must be one of aligned, small"),
        ({"optimizer": "gd"}, "aligned", "anisotropic or sgd"),
        ({"ensemble": 1}, "aligned", "ensemble"),
        ({"depth": 5}, "aligned", "depth"),
    ],
)
def test_bad_input_is_one_line(overrides, start, match):
    config = default_stationary_config(**{**TINY, **overrides})
    with pytest.raises(InvalidParameter, match=match) as error:
        stationary_histogram(config, start=start)
    assert "\n" not in str(error.value)


def test_bad_config_type():
    with pytest.raises(InvalidParameter, match="SimulationConfig"):
        stationary_histogram({"depth": 1})  # type: ignore[arg-type]
    with pytest.raises(InvalidParameter, match="StationaryExperiment"):
        stationary_experiment_summary(SimulationConfig())  # type: ignore[arg-type]


def test_depth_one_law_is_the_exact_linear_identity():
    # at L = 1 the stationary identity E[2 (s - sigma) mu + D] = 0 is exact:
    # Var = kappa sigma_eps^2 / (2 - 2 kappa), and the density is symmetric about sigma
    law = derived_mode_law(1, 1.0, 0.5, 0.01)
    assert law.variance == pytest.approx(0.01 * 0.25 / 1.98, rel=1e-7)
    assert law.mean == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize(
    ("optimizer", "depth", "steps"),
    [("anisotropic", 1, 1000), ("sgd", 1, 1000), ("anisotropic", 2, 2000)],
)
def test_width_one_ensemble_follows_the_law(optimizer, depth, steps):
    """Width 1, rank-one teacher: alignment is automatic and, from a balanced start, the
    update of every layer is the same up to sign (the scalar weights stay equal in magnitude),
    so the single-mode law is exact for the full network up to the time step (at L = 1:
    discrete variance eta sigma_eps^2/(2 - 3 eta) vs the law's kappa sigma_eps^2/(2 - 2 kappa),
    0.5 % relative, a tenth of a standard error)."""
    config = default_stationary_config(
        optimizer=optimizer,
        depth=depth,
        width=1,
        singular_values=(1.0,),
        ensemble=4000,
        steps=steps,
        seed=7,
    )
    experiment = stationary_histogram(config)
    law = experiment.laws[0]
    threshold = z_threshold(1e-6, 3)  # mean, variance, variance x 1.3
    se = float(experiment.variance_se[0])
    assert abs(float(experiment.z_variance[0])) <= threshold
    assert abs(float(experiment.z_mean[0])) <= threshold
    assert abs(float(experiment.variance[0]) - 1.3 * law.variance) / se > threshold


def test_full_network_mean_falls_with_the_input_output_width():
    """Beyond the single-mode law (README Findings): at fixed kappa the full network's
    stationary mode means fall with the input/output width d.  Statement checked, a linearised
    estimate: each of the 2(d - r) entries joining mode a's hidden unit to the teacher's null
    space (output rows of W_2, input columns of W_1) is an OU process with variance
    kappa sigma_eps^2 / 2 that pulls s_a down by s_a times its square; against the restoring
    drift 2 sigma (sigma - s) that is a shift of -(d - r) kappa sigma_eps^2 / 2, the same for
    every mode.  The difference between d = 8 and d = 2 cancels what the widths share (the
    Itô and cross-mode terms, the time step).  It agrees with the estimate, rejects the
    single-mode law (no d-dependence), a doubled estimate and one proportional to sigma_a
    (false-alarm rate 1e-6, Bonferroni over the 4 x 2 comparisons)."""
    runs = [
        stationary_histogram(
            default_stationary_config(
                width=width, label_noise=1.0, ensemble=2048, steps=1000, seed=11
            )
        )
        for width in (2, 8)
    ]
    kappa, noise, sigmas = runs[0].kappa, 1.0, runs[0].singular_values
    difference = runs[1].mean - runs[0].mean
    se = np.hypot(runs[0].mean_se, runs[1].mean_se)
    threshold = z_threshold(1e-6, 8)
    estimate = -(8 - 2) * kappa * noise**2 / 2
    assert np.all(np.abs(difference - estimate) / se <= threshold)
    for wrong in (0.0 * sigmas, 2 * estimate + 0.0 * sigmas, estimate * sigmas):
        assert np.any(np.abs(difference - wrong) / se > threshold)
