r"""C8 (Eqs. 8-10): the maximiser :math:`s^\ast` of the modewise diffusion and when it exists.

Monte Carlo: the maximiser in :math:`s` of the simulated diffusion (common random numbers
across :math:`s`, so the estimate is smooth enough to optimise; batch-means standard error)
against the derived :math:`s^\ast` (:mod:`derivations.diffusion_peak`).  The check quantities
``diffusion_peak`` and ``peak_threshold``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

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
from reports.engine.quantity_cache import cached_components
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


def _diffusion_samples(point: Mapping[str, float], seed: int, n_samples: int, s: float):
    """Samples of :math:`c_1` of mode 0 at amplitude ``s``, from the generator seeded ``seed``
    (the same bases and data at every ``s``: common random numbers)."""
    generator = np.random.default_rng(seed)
    teacher, weights = aligned_network({**point, "s": s}, generator)
    return modewise_diffusion_samples(
        weights, teacher, n_samples=n_samples, rng=generator, sampler="empirical"
    )[..., 0]


#: Relative gap allowed between the samples at a third amplitude and their affine prediction
#: (:func:`_closed_form_curve`): round-off only.
_AFFINE_ROUNDOFF = 1e-9


def _closed_form_curve(point: Mapping[str, float], seed: int, n_samples: int):
    r"""``s -> Var c_1(s)`` of :func:`_direct_curve`, in closed form in ``s`` from the samples
    at two amplitudes; ``None`` where the samples do not have the form below.

    With the bases and data held fixed, every sample of :math:`c_1 = \langle\nabla s,
    \xi\rangle` on the aligned-balanced manifold is :math:`s^{2-2/L}(a_i + b_i s)`: each
    layer is :math:`s^{1/L}` times a fixed rank-one matrix, so :math:`\nabla_{W_l} s` and the
    per-sample gradient each carry :math:`s^{(L-1)/L}`, and the residual
    :math:`(T - s\,u v^\top)x_i + \varepsilon_i` is affine in :math:`s`.  So
    :math:`\operatorname{Var} c_1(s) = s^{4-4/L}(V_{aa} + 2sV_{ab} + s^2V_{bb})` with the
    (population, ``ddof=0``) sample moments of :math:`a, b` — the same function as the direct
    one, evaluated in constant time.  The form is verified on the samples at a third
    amplitude (to round-off, :data:`_AFFINE_ROUNDOFF`); where it does not hold, ``None``.
    """
    sigma, power = float(point["sigma"]), 2.0 - 2.0 / float(point["L"])
    low, high, between = 0.25 * sigma, 0.75 * sigma, 0.5 * sigma
    at_low = _diffusion_samples(point, seed, n_samples, low) / low**power
    at_high = _diffusion_samples(point, seed, n_samples, high) / high**power
    b = (at_high - at_low) / (high - low)
    a = at_low - b * low
    seen = _diffusion_samples(point, seed, n_samples, between)
    predicted = between**power * (a + b * between)
    scale = float(np.max(np.abs(seen))) + np.finfo(float).tiny
    if not float(np.max(np.abs(predicted - seen))) <= _AFFINE_ROUNDOFF * scale:
        return None
    a, b = a - a.mean(), b - b.mean()
    return _ClosedFormCurve(
        power, float(np.mean(a * a)), float(np.mean(a * b)), float(np.mean(b * b))
    )


@dataclass(frozen=True)
class _ClosedFormCurve:
    r""":math:`s^{2p}(V_{aa} + 2sV_{ab} + s^2V_{bb})`, :math:`p = 2 - 2/L`
    (:func:`_closed_form_curve`)."""

    power: float
    v_aa: float
    v_ab: float
    v_bb: float

    def __call__(self, s: float) -> float:
        return s ** (2 * self.power) * (self.v_aa + 2 * s * self.v_ab + s * s * self.v_bb)

    def stationary_points(self) -> list[float]:
        r"""The positive roots of the derivative: :math:`\partial_s \log` of the curve
        vanishes where :math:`(2p+2)V_{bb}s^2 + (4p+2)V_{ab}s + 2pV_{aa} = 0`."""
        p = self.power
        roots = np.roots([(2 * p + 2) * self.v_bb, (4 * p + 2) * self.v_ab, 2 * p * self.v_aa])
        return sorted(float(r.real) for r in roots if abs(r.imag) == 0 and r.real > 0)


def _direct_curve(point: Mapping[str, float], seed: int, n_samples: int):
    """``s -> Var c_1(s)``, simulated afresh at every ``s``."""

    def curve(s: float) -> float:
        return float(np.var(_diffusion_samples(point, seed, n_samples, s)))

    return curve


def _simulated_diffusion_curve(point: Mapping[str, float], seed: int, n_samples: int):
    """``s -> Var c_1(s)`` with common random numbers: the same bases and data at every ``s``,
    so the estimate is a smooth function of ``s`` that an optimiser can maximise; in closed
    form from three simulations where the samples have its form (:func:`_closed_form_curve`),
    else simulated at every ``s``."""
    closed = _closed_form_curve(point, seed, n_samples)
    return _direct_curve(point, seed, n_samples) if closed is None else closed


#: Relative tolerance of the maximiser (``xatol`` of the bounded Brent search, times sigma);
#: the search stops within about this distance of the curve's maximum.
_XATOL = 1e-6


def _argmax(curve, upper: float) -> float:
    """The interior maximiser of ``curve`` on ``(0, upper)``: bracketed from a coarse grid,
    then the stationary point in the bracket where ``curve`` is a
    :class:`_ClosedFormCurve` (exact), else a bounded Brent search to :data:`_XATOL`."""
    # the interior maximum lies in (0, sigma) (C8); bracket it from a coarse grid first
    grid = np.linspace(0.02, 0.98, 25) * upper
    values = [curve(float(s)) for s in grid]
    best = int(np.argmax(values))
    low, high = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    if isinstance(curve, _ClosedFormCurve) and 0 < best < len(grid) - 1:
        inside = [s for s in curve.stationary_points() if low < s < high]
        if inside:
            return max(inside, key=curve)
    from scipy.optimize import minimize_scalar

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
    :math:`x_{\mathrm{tol}} = 10^{-6}\sigma` (kept where the maximiser is the exact root of
    the closed-form curve, :func:`_closed_form_curve`, whose round-off is far below it).
    Without label noise the sampling error vanishes: the simulated diffusion is then a sample
    constant times a function of :math:`s`, so every batch has the same maximiser and only
    the optimiser's error remains.
    """
    sigma = float(point["sigma"])
    seeds = rng.integers(0, 2**63, size=_PEAK_BATCHES + 1)
    full = _argmax(_simulated_diffusion_curve(point, int(seeds[0]), _PEAK_SAMPLES), sigma)
    batch = [
        _argmax(_simulated_diffusion_curve(point, int(seed), _PEAK_SAMPLES // _PEAK_BATCHES), sigma)
        for seed in seeds[1:]
    ]
    from scipy.special import ndtri, stdtrit  # not scipy.stats: seconds of imports

    # Only K - 1 degrees of freedom behind the SE: widen it by the ratio of the Student-t to
    # the normal quantile at the false-alarm rate 1e-6, so a z-test keeps its stated rate.
    alpha = 1e-6
    widen = float(stdtrit(_PEAK_BATCHES - 1, alpha / 2) / ndtri(alpha / 2))
    sampling = widen * float(np.std(batch, ddof=1)) / np.sqrt(_PEAK_BATCHES)
    return Estimate(full, float(np.hypot(sampling, _XATOL * sigma)), _PEAK_SAMPLES)


@cache
def _threshold_function():
    r"""The derived :math:`\sigma_\varepsilon` threshold (Eq. 10) as a float function of
    ``(sigma, L)``, derived once (:mod:`reports.engine.quantity_cache`)."""
    import sympy as sp

    threshold = cached_components(PEAK_THRESHOLD_QUANTITY)["location"]
    return sp.lambdify((sigma, L), threshold, modules="math")


def _below_threshold(point: Mapping[str, float]) -> bool:
    threshold = _threshold_function()(float(point["sigma"]), float(point["L"]))
    return bool(point["sigma_eps"] < 0.9 * threshold)


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
