r"""The derived stationary law of one mode (C10), normalised in floating point.

The zero-current density of the modewise SDE of C7 with label noise,

.. math:: p(s) \propto s^{1-1/L} D(s)^{-1}\exp\int^s \frac{2 g}{D}, \qquad
          g = L s^{2-2/L}(\sigma - s),\quad
          D = \kappa L^2 s^{4-4/L}\bigl(\sigma_\varepsilon^2 + 2(\sigma - s)^2\bigr),

is :func:`derivations.stationary.stationary_density` at depth :math:`L`; here it is
lambdified in log form and normalised by ``scipy.integrate.quad`` over :math:`s > 0` (the
real line at :math:`L = 1`, where the amplitude is a matrix entry; at :math:`L = 3, 4` the
exponent integral is itself evaluated by ``quad``).  :func:`derived_mode_law` returns the
normalised density with its exact mean and variance and the first-order moments
(:func:`~derivations.stationary.stationary_mean`,
:func:`~derivations.stationary.stationary_variance`) and the paper's drift-zero mean
(:func:`~derivations.stationary.drift_zero_mean`) at the same point.  The stationary
ensembles (:mod:`reports.experiments.stationary`) and the checks of C10
(:mod:`reports.claims.stationary`) both use it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import sympy as sp
from numpy.typing import NDArray

from derivations.conventions import L, kappa, s, sigma, sigma_eps
from derivations.stationary import (
    drift_zero_mean,
    stationary_density,
    stationary_mean,
    stationary_variance,
)
from dlnverify.errors import InvalidParameter

__all__ = ["ModeLaw", "derived_mode_law"]


@dataclass(frozen=True)
class ModeLaw:
    r"""The derived stationary law of one mode, numerically normalised.

    Attributes
    ----------
    depth, sigma, label_noise, kappa
        :math:`L`, :math:`\sigma_a`, :math:`\sigma_\varepsilon`, :math:`\kappa`.
    lower : float
        Lower end of the domain (:math:`0`, or :math:`-\infty` at :math:`L = 1`).
    mean, variance : float
        Of the normalised density (quadrature).
    first_order_mean, first_order_variance : float
        :func:`derivations.stationary.stationary_mean` / ``stationary_variance``.
    drift_zero_mean : float
        :func:`derivations.stationary.drift_zero_mean` (the paper's mean).
    density : callable
        The normalised density, NumPy array in, array out.
    probability : callable
        ``probability(a, b)``: the law's mass on :math:`(a, b]` (quadrature).
    """

    depth: int
    sigma: float
    label_noise: float
    kappa: float
    lower: float
    mean: float
    variance: float
    first_order_mean: float
    first_order_variance: float
    drift_zero_mean: float
    density: Callable[[NDArray[np.float64]], NDArray[np.float64]]
    probability: Callable[[float, float], float]


@cache
def _log_density(depth: int) -> tuple[Callable[..., Any], Callable[..., Any] | None, sp.Symbol]:
    """``log p`` lambdified in ``(s, sigma, sigma_eps, kappa, I)`` and the exponent integrand
    in ``(u, sigma, sigma_eps, kappa)`` when ``p`` holds an unevaluated integral ``I``
    (lower limit :math:`\\sigma`)."""
    density = stationary_density(depth)
    placeholder = sp.Symbol("I_exponent", real=True)
    integrals = list(density.atoms(sp.Integral))
    integrand = None
    if integrals:
        (integral,) = integrals
        function, (variable, low, _high) = integral.function, integral.limits[0]
        if sp.simplify(low - sigma) != 0:
            raise InvalidParameter(f"Got an exponent integral from {low}, expected from sigma.")
        integrand = sp.lambdify((variable, sigma, sigma_eps, kappa), function, "numpy")
        density = density.subs(integral, placeholder)
    log_density = sp.expand_log(sp.log(density), force=True)
    args = (s, sigma, sigma_eps, kappa, placeholder)
    return sp.lambdify(args, log_density, "numpy"), integrand, placeholder


def _law_iv(depth: Any, value: Any, noise: Any, scale: Any) -> tuple[int, float, float, float]:
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 1:
        raise InvalidParameter(f"Got depth={depth!r}, but depth must be an integer >= 1.")
    for name, number in (("sigma", value), ("label_noise", noise), ("kappa", scale)):
        if (
            not isinstance(number, int | float)
            or isinstance(number, bool)
            or not math.isfinite(number)
            or number <= 0
        ):
            raise InvalidParameter(
                f"Got {name}={number!r}, but it must be finite and > 0"
                + (" (the stationary law needs label noise)." if name == "label_noise" else ".")
            )
    return depth, float(value), float(noise), float(scale)


@cache
def derived_mode_law(
    depth: int, value: float, noise: float, scale: float, *, ito: bool = True
) -> ModeLaw:
    r"""The C10 law of one mode at :math:`L`, :math:`\sigma`, :math:`\sigma_\varepsilon`,
    :math:`\kappa`, normalised by quadrature, with its mean and variance.

    Parameters
    ----------
    depth : int
        :math:`L \in \{1, 2, 3, 4\}` (:data:`derivations.stationary.DENSITY_DEPTHS`).
    value, noise, scale : float
        :math:`\sigma > 0`, :math:`\sigma_\varepsilon > 0`, :math:`\kappa > 0`.
    ito : bool, optional
        ``False``: the density without its Itô factor :math:`s^{1-1/L}` (a dropped term, for
        the power tests of :mod:`reports.claims.stationary`).

    Returns
    -------
    ModeLaw
    """
    from scipy.integrate import quad  # lazily: `dlnverify list` stays fast

    depth, value, noise, scale = _law_iv(depth, value, noise, scale)
    log_density, integrand, _ = _log_density(depth)

    def exponent(u: float) -> float:
        if integrand is None:
            return 0.0
        return float(quad(integrand, value, u, args=(value, noise, scale), limit=200)[0])

    dropped = 0.0 if ito else 1 - 1 / depth  # the power of s removed with ito=False
    reference = float(log_density(value, value, noise, scale, 0.0)) - dropped * math.log(value)

    def unnormalised(u: float) -> float:
        if depth >= 2 and u <= 0:
            return 0.0
        with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
            logp = float(log_density(u, value, noise, scale, exponent(u)))
            logp -= dropped * math.log(u) if dropped else 0.0
        return math.exp(logp - reference) if math.isfinite(logp) else 0.0

    sd = math.sqrt(scale * depth * value ** (2 - 2 / depth) * noise**2 / 2)
    lower = -math.inf if depth == 1 else 0.0
    inner = [value + k * sd for k in (-12, -4, 0, 4, 12)]
    cuts = [lower, *(c for c in inner if c > lower), math.inf]

    def integral(
        weight: Callable[[float], float], low: float = lower, high: float = math.inf
    ) -> float:
        pieces = [low, *(c for c in cuts if low < c < high), high]
        return sum(
            quad(lambda u: weight(u) * unnormalised(u), a, b, epsabs=0.0, epsrel=1e-10, limit=200)[
                0
            ]
            for a, b in itertools.pairwise(pieces)
        )

    norm = integral(lambda u: 1.0)
    mean = integral(lambda u: u) / norm
    variance = integral(lambda u: (u - mean) ** 2) / norm
    point = {L: depth, sigma: value, sigma_eps: noise, kappa: scale}

    def density(grid: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.array([unnormalised(float(u)) / norm for u in np.ravel(grid)]).reshape(
            np.shape(grid)
        )

    return ModeLaw(
        depth=depth,
        sigma=value,
        label_noise=noise,
        kappa=scale,
        lower=lower,
        mean=mean,
        variance=variance,
        first_order_mean=float(stationary_mean().subs(point)),
        first_order_variance=float(stationary_variance().subs(point)),
        drift_zero_mean=float(drift_zero_mean().subs(point)),
        density=density,
        probability=lambda low, high: integral(lambda u: 1.0, max(low, lower), high) / norm,
    )
