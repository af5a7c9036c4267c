r"""The Monte Carlo check of C17: stationary mode means and variances of full networks with
label noise.

Ensembles of full networks start at the aligned-balanced teacher point
(:func:`reports.experiments.training.aligned_init`, a rank-two teacher with Haar-random singular
bases, hidden width 2, :math:`\sigma_\varepsilon = 0.5`) and are stepped by Euler-Maruyama of
the anisotropic Langevin SDE (paper Eq. 1) at :math:`\kappa = 0.01` and
:math:`\kappa' = \kappa/10`, each at :math:`dt = \kappa` and :math:`dt = \kappa/2`: four runs
per network, all driven by the network's one Brownian path
(:func:`numerics.coupled.coupled_langevin_runs`).  Each run's mode amplitudes
:math:`s_a = u_a^\top W v_a` are averaged over :math:`t \in [5, 25]` (records every 0.1; the
slowest relaxation near the teacher has rate :math:`\ge 1`), and per network the four
averages are combined into

* the mean shift, Richardson-extrapolated in :math:`dt` (paper App. K, fixed :math:`\kappa`):
  :math:`(2\bar s_a(dt/2) - \bar s_a(dt) - \sigma_a)/\kappa`, which removes the
  :math:`O(dt)` bias of Euler-Maruyama;
* the variance: the squared deviations about the ensemble's grand mean, averaged over the
  window, Richardson-extrapolated in :math:`dt` at both noise scales, divided by the noise
  scale and extrapolated linearly to :math:`\kappa \to 0`,
  :math:`v_0 = (\kappa v(\kappa') - \kappa' v(\kappa))/(\kappa - \kappa')`.

How the standard errors come about: the networks are independent of one another, so the
per-network combinations are i.i.d., and the estimate is their mean over networks with the
standard error of that mean (:func:`numerics.montecarlo.mean_estimate`); correlation in time
and the coupling of the four runs inside a network cost nothing in validity.  The coupling
makes the extrapolations cheap: two independent runs would give :math:`2f(dt/2) - f(dt)` about
five times the variance of one run, the coupled runs about the same as one
(``tests/numerics/test_coupled.py`` shows the calibration on a case with a known answer).
The grand mean inside the variance enters its error only at second order (the delta
method).

The closed form compared with is the *derived* first-order shift
(:func:`derivations.network_mean.network_mean_shift` at the same widths and depth, in units
of :math:`\kappa`), not the typed-in statement.  The comparison is with the first order, so
the :math:`O(\kappa^2)` remainder enters it as a bias.  The points keep it small against the
standard error: its size relative to the shift grows like :math:`\kappa K_{aa}`
(:math:`K_{aa} = L\sigma_a^{2-2/L}`), and for the single mode, whose exact law is known
(C10), the exact mean lies 2-4 % (:math:`L = 2`, :math:`\sigma = 1, 2`) and 1-3 %
(:math:`L = 3`, :math:`\sigma = 0.5, 1`) beyond the first order at :math:`\kappa = 0.01`,
under one standard error here.  That is why the depth-3 point uses the teacher
:math:`(1, 0.5)`: at :math:`\sigma = 2` the remainder is 8 %, about two standard errors.

The derived shift is the balanced point's.  At the depth-3 point the balanced point is not a
fixed point of the slow flow along the manifold of minima (C18,
:mod:`derivations.minima_flow`): within the window the layers move towards the rebalanced
point, where the shifts are :math:`-0.72, -0.72` instead of :math:`-0.80, -0.70`.  The
fastest rate of that flow is about :math:`4.2\kappa\sigma_\varepsilon^2`
(:func:`derivations.minima_flow.slow_rates` at the rebalanced point), so over
:math:`t \in [5, 25]` the layers cover roughly 16 % of the way on average: a bias of about
0.013 in the mode-1 shift, a third of its standard error.  At :math:`L = 2` with :math:`m = n` the balanced point is the fixed point.

The variance is far better resolved than the mean's shift (fluctuations of order
:math:`\sqrt\kappa` against a shift of order :math:`\kappa`), and at :math:`\kappa = 0.01`
its :math:`O(\kappa^2)` remainder is several standard errors (about 9 % at
:math:`L = 2,\ \sigma = 2`): hence the extrapolation to :math:`\kappa \to 0`, which removes
the first-order remainder and leaves :math:`O(\kappa\kappa')`.  The closed form compared
with is the derived first-order variance
(:func:`derivations.network_mean.network_mean_shift`, ``"mode_variances"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np
import sympy as sp

from derivations.conventions import kappa, sigma_eps
from derivations.network_mean import (
    network_mean_claim,
    network_mean_shift,
    rank_one_network_mean,
    two_mode_network_mean,
)
from numerics.antithetic import mirrored_generators
from numerics.coupled import coupled_langevin_runs
from numerics.montecarlo import Estimate, mean_estimate
from numerics.teacher import random_teacher
from numerics.weights import aligned_balanced_weights
from reports.engine.claim import Claim, MonteCarlo
from reports.engine.quantity import Quantity
from reports.engine.verdict import Comparison
from reports.experiments.training import SimulationConfig, aligned_init, seeded_teacher

__all__ = [
    "CLAIMS",
    "NETWORK_MEAN",
    "NETWORK_MEAN_POINTS",
    "QUANTITIES",
    "derived_mean_shifts",
    "derived_variance_coefficients",
    "network_mean_comparisons",
    "simulated_mode_moments",
    "simulated_network_mean",
]


#: (depth, input/output width, teacher singular values, networks) of the check.
NETWORK_MEAN_POINTS = ((2, 4, (2.0, 1.0), 512), (3, 4, (1.0, 0.5), 1024))
#: Hidden width (the teacher's rank), label noise, noise scale.
HIDDEN = 2
LABEL_NOISE = 0.5
KAPPA = 0.01
#: The second, smaller noise scale of the variance check (extrapolation to kappa -> 0).
SMALL_KAPPA = KAPPA / 10
#: Averaging window and record spacing (time units).
BURN_IN, DURATION, RECORD = 5.0, 25.0, 0.1


def _derived_coefficients(
    key: str, depth: int, width: int, singular_values: tuple[float, ...]
) -> np.ndarray:
    """The kappa-coefficient of ``network_mean_shift(...)[key]`` (one entry per mode) at a
    check point: the derived quantities are linear in kappa."""
    derived = network_mean_shift((width, *(HIDDEN,) * (depth - 1), width), len(singular_values))
    at = {
        tau: sp.nsimplify(value) ** sp.Rational(1, depth)
        for tau, value in zip(derived["taus"], singular_values, strict=True)
    }
    at[sigma_eps] = sp.nsimplify(LABEL_NOISE)
    return np.array([float(sp.diff(entry, kappa).subs(at)) for entry in derived[key]])


def derived_mean_shifts(depth: int, width: int, singular_values: tuple[float, ...]) -> np.ndarray:
    r"""The derived :math:`(E s_a - \sigma_a)/\kappa` of every mode (first order in
    :math:`\kappa`) in a ``width`` :math:`\times` ``width`` network of depth ``depth``, hidden
    width :data:`HIDDEN`, teacher ``singular_values``, label noise :data:`LABEL_NOISE`."""
    # the mode means are sigma_a + kappa (shift): the shift is the kappa-derivative
    return _derived_coefficients("mode_means", depth, width, singular_values)


def derived_variance_coefficients(
    depth: int, width: int, singular_values: tuple[float, ...]
) -> np.ndarray:
    r"""The derived :math:`\operatorname{Var} s_a/\kappa` of every mode (first order in
    :math:`\kappa`) at the same networks as :func:`derived_mean_shifts`."""
    return _derived_coefficients("mode_variances", depth, width, singular_values)


def _window_averages(
    modes: np.ndarray, times: np.ndarray, singular_values: tuple[float, ...]
) -> tuple[np.ndarray, np.ndarray]:
    r"""Per network: the time average of :math:`s_a - \sigma_a` over the window and that of
    the squared deviation about the ensemble's grand mean, shapes ``(networks, modes)``."""
    deviations = np.asarray(modes)[times >= BURN_IN] - np.asarray(singular_values)
    averages = deviations.mean(axis=0)
    return averages, ((deviations - averages.mean(axis=0)) ** 2).mean(axis=0)


@cache
def simulated_mode_moments(
    depth: int, width: int, singular_values: tuple[float, ...], networks: int, seed: int
) -> tuple[Estimate, Estimate]:
    r"""The mean shift :math:`(\hat m_a - \sigma_a)/\kappa` (Richardson in :math:`dt`) and the
    variance :math:`\widehat{\operatorname{Var}}\,s_a/\kappa` (Richardson in :math:`dt`,
    extrapolated to :math:`\kappa \to 0`), each with its standard error, from ``networks``
    networks (module docstring); cached, so that a test and the registry check with the same
    seed share one simulation."""
    config = SimulationConfig(
        optimizer="anisotropic",
        depth=depth,
        width=width,
        hidden=HIDDEN,
        singular_values=singular_values,
        label_noise=LABEL_NOISE,
        eta=KAPPA,
        dt=KAPPA,
        duration=DURATION,
        record_every=round(RECORD / KAPPA),
        ensemble=networks,
        seed=seed,
    )
    rng, teacher = seeded_teacher(config)
    start = aligned_init(config, teacher, singular_values, rng)
    runs = coupled_langevin_runs(
        start,
        teacher,
        kappas=(KAPPA, SMALL_KAPPA),
        dt=KAPPA,
        steps=config.steps,
        rng=rng,
        record_every=config.record_every,
    )
    times = np.asarray(runs.coarse[0].times)
    # per network, Richardson in dt: 2 f(dt/2) - f(dt) of the coupled runs
    (shift, large), (_, small) = (
        tuple(
            2 * fine - coarse
            for fine, coarse in zip(
                _window_averages(runs.fine[k].modes, times, singular_values),
                _window_averages(runs.coarse[k].modes, times, singular_values),
                strict=True,
            )
        )
        for k in (0, 1)
    )
    weight_small = KAPPA / (KAPPA - SMALL_KAPPA)
    weight_large = SMALL_KAPPA / (KAPPA - SMALL_KAPPA)
    # linear extrapolation of Var/kappa from KAPPA and SMALL_KAPPA to kappa -> 0, per network
    variance = weight_small * small / SMALL_KAPPA - weight_large * large / KAPPA
    return mean_estimate(shift / KAPPA, axis=0), mean_estimate(variance, axis=0)


def network_mean_comparisons(rng: np.random.Generator) -> list[Comparison]:
    r"""C17: Richardson-extrapolated mode-mean shifts of full networks
    (:data:`NETWORK_MEAN_POINTS`) against the derived first-order shifts, then the mode
    variances, extrapolated to :math:`\kappa \to 0` as well, against the derived first-order
    variances (one comparison per point and observable)."""
    means, variances = [], []
    for depth, width, values, networks in NETWORK_MEAN_POINTS:
        mean, variance = simulated_mode_moments(
            depth, width, values, networks, int(rng.integers(2**32))
        )
        params = {
            "L": depth,
            "d": width,
            "hidden": HIDDEN,
            "sigma": values,
            "sigma_eps": LABEL_NOISE,
            "networks": networks,
        }
        window = f"t in [{BURN_IN:g}, {DURATION:g}]"
        means.append(
            Comparison(
                params
                | {
                    "kappa": KAPPA,
                    "observable": f"(E s_a - sigma_a)/kappa, time average {window} (EM, "
                    "Richardson in dt)",
                },
                mean,
                derived_mean_shifts(depth, width, values),
                labels=tuple(
                    f"(E s_{a} - sigma_{a})/kappa, time average {window} (EM, Richardson in dt)"
                    for a in range(1, len(values) + 1)
                ),
            )
        )
        variances.append(
            Comparison(
                params
                | {
                    "kappa": (KAPPA, SMALL_KAPPA),
                    "observable": f"Var s_a/kappa, pooled over {window} (EM, Richardson in "
                    "dt, extrapolated linearly in kappa to 0)",
                },
                variance,
                derived_variance_coefficients(depth, width, values),
                labels=tuple(
                    f"Var s_{a}/kappa, pooled over {window} (EM, Richardson in dt, extrapolated"
                    " linearly in kappa to 0)"
                    for a in range(1, len(values) + 1)
                ),
            )
        )
    return means + variances


#: The ``network_mean`` observable: antithetic pairs of networks, the noise scale in units of
#: ``1/K`` (``K = L sigma^(2-2/L)``, the mode's restoring rate), the coarse step in the same
#: units, and the burn-in and averaging window in units of the slowest relaxation time.
CHECK_PAIRS = 64
CHECK_KAPPA_K, CHECK_DT_K = 0.02, 0.1
CHECK_BURN_IN, CHECK_WINDOW = 3.0, 12.0


def simulated_network_mean(point: Mapping[str, float], rng: np.random.Generator) -> Estimate:
    r"""The ``network_mean`` observable: :math:`\sigma + \kappa c`, with :math:`c` the
    first-order coefficient of the stationary mean of the mode, estimated from full networks.

    An ``m`` :math:`\times` ``n`` network of depth ``L`` (hidden width 1) on a rank-one teacher
    :math:`\sigma` with Haar-random bases and label noise :math:`\sigma_\varepsilon`, started
    at the balanced teacher point, is stepped by Euler-Maruyama of the anisotropic Langevin
    SDE (paper Eq. 1) at the noise scales :math:`\kappa_1 = 0.02/K` and :math:`\kappa_1/2`
    (:math:`K = L\sigma^{2-2/L}`, so that the :math:`O(\kappa^2)` remainder is about 2 % of
    the shift), at :math:`dt = 0.1/K` and :math:`dt/2` on one Brownian path
    (:func:`numerics.coupled.coupled_langevin_runs`).  The amplitude :math:`s = u^\top W v`
    is averaged over a window of :data:`CHECK_WINDOW` relaxation times
    :math:`1/\sigma^{2-2/L}` after :data:`CHECK_BURN_IN` of them.  Per network: Richardson in
    :math:`dt` (:math:`2f(dt/2) - f(dt)`), :math:`(\bar s - \sigma)/\kappa` at both scales,
    extrapolated linearly to :math:`\kappa \to 0` (:math:`2c(\kappa_1/2) - c(\kappa_1)`,
    which removes the remainder and the slow drift along the manifold of minima, C18, at first
    order); each network is paired with its antithetic twin (all normals negated,
    :mod:`numerics.antithetic`), which cancels the linear response in every pair.  The
    standard error is the spread over :data:`CHECK_PAIRS` independent pairs; the point's own
    :math:`\kappa` only scales the coefficient (as ``stationary_mean``'s observable does)."""
    return _simulated_first_mode_mean(point, np.array([float(point["sigma"])]), rng)


def simulated_two_mode_network_mean(
    point: Mapping[str, float], rng: np.random.Generator
) -> Estimate:
    r"""The ``two_mode_network_mean`` observable: as :func:`simulated_network_mean`, for the
    first mode of a rank-two teacher :math:`(\sigma, \sigma_b)` in a network of hidden width
    2 started at its balanced teacher point; the step and the noise scale follow the faster
    mode's rate :math:`L\max(\sigma, \sigma_b)^{2-2/L}`, the burn-in and window the slower
    one's relaxation time :math:`1/\min(\sigma, \sigma_b)^{2-2/L}`."""
    values = np.array([float(point["sigma"]), float(point["sigma_b"])])
    return _simulated_first_mode_mean(point, values, rng)


def _simulated_first_mode_mean(
    point: Mapping[str, float], values: np.ndarray, rng: np.random.Generator
) -> Estimate:
    r""":math:`\sigma + \kappa c` for the first of the teacher's singular ``values`` (one
    hidden direction per mode), estimated as :func:`simulated_network_mean` describes."""
    depth, m, n = int(point["L"]), int(point["m"]), int(point["n"])
    sig, eps, kap = float(values[0]), float(point["sigma_eps"]), float(point["kappa"])
    rank = values.size
    teacher = random_teacher(values, shape=(m, n), rng=rng, label_noise=eps)
    single = aligned_balanced_weights(teacher, values, (n, *(rank,) * (depth - 1), m), rng=rng)
    start = tuple(np.broadcast_to(w, (CHECK_PAIRS, *w.shape)).copy() for w in single)
    # restoring rate of the null directions of the slowest mode
    slowest = float(values.min()) ** (2 - 2 / depth)
    rate = depth * float(values.max()) ** (2 - 2 / depth)
    dt, kappa1 = CHECK_DT_K / rate, CHECK_KAPPA_K / rate
    burn_in = CHECK_BURN_IN / slowest
    steps = int(np.ceil((burn_in + CHECK_WINDOW / slowest) / dt))
    pair = []
    for generator in mirrored_generators(int(rng.integers(1, 2**62))):
        runs = coupled_langevin_runs(
            start,
            teacher,
            kappas=(kappa1, kappa1 / 2),
            dt=dt,
            steps=steps,
            rng=generator,
            record_every=depth,  # every 0.1 relaxation times
        )
        inside = np.asarray(runs.coarse[0].times) >= burn_in
        averages = [
            2 * np.asarray(runs.fine[k].modes)[inside, :, 0].mean(axis=0)
            - np.asarray(runs.coarse[k].modes)[inside, :, 0].mean(axis=0)
            for k in (0, 1)
        ]
        coefficients = [
            (average - sig) / scale for average, scale in zip(averages, runs.kappas, strict=True)
        ]
        pair.append(2 * coefficients[1] - coefficients[0])
    estimate = mean_estimate((pair[0] + pair[1]) / 2)
    value, error = float(np.asarray(estimate.value)), float(np.asarray(estimate.standard_error))
    return Estimate(sig + kap * value, kap * error, 2 * CHECK_PAIRS)


NETWORK_MEAN = Claim(
    "C17",
    "Full network with label noise: stationary mode means shifted by the width, variances not",
    "beyond the paper (Prop. 5.2(ii), Eq. 17, Fig. 4 with label noise)",
    r"E s_a = \sigma_a - \frac{\kappa\sigma_\varepsilon^2}{2}\Bigl[(L-1)\sigma_a^{1-2/L}"
    r" + \sum_{k \ne a}^{m} g(\sigma_a, \sigma_k) + \sum_{k \ne a}^{n} g(\sigma_a, \sigma_k)"
    r"\Bigr] + O(\kappa^2),\ g(x, y) = \frac1L\sum_{l=1}^{L}(l-1)x^{\frac{2l-L-2}{L}}"
    r"y^{\frac{2(L-l)}{L}},\quad \operatorname{Var} s_a = \tfrac{\kappa}{2} L"
    r" \sigma_a^{2-2/L}\sigma_\varepsilon^2 + O(\kappa^2)",
    network_mean_claim,
    MonteCarlo(
        network_mean_comparisons,
        "Full networks from the teacher (d = 4, hidden 2, sigma_eps = 0.5, kappa = 0.01; "
        "L = 2 with teacher 2, 1 and L = 3 with teacher 1, 0.5; 512/1024 networks), mode "
        "amplitudes averaged over t = 5-25, Richardson in dt (dt and dt/2 on one Brownian "
        "path per network); against the derived first-order shift (the O(kappa^2) "
        "remainder, 1-4 % of the shift at these points, stays under one standard error). "
        "Mode variances over the same window, also at kappa = 0.001 (the same path) and "
        "extrapolated linearly to kappa -> 0, against the derived first-order variance. "
        "Standard errors: the spread over independent networks of each network's combined "
        "estimate.",
    ),
    quantities=("network_mean", "two_mode_network_mean"),
)


#: Both quantities of C17: first order in kappa, their closed forms compared with the linear
#: response at depths 1-4 only (rank_one_mean_gaps, two_mode_mean_gaps).
_FIRST_ORDER_AT_DEPTHS_1_TO_4: dict[str, Any] = {
    "depth_range": (1, 4),
    "deepest_fixed_depth": 4,
    "first_order_in": "kappa",
}


def _label_noise(point: Mapping[str, float]) -> bool:
    return bool(point["sigma_eps"] >= 0.1 * point["sigma"])


NETWORK_MEAN_QUANTITY = Quantity(
    "network_mean",
    "stationary mean of the mode of a rank-one teacher sigma in an m x n network (hidden width "
    "1, balanced start) to first order in kappa, label noise (C17)",
    ("sigma", "sigma_eps", "L", "kappa", "m", "n"),
    "C17",
    lambda: {"mean": rank_one_network_mean()},
    simulated_network_mean,
    constraint=_label_noise,
    domain="sigma_eps >= 0.1 sigma (label noise)",
    **_FIRST_ORDER_AT_DEPTHS_1_TO_4,
)


def _two_modes(point: Mapping[str, float]) -> bool:
    """Label noise, room for two modes, and a second mode within a factor 2 of the first
    (the simulated window spans the slower mode's relaxation time at the faster one's step)."""
    return bool(
        _label_noise(point)
        and min(point["m"], point["n"]) >= 2
        and 0.5 * point["sigma"] <= point["sigma_b"] <= 2 * point["sigma"]
    )


TWO_MODE_NETWORK_MEAN_QUANTITY = Quantity(
    "two_mode_network_mean",
    "stationary mean of the first mode sigma of a rank-two teacher (sigma, sigma_b) in an m x n "
    "network (hidden width 2, balanced start) to first order in kappa, label noise (C17)",
    ("sigma", "sigma_b", "sigma_eps", "L", "kappa", "m", "n"),
    "C17",
    lambda: {"mean": two_mode_network_mean()},
    simulated_two_mode_network_mean,
    constraint=_two_modes,
    domain="sigma_eps >= 0.1 sigma, m, n >= 2, sigma/2 <= sigma_b <= 2 sigma",
    **_FIRST_ORDER_AT_DEPTHS_1_TO_4,
)

CLAIMS = (NETWORK_MEAN,)
QUANTITIES = (NETWORK_MEAN_QUANTITY, TWO_MODE_NETWORK_MEAN_QUANTITY)
