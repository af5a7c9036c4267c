"""The collapse experiment without label noise (reports.experiments.collapse).

A tiny run has the right shapes, a JSON summary, reproducible numbers and a byte-identical
figure; bad input is refused in one line.  Then two Monte Carlo checks, each with a stated
false-alarm rate of 1e-6 (Bonferroni over its comparisons) and each shown to reject wrong
rates:

* where the modewise SDE is exact for the network (width 1, rank 1: the network is the mode),
  the window collapse rates (Richardson in dt) agree with the derived C11 rate at depth 2 and 3,
  and reject it x 1.1 and without its Itô term;
* in the full network with an input null space (width d = 2 > rank 1), the late collapse rate
  is C16's exact rate of the linearised row (reports.claims.row_collapse), not C11's; the check
  rejects C11's rate, the exact rate x 1.1 and the null entry's rate without its Itô term.

``row_collapse_rate`` (the experiment's first-order row estimate) equals C16's derived
first-order rate.
"""

import json

import numpy as np
import pytest

from derivations.conventions import L, kappa, sigma
from derivations.row_collapse import full_network_collapse_rate
from dlnverify.errors import InvalidParameter
from numerics.montecarlo import z_threshold
from reports.claims.row_collapse import row_collapse_comparisons
from reports.engine.verdict import Comparison, numeric_check
from reports.experiments.collapse import (
    CollapseExperiment,
    check_collapse_config,
    collapse_experiment,
    collapse_experiment_summary,
    collapse_figure,
    default_collapse_config,
)
from reports.experiments.training import SimulationConfig
from reports.laws.collapse_rates import c11_collapse_rate, row_collapse_rate

FALSE_ALARM_RATE = 1e-6
TINY = {"width": 3, "ensemble": 16, "steps": 40, "record_every": 10}
KAPPA = 0.05


@pytest.fixture(scope="module")
def c16_comparisons():
    # the registry's generator (verify_claim(seed=0)) and a cached simulation: shared with
    # the C16 test of claims/test_catalogue.py on the same xdist worker
    return row_collapse_comparisons(np.random.default_rng([0, 16]))


@pytest.fixture(scope="module")
def tiny():
    return collapse_experiment(default_collapse_config(**TINY))


def test_tiny_run_shapes_and_json_summary(tiny):
    assert isinstance(tiny, CollapseExperiment)
    assert tiny.times.shape == (5,)
    np.testing.assert_allclose(tiny.times, 0.0125 * np.arange(0, 41, 10))
    assert tiny.log_gaps.shape == tiny.fine_log_gaps.shape == (5, 16, 2)
    np.testing.assert_allclose(tiny.log_gaps[0], np.log(0.01 * np.array([[2.0, 1.0]] * 16)))
    assert tiny.rates.shape == tiny.rates_se.shape == (4, 2)
    summary = json.loads(json.dumps(collapse_experiment_summary(tiny)))
    assert summary["n_networks"] == 16
    assert summary["time_steps"] == [0.0125, 0.00625]
    assert summary["threshold"] == pytest.approx(z_threshold(FALSE_ALARM_RATE, 8))
    for mode, value in zip(summary["modes"], (2.0, 1.0), strict=True):
        assert mode["sigma"] == value
        assert mode["c11_rate"] == pytest.approx(c11_collapse_rate(2, value, KAPPA))
        assert len(mode["windows"]) == 4
        assert mode["late_window"] == [0.375, 0.5]


def test_same_seed_same_numbers(tiny):
    again = collapse_experiment(default_collapse_config(**TINY))
    np.testing.assert_array_equal(again.log_gaps, tiny.log_gaps)
    np.testing.assert_array_equal(again.fine_log_gaps, tiny.fine_log_gaps)
    other = collapse_experiment(default_collapse_config(**TINY, seed=1))
    assert not np.array_equal(other.log_gaps[1:], tiny.log_gaps[1:])
    # the dt and dt/2 runs draw independent noise
    assert not np.allclose(tiny.log_gaps[-1], tiny.fine_log_gaps[-1])


def test_figure_is_deterministic(tiny, tmp_path):
    first = collapse_figure(tiny, tmp_path / "a.png")
    second = collapse_figure(tiny, tmp_path / "b.png")
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.parametrize(
    ("overrides", "gap", "match"),
    [
        ({"label_noise": 0.1}, 1e-2, "without label noise"),
        ({"optimizer": "isotropic"}, 1e-2, "needs optimizer 'anisotropic'"),
        ({"ensemble": 1}, 1e-2, ">= 2 networks"),
        ({"steps": 15}, 1e-2, "at least two windows"),
        ({}, 0.0, "start_gap"),
        ({}, 1.0, "start_gap"),
    ],
)
def test_bad_input_is_one_line(overrides, gap, match):
    config = default_collapse_config(**TINY | overrides)
    with pytest.raises(InvalidParameter, match=match) as error:
        collapse_experiment(config, start_gap=gap)
    assert "\n" not in str(error.value)


def test_bad_arguments():
    with pytest.raises(InvalidParameter, match="SimulationConfig"):
        check_collapse_config({"depth": 2})
    with pytest.raises(InvalidParameter, match="CollapseExperiment"):
        collapse_experiment_summary(SimulationConfig())


def test_row_estimate_of_the_mode_itself_is_the_derived_c11_rate():
    # width = rank = 1: the row of W* - W is the gap alone, a block of n = 1 entries whose rate
    # K + kappa K^2 must reproduce Itô's formula of C11 (derived in derivations.stationary)
    for depth in (1, 2, 3, 4):
        for value in (0.7, 2.0):
            assert row_collapse_rate(depth, (value,), 0, 0, KAPPA) == pytest.approx(
                c11_collapse_rate(depth, value, KAPPA), rel=1e-12
            )


def test_row_estimate_picks_the_slowest_block():
    # L = 2: K_ij = s_i + s_j; the null block (s_j = 0, n entries) or the cross entry
    assert row_collapse_rate(2, (2.0, 1.0), 0, 2, KAPPA) == pytest.approx(2 + KAPPA * 4 / 2)
    assert row_collapse_rate(2, (2.0, 1.0), 0, 0, KAPPA) == pytest.approx(3 + KAPPA * 9)
    assert row_collapse_rate(2, (2.0, 1.0), 1, 0, KAPPA) == pytest.approx(2 + KAPPA * 4)
    # L = 3, null block: K = sigma^(4/3)
    assert row_collapse_rate(3, (1.3,), 0, 2, KAPPA) == pytest.approx(
        1.3 ** (4 / 3) + KAPPA * 1.3 ** (8 / 3) / 2
    )


def _rejects(rates, errors, wrong, threshold):
    return bool(np.any(np.abs((rates - wrong) / errors) > threshold))


@pytest.mark.parametrize(("depth", "value"), [(2, 2.0), (3, 1.3)])
def test_width_one_collapses_at_the_c11_rate(depth, value):
    """Width 1: the modewise SDE is exact.  Two windows [0, 1], [1, 2] (start gap 1e-2, so the
    gap stays far above round-off), Richardson in dt; 2048 networks."""
    config = default_collapse_config(
        depth=depth, width=1, singular_values=(value,), duration=2.0, record_every=80
    )
    experiment = collapse_experiment(config)
    rates, errors = experiment.rates[:, 0], experiment.rates_se[:, 0]
    assert np.all(np.isfinite(rates))
    threshold = z_threshold(FALSE_ALARM_RATE, rates.size)
    derived = c11_collapse_rate(depth, value, KAPPA)
    assert np.all(np.abs((rates - derived) / errors) <= threshold), (rates, errors, derived)
    assert collapse_experiment_summary(experiment)["follows_c11"]
    # power: the rate x 1.1, and without its Itô term (the drift slope L sigma^(2-2/L) alone)
    assert _rejects(rates, errors, 1.1 * derived, threshold)
    assert _rejects(rates, errors, depth * value ** (2 - 2 / depth), threshold)


@pytest.mark.xdist_group("row_collapse")
def test_full_network_c16_check_has_power(c16_comparisons):
    """The C16 check (full networks, d = 2, against the exact two-entry rate) passes and
    rejects C11's modewise rate, the exact rate x 1.1 and the null entry's drift rate
    sigma^(2-2/L) without any Itô term; the same samples, the same false-alarm rate."""
    assert numeric_check(c16_comparisons).passed
    for wrong in (
        lambda c: c11_collapse_rate(c.parameters["L"], c.parameters["sigma"], KAPPA),
        lambda c: 1.1 * c.closed_form,
        lambda c: c.parameters["sigma"] ** (2 - 2 / c.parameters["L"]),
    ):
        perturbed = [Comparison(c.parameters, c.estimate, wrong(c)) for c in c16_comparisons]
        assert not numeric_check(perturbed).passed


@pytest.mark.parametrize("depth", [2, 3])
@pytest.mark.parametrize("others", [(), (1.0,), (0.5, 1.5)])
@pytest.mark.parametrize("null_dim", [1, 2, 4])
def test_row_estimate_is_the_derived_first_order_rate(depth, others, null_dim):
    value = 2.0
    derived = full_network_collapse_rate(null_dim, others).subs(
        {L: depth, sigma: value, kappa: KAPPA}
    )
    assert row_collapse_rate(depth, (value, *others), 0, null_dim, KAPPA) == pytest.approx(
        float(derived)
    )
