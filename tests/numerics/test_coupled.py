r"""Tests of numerics.coupled: Euler-Maruyama at dt and dt/2 on one Brownian path.

The calibration case with a known answer is depth one (:math:`W = W_1`), started at the
teacher, label noise :math:`\Sigma_\varepsilon = \sigma_\varepsilon^2 I`.  With
:math:`D = W - W^*` and step :math:`h`, Euler-Maruyama of paper Eq. 1 reads
:math:`D \leftarrow (1-h) D + \sqrt{\kappa h}\,(D G - \sigma_\varepsilon Z)` (the exact
noise factor of :mod:`numerics.noise` with :math:`A = B = I`).  So :math:`E D_k = 0`, and for
a mode :math:`s = u^\top W v` (unit :math:`u, v`), with :math:`E[G v v^\top G] = I + v v^\top`
for the GOE factor and every direction :math:`w` of the input space alike (the start is zero),

.. math:: E (s_k - \sigma)^2 = Q_k,\qquad Q_{k+1} = r Q_k + \kappa h \sigma_\varepsilon^2,
          \qquad r = (1-h)^2 + \kappa h (n + 1),

exactly, at every step size.  The Richardson combination of window averages,
:math:`2\bar f(h/2) - \bar f(h)`, then has a known expectation for :math:`f = s - \sigma` (zero)
and for :math:`f = (s - \sigma)^2` (from :math:`Q`).  The coverage of zero by the coupled
mean :math:`\pm t_{0.975} \mathrm{SE}` over independent replicates must be 95 % (two-sided
binomial band at false-alarm rate 1e-4); the same band rejects the standard error scaled by
0.7 or 1.5, and the standard error of two independent runs
(:math:`\sqrt{4\,\mathrm{SE}_{fine}^2 + \mathrm{SE}_{coarse}^2}`), which over-covers.
"""

import numpy as np
import pytest
from scipy import stats

from dlnverify.errors import InvalidParameter
from numerics.coupled import coupled_langevin_runs
from numerics.montecarlo import mean_estimate, z_threshold
from numerics.teacher import random_teacher

KAPPA, DT, SIGMA_EPS, STEPS, EVERY = 0.2, 0.25, 0.7, 40, 2
REPLICATES, NETWORKS = 400, 100
FALSE_ALARM = 1e-4


def _exact_second_moments(h: float, steps: int, n: int) -> np.ndarray:
    """Q_k for k = 0..steps (module docstring)."""
    rate = (1 - h) ** 2 + KAPPA * h * (n + 1)
    q = [0.0]
    for _ in range(steps):
        q.append(rate * q[-1] + KAPPA * h * SIGMA_EPS**2)
    return np.array(q)


@pytest.fixture(scope="module")
def depth_one_runs():
    rng = np.random.default_rng(2026)
    teacher = random_teacher([1.0], shape=(2, 3), rng=rng, label_noise=SIGMA_EPS)
    start = np.broadcast_to(teacher.matrix, (REPLICATES, NETWORKS, 2, 3))
    runs = coupled_langevin_runs(
        [start], teacher, kappas=(KAPPA,), dt=DT, steps=STEPS, rng=rng, record_every=EVERY
    )
    return runs, teacher


def _coverage(estimates, errors, truth):
    quantile = stats.t.ppf(0.975, NETWORKS - 1)
    return int(np.sum(np.abs(estimates - truth) <= quantile * errors))


def _band():
    """Counts of covering replicates outside which a calibrated error bar is rejected."""
    low = stats.binom.ppf(FALSE_ALARM / 2, REPLICATES, 0.95)
    high = stats.binom.isf(FALSE_ALARM / 2, REPLICATES, 0.95)
    return low, high


def _combined(runs, observable):
    """Per network: 2 f(dt/2) - f(dt) of the window averages, shape (replicates, networks)."""
    averages = []
    for trajectory in (runs.fine[0], runs.coarse[0]):
        deviation = trajectory.modes[..., 0] - 1.0  # (records, replicates, networks)
        averages.append((deviation if observable == "deviation" else deviation**2).mean(axis=0))
    return 2 * averages[0] - averages[1], averages


def _exact_richardson_square(teacher):
    """2 E f(dt/2) - E f(dt) for f the window average of (s - sigma)^2."""
    coarse = _exact_second_moments(DT, STEPS, teacher.n)[::EVERY]
    fine = _exact_second_moments(DT / 2, 2 * STEPS, teacher.n)[:: 2 * EVERY]
    return 2 * fine.mean() - coarse.mean()


def test_coupled_richardson_error_bar_is_calibrated(depth_one_runs):
    """Coverage of E(s - sigma) = 0 by the coupled Richardson mean +- t SE over replicates."""
    runs, _ = depth_one_runs
    combined, (fine, coarse) = _combined(runs, "deviation")
    estimates = combined.mean(axis=-1)
    errors = combined.std(axis=-1, ddof=1) / np.sqrt(NETWORKS)
    low, high = _band()
    assert low <= _coverage(estimates, errors, 0.0) <= high
    # power: the same band rejects wrong error bars
    for scale in (0.7, 1.5):
        assert not low <= _coverage(estimates, scale * errors, 0.0) <= high, scale
    independent = np.hypot(2 * fine.std(axis=-1, ddof=1), coarse.std(axis=-1, ddof=1))
    assert _coverage(estimates, independent / np.sqrt(NETWORKS), 0.0) > high


def test_coupled_richardson_of_a_square_has_the_exact_value(depth_one_runs):
    """The extrapolated second moment, pooled over every replicate, against its exact value
    (z-test at false-alarm rate 1e-6), and the same test rejects the value at dt alone.

    (Coverage replicate by replicate is not asserted for the square: its heavy tail makes the
    t interval of 100-200 networks cover 91-92 % instead of 95 % here; C17's variance averages
    over 20 time units and 512-1024 networks.)"""
    runs, teacher = depth_one_runs
    combined, _ = _combined(runs, "square")
    estimate = mean_estimate(combined.ravel())
    threshold = z_threshold(1e-6)
    exact = _exact_richardson_square(teacher)
    assert abs(estimate.value - exact) <= threshold * estimate.standard_error
    at_dt = _exact_second_moments(DT, STEPS, teacher.n)[::EVERY].mean()
    assert abs(estimate.value - at_dt) > threshold * estimate.standard_error


def test_the_coupling_removes_most_of_the_extrapolation_variance(depth_one_runs):
    """Var(2 f_fine - f_coarse) per network, coupled, against 4 Var f_fine + Var f_coarse
    (independent runs): about 1/5 at small steps; asserted below 1/2."""
    runs, _ = depth_one_runs
    fine = runs.fine[0].modes[..., 0].mean(axis=0).ravel()
    coarse = runs.coarse[0].modes[..., 0].mean(axis=0).ravel()
    coupled = np.var(2 * fine - coarse, ddof=1)
    independent = 4 * np.var(fine, ddof=1) + np.var(coarse, ddof=1)
    assert coupled < independent / 2


def test_records_and_seeds():
    rng = np.random.default_rng(0)
    teacher = random_teacher([1.5, 0.5], shape=(3, 2), rng=rng, label_noise=0.3)
    start = [np.full((4, 2, 2), 0.5), np.full((4, 3, 2), 0.5)]
    first, second = (
        coupled_langevin_runs(
            start,
            teacher,
            kappas=(0.1, 0.01),
            dt=0.02,
            steps=7,
            rng=np.random.default_rng(5),
            record_every=3,
        )
        for _ in range(2)
    )
    assert first.kappas == (0.1, 0.01)
    assert first.dt == 0.02
    np.testing.assert_array_equal(first.coarse[0].steps, [0, 3, 6, 7])
    np.testing.assert_array_equal(first.fine[0].steps, [0, 6, 12, 14])
    np.testing.assert_allclose(first.fine[1].times, [0, 0.06, 0.12, 0.14])
    assert first.coarse[1].modes.shape == (4, 4, 2)
    assert first.fine[0].weights[1].shape == (4, 3, 2)
    for a, b in zip(first.coarse + first.fine, second.coarse + second.fine, strict=True):
        assert a.modes.tobytes() == b.modes.tobytes()
    # every network has its own path; the noise scales share it but move apart
    assert not np.allclose(first.coarse[0].modes[-1, 0], first.coarse[0].modes[-1, 1])
    assert not np.allclose(first.coarse[0].modes[-1], first.coarse[1].modes[-1])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kappas": ()}, "kappas"),
        ({"kappas": "0.1"}, "kappas"),
        ({"kappas": (0.1, -1.0)}, "kappa"),
        ({"dt": 0.0}, "dt"),
        ({"steps": 0}, "steps"),
        ({"record_every": 0}, "record_every"),
    ],
)
def test_bad_input_is_refused(overrides, message):
    rng = np.random.default_rng(0)
    teacher = random_teacher([1.0], shape=(2, 2), rng=rng)
    arguments = {"kappas": (0.1,), "dt": 0.01, "steps": 3, "record_every": 1} | overrides
    with pytest.raises(InvalidParameter, match=message):
        coupled_langevin_runs([np.eye(2)], teacher, rng=rng, **arguments)
