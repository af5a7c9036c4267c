r"""Batches drawn without replacement from a finite data set: the variance of the batch mean.

A data set of :math:`N` values :math:`g_1, \dots, g_N` (per-sample gradients projected on a
direction, say) and a batch :math:`\mathcal B`, a uniformly random subset of size :math:`B`
(paper App. G).  :func:`batch_mean_variance` measures
:math:`\operatorname{Var}(\bar g_{\mathcal B}) = \mathbb E(\bar g_{\mathcal B} - \bar g)^2`
from the definition: over *every* subset when there are at most ``max_enumerated`` of them
(exact; the mean of :math:`\bar g_{\mathcal B}` over all subsets is :math:`\bar g`), else over
``n_batches`` subsets sampled uniformly (the first :math:`B` of a random permutation), with
the standard error of that mean.  No inclusion probability or closed form enters.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from numpy.typing import ArrayLike

from dlnverify.errors import InvalidParameter
from numerics._validation import check_generator, check_positive_int
from numerics.montecarlo import Estimate, mean_estimate

__all__ = ["ROUNDOFF_ULPS", "batch_mean_variance"]

#: Standard error of an exact enumeration, in machine epsilons times the data's squared scale
#: per value averaged: the round-off of the batch means and their squares.
ROUNDOFF_ULPS = 64


def batch_mean_variance(
    values: ArrayLike,
    batch_size: int,
    *,
    rng: np.random.Generator,
    n_batches: int = 200_000,
    max_enumerated: int = 50_000,
) -> Estimate:
    r""":math:`\mathbb E(\bar g_{\mathcal B} - \bar g)^2` over uniform size-``batch_size``
    subsets of ``values`` (module docstring).

    Parameters
    ----------
    values : array_like, shape (N,)
        The data set, :math:`N \ge 2` finite values.
    batch_size : int
        :math:`1 \le B \le N`.
    rng : numpy.random.Generator
        Source of the sampled subsets (unused when every subset is enumerated).
    n_batches, max_enumerated : int, optional
        Sampled subsets; the largest number of subsets enumerated exactly.

    Returns
    -------
    Estimate
        Exact (standard error: round-off, :data:`ROUNDOFF_ULPS`) or sampled (standard error
        of the mean over the sampled subsets).
    """
    data = np.asarray(values, dtype=float)
    if data.ndim != 1 or data.size < 2 or not np.isfinite(data).all():
        raise InvalidParameter(f"Got values of shape {data.shape}; need N >= 2 finite values.")
    size = check_positive_int("batch_size", batch_size)
    if size > data.size:
        raise InvalidParameter(f"Got batch_size={size} > N={data.size} values.")
    rng = check_generator(rng)
    centre = data.mean()
    count = math.comb(data.size, size)
    if count <= max_enumerated:
        subsets = np.array(list(itertools.combinations(range(data.size), size)))
        deviations = data[subsets].mean(axis=1) - centre
        value = float(np.mean(deviations**2))
        scale = float(np.mean((data - centre) ** 2)) + float(np.finfo(float).tiny)
        return Estimate(value, ROUNDOFF_ULPS * float(np.finfo(float).eps) * scale, count)
    draws = check_positive_int("n_batches", n_batches)
    subsets = np.argsort(rng.random((draws, data.size)), axis=1)[:, :size]
    deviations = data[subsets].mean(axis=1) - centre
    return mean_estimate(deviations**2)
