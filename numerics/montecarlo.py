r"""Monte Carlo estimators with standard errors, streaming moments and the z-test.

Every numeric check of dlnverify compares a Monte Carlo estimate with a formula through
:func:`z_test`: the tolerance is never typed in, it is :math:`z \cdot \mathrm{SE}` with the
standard error estimated from the same samples and :math:`z` from a stated false-alarm rate
(DESIGN.md §5).  This module holds that machinery and nothing about networks, so that every
observable (in :mod:`numerics.observables` and elsewhere) is judged by the same rules.

Estimators and their standard errors (:math:`d = x - \bar x`, :math:`n` samples):

* mean: :math:`\bar x`, :math:`\mathrm{SE}^2 = s^2 / n`;
* unbiased variance :math:`s^2 = \sum d^2 / (n-1)`,
  :math:`\mathrm{SE}^2 = \bigl(\hat\mu_4 - \tfrac{n-3}{n-1} s^4\bigr) / n` with
  :math:`\hat\mu_4 = \overline{d^4}` (the exact variance of :math:`s^2` with the population
  moments replaced by sample moments);
* covariance :math:`c_{ij} = \sum d_i d_j / (n-1)`, entrywise
  :math:`\mathrm{SE}^2_{ij} = \bigl(\overline{d_i^2 d_j^2} - c_{ij}^2\bigr) / n`.

:class:`RunningMoments` accumulates the same quantities chunk by chunk from sums of powers of
the samples shifted by the first chunk's mean (shifting keeps the cancellation in
:math:`\sum y^2 - (\sum y)^2 / n` harmless when the mean is large compared with the spread),
so that :math:`10^7` samples need memory of one chunk only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral, Real
from statistics import NormalDist

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dlnverify.errors import InvalidParameter

__all__ = [
    "Estimate",
    "RunningMoments",
    "ZTestResult",
    "covariance_estimate",
    "mean_estimate",
    "streaming_moments",
    "variance_estimate",
    "z_test",
    "z_threshold",
]


@dataclass(frozen=True)
class Estimate:
    r"""A Monte Carlo estimate with its standard error.

    Attributes
    ----------
    value : numpy.ndarray or float
        The estimate.
    standard_error : numpy.ndarray or float
        Estimated standard deviation of ``value`` (same shape).
    n_samples : int
        Number of samples the estimate was computed from.
    """

    value: NDArray[np.float64] | float
    standard_error: NDArray[np.float64] | float
    n_samples: int


@dataclass(frozen=True)
class ZTestResult:
    r"""Outcome of :func:`z_test`.

    Attributes
    ----------
    z_scores : numpy.ndarray
        :math:`(\hat\theta - \theta) / \sqrt{\mathrm{SE}^2 + \mathrm{atol}^2}` entrywise.
    max_abs_z : float
        Largest :math:`|z|`.
    threshold : float
        :func:`z_threshold` of ``false_alarm_rate`` and ``n_tests``.
    passed : bool
        ``max_abs_z <= threshold``: the estimate is consistent with the expected value.
    false_alarm_rate : float
        Probability that a correct expected value fails the test (all entries together).
    n_tests : int
        Number of tests the false-alarm rate is split over (Bonferroni).
    """

    z_scores: NDArray[np.float64]
    max_abs_z: float
    threshold: float
    passed: bool
    false_alarm_rate: float
    n_tests: int


def _finite_samples(samples: ArrayLike, name: str = "samples") -> NDArray[np.float64]:
    try:
        array = np.asarray(samples, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise InvalidParameter(
            f"Got {name} of type {type(samples).__name__}, but {name} must be a real array."
        ) from error
    if not np.all(np.isfinite(array)):
        raise InvalidParameter(f"Got {name} with NaN or inf entries, but {name} must be finite.")
    return array


def _samples_along_axis(samples: ArrayLike, axis: int, minimum: int) -> NDArray[np.float64]:
    """Validate ``samples`` and move the sample axis to the front."""
    array = _finite_samples(samples)
    if array.ndim == 0:
        raise InvalidParameter(
            "Got samples with ndim=0, but samples must have at least one axis (the sample axis)."
        )
    if not isinstance(axis, Integral) or not -array.ndim <= axis < array.ndim:
        raise InvalidParameter(
            f"Got {axis=}, but axis must be an integer in [{-array.ndim}, {array.ndim})"
            f" for samples of shape {array.shape}."
        )
    array = np.moveaxis(array, int(axis), 0)
    if array.shape[0] < minimum:
        raise InvalidParameter(
            f"Got {array.shape[0]} samples along {axis=}, but at least {minimum} are needed."
        )
    return array


def _scalar_or_array(x: NDArray[np.float64]) -> NDArray[np.float64] | float:
    return float(x) if x.ndim == 0 else x


def mean_estimate(samples: ArrayLike, *, axis: int = 0) -> Estimate:
    r"""Sample mean with its standard error.

    .. math:: \bar x = \frac1n \sum_k x_k, \qquad
              \mathrm{SE}^2 = \frac{1}{n(n-1)} \sum_k (x_k - \bar x)^2.

    Parameters
    ----------
    samples : array_like
        Finite real samples, at least 2 along ``axis``.
    axis : int, optional
        The sample axis; the other axes are independent entries.

    Returns
    -------
    Estimate
        ``value`` and ``standard_error`` have the shape of ``samples`` without ``axis``.
    """
    array = _samples_along_axis(samples, axis, minimum=2)
    n = array.shape[0]
    mean = array.mean(axis=0)
    se = np.sqrt(array.var(axis=0, ddof=1) / n)
    return Estimate(_scalar_or_array(mean), _scalar_or_array(se), n)


def variance_estimate(samples: ArrayLike, *, axis: int = 0) -> Estimate:
    r"""Unbiased sample variance with its standard error from the fourth central moment.

    For i.i.d. samples with variance :math:`\sigma^2` and fourth central moment
    :math:`\mu_4`, :math:`\operatorname{Var}(s^2) = \bigl(\mu_4 - \tfrac{n-3}{n-1}\sigma^4\bigr)/n`
    exactly; the standard error plugs in :math:`\hat\mu_4 = \overline{d^4}` and :math:`s^4`.
    The plug-in is non-negative for every data set, because
    :math:`\overline{d^4} \ge (\overline{d^2})^2` and :math:`(n-3)n^2 < (n-1)^3`.

    Parameters
    ----------
    samples : array_like
        Finite real samples, at least 2 along ``axis``.
    axis : int, optional
        The sample axis.

    Returns
    -------
    Estimate
        :math:`s^2 = \sum_k (x_k - \bar x)^2 / (n-1)` and its standard error.
    """
    array = _samples_along_axis(samples, axis, minimum=2)
    n = array.shape[0]
    d = array - array.mean(axis=0)
    d2 = d * d
    s2 = d2.sum(axis=0) / (n - 1)
    mu4 = (d2 * d2).mean(axis=0)
    # round-off only: the exact plug-in is >= 0 (see docstring)
    se = np.sqrt(np.maximum(mu4 - (n - 3) / (n - 1) * s2 * s2, 0.0) / n)
    return Estimate(_scalar_or_array(s2), _scalar_or_array(se), n)


def covariance_estimate(samples: ArrayLike) -> Estimate:
    r"""Unbiased sample covariance matrix with entrywise standard errors.

    .. math:: c_{ij} = \frac{1}{n-1}\sum_k d_{k,i} d_{k,j}, \qquad
              \mathrm{SE}_{ij}^2 = \frac{1}{n}\Bigl(\frac1n\sum_k d_{k,i}^2 d_{k,j}^2
              - c_{ij}^2\Bigr), \qquad d_k = x_k - \bar x.

    (The variance of the mean of :math:`d_i d_j`; the tiny negative values the plug-in can take
    for degenerate data, e.g. two samples, are set to zero.)

    Parameters
    ----------
    samples : array_like, shape (n, p)
        Finite real samples, ``n >= 2``.

    Returns
    -------
    Estimate
        ``value`` and ``standard_error`` of shape ``(p, p)``.
    """
    array = _finite_samples(samples)
    if array.ndim != 2:
        raise InvalidParameter(
            f"Got samples of shape {array.shape}, but samples must be 2-D (n_samples, p)."
        )
    n = array.shape[0]
    if n < 2:
        raise InvalidParameter(f"Got {n} samples, but at least 2 are needed.")
    d = array - array.mean(axis=0)
    cov = d.T @ d / (n - 1)
    d2 = d * d
    fourth = d2.T @ d2 / n
    se = np.sqrt(np.maximum(fourth - cov * cov, 0.0) / n)
    return Estimate(cov, se, n)


class RunningMoments:
    r"""Streaming mean and covariance (with standard errors) of vector samples.

    Keeps the sums, over samples :math:`y = x - K` shifted by :math:`K` (the mean of the first
    chunk), of :math:`y_i`, :math:`y_i y_j`, :math:`y_i^2 y_j` and :math:`y_i^2 y_j^2`; the
    estimates are then those of :func:`mean_estimate` and :func:`covariance_estimate` on all the
    samples seen, equal up to round-off.  Memory is :math:`O(p^2)` plus one chunk.

    Parameters
    ----------
    dim : int
        Dimension :math:`p \ge 1` of a sample.
    """

    def __init__(self, dim: int) -> None:
        if not isinstance(dim, Integral) or isinstance(dim, bool) or dim < 1:
            raise InvalidParameter(f"Got {dim=}, but dim must be an integer >= 1.")
        self._dim: int = int(dim)
        self._n: int = 0
        self._shift: NDArray[np.float64] = np.zeros(self._dim)
        self._s1: NDArray[np.float64] = np.zeros(self._dim)
        self._s2: NDArray[np.float64] = np.zeros((self._dim, self._dim))
        self._s3: NDArray[np.float64] = np.zeros((self._dim, self._dim))  # sum y_i^2 y_j
        self._s4: NDArray[np.float64] = np.zeros((self._dim, self._dim))  # sum y_i^2 y_j^2

    @property
    def dim(self) -> int:
        """Dimension of a sample."""
        return self._dim

    @property
    def n_samples(self) -> int:
        """Number of samples accumulated so far."""
        return self._n

    def update(self, chunk: ArrayLike) -> RunningMoments:
        r"""Add a chunk of samples, shape ``(k, dim)``; returns ``self``."""
        array = _finite_samples(chunk, "chunk")
        if array.ndim != 2 or array.shape[1] != self._dim:
            raise InvalidParameter(
                f"Got chunk of shape {array.shape}, but chunk must be 2-D (k, {self._dim})."
            )
        if array.shape[0] == 0:
            return self
        if self._n == 0:
            self._shift = array.mean(axis=0)
        y = array - self._shift
        y2 = y * y
        self._n += array.shape[0]
        self._s1 += y.sum(axis=0)
        self._s2 += y.T @ y
        self._s3 += y2.T @ y
        self._s4 += y2.T @ y2
        return self

    def _sums_shifted_to(self, shift: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
        r"""The power sums of :math:`y' = y + c` with :math:`c = K - K'` (binomial expansion)."""
        c = self._shift - shift
        n, s1, s2, s3, s4 = self._n, self._s1, self._s2, self._s3, self._s4
        q = np.diag(s2)  # sum y_i^2
        new_s1 = s1 + n * c
        new_s2 = s2 + np.outer(s1, c) + np.outer(c, s1) + n * np.outer(c, c)
        # sum (y_i + c_i)^2 (y_j + c_j)
        new_s3 = (
            s3
            + np.outer(q, c)
            + 2 * c[:, None] * s2
            + 2 * np.outer(c * s1, c)
            + np.outer(c * c, s1)
            + n * np.outer(c * c, c)
        )
        # sum (y_i + c_i)^2 (y_j + c_j)^2
        new_s4 = (
            s4
            + 2 * s3 * c[None, :]
            + 2 * s3.T * c[:, None]
            + np.outer(q, c * c)
            + np.outer(c * c, q)
            + 4 * np.outer(c, c) * s2
            + 2 * np.outer(s1 * c, c * c)
            + 2 * np.outer(c * c, s1 * c)
            + n * np.outer(c * c, c * c)
        )
        return new_s1, new_s2, new_s3, new_s4

    def merge(self, other: RunningMoments) -> RunningMoments:
        r"""Add the samples accumulated by ``other`` (same ``dim``); returns ``self``."""
        if not isinstance(other, RunningMoments) or other.dim != self._dim:
            raise InvalidParameter(
                f"Got other={other!r}, but other must be a RunningMoments of dim {self._dim}."
            )
        if other.n_samples == 0:
            return self
        if self._n == 0:
            self._shift = other._shift.copy()
        s1, s2, s3, s4 = other._sums_shifted_to(self._shift)
        self._n += other.n_samples
        self._s1 += s1
        self._s2 += s2
        self._s3 += s3
        self._s4 += s4
        return self

    def _require_two(self) -> None:
        if self._n < 2:
            raise InvalidParameter(
                f"Got n_samples={self._n}, but at least 2 samples are needed for an estimate."
            )

    def _central(self) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """Mean (of y), unbiased covariance and the mean of d_i^2 d_j^2."""
        n = self._n
        a = self._s1 / n
        m2 = self._s2 / n
        m3 = self._s3 / n
        m4 = self._s4 / n
        cov = (self._s2 - n * np.outer(a, a)) / (n - 1)
        q = np.diag(m2)
        # mean of (y_i - a_i)^2 (y_j - a_j)^2 expanded in the raw moments of y
        fourth = (
            m4
            - 2 * m3 * a[None, :]
            - 2 * m3.T * a[:, None]
            + np.outer(q, a * a)
            + np.outer(a * a, q)
            + 4 * np.outer(a, a) * m2
            - 2 * np.outer(a * (self._s1 / n), a * a)
            - 2 * np.outer(a * a, a * (self._s1 / n))
            + np.outer(a * a, a * a)
        )
        return a, cov, fourth

    def mean(self) -> Estimate:
        r"""Mean of the samples with SE :math:`\sqrt{c_{ii}/n}` (as :func:`mean_estimate`)."""
        self._require_two()
        a, cov, _ = self._central()
        se = np.sqrt(np.maximum(np.diag(cov), 0.0) / self._n)
        return Estimate(self._shift + a, se, self._n)

    def covariance(self) -> Estimate:
        r"""Unbiased covariance with the entrywise SE of :func:`covariance_estimate`."""
        self._require_two()
        _, cov, fourth = self._central()
        se = np.sqrt(np.maximum(fourth - cov * cov, 0.0) / self._n)
        return Estimate(cov, se, self._n)

    def variance(self) -> Estimate:
        r"""Unbiased variances (diagonal of the covariance) with the SE of
        :func:`variance_estimate`: :math:`\bigl(\hat\mu_4 - \tfrac{n-3}{n-1}s^4\bigr)/n`."""
        self._require_two()
        _, cov, fourth = self._central()
        n = self._n
        s2 = np.diag(cov).copy()
        se = np.sqrt(np.maximum(np.diag(fourth) - (n - 3) / (n - 1) * s2 * s2, 0.0) / n)
        return Estimate(s2, se, n)

    def __repr__(self) -> str:
        return f"RunningMoments(dim={self._dim}, n_samples={self._n})"


def streaming_moments(
    draw_chunk: Callable[[int, np.random.Generator], ArrayLike],
    n_samples: int,
    *,
    rng: np.random.Generator,
    chunk_size: int = 65536,
    progress: Callable[[int, int], object] | None = None,
) -> RunningMoments:
    r"""Draw ``n_samples`` vector samples chunk by chunk and accumulate their moments.

    Parameters
    ----------
    draw_chunk : callable
        ``draw_chunk(k, rng)`` returns ``k`` samples, an array of shape ``(k, dim)``; ``dim``
        is fixed by the first chunk.
    n_samples : int
        Total number of samples, ``>= 2``.
    rng : numpy.random.Generator
        Passed to every ``draw_chunk`` call.
    chunk_size : int, optional
        Largest ``k`` of one call, ``>= 1``; memory is one chunk plus :math:`O(\mathrm{dim}^2)`.
    progress : callable, optional
        ``progress(n_done, n_samples)`` after every chunk.

    Returns
    -------
    RunningMoments
    """
    if not isinstance(n_samples, Integral) or isinstance(n_samples, bool) or n_samples < 2:
        raise InvalidParameter(f"Got {n_samples=}, but n_samples must be an integer >= 2.")
    if not isinstance(chunk_size, Integral) or isinstance(chunk_size, bool) or chunk_size < 1:
        raise InvalidParameter(f"Got {chunk_size=}, but chunk_size must be an integer >= 1.")
    if not isinstance(rng, np.random.Generator):
        raise InvalidParameter(
            f"Got rng of type {type(rng).__name__}, but rng must be a numpy.random.Generator."
        )
    moments: RunningMoments | None = None
    done = 0
    while done < n_samples:
        k = min(int(chunk_size), int(n_samples) - done)
        chunk = _finite_samples(draw_chunk(k, rng), "draw_chunk(k, rng)")
        if chunk.ndim != 2 or chunk.shape[0] != k:
            raise InvalidParameter(
                f"Got draw_chunk({k}, rng) of shape {chunk.shape}, but it must be ({k}, dim)."
            )
        if moments is None:
            moments = RunningMoments(chunk.shape[1])
        moments.update(chunk)
        done += k
        if progress is not None:
            progress(done, int(n_samples))
    assert moments is not None
    return moments


def _false_alarm_iv(false_alarm_rate: float) -> float:
    if (
        not isinstance(false_alarm_rate, Real)
        or isinstance(false_alarm_rate, bool)
        or not 0.0 < float(false_alarm_rate) < 1.0
    ):
        raise InvalidParameter(
            f"Got {false_alarm_rate=}, but false_alarm_rate must be a real number in (0, 1)."
        )
    return float(false_alarm_rate)


def _n_tests_iv(n_tests: int) -> int:
    if not isinstance(n_tests, Integral) or isinstance(n_tests, bool) or n_tests < 1:
        raise InvalidParameter(f"Got {n_tests=}, but n_tests must be an integer >= 1.")
    return int(n_tests)


def z_threshold(false_alarm_rate: float = 1e-6, n_tests: int = 1) -> float:
    r"""Two-sided Bonferroni threshold on :math:`|z|`.

    .. math:: z^* = \Phi^{-1}\Bigl(1 - \frac{\alpha}{2 n_\text{tests}}\Bigr),

    so that :math:`n_\text{tests}` standard normal scores all stay within :math:`\pm z^*` with
    probability at least :math:`1 - \alpha`.

    Parameters
    ----------
    false_alarm_rate : float, optional
        :math:`\alpha \in (0, 1)`.
    n_tests : int, optional
        Number of simultaneous tests, ``>= 1``.
    """
    alpha = _false_alarm_iv(false_alarm_rate)
    count = _n_tests_iv(n_tests)
    # the standard library's normal quantile (Wichura's AS 241, relative error ~1e-16): no
    # SciPy import (about half a second) on the way to a check's verdict
    return -NormalDist().inv_cdf(alpha / (2.0 * count))


def z_test(
    estimate: Estimate,
    expected: ArrayLike,
    *,
    false_alarm_rate: float = 1e-6,
    n_tests: int | None = None,
    atol: float = 0.0,
) -> ZTestResult:
    r"""Is a Monte Carlo estimate consistent with an expected value?

    .. math:: z = \frac{\hat\theta - \theta}{\sqrt{\mathrm{SE}^2 + \mathrm{atol}^2}}, \qquad
              \text{passed} \iff \max |z| \le z^*(\alpha, n_\text{tests}).

    A zero denominator gives :math:`z = 0` when the difference is zero and :math:`\pm\infty`
    otherwise.

    Parameters
    ----------
    estimate : Estimate
        The estimate and its standard error.
    expected : array_like
        The value under test; must broadcast to the shape of ``estimate.value``.
    false_alarm_rate : float, optional
        Probability :math:`\alpha \in (0, 1)` that a correct ``expected`` fails.
    n_tests : int, optional
        Bonferroni count; defaults to the number of entries of ``estimate.value``.
    atol : float, optional
        Non-negative absolute error of ``expected`` itself (e.g. quadrature), added in
        quadrature to the standard error.
    """
    if not isinstance(estimate, Estimate):
        raise InvalidParameter(
            f"Got estimate of type {type(estimate).__name__}, but estimate must be an Estimate."
        )
    value = _finite_samples(estimate.value, "estimate.value")
    se = _finite_samples(estimate.standard_error, "estimate.standard_error")
    if se.shape != value.shape or np.any(se < 0):
        raise InvalidParameter(
            f"Got estimate.standard_error of shape {se.shape}, but it must be non-negative with"
            f" the shape {value.shape} of estimate.value."
        )
    target = _finite_samples(expected, "expected")
    try:
        target = np.broadcast_to(target, value.shape)
    except ValueError as error:
        raise InvalidParameter(
            f"Got expected of shape {target.shape}, but it must broadcast to {value.shape}."
        ) from error
    if not isinstance(atol, Real) or isinstance(atol, bool) or not 0.0 <= atol < math.inf:
        raise InvalidParameter(f"Got {atol=}, but atol must be a finite real number >= 0.")
    alpha = _false_alarm_iv(false_alarm_rate)
    count = _n_tests_iv(max(value.size, 1) if n_tests is None else n_tests)
    difference = value - target
    scale = np.sqrt(se * se + float(atol) ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(scale > 0, difference / np.where(scale > 0, scale, 1.0), 0.0)
    z = np.where((scale == 0) & (difference != 0), np.copysign(np.inf, difference), z)
    max_abs = float(np.max(np.abs(z))) if z.size else 0.0
    threshold = z_threshold(alpha, count)
    return ZTestResult(
        z_scores=np.asarray(z, dtype=np.float64),
        max_abs_z=max_abs,
        threshold=threshold,
        passed=bool(max_abs <= threshold),
        false_alarm_rate=alpha,
        n_tests=count,
    )
