"""C15: plateaus of gradient descent from small init against the derived saddle losses.

The estimates are deterministic runs with an error estimate from two initial scales
(reports.claims.plateaus docstring); false-alarm rate 1e-6 over all compared numbers
(Bonferroni).  Power: the same runs reject the plateau formula times 1.1, the sum over
b >= k, and the formula without the label-noise constant.  The error model (deviation
shrinking by at least 2x per scale step) is checked with a third, smaller scale.
"""

import numpy as np
import pytest

from reports.claims.plateaus import (
    CONFIGS,
    FLOOR_ULPS,
    compare_plateaus,
    derived_plateau_losses,
    run_plateaus,
    simulate_plateaus,
)
from reports.engine.verdict import numeric_check

#: Every test of the topic runs on one worker: its derivations (cached in-process) are
#: computed once per run (tests/README.md).
pytestmark = pytest.mark.xdist_group("plateaus")

SEED = 20260415


@pytest.fixture(scope="module")
def runs():
    return simulate_plateaus(np.random.default_rng(SEED))


def test_plateaus_match_the_derived_saddles(runs):
    check = numeric_check(compare_plateaus(runs))
    assert check.passed, check.cases
    assert check.false_alarm_rate == 1e-6
    assert all(run.counts == (4, 4) for run in runs)


def _times_1_1(values, trace, depth):
    return [1.1 * v for v in derived_plateau_losses(values, trace, depth)]


def _sum_from_k(values, trace, depth):
    # 1/2 sum_{b >= k} sigma_b^2 + 1/2 tr Sigma_eps (b counted from 1; k = 0 as b > 0)
    return [0.5 * sum(v**2 for v in values[max(k - 1, 0) :]) + 0.5 * trace for k in range(4)]


def _no_label_noise(values, trace, depth):
    return [0.5 * sum(v**2 for v in values[k:]) for k in range(4)]


@pytest.mark.parametrize("formula", [_times_1_1, _sum_from_k, _no_label_noise])
def test_power_against_wrong_plateau_formulas(runs, formula):
    assert not numeric_check(compare_plateaus(runs, formula)).passed


def test_deviation_shrinks_with_the_initial_scale(runs):
    """A third, smaller scale: |v(g2) - v(g3)| <= |v(g1) - v(g2)| / 2 wherever the latter is
    above round-off, so the reported standard error bounds the reported run's deviation."""
    for run, (depth, (gamma_1, gamma_2), eta, steps) in zip(runs, CONFIGS, strict=True):
        gamma_3 = gamma_2 + (gamma_2 - gamma_1)
        plateaus, initial = run_plateaus(
            run.teacher, depth, gamma_3, run.seed, eta=eta, steps=steps
        )
        assert len(plateaus) == 4
        finer = np.array([p.loss for p in plateaus])
        value, error = run.estimate.value, run.estimate.standard_error
        floor = FLOOR_ULPS * np.finfo(float).eps * initial
        resolved = error > floor
        assert np.all(np.abs(value - finer)[resolved] <= error[resolved] / 2)
        assert np.all(np.abs(value - finer)[~resolved] <= floor)
