"""``collapse_rate``'s Monte Carlo estimate from coupled runs at dt and dt/2
(numerics.scalar_sde.coupled_final_states, reports/claims/stationary.py): the coupling is
the one Brownian path, the per-chain Richardson standard error is calibrated (coverage of
the known rate over seeds), and a rate off by 10 % in its noise term is still rejected."""

import numpy as np
import pytest

from derivations.conventions import L, kappa, sigma
from derivations.stationary import collapse_rate
from numerics.montecarlo import z_threshold
from numerics.scalar_sde import coupled_final_states, euler_maruyama
from reports.claims import stationary

pytestmark = pytest.mark.xdist_group("stationary")


def test_without_noise_the_runs_are_plain_euler_steps():
    # D = 0: the coarse run is n Euler steps of dt, the fine one 2n of dt/2, exactly
    coarse, fine = coupled_final_states(
        lambda u: -u,
        lambda u: 0 * u,
        1.0,
        dt=0.1,
        n_steps=5,
        n_chains=3,
        rng=np.random.default_rng(0),
    )
    assert coarse == pytest.approx(np.full(3, 0.9**5), rel=1e-14)
    assert fine == pytest.approx(np.full(3, 0.95**10), rel=1e-14)


def test_the_two_runs_share_one_brownian_path():
    # pure Brownian motion: both runs end at the same point, the sum of the same increments
    coarse, fine = coupled_final_states(
        lambda u: 0 * u,
        lambda u: 0 * u + 1.0,
        0.0,
        dt=0.01,
        n_steps=100,
        n_chains=2000,
        rng=np.random.default_rng(1),
        domain="real",
    )
    assert coarse == pytest.approx(fine, abs=1e-12)
    assert np.var(fine) == pytest.approx(1.0, rel=0.1)  # Var W_1 = 1
    assert abs(np.corrcoef(coarse[:-1], fine[1:])[0, 1]) < 0.1  # chains independent


def test_the_fine_run_is_euler_at_half_the_step():
    # the fine run's law: the same as euler_maruyama at dt/2 (geometric decay with noise)
    def drift(u):
        return -u

    def diffusion(u):
        return 0.25 * u * u

    _, fine = coupled_final_states(
        drift, diffusion, 1.0, dt=0.1, n_steps=10, n_chains=20_000, rng=np.random.default_rng(2)
    )
    plain, _ = euler_maruyama(
        drift, diffusion, 1.0, dt=0.05, n_steps=20, n_chains=20_000, rng=np.random.default_rng(3)
    )
    gap = abs(fine.mean() - plain.mean())
    assert gap < 5 * np.hypot(fine.std(), plain.std()) / np.sqrt(20_000)


def test_the_per_chain_standard_error_is_calibrated():
    # coverage of the known rate (C11, L=2): 40 independent estimates of 400 chains each (the
    # chains of one run, in groups) hold it within 1.96 standard errors about 95 % of the time
    # (at least 33 of 40: 3.6 binomial sd below 38); the spread of their z near 1 (an error
    # bar of two independent runs, sqrt(5) too wide, gives a spread near 0.45)
    depth, sig, kap = stationary.COLLAPSE_POINTS[0]
    derived = float(collapse_rate().subs({L: depth, sigma: sig, kappa: kap}))
    slopes, _ = stationary.collapse_slopes(depth, sig, kap, np.random.default_rng(0), 40 * 400)
    groups = slopes.reshape(40, 400)
    scores = (groups.mean(axis=1) - derived) / (groups.std(axis=1, ddof=1) / np.sqrt(400))
    assert np.sum(np.abs(scores) <= 1.96) >= 33
    assert 0.6 < scores.std(ddof=1) < 1.5
    assert abs(scores.mean()) < 4 / np.sqrt(40)


def test_the_default_error_bar_is_as_small_as_twenty_thousand_independent_chains_per_step():
    # the power of the default estimate (4000 coupled chains): the old 20 000 independent chains
    # per step gave 0.6 % of the rate; a noise term 10 % too large lies over 2 standard errors off
    depth, sig, kap = stationary.COLLAPSE_POINTS[1]
    estimate, _ = stationary.collapse_rate_estimate(depth, sig, kap, np.random.default_rng(0))
    exact = float(collapse_rate().subs({L: depth, sigma: sig, kappa: kap}))
    noise_term = kap * depth**2 * sig ** (4 - 4 / depth)
    threshold = z_threshold(1e-6, 1)
    assert abs(estimate.value - exact) <= threshold * estimate.standard_error
    assert estimate.standard_error < 0.0065 * exact
    assert abs(estimate.value - (exact + 0.1 * noise_term)) > 2 * estimate.standard_error
