r"""C8 (Eqs. 8-10): the maximiser :math:`s^\ast` of the modewise diffusion and when it exists.

Monte Carlo: the maximiser in :math:`s` of the simulated diffusion (common random numbers
across :math:`s`, so the estimate is smooth enough to optimise; batch-means standard error)
against the derived :math:`s^\ast` (:mod:`derivations.diffusion_peak`).  The check quantities
``diffusion_peak`` and ``peak_threshold``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from derivations.conventions import L, sigma
from derivations.diffusion_peak import diffusion_peak, diffusion_peak_claim, peak_threshold
from numerics.montecarlo import Estimate
from numerics.observables import (
    modewise_diffusion_samples,
)
from reports.claims._aligned_point import aligned_network
from reports.claims.aligned_balanced import DIFFUSION_PROFILE
from reports.engine.claim import Claim, MonteCarlo
from reports.engine.quantity import Quantity, quantity_comparisons
from reports.engine.verdict import Comparison

__all__ = [
    "CLAIMS",
    "DIFFUSION_PEAK",
    "DIFFUSION_PEAK_QUANTITY",
    "PEAK_POINTS",
    "PEAK_THRESHOLD_QUANTITY",
    "QUANTITIES",
    "diffusion_peak_comparisons",
    "simulated_diffusion_peak",
]


#: Samples behind each evaluation of the simulated diffusion when locating its peak, and the
#: number of batches whose spread estimates the standard error of the peak location.
_PEAK_SAMPLES = 60_000


_PEAK_BATCHES = 10


def _simulated_diffusion_curve(point: Mapping[str, float], seed: int, n_samples: int):
    """``s -> Var c_1(s)`` with common random numbers: the same bases and data at every ``s``,
    so the estimate is a smooth function of ``s`` that an optimiser can maximise."""

    def curve(s: float) -> float:
        generator = np.random.default_rng(seed)
        teacher, weights = aligned_network({**point, "s": s}, generator)
        c1 = modewise_diffusion_samples(
            weights, teacher, n_samples=n_samples, rng=generator, sampler="empirical"
        )[..., 0]
        return float(np.var(c1))

    return curve


#: Relative tolerance of the maximiser (``xatol`` of the bounded Brent search, times sigma);
#: the search stops within about this distance of the curve's maximum.
_XATOL = 1e-6


def _argmax(curve, upper: float) -> float:
    from scipy.optimize import minimize_scalar

    # the interior maximum lies in (0, sigma) (C8); bracket it from a coarse grid first
    grid = np.linspace(0.02, 0.98, 25) * upper
    values = [curve(float(s)) for s in grid]
    best = int(np.argmax(values))
    low, high = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    result = minimize_scalar(
        lambda s: -curve(s), bounds=(low, high), method="bounded", options={"xatol": _XATOL * upper}
    )
    return float(result.x)


def simulated_diffusion_peak(point: Mapping[str, float], rng: np.random.Generator) -> Estimate:
    r"""Location of the interior maximum in :math:`s` of the simulated diffusion (Eq. 9).

    The full-sample maximiser is the estimate.  Its error bar combines, in quadrature, the
    sampling error from the spread of the maximisers of :data:`_PEAK_BATCHES` independent
    batches (batch means: :math:`\mathrm{sd}_{\text{batch}} / \sqrt{K}`, widened for its
    :math:`K - 1` degrees of freedom) and the optimiser's tolerance
    :math:`x_{\mathrm{tol}} = 10^{-6}\sigma`.  Without label noise the sampling error
    vanishes: the simulated diffusion is then a sample constant times a function of
    :math:`s`, so every batch has the same maximiser and only the optimiser's error remains.
    """
    sigma = float(point["sigma"])
    seeds = rng.integers(0, 2**63, size=_PEAK_BATCHES + 1)
    full = _argmax(_simulated_diffusion_curve(point, int(seeds[0]), _PEAK_SAMPLES), sigma)
    batch = [
        _argmax(_simulated_diffusion_curve(point, int(seed), _PEAK_SAMPLES // _PEAK_BATCHES), sigma)
        for seed in seeds[1:]
    ]
    from scipy.stats import norm, t

    # Only K - 1 degrees of freedom behind the SE: widen it by the ratio of the Student-t to
    # the normal quantile at the false-alarm rate 1e-6, so a z-test keeps its stated rate.
    alpha = 1e-6
    widen = t.isf(alpha / 2, _PEAK_BATCHES - 1) / norm.isf(alpha / 2)
    sampling = widen * float(np.std(batch, ddof=1)) / np.sqrt(_PEAK_BATCHES)
    return Estimate(full, float(np.hypot(sampling, _XATOL * sigma)), _PEAK_SAMPLES)


def _below_threshold(point: Mapping[str, float]) -> bool:
    threshold = peak_threshold().xreplace({sigma: point["sigma"], L: point["L"]})
    return bool(point["sigma_eps"] < 0.9 * float(threshold))


DIFFUSION_PEAK_QUANTITY = Quantity(
    "diffusion_peak",
    "location s* of the interior maximum of the diffusion D(s), L >= 2 (Eq. 9)",
    ("sigma", "sigma_eps", "L"),
    "C8",
    lambda: {"location": diffusion_peak()},
    simulated_diffusion_peak,
    constraint=_below_threshold,
    domain="sigma_eps < 0.9 peak_threshold (an interior maximum exists)",
    depth_range=(2, 6),
)
PEAK_THRESHOLD_QUANTITY = Quantity(
    "peak_threshold",
    "largest sigma_eps for which D(s) has an interior maximum, L >= 2 (Eq. 10)",
    ("sigma", "L"),
    "C8",
    lambda: {"location": peak_threshold()},
    depth_range=(2, 6),
)

#: Points at which the derived maximiser is held against the simulated one.
PEAK_POINTS = (
    {"sigma": 1.0, "sigma_eps": 0.0, "L": 2, "kappa": 0.1},
    {"sigma": 1.5, "sigma_eps": 0.2, "L": 3, "kappa": 0.1},
    {"sigma": 2.0, "sigma_eps": 0.3, "L": 5, "kappa": 0.1},
)


def diffusion_peak_comparisons(rng: np.random.Generator) -> list[Comparison]:
    """The derived maximiser :math:`s^\ast` against the simulated one at :data:`PEAK_POINTS`."""
    return quantity_comparisons(DIFFUSION_PEAK_QUANTITY, PEAK_POINTS, rng)


DIFFUSION_PEAK = Claim(
    "C8",
    "Maximiser of the modewise diffusion and its existence condition",
    "Eqs. 8-10",
    r"s^\ast = \arg\max_s D(s) < \sigma \text{ exists iff } \sigma_\varepsilon < "
    r"\frac{L\sigma}{2\sqrt{(3L-2)(L-1)}};\ s^\ast = \tfrac{2(L-1)}{3L-2}\sigma "
    r"\text{ without label noise}",
    diffusion_peak_claim,
    MonteCarlo(
        diffusion_peak_comparisons,
        "Maximiser of the simulated diffusion (common random numbers) against s*.",
    ),
    quantities=("diffusion_peak", "peak_threshold"),
    figure=DIFFUSION_PROFILE,
)

CLAIMS = (DIFFUSION_PEAK,)
QUANTITIES = (DIFFUSION_PEAK_QUANTITY, PEAK_THRESHOLD_QUANTITY)
