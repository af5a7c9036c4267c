r"""The stationary law of a mode against simulation and quadrature (C10, C12).

Both sides use the C7 coefficients :math:`\mu` (gradient + Itô drift) and :math:`D` of
:mod:`derivations.aligned_balanced`, lambdified to NumPy.

C10.  Euler-Maruyama (:func:`numerics.scalar_sde.euler_maruyama`, reflection at 0) long runs of
many independent chains against the moments (mean, variance, two interval probabilities) of the
*derived* density :func:`derivations.stationary.stationary_density` normalised by quadrature
(:func:`reports.laws.mode_law.derived_mode_law`, which the full-network ensembles use too).
Time-step bias: EM has weak order 1, so runs at :math:`dt` and :math:`dt/2` (independent) are combined by Richardson,
:math:`2\hat m_{dt/2} - \hat m_{dt}`, with standard error
:math:`\sqrt{4\,\mathrm{SE}_{dt/2}^2 + \mathrm{SE}_{dt}^2}`; the remaining bias is
:math:`O(dt^2)`.

C11.  Without label noise, chains started at :math:`s_0 = \sigma(1 - 10^{-6})` run for
:math:`T = 3/r` and steps :math:`dt = 0.01/r`, with :math:`r = a(1 + 2\kappa a)`,
:math:`a = L\sigma^{2-2/L}` (the time scale of the linearised drift, :math:`a`, and noise,
:math:`b^2 = 2\kappa a^2`, read off the C7 coefficients at :math:`\sigma`; the rate itself is
never typed in); per chain :math:`(\log|\sigma - s_T| - \log|\sigma - s_0|)/T` estimates
:math:`-\lambda` (the nonlinear corrections are :math:`O(|\sigma - s|)`: the gap starts at
:math:`10^{-6}\sigma` and, even three noise standard deviations up, stays below
:math:`10^{-3}\sigma` at every point ``check`` draws), against
:func:`derivations.stationary.collapse_rate`; Richardson in :math:`dt`, but with the runs at
:math:`dt` and :math:`dt/2` driven by one Brownian path per chain
(:func:`numerics.scalar_sde.coupled_final_states`): the extrapolation
:math:`2\,\text{slope}_{dt/2} - \text{slope}_{dt}` is formed per chain, and its standard
error is the spread of those per-chain values over :math:`\sqrt{n}` (chains independent),
about :math:`1/\sqrt5` of the error of two independent runs of as many chains, so a fifth of
the chains gives the same standard error.  The same estimate is the observable of ``check
collapse_rate`` (:func:`simulated_collapse_rate`).

C12.  The first-order coefficients :math:`(E s - \sigma)/\kappa`,
:math:`\operatorname{Var} s/\kappa` and :math:`(\hat s - \sigma)/\kappa` (:math:`\hat s` the
mode) as :math:`\kappa \to 0`, from quadrature of the zero-current density built from
:math:`\mu, D` alone (:func:`numerics.scalar_sde.zero_current_moments`; the mode by
:func:`numerics.scalar_sde.zero_current_mode`) at :math:`\kappa_0` and :math:`\kappa_0/2`,
Richardson-extrapolated; the "standard error" is the
Richardson difference :math:`|c(\kappa_0/2) - c(\kappa_0)|` (a conservative bound of the
remaining :math:`O(\kappa_0^2)` error), as C9 does with two tolerances.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path

import numpy as np
import sympy as sp

from derivations.aligned_balanced import aligned_diffusion, aligned_drift
from derivations.conventions import L, kappa, s, sigma, sigma_eps
from derivations.stationary import (
    collapse_rate,
    collapse_rate_components,
    dirac_limit_claim,
    label_noise_moments_claim,
    singularity_exponent,
    stationary_density,
    stationary_density_claim,
    stationary_mean,
    stationary_mode,
    stationary_variance,
)
from numerics.montecarlo import Estimate
from numerics.scalar_sde import (
    coupled_final_states,
    euler_maruyama,
    stationary_statistics,
    zero_current_log_ratio,
    zero_current_mode,
    zero_current_moments,
)
from reports.engine.claim import Claim, ClaimFigure, MonteCarlo
from reports.engine.quantity import Quantity
from reports.engine.verdict import Comparison
from reports.laws.mode_law import derived_mode_law
from reports.render.figures import figure_file, figure_path

__all__ = [
    "CLAIMS",
    "COLLAPSE_POINTS",
    "DENSITY_POINTS",
    "DIRAC_LIMIT",
    "LABEL_NOISE_MOMENTS",
    "MOMENT_POINTS",
    "QUANTITIES",
    "STATIONARY_DENSITY",
    "STATIONARY_DENSITY_FIGURE",
    "dirac_limit_comparisons",
    "first_order_coefficients",
    "label_noise_moments_comparisons",
    "simulated_collapse_rate",
    "simulated_singularity_exponent",
    "simulated_stationary_mean",
    "simulated_stationary_mode",
    "simulated_stationary_variance",
    "stationary_density_comparisons",
    "stationary_density_figure",
]


#: (L, sigma, sigma_eps, kappa) of the C10 simulations.
DENSITY_POINTS = ((2, 1.0, 0.5, 0.05), (3, 1.2, 0.4, 0.02))
#: (L, sigma, sigma_eps) of the C12 first-order checks.
MOMENT_POINTS = ((2, 1.3, 0.4), (3, 0.8, 0.5), (4, 1.5, 0.3))
_KAPPA0 = 0.004
#: Relative tolerance of the moment quadratures.
_EPSREL = 1e-11
#: Allowance for the quadratures' own error, in units of the requested tolerance: the mean
#: is a ratio of two quadratures of a density that is itself a nested quadrature.
_QUADRATURE_SAFETY = 10
#: Relative accuracy of the mode (:func:`numerics.scalar_sde.zero_current_mode`: central
#: differences of D with step 1e-5 lose about 1e-11 to round-off), with a factor 10 to spare.
_MODE_TOLERANCE = 1e-10


@cache
def _coefficients(depth: int) -> tuple:
    args = (s, sigma, sigma_eps, kappa)
    drift = sp.lambdify(args, aligned_drift().subs(L, depth), "numpy")
    diffusion = sp.lambdify(args, aligned_diffusion().subs(L, depth), "numpy")
    return drift, diffusion


def _derived_moments(depth, sig, eps, kap, intervals, *, ito: bool = True) -> dict[str, np.ndarray]:
    """Mean, variance and interval masses of the derived density (quadrature,
    :func:`reports.laws.mode_law.derived_mode_law`)."""
    law = derived_mode_law(depth, sig, eps, kap, ito=ito)
    probabilities = [law.probability(a, b) for a, b in intervals]
    return {"values": np.array([law.mean, law.variance, *probabilities])}


def _em_estimate(depth, sig, eps, kap, dt, intervals, rng) -> Estimate:
    drift, diffusion = _coefficients(depth)
    relax = depth * sig ** (2 - 2 / depth)  # |g'(sigma)|: relaxation rate
    horizon, burn = 60.0 / relax, 5.0 / relax
    _, averages = euler_maruyama(
        lambda u: drift(u, sig, eps, kap),
        lambda u: diffusion(u, sig, eps, kap),
        sig,
        dt=dt,
        n_steps=round(horizon / dt),
        burn_in=round(burn / dt),
        n_chains=4000,
        intervals=intervals,
        rng=rng,
    )
    mean, variance = stationary_statistics(averages)
    n = averages.shape[0]
    probs = averages[:, 2:]
    values = np.array([mean.value, variance.value, *probs.mean(axis=0)])
    errors = np.array(
        [mean.standard_error, variance.standard_error, *(probs.std(axis=0, ddof=1) / np.sqrt(n))]
    )
    return Estimate(values, errors, n)


def stationary_density_comparisons(
    rng: np.random.Generator, *, ito: bool = True
) -> list[Comparison]:
    r"""C10: Richardson-extrapolated EM moments vs the derived density's (module docstring).

    Observables: mean, variance, :math:`P(s \le \sigma)` and
    :math:`P(\sigma - \text{sd} < s \le \sigma + \text{sd})`, sd the first-order standard
    deviation.  ``ito=False`` compares with the density without the Itô factor
    :math:`s^{1-1/L}` (a dropped term, for power tests).
    """
    comparisons = []
    for depth, sig, eps, kap in DENSITY_POINTS:
        sd = float(np.sqrt(kap * depth * sig ** (2 - 2 / depth) * eps**2 / 2))
        intervals = [(0.0, sig), (sig - sd, sig + sd)]
        dt = 0.02 / (depth * sig ** (2 - 2 / depth))
        coarse = _em_estimate(depth, sig, eps, kap, dt, intervals, rng)
        fine = _em_estimate(depth, sig, eps, kap, dt / 2, intervals, rng)
        value = 2 * np.asarray(fine.value) - np.asarray(coarse.value)
        error = np.sqrt(
            4 * np.asarray(fine.standard_error) ** 2 + np.asarray(coarse.standard_error) ** 2
        )
        derived = _derived_moments(depth, sig, eps, kap, intervals, ito=ito)["values"]
        params = {
            "L": depth,
            "sigma": sig,
            "sigma_eps": eps,
            "kappa": kap,
            "dt": [dt, dt / 2],
        }
        comparisons.append(
            Comparison(
                params,
                Estimate(value, error, fine.n_samples),
                derived,
                labels=tuple(f"{name} (EM, Richardson in dt)" for name in _DENSITY_OBSERVABLES),
            )
        )
    return comparisons


#: The entries of the C10 comparison, in order.
_DENSITY_OBSERVABLES = ("mean", "variance", "P(s<=sigma)", "P(|s-sigma|<=sd)")
#: The entries of the C12 comparison (first-order coefficients), in order.
_COEFFICIENT_OBSERVABLES = ("(E s - sigma)/kappa", "Var s/kappa", "(mode - sigma)/kappa")

#: (L, sigma, kappa) of the C11 collapse-rate checks.
COLLAPSE_POINTS = ((2, 1.0, 0.05), (3, 1.3, 0.05))


#: Chains per collapse-rate estimate (each run at dt and at dt/2 on one Brownian path): the
#: same standard error as 20 000 chains per time step run independently.
_COLLAPSE_CHAINS = 4_000
#: Relative initial gap of the collapse runs, :math:`(\sigma - s_0)/\sigma`.
_COLLAPSE_GAP = 1e-6


def collapse_slopes(
    depth: int, sig: float, kap: float, rng, n_chains: int = _COLLAPSE_CHAINS
) -> tuple[np.ndarray, float]:
    r"""Per-chain Richardson-extrapolated collapse slopes
    :math:`2\,\text{slope}_{dt/2} - \text{slope}_{dt}`, independent across chains (module
    docstring), and :math:`dt`."""
    relax = depth * sig ** (2 - 2 / depth)  # |mu'(sigma)|; the noise rate is 2 kappa relax^2
    scale = relax * (1 + 2 * kap * relax)
    dt, horizon = 0.01 / scale, 3.0 / scale
    drift, diffusion = _coefficients(depth)
    start = sig * (1 - _COLLAPSE_GAP)
    steps = round(horizon / dt)
    coarse, fine = coupled_final_states(
        lambda u: drift(u, sig, 0.0, kap),
        lambda u: diffusion(u, sig, 0.0, kap),
        start,
        dt=dt,
        n_steps=steps,
        n_chains=n_chains,
        rng=rng,
    )

    def slopes(final: np.ndarray) -> np.ndarray:
        return -(np.log(np.abs(sig - final)) - np.log(sig - start)) / (steps * dt)

    return 2 * slopes(fine) - slopes(coarse), dt


def collapse_rate_estimate(depth: int, sig: float, kap: float, rng) -> tuple[Estimate, float]:
    r"""C11's collapse rate :math:`-\tfrac{d}{dt}E\log|\sigma - s_t|` of Euler-Maruyama chains
    without label noise, Richardson-extrapolated per chain from :math:`dt` and :math:`dt/2`
    on one Brownian path (:func:`collapse_slopes`, module docstring): their mean, with the
    standard error of a mean of independent values; returns the estimate and :math:`dt`."""
    extrapolated, dt = collapse_slopes(depth, sig, kap, rng)
    error = float(extrapolated.std(ddof=1) / np.sqrt(extrapolated.size))
    return Estimate(float(extrapolated.mean()), error, extrapolated.size), dt


def dirac_limit_comparisons(rng: np.random.Generator) -> list[Comparison]:
    r"""C11: the collapse rate :math:`-\tfrac{d}{dt}E\log|\sigma - s_t|` from EM runs
    (Richardson in :math:`dt`) vs the derived :func:`derivations.stationary.collapse_rate`."""
    comparisons = []
    for depth, sig, kap in COLLAPSE_POINTS:
        derived = float(collapse_rate().subs({L: depth, sigma: sig, kappa: kap}))
        estimate, dt = collapse_rate_estimate(depth, sig, kap, rng)
        params = {
            "L": depth,
            "sigma": sig,
            "sigma_eps": 0.0,
            "kappa": kap,
            "dt": [dt, dt / 2],
            "observable": "-d/dt E log|sigma - s_t| (EM, Richardson in dt)",
        }
        comparisons.append(Comparison(params, estimate, derived))
    return comparisons


def simulated_collapse_rate(point: Mapping[str, float], rng: np.random.Generator) -> Estimate:
    r"""The ``collapse_rate`` observable: :func:`collapse_rate_estimate` at the point's
    :math:`(L, \sigma, \kappa)`, no label noise."""
    estimate, _ = collapse_rate_estimate(
        int(point["L"]), float(point["sigma"]), float(point["kappa"]), rng
    )
    return estimate


#: Distance (relative to sigma) below sigma of the outer end of the log-log slope of p.
_SINGULARITY_GAP = 1e-4


def _log_log_slope(depth: int, sig: float, kap: float, gap: float) -> tuple[float, float]:
    """Log-log slope of the density over [sigma - gap, sigma - gap/2], with quad's error."""
    drift, diffusion = _coefficients(depth)
    ratio, error = zero_current_log_ratio(
        lambda u: float(drift(u, sig, 0.0, kap)),
        lambda u: float(diffusion(u, sig, 0.0, kap)),
        sig - gap,
        sig - gap / 2,
    )
    # p ~ |sigma - s|^beta: log p(sigma - gap/2) - log p(sigma - gap) = -beta log 2
    return -ratio / np.log(2), error / np.log(2)


def simulated_singularity_exponent(
    point: Mapping[str, float], rng: np.random.Generator
) -> Estimate:
    r"""The ``singularity_exponent`` observable: the power :math:`\beta` of
    :math:`p(s) \sim |\sigma - s|^\beta` at :math:`\sigma` without label noise, from the
    zero-current density built from the C7 coefficients alone
    (:func:`numerics.scalar_sde.zero_current_log_ratio`).

    The log-log slope over :math:`[\sigma - x, \sigma - x/2]` is :math:`\beta + O(x)`; at
    :math:`x = 10^{-4}\sigma` and :math:`x/2`, Richardson-extrapolated, with the Richardson
    difference (plus the quadratures' errors) as the error bar.  ``rng`` is unused: no
    samples are drawn."""
    del rng
    depth, sig, kap = int(point["L"]), float(point["sigma"]), float(point["kappa"])
    gap = _SINGULARITY_GAP * sig
    coarse, coarse_error = _log_log_slope(depth, sig, kap, gap)
    fine, fine_error = _log_log_slope(depth, sig, kap, gap / 2)
    error = abs(fine - coarse) + 2 * fine_error + coarse_error
    return Estimate(2 * fine - coarse, error, 0)


def first_order_coefficients(
    depth: int, sig: float, eps: float, *, kappa0: float = _KAPPA0
) -> Estimate:
    r""":math:`((E s - \sigma)/\kappa, \operatorname{Var} s/\kappa, (\hat s - \sigma)/\kappa)`
    as :math:`\kappa\to0`, :math:`\hat s` the mode, by quadrature (and root finding,
    :func:`numerics.scalar_sde.zero_current_mode`) + Richardson in :math:`\kappa` from
    ``kappa0`` and ``kappa0 / 2`` (module docstring)."""
    drift, diffusion = _coefficients(depth)

    def coefficients(kap: float) -> np.ndarray:
        def mu(u: float) -> float:
            return float(drift(u, sig, eps, kap))

        def dd(u: float) -> float:
            return float(diffusion(u, sig, eps, kap))

        width = 14 * np.sqrt(kap) * np.sqrt(depth * sig ** (2 - 2 / depth) * eps**2 / 2)
        moments = zero_current_moments(
            mu, dd, sig, max(sig - width, 1e-9), sig + width, epsrel=_EPSREL
        )
        # the mode lies O(kappa) from sigma, the only critical point of p within 20 %
        mode = zero_current_mode(mu, dd, 0.8 * sig, 1.2 * sig)
        return np.array([moments["mean"] - sig, moments["variance"], mode - sig]) / kap

    first, second = coefficients(kappa0), coefficients(kappa0 / 2)
    # error: Richardson's |second - first|, plus the quadratures' tolerance on the mean (~ sigma)
    # and the variance and the root's on the mode (~ 1e-11 sigma: central differences of D),
    # divided by kappa as the coefficients are; 2 second - first carries it three times.
    # Without the second term a coefficient that is exactly 0 (the mean at L = 1) gets an
    # error of round-off size, and a correct formula fails on round-off.
    tolerance = np.array(
        [
            _QUADRATURE_SAFETY * _EPSREL * sig / (kappa0 / 2),
            _QUADRATURE_SAFETY * _EPSREL * second[1],
            _MODE_TOLERANCE * sig / (kappa0 / 2),
        ]
    )
    return Estimate(2 * second - first, np.abs(second - first) + 3 * tolerance, 0)


def _derived_coefficients(depth, sig, eps) -> np.ndarray:
    point = {L: depth, sigma: sig, sigma_eps: eps, kappa: 1}
    return np.array(
        [
            float((stationary_mean() - sigma).subs(point)),
            float(stationary_variance().subs(point)),
            float((stationary_mode() - sigma).subs(point)),
        ]
    )


def label_noise_moments_comparisons(rng: np.random.Generator) -> list[Comparison]:
    """C12: first-order coefficients from quadrature vs the derived formulas (``rng`` unused:
    the estimate is deterministic)."""
    del rng
    return [
        Comparison(
            {
                "L": depth,
                "sigma": sig,
                "sigma_eps": eps,
            },
            first_order_coefficients(depth, sig, eps),
            _derived_coefficients(depth, sig, eps),
            labels=tuple(f"{name}, kappa -> 0" for name in _COEFFICIENT_OBSERVABLES),
        )
        for depth, sig, eps in MOMENT_POINTS
    ]


def _point(point: Mapping[str, float]) -> tuple[int, float, float, float]:
    return int(point["L"]), float(point["sigma"]), float(point["sigma_eps"]), float(point["kappa"])


def simulated_stationary_mean(point: Mapping[str, float], rng: np.random.Generator) -> Estimate:
    r"""The ``stationary_mean`` observable: :math:`\sigma + \kappa c_1`, with :math:`c_1` the
    first-order coefficient of the exact stationary mean (:func:`first_order_coefficients`),
    i.e. the first-order Taylor polynomial in :math:`\kappa` at the point."""
    return _first_order_taylor(point, 0, about_sigma=True)


def simulated_stationary_mode(point: Mapping[str, float], rng: np.random.Generator) -> Estimate:
    r"""The ``stationary_mode`` observable: :math:`\sigma + \kappa c`, with :math:`c` the
    first-order coefficient of the exact stationary density's maximiser."""
    return _first_order_taylor(point, 2, about_sigma=True)


def simulated_stationary_variance(point: Mapping[str, float], rng: np.random.Generator) -> Estimate:
    r"""The ``stationary_variance`` observable: :math:`\kappa v_1`, :math:`v_1` the first-order
    coefficient of the exact stationary variance."""
    return _first_order_taylor(point, 1, about_sigma=False)


def _first_order_taylor(point: Mapping[str, float], index: int, *, about_sigma: bool) -> Estimate:
    """Coefficient ``index`` of :func:`first_order_coefficients` at the point, times kappa,
    plus sigma for a location (mean, mode)."""
    depth, sig, eps, kap = _point(point)
    estimate = first_order_coefficients(depth, sig, eps)
    value = float(np.asarray(estimate.value)[index])
    error = float(np.asarray(estimate.standard_error)[index])
    return Estimate(sig * about_sigma + kap * value, kap * error, 0)


def stationary_density_figure(path: str | Path) -> Path:
    r"""Stationary law of a mode: simulated chains against the derived density (C10-C12).

    :math:`L = 2`, :math:`\sigma = 1`, :math:`\sigma_\varepsilon = 0.5`,
    :math:`\kappa = 0.05`: the histogram of 6000 Euler-Maruyama chains of the mode SDE
    (C7 coefficients, :func:`numerics.scalar_sde.euler_maruyama`) after 8 relaxation times,
    the derived zero-current density (:func:`derivations.stationary.stationary_density`,
    normalised on the grid), its mean to first order in :math:`\kappa`
    (:func:`~derivations.stationary.stationary_mean`, below :math:`\sigma`) and the paper's
    "slightly above :math:`\sigma`" value, the zero of the drift
    (:func:`~derivations.stationary.drift_zero_mean`).

    Parameters
    ----------
    path : str or pathlib.Path
        Output file (``.pdf`` or ``.png``).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    import sympy as sp

    from derivations.aligned_balanced import aligned_diffusion, aligned_drift
    from derivations.conventions import L, kappa, s, sigma, sigma_eps
    from derivations.stationary import drift_zero_mean, stationary_density, stationary_mean
    from numerics.scalar_sde import euler_maruyama

    target = figure_path(path)
    where = {L: 2, sigma: 1.0, sigma_eps: 0.5, kappa: 0.05}
    drift = sp.lambdify(s, aligned_drift().subs(where), "numpy")
    diffusion = sp.lambdify(s, aligned_diffusion().subs(where), "numpy")
    density = sp.lambdify(s, stationary_density(2).subs(where), "numpy")
    relaxation = 0.5  # 1 / (L sigma^(2 - 2/L))
    dt = relaxation / 500
    final, _ = euler_maruyama(
        drift, diffusion, 1.0, dt=dt, n_steps=4000, n_chains=6000,
        rng=np.random.default_rng(0),
    )  # fmt: skip
    grid = np.linspace(0.55, 1.45, 600)
    values = density(grid)
    values = values / np.trapezoid(values, grid)
    with figure_file(target) as axes:
        axes.hist(
            final, bins=60, range=(0.55, 1.45), density=True, color="tab:blue", alpha=0.35,
            label="Euler-Maruyama chains (simulated)",
        )  # fmt: skip
        axes.plot(grid, values, color="tab:blue", lw=1.5, label="derived density (Eq. 16)")
        below = float(stationary_mean().subs(where))
        above = float(drift_zero_mean().subs(where))
        axes.axvline(1.0, color="0.5", lw=0.8, ls=":", label=r"$\sigma$")
        axes.axvline(below, color="tab:green", lw=1.2, label=r"derived mean $\sigma - O(\kappa)$")
        axes.axvline(above, color="tab:red", lw=1.2, ls="--", label=r"paper: $\sigma + O(\kappa)$")
        axes.set_xlim(0.55, 1.45)
        axes.set_xlabel(r"mode amplitude $s$")
        axes.set_ylabel("stationary density")
        axes.set_title(
            r"$L = 2$, $\sigma = 1$, $\sigma_\varepsilon = 0.5$, $\kappa = 0.05$", fontsize=10
        )
        axes.legend(loc="upper left", fontsize=7, frameon=False)
    return target


STATIONARY_DENSITY_FIGURE = ClaimFigure(
    stationary_density_figure,
    "stationary_density",
    (
        r"Stationary law of a mode ($L = 2$, $\sigma = 1$, $\sigma_\varepsilon = 0.5$, "
        r"$\kappa = 0.05$): simulated chains against the derived density; the derived mean "
        r"lies below $\sigma$, the paper's value (the zero of the drift) above."
    ),
)

STATIONARY_DENSITY = Claim(
    "C10",
    "Stationary density of a mode: zero-current Fokker-Planck solution",
    "Prop. 5.1, 5.2, Eq. 16, App. F",
    r"p(s) \propto \frac{1}{D(s)} \exp\int^{s} \frac{2\mu(u)}{D(u)}\,du",
    stationary_density_claim,
    MonteCarlo(
        stationary_density_comparisons,
        "Euler-Maruyama chains of the mode SDE (C7 coefficients) against the derived "
        "density's mean, variance and interval probabilities by quadrature; steps dt and "
        "dt/2 combined by Richardson extrapolation.",
    ),
    quantities=("stationary_density",),
    figure=STATIONARY_DENSITY_FIGURE,
    remarks=(
        "The law is that of one aligned-balanced mode. Ensembles of full networks "
        "(L = 2, teacher 2, 1, sigma_eps = 0.5, kappa = 0.01, 8192 networks from the "
        "teacher, t = 40) have mode means below it by an amount that grows with the "
        "input/output width d: -0.06/-0.24 kappa at d = 2, -0.46/-0.38 kappa at d = 4, "
        "-0.95/-0.94 kappa at d = 8 (SE 0.08/0.06 kappa), the same with hidden width 2 or 8 "
        "and with the step dt halved at fixed kappa; so not discretisation error. C17 "
        "derives the shift: every other output and input direction k of the network adds "
        "-kappa sigma_eps^2 g(sigma_a, sigma_k)/2 to the mean, g = 1/2 at L = 2 (so "
        "-0.125/-0.375/-0.875 kappa below this law at d = 2/4/8). Reproduce: dlnverify "
        "simulate --experiment stationary-width; dlnverify simulate --experiment appK.",
    ),
)
DIRAC_LIMIT = Claim(
    "C11",
    "No label noise: non-normalisable density, collapse to a Dirac mass at sigma",
    "Prop. 5.2(i), App. F, App. K",
    r"\sigma_\varepsilon = 0:\ p(s) \sim |\sigma - s|^{-2 - 1/(\kappa L \sigma^{2-2/L})}"
    r" \Rightarrow p \to \delta_\sigma",
    dirac_limit_claim,
    MonteCarlo(
        dirac_limit_comparisons,
        "Collapse rate -d/dt E log|sigma - s_t| of Euler-Maruyama chains (Richardson in "
        "dt) against the derived rate.",
    ),
    remarks=(
        "The rate is that of one aligned-balanced mode. In the full network the gap "
        "sigma_a - s_a is coupled, through the noise Delta G, to the other entries of its "
        "row of W* - W, and once those dominate it collapses at the rate of the slowest: "
        "the entries towards the teacher's input null space (width d > rank r) relax at "
        "only sigma^(2-2/L). Ensembles (kappa = 0.05, Richardson in dt, late window t = "
        "3-4.5, rank-one teacher) collapse at 2.24 +- 0.02 (L = 2, sigma = 2, d = 2), "
        "1.97 +- 0.03 (d = 4) and 1.39 +- 0.03 (L = 3, sigma = 1.3, d = 3) against C11's "
        "4.8, 4.8 and 5.16; C16 derives the row's rate, sigma^(2-2/L) + kappa "
        "sigma^(4-4/L) (3 - n)/2 + O(kappa^2) with n = d - r (2.2, 2.0 and 1.47 to first "
        "order). Width 1 follows "
        "C11. The Dirac limit itself holds: every mode still collapses onto sigma. "
        "Reproduce: dlnverify simulate --experiment fig4-collapse.",
    ),
    quantities=("collapse_rate", "singularity_exponent"),
)
LABEL_NOISE_MOMENTS = Claim(
    "C12",
    "Label noise: stationary mean and variance to first order in kappa",
    "Prop. 5.2(ii), Eqs. 17-18, App. F",
    r"E s = \sigma + O(\kappa) \text{ (paper: slightly above } \sigma),\quad "
    r"\operatorname{Var} s = \tfrac{\kappa}{2} L \sigma^{2-2/L}\sigma_\varepsilon^2 + O(\kappa^2)",
    label_noise_moments_claim,
    MonteCarlo(
        label_noise_moments_comparisons,
        "First-order coefficients (derived, not the paper's) of the exact density's mean "
        "and variance: quadrature at two small kappa and Richardson extrapolation (SE = "
        "the Richardson difference).",
    ),
    quantities=("stationary_mean", "stationary_variance", "stationary_mode"),
    figure=STATIONARY_DENSITY_FIGURE,
)


def _label_noise(point: Mapping[str, float]) -> bool:
    return bool(point["sigma_eps"] >= 0.1 * point["sigma"])


_LABEL_NOISE_DOMAIN = "sigma_eps >= 0.1 sigma (label noise)"
_MOMENTS = ("sigma", "sigma_eps", "L", "kappa")
_NO_LABEL_NOISE = ("sigma", "L", "kappa")


_FIRST_ORDER: dict[str, Callable[[], sp.Expr]] = {
    "mean": stationary_mean,
    "variance": stationary_variance,
    "mode": stationary_mode,
}


def _first_order_moment(
    name: str, description: str, observable: Callable[..., Estimate]
) -> Quantity:
    """A C12 quantity: the first-order (in kappa) moment ``name`` of the stationary law."""
    moment = name.removeprefix("stationary_")
    return Quantity(
        name,
        description,
        _MOMENTS,
        "C12",
        lambda: {moment: _FIRST_ORDER[moment]()},
        observable,
        constraint=_label_noise,
        domain=_LABEL_NOISE_DOMAIN,
        first_order_in="kappa",
    )


QUANTITIES = (
    Quantity(
        "stationary_density",
        "stationary density p(s) of an aligned-balanced mode, label noise, up to a constant "
        "factor (Eq. 16); no closed form for symbolic L, so fix the depth: --at L=2",
        ("s", "sigma", "sigma_eps", "L", "kappa"),
        "C10",
        lambda: {"density": stationary_density()},
        constraint=_label_noise,
        domain=_LABEL_NOISE_DOMAIN,
        up_to_factor_in="s",
    ),
    *(
        _first_order_moment(name, description, observable)
        for name, description, observable in (
            (
                "stationary_mean",
                "stationary mean of s to first order in kappa, label noise (Eq. 17)",
                simulated_stationary_mean,
            ),
            (
                "stationary_variance",
                "stationary variance of s to first order in kappa (Eq. 18)",
                simulated_stationary_variance,
            ),
            (
                "stationary_mode",
                "mode (maximiser) of the stationary density of s to first order in kappa, "
                "label noise",
                simulated_stationary_mode,
            ),
        )
    ),
    Quantity(
        "collapse_rate",
        "rate lambda = -d/dt E log|sigma - s_t| at which an aligned-balanced mode collapses onto "
        "sigma without label noise (Prop. 5.2(i), App. K)",
        _NO_LABEL_NOISE,
        "C11",
        lambda: dict(collapse_rate_components()),
        simulated_collapse_rate,
    ),
    Quantity(
        "singularity_exponent",
        "power beta of p(s) ~ |sigma - s|^beta, the stationary density of an aligned-balanced "
        "mode at s = sigma without label noise (Prop. 5.2(i))",
        _NO_LABEL_NOISE,
        "C11",
        lambda: {"exponent": singularity_exponent()},
        simulated_singularity_exponent,
    ),
)
CLAIMS = (STATIONARY_DENSITY, DIRAC_LIMIT, LABEL_NOISE_MOMENTS)
