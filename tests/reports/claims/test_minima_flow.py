"""The C18 Monte Carlo check: the imbalance drift at minima, and long full-network runs of the
slow flow from the balanced point, against the derivation.

The comparisons are computed once with the generator the registry uses for C18
(``verify_claim(seed=0)``: ``default_rng([0, 18])``), and the long runs are cached, so this
module and ``claims/test_catalogue.py`` share them.  Power, on the same samples at the same
false-alarm rate (1e-6): the check rejects a zero drift at a general minimum (the reading
"the noise changes the imbalance only at second order"), the balanced point's imbalance
(D = 0) and C17's balanced-point mean -sigma_eps^2 (m + n)/4 after the layers have
rebalanced.
"""

import numpy as np
import pytest

from reports.claims.minima_flow import (
    LONG_RUN,
    derived_slow_path,
    rebalancing_comparisons,
)
from reports.engine.verdict import Comparison, numeric_check

# with the registry's C18 test (claims/test_catalogue.py) on one worker: one simulation
pytestmark = pytest.mark.xdist_group("minima_flow")


@pytest.fixture(scope="module")
def comparisons():
    return rebalancing_comparisons(np.random.default_rng([0, 18]))


def _replaced(comparisons, keep, closed_form):
    """``comparisons`` with the closed form of those matching ``keep`` replaced."""
    return [
        Comparison(c.parameters, c.estimate, closed_form(c)) if keep(c) else c for c in comparisons
    ]


def test_the_check_passes(comparisons):
    assert numeric_check(comparisons).passed


def test_a_zero_drift_at_a_general_minimum_is_rejected(comparisons):
    general = [c for c in comparisons if c.parameters.get("point") == "general minimum"]
    assert len(general) == 3  # D_1 at depth 2; D_1, D_2 at depth 3
    zero = _replaced(comparisons, lambda c: c in general, lambda c: 0 * c.closed_form)
    assert not numeric_check(zero).passed


def test_the_drift_vanishes_at_the_rebalanced_point(comparisons):
    for c in comparisons:
        if c.parameters.get("point") == "rebalanced point":
            assert np.max(np.abs(c.closed_form)) < 1e-12


def _long(comparisons, word):
    """The long-run comparison whose observable names ``word``."""
    (found,) = [c for c in comparisons if "start" in c.parameters and word in
                c.parameters["observable"]]  # fmt: skip
    return found


def test_the_balanced_imbalance_is_rejected_after_rebalancing(comparisons):
    imbalance = _long(comparisons, "|D|")
    assert float(imbalance.closed_form) > 2.5  # D* = sigma (m - n)/sqrt(mn) = -8/3
    zero = _replaced(comparisons, lambda c: c is imbalance, lambda c: 0.0)
    assert not numeric_check(zero).passed


def test_c17s_balanced_mean_is_rejected_after_rebalancing(comparisons):
    shift = _long(comparisons, "(s - sigma)/kappa")
    m, n = LONG_RUN.widths[-1], LONG_RUN.widths[0]
    balanced = -(LONG_RUN.label_noise**2) * (m + n) / 4
    assert abs(float(shift.closed_form) - balanced) > 3.5  # -6 against -10
    replaced = _replaced(comparisons, lambda c: c is shift, lambda c: balanced)
    assert not numeric_check(replaced).passed


def test_the_derived_slow_path_starts_balanced_and_reaches_the_fixed_point():
    times = np.linspace(0.0, 400.0, 4001)
    path = derived_slow_path(0.02, times)
    m, n = LONG_RUN.widths[-1], LONG_RUN.widths[0]
    fixed = LONG_RUN.sigma * abs(m - n) / np.sqrt(m * n)
    assert path.imbalance[0] == 0.0
    assert abs(path.imbalance[-1] - fixed) < 1e-6
    # by hand at the end: -sigma_eps^2 sqrt(mn)/2; at the start C17's -(m + n)/4
    assert abs(path.mean_shift[-1] + LONG_RUN.label_noise**2 * np.sqrt(m * n) / 2) < 1e-6
    assert abs(path.mean_shift[0] + LONG_RUN.label_noise**2 * (m + n) / 4) < 1e-12


def test_the_slow_path_is_slower_at_the_smaller_noise_scale():
    """The flow runs in tau = kappa sigma_eps^2 t: halving kappa doubles the time to reach
    the same imbalance."""
    times = np.array([0.0, 10.0, 20.0])
    fast, slow = (derived_slow_path(k, times) for k in (0.02, 0.01))
    assert abs(fast.imbalance[1] - slow.imbalance[2]) < 1e-8
