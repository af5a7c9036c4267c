"""The scalar Euler-Maruyama integrator and the zero-current quadrature, on Ornstein-Uhlenbeck.

OU: ds = -theta (s - m) dt + sqrt(D) dW has the stationary law N(m, D / (2 theta)).  Euler-
Maruyama's stationary law is also Gaussian with mean m and variance
D / (2 theta - theta^2 dt) (the AR(1) recursion s' = (1 - theta dt) s + ... solved exactly),
so the check below is exact at finite dt.  Tolerances: z-test at false-alarm 1e-6 over the
two compared numbers; power: the continuous variance times 1.1 is rejected.
"""

import numpy as np
import pytest

from dlnverify.errors import InvalidParameter
from numerics.montecarlo import z_threshold
from numerics.scalar_sde import (
    euler_maruyama,
    stationary_statistics,
    zero_current_log_ratio,
    zero_current_mode,
    zero_current_moments,
)

THETA, M, D, DT = 2.0, 1.5, 0.3, 0.01


def _ou():
    return (lambda s: -THETA * (s - M)), (lambda s: np.full_like(s, D))


def test_ou_stationary_moments_within_standard_error():
    drift, diffusion = _ou()
    _, averages = euler_maruyama(
        drift,
        diffusion,
        M,
        dt=DT,
        n_steps=3000,
        n_chains=400,
        burn_in=500,
        rng=np.random.default_rng(1),
        domain="real",
    )
    mean, variance = stationary_statistics(averages)
    exact_em_variance = D / (2 * THETA - THETA**2 * DT)
    threshold = z_threshold(1e-6, 2)
    assert abs(mean.value - M) <= threshold * mean.standard_error
    assert abs(variance.value - exact_em_variance) <= threshold * variance.standard_error
    # power: 1.1 x the variance is rejected
    assert abs(variance.value - 1.1 * exact_em_variance) > threshold * variance.standard_error


def test_seeding_is_reproducible():
    drift, diffusion = _ou()
    runs = [
        euler_maruyama(
            drift,
            diffusion,
            1.0,
            dt=DT,
            n_steps=50,
            n_chains=7,
            rng=np.random.default_rng(5),
            chunk=3,
        )[0]
        for _ in range(2)
    ]
    np.testing.assert_array_equal(*runs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"dt": 0.0},
        {"dt": float("nan")},
        {"n_steps": 0},
        {"n_chains": -1},
        {"burn_in": 10},
        {"domain": "circle"},
        {"start": -1.0},
    ],
)
def test_bad_input(kwargs):
    drift, diffusion = _ou()
    arguments = {"dt": DT, "n_steps": 10, "n_chains": 2, "rng": np.random.default_rng(0)}
    start = kwargs.pop("start", 1.0)
    with pytest.raises(InvalidParameter):
        euler_maruyama(drift, diffusion, start, **(arguments | kwargs))


def test_quadrature_on_ou():
    moments = zero_current_moments(
        lambda s: -THETA * (s - M), lambda s: D, M, -np.inf, np.inf, intervals=[(M, np.inf)]
    )
    assert moments["mean"] == pytest.approx(M, rel=1e-8)
    assert moments["variance"] == pytest.approx(D / (2 * THETA), rel=1e-8)
    assert moments[f"P({M},inf)"] == pytest.approx(0.5, rel=1e-8)


def test_mode_on_ou_and_on_a_gamma_density():
    assert zero_current_mode(lambda s: -THETA * (s - M), lambda s: D, M - 3, M + 5) == (
        pytest.approx(M, abs=1e-12)
    )
    # mu = a - b s, D = s: p ~ s^(2a - 1) exp(-2 b s), mode (2a - 1) / (2b)
    a, b = 1.7, 0.9
    mode = zero_current_mode(lambda s: a - b * s, lambda s: s, 0.1, 10.0)
    assert mode == pytest.approx((2 * a - 1) / (2 * b), rel=1e-10)
    # the D' term matters: mu = a - b s, D = s^2 give (log p)' = (2a - 2bs - 2s)/s^2, zero at
    # a / (b + 1) (without the -D'/D term it would be a / b)
    mode = zero_current_mode(lambda s: a - b * s, lambda s: s**2, 0.1, 10.0)
    assert mode == pytest.approx(a / (b + 1), rel=1e-10)


def test_log_ratio_on_ou_and_on_a_gamma_density():
    # OU: log p = -theta (s - m)^2 / D + const
    value, error = zero_current_log_ratio(lambda s: -THETA * (s - M), lambda s: D, 0.2, 2.9)
    assert value == pytest.approx(-THETA * ((2.9 - M) ** 2 - (0.2 - M) ** 2) / D, rel=1e-12)
    assert 0 <= error < 1e-10
    # mu = a - b s, D = s: log p = (2a - 1) log s - 2 b s + const, also in reverse order
    a, b = 1.7, 0.9
    value, _ = zero_current_log_ratio(lambda s: a - b * s, lambda s: s, 3.0, 0.5)
    assert value == pytest.approx((2 * a - 1) * np.log(0.5 / 3.0) - 2 * b * (0.5 - 3.0))


@pytest.mark.parametrize(
    ("lower", "upper", "match"),
    [(2.0, 1.0, "lower < upper"), (0.1, 0.5, "hold a maximum"), (np.nan, 1.0, "lower")],
)
def test_mode_bad_bracket(lower, upper, match):
    with pytest.raises(InvalidParameter, match=match):
        zero_current_mode(lambda s: -(s - 1.0), lambda s: 1.0, lower, upper)


def test_negative_diffusion_and_divergence_are_one_line_errors():
    rng = np.random.default_rng(0)
    arguments = {"dt": 0.1, "n_steps": 5, "n_chains": 3, "rng": rng, "domain": "real"}
    with pytest.raises(InvalidParameter, match="negative diffusion"):
        euler_maruyama(lambda s: -s, lambda s: -np.ones_like(s), 0.5, **arguments)
    with pytest.raises(InvalidParameter, match="diverged") as info:
        euler_maruyama(
            lambda s: s**3, lambda s: np.ones_like(s), 50.0, **{**arguments, "n_steps": 50}
        )
    assert "\n" not in str(info.value)
