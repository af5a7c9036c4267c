r"""Euler-Maruyama for a scalar SDE and quadrature of its zero-current stationary density.

The SDE is :math:`ds = \mu(s)\,dt + \sqrt{D(s)}\,dW_t` (:math:`D` the full variance rate,
DESIGN.md §3), with :math:`\mu` and :math:`D` given as vectorised NumPy callables.

* :func:`euler_maruyama` steps many independent chains together,
  :math:`s_{k+1} = s_k + \mu(s_k)\,dt + \sqrt{D(s_k)\,dt}\,Z_k`, from a seeded
  :class:`numpy.random.Generator`, in chunks of chains so memory stays bounded.  Domain guard
  (``domain="positive"``): a step that lands at :math:`s \le 0` is reflected,
  :math:`s \to |s|` (``domain="real"``: no guard).  After ``burn_in`` the per-chain time
  averages of :math:`s` and :math:`s^2` (and optional interval indicators) are accumulated;
  since chains are independent, the mean over chains of a per-chain statistic has the honest
  standard error (sample standard deviation over chains) / :math:`\sqrt{n}`.
* :func:`zero_current_moments` computes, from :math:`\mu` and :math:`D` alone, the moments of
  the normalised density :math:`p \propto D^{-1}\exp\int_{c}^{s} 2\mu/D` by nested
  :func:`scipy.integrate.quad` (an independent numeric route to the stationary law).
* :func:`zero_current_log_ratio` is :math:`\log p(b) - \log p(a)` for that (unnormalised)
  density, one ``quad``; it needs no normalisation, so it works where :math:`p` is not
  integrable (a power-law singularity).
* :func:`zero_current_mode` finds the maximiser of that density in a bracket, the zero of
  :math:`(\log p)' = (2\mu - D')/D` (:math:`D'` by central differences), by
  :func:`scipy.optimize.brentq`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from dlnverify.errors import InvalidParameter
from numerics._validation import (
    check_finite_real,
    check_generator,
    check_positive_int,
    check_positive_real,
)
from numerics.montecarlo import Estimate

__all__ = [
    "coupled_final_states",
    "euler_maruyama",
    "stationary_statistics",
    "zero_current_log_ratio",
    "zero_current_mode",
    "zero_current_moments",
]

_Coefficient = Callable[[np.ndarray], np.ndarray]


#: A state this large (or non-finite) means the chain diverged: its square would overflow.
_DIVERGED = 1e150


def _domain_iv(domain: str) -> str:
    if domain not in ("positive", "real"):
        raise InvalidParameter(f"Got domain={domain!r}, but domain must be 'positive' or 'real'.")
    return domain


def _run_iv(
    dt: float, n_steps: int, n_chains: int, chunk: int, rng: Any, start: float, domain: str
) -> tuple[float, int, int, int, np.random.Generator, float, str]:
    """The validated step, counts, generator, start and domain of a run, in this order."""
    return (
        check_positive_real("dt", dt),
        check_positive_int("n_steps", n_steps),
        check_positive_int("n_chains", n_chains),
        check_positive_int("chunk", chunk),
        check_generator(rng),
        check_finite_real("start", start),
        _domain_iv(domain),
    )


def _advance(
    state: np.ndarray,
    drift: _Coefficient,
    diffusion: _Coefficient,
    step: float,
    noise: Callable[[np.ndarray], np.ndarray],
    domain: str,
    k: int,
) -> np.ndarray:
    r"""One Euler-Maruyama step :math:`s + \mu(s)\,dt + \text{noise}(\sqrt{D(s)})` (step
    ``k``, from 0), reflected on the positive domain; one-line errors for a negative
    diffusion and for a state that diverged (overflow shows as a non-finite state)."""
    with np.errstate(over="ignore", invalid="ignore"):
        variance = diffusion(state)
        if np.any(variance < 0):
            raise InvalidParameter(
                "Got a negative diffusion (variance rate) D(s) at a chain's state; D must be >= 0."
            )
        state = state + drift(state) * step + noise(np.sqrt(variance))
    if domain == "positive":
        state = np.abs(state)
    if not np.all(np.abs(state) < _DIVERGED):  # also catches nan
        raise InvalidParameter(
            f"Got a non-finite state at step {k + 1} (dt={step:g}): Euler-Maruyama "
            "diverged; reduce dt."
        )
    return state


def _scaled_noise(scale: float, normals: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """``sd -> scale * sd * normals`` (in that order: the bytes of a seeded run stay fixed)."""
    return lambda sd: scale * sd * normals


def euler_maruyama(
    drift: _Coefficient,
    diffusion: _Coefficient,
    start: float,
    *,
    dt: float,
    n_steps: int,
    n_chains: int,
    rng: np.random.Generator,
    burn_in: int = 0,
    intervals: Sequence[tuple[float, float]] = (),
    domain: str = "positive",
    chunk: int = 4096,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Simulate ``n_chains`` independent chains for ``n_steps`` steps of size ``dt``.

    Parameters
    ----------
    drift, diffusion : callable
        Vectorised :math:`\mu(s)` and :math:`D(s)` (the variance rate, :math:`\ge 0`).
    start : float
        Common initial value.
    dt : float
        Time step, finite and ``> 0``.
    n_steps, n_chains : int
        Positive counts.
    rng : numpy.random.Generator
        Source of all randomness.
    burn_in : int
        Steps discarded before time averaging (``0 <= burn_in < n_steps``).
    intervals : sequence of (a, b)
        Intervals whose occupation fractions :math:`P(a < s \le b)` are time-averaged.
    domain : {"positive", "real"}
        ``"positive"`` reflects steps that land at :math:`s \le 0`.
    chunk : int
        Chains simulated together (memory bound).

    Returns
    -------
    final : numpy.ndarray, shape (n_chains,)
        States after the last step.
    averages : numpy.ndarray, shape (n_chains, 2 + len(intervals))
        Per-chain time averages over steps ``burn_in+1 .. n_steps`` of :math:`s`,
        :math:`s^2` and the interval indicators.
    """
    step, n_steps, n_chains, chunk, rng, start, domain = _run_iv(
        dt, n_steps, n_chains, chunk, rng, start, domain
    )
    if not isinstance(burn_in, int) or isinstance(burn_in, bool) or not 0 <= burn_in < n_steps:
        raise InvalidParameter(
            f"Got burn_in={burn_in!r}, but burn_in must be an integer in [0, n_steps)."
        )
    if domain == "positive" and start <= 0:
        raise InvalidParameter(f"Got start={start!r}, but start must be > 0 on domain 'positive'.")
    bounds = [(check_finite_real("a", a), check_finite_real("b", b)) for a, b in intervals]
    final = np.empty(n_chains)
    averages = np.zeros((n_chains, 2 + len(bounds)))
    root = np.sqrt(step)
    for first in range(0, n_chains, chunk):
        size = min(chunk, n_chains - first)
        state = np.full(size, start)
        sums = np.zeros((size, 2 + len(bounds)))
        for k in range(n_steps):
            normals = rng.standard_normal(size)
            state = _advance(state, drift, diffusion, step, _scaled_noise(root, normals), domain, k)
            if k >= burn_in:
                sums[:, 0] += state
                sums[:, 1] += state * state
                for j, (a, b) in enumerate(bounds):
                    sums[:, 2 + j] += (state > a) & (state <= b)
        final[first : first + size] = state
        averages[first : first + size] = sums / (n_steps - burn_in)
    return final, averages


def coupled_final_states(
    drift: _Coefficient,
    diffusion: _Coefficient,
    start: float,
    *,
    dt: float,
    n_steps: int,
    n_chains: int,
    rng: np.random.Generator,
    domain: str = "positive",
    chunk: int = 4096,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Final states of Euler-Maruyama at :math:`dt` (``n_steps`` steps) and at :math:`dt/2`
    (``2 n_steps`` steps) on one Brownian path per chain (common random numbers).

    Each coarse step uses the sum of its two fine steps' increments,
    :math:`\sqrt{dt/2}\,Z_a + \sqrt{dt/2}\,Z_b`, so the two runs of a chain differ by the
    discretisation only (strong error :math:`O(dt^{1/2})`) and a Richardson combination
    :math:`2 f(dt/2) - f(dt)` per chain has about the variance of :math:`f` alone, not the
    :math:`5\operatorname{Var} f` of two independent runs.  Chains are independent of one
    another, so any per-chain statistic averaged over chains has the honest standard error
    (sample standard deviation over chains) / :math:`\sqrt{n}`.  Coefficients, domain guard
    and divergence check as in :func:`euler_maruyama`.

    Returns
    -------
    coarse, fine : numpy.ndarray, shape (n_chains,)
        States at time ``n_steps * dt`` of the run at :math:`dt` and of the run at
        :math:`dt/2`.
    """
    step, n_steps, n_chains, chunk, rng, start, domain = _run_iv(
        dt, n_steps, n_chains, chunk, rng, start, domain
    )
    if domain == "positive" and start <= 0:
        raise InvalidParameter(f"Got start={start!r}, but start must be > 0 on domain 'positive'.")
    half = step / 2
    root_half = np.sqrt(half)
    finals = np.empty((2, n_chains))

    def advance(state: np.ndarray, increment: np.ndarray, h: float, k: int) -> np.ndarray:
        return _advance(state, drift, diffusion, h, lambda sd: sd * increment, domain, k)

    for first in range(0, n_chains, chunk):
        size = min(chunk, n_chains - first)
        coarse, fine = np.full(size, start), np.full(size, start)
        for k in range(n_steps):
            increments = root_half * rng.standard_normal((2, size))
            fine = advance(fine, increments[0], half, 2 * k)
            fine = advance(fine, increments[1], half, 2 * k + 1)
            coarse = advance(coarse, increments[0] + increments[1], step, k)
        finals[:, first : first + size] = coarse, fine
    return finals[0], finals[1]


def stationary_statistics(averages: np.ndarray) -> tuple[Estimate, Estimate]:
    r"""Mean and variance of the stationary law from per-chain time averages.

    Mean: the chain average of :math:`\overline{s}`; variance:
    :math:`\overline{s^2} - \overline{s}^2` with both from the chain averages, its standard
    error by the delta method on the chain-wise pairs (independent chains).
    """
    values = np.asarray(averages, dtype=float)
    if values.ndim != 2 or values.shape[0] < 2 or values.shape[1] < 2:
        raise InvalidParameter("Got averages of a bad shape, but it must be (n_chains >= 2, >= 2).")
    n = values.shape[0]
    first, second = values[:, 0], values[:, 1]
    mean = float(first.mean())
    mean_se = float(first.std(ddof=1) / np.sqrt(n))
    variance = float(second.mean() - mean**2)
    influence = second - 2 * mean * first  # delta method: d(m2 - m1^2) = dm2 - 2 m1 dm1
    variance_se = float(influence.std(ddof=1) / np.sqrt(n))
    return Estimate(mean, mean_se, n), Estimate(variance, variance_se, n)


def zero_current_moments(
    drift: Callable[[float], float],
    diffusion: Callable[[float], float],
    reference: float,
    lower: float,
    upper: float,
    *,
    intervals: Sequence[tuple[float, float]] = (),
    epsrel: float = 1e-10,
) -> dict[str, float]:
    r"""Mean, variance and interval probabilities of :math:`p \propto D^{-1}\exp\int 2\mu/D`.

    Parameters
    ----------
    drift, diffusion : callable
        Scalar :math:`\mu(s)`, :math:`D(s) > 0` on ``(lower, upper)``.
    reference : float
        Lower limit of the inner integral (near the peak, so the exponent stays moderate).
    lower, upper : float
        Integration range of the outer integrals (may be infinite).
    intervals : sequence of (a, b)
        Intervals inside the range whose probabilities are returned.
    epsrel : float
        Relative tolerance of every ``quad``.

    Returns
    -------
    dict
        ``"mean"``, ``"variance"`` and ``"P(a,b)"`` for each interval.
    """
    reference = check_finite_real("reference", reference)
    epsrel = check_positive_real("epsrel", epsrel)
    if not lower < reference < upper:
        raise InvalidParameter("Got reference outside (lower, upper), but it must lie inside.")

    def log_density(u: float) -> float:  # up to the constant log p(reference)
        return zero_current_log_ratio(drift, diffusion, reference, u, epsrel=epsrel)[0]

    from scipy.integrate import quad  # lazily: `dlnverify list` stays fast

    def integral(weight: Callable[[float], float], a: float, b: float) -> float:
        pieces = [(a, min(b, reference)), (max(a, reference), b)]
        return sum(
            quad(
                lambda u: weight(u) * np.exp(log_density(u)),
                x,
                y,
                epsabs=0,
                epsrel=epsrel,
                limit=200,
            )[0]
            for x, y in pieces
            if x < y
        )

    norm = integral(lambda u: 1.0, lower, upper)
    mean = integral(lambda u: u, lower, upper) / norm
    variance = integral(lambda u: (u - mean) ** 2, lower, upper) / norm
    result = {"mean": mean, "variance": variance}
    for a, b in intervals:
        result[f"P({a},{b})"] = integral(lambda u: 1.0, a, b) / norm
    return result


def zero_current_log_ratio(
    drift: Callable[[float], float],
    diffusion: Callable[[float], float],
    a: float,
    b: float,
    *,
    epsrel: float = 1e-12,
) -> tuple[float, float]:
    r""":math:`\log p(b) - \log p(a) = \int_a^b 2\mu/D - \log D(b) + \log D(a)` for
    :math:`p \propto D^{-1}\exp\int 2\mu/D`.

    Parameters
    ----------
    drift, diffusion : callable
        Scalar :math:`\mu(s)`, :math:`D(s) > 0` on ``[a, b]``.
    a, b : float
        Finite end points (either order).
    epsrel : float
        Relative tolerance of the ``quad``.

    Returns
    -------
    (float, float)
        The difference and ``quad``'s estimate of its absolute error.
    """
    a = check_finite_real("a", a)
    b = check_finite_real("b", b)
    epsrel = check_positive_real("epsrel", epsrel)
    from scipy.integrate import quad  # lazily: `dlnverify list` stays fast

    value, error = quad(lambda v: 2 * drift(v) / diffusion(v), a, b, epsrel=epsrel, limit=200)
    return value - float(np.log(diffusion(b))) + float(np.log(diffusion(a))), error


def zero_current_mode(
    drift: Callable[[float], float],
    diffusion: Callable[[float], float],
    lower: float,
    upper: float,
    *,
    step: float = 1e-5,
) -> float:
    r"""The maximiser in ``(lower, upper)`` of :math:`p \propto D^{-1}\exp\int 2\mu/D`.

    It is the zero of :math:`(\log p)' = (2\mu - D')/D`, i.e. of :math:`2\mu - D'`, where
    that changes sign from positive to negative; :math:`D'` is the central difference with
    step ``step * max(1, |s|)`` (error :math:`O(\text{step}^2)`), the zero is found by
    :func:`scipy.optimize.brentq` to round-off.

    Parameters
    ----------
    drift, diffusion : callable
        Scalar :math:`\mu(s)`, :math:`D(s) > 0` on ``[lower, upper]``.
    lower, upper : float
        A bracket, ``lower < upper``, holding one maximum and no other critical point.

    Returns
    -------
    float
        The mode.

    Raises
    ------
    InvalidParameter
        If :math:`2\mu - D'` is not positive at ``lower`` and negative at ``upper`` (no
        maximum bracketed).
    """
    lower = check_finite_real("lower", lower)
    upper = check_finite_real("upper", upper)
    step = check_positive_real("step", step)
    if not lower < upper:
        raise InvalidParameter(f"Got lower={lower} >= upper={upper}, but lower < upper is needed.")

    def slope(u: float) -> float:
        h = step * max(1.0, abs(u))
        return 2 * drift(u) - (diffusion(u + h) - diffusion(u - h)) / (2 * h)

    if not slope(lower) > 0 > slope(upper):
        raise InvalidParameter(
            f"Got the bracket ({lower}, {upper}), but (log p)' must be > 0 at its lower end and"
            " < 0 at its upper end for it to hold a maximum of the density."
        )
    from scipy.optimize import brentq  # lazily: `dlnverify list` stays fast

    return float(brentq(slope, lower, upper, xtol=1e-15, rtol=4 * np.finfo(float).eps))
