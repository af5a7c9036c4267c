r"""A network at a point of the aligned-balanced manifold, for the check quantities.

The scalar quantities of the theory (DESIGN.md §7) live on the aligned-balanced manifold:
one mode of amplitude ``s`` of a teacher with singular value ``sigma`` (and, for
``two_mode_ito_drift``, ``two_mode_drift`` and ``cross_mode_diffusion``, a second mode
``s_b`` of singular value ``sigma_b``), depth ``L``, label noise ``sigma_eps``.  This module
builds that network in the simulator (random orthogonal bases, a small width so that the
other directions carry amplitude 0); each claim module estimates its quantities of the
first mode from it by simulating their definitions (:mod:`numerics.observables`): no closed
form enters.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from numerics.teacher import random_teacher
from numerics.weights import aligned_balanced_weights

__all__ = [
    "EXACT_ROUNDOFF",
    "N_SAMPLES",
    "aligned_network",
    "mode_samples",
]


#: Samples per Monte Carlo estimate.  The relative standard error of a variance estimate of
#: these (kurtosis-15) samples is about sqrt(14 / n): 0.84 % at 2e5, so a formula off by a
#: factor 1.1 lies about 12 standard errors away.
N_SAMPLES = 200_000


#: Floating-point round-off allowance (relative) for the exact, sample-free gradient drift.
EXACT_ROUNDOFF = 1e-10


def aligned_network(point: Mapping[str, float], rng: np.random.Generator):
    """Teacher and aligned-balanced weights at ``point``: mode ``s``/``sigma`` first, then
    ``s_b``/``sigma_b`` if the point has them; every layer as wide as the modes plus one
    direction of amplitude 0."""
    names = [("s", "sigma"), ("s_b", "sigma_b")] if "sigma_b" in point else [("s", "sigma")]
    width = len(names) + 1
    teacher = random_teacher(
        [float(point[value]) for _, value in names],
        shape=(width, width),
        rng=rng,
        label_noise=float(point.get("sigma_eps", 0.0)),
    )
    amplitudes = [float(point[amplitude]) for amplitude, _ in names]
    weights = aligned_balanced_weights(
        teacher, amplitudes, (width,) * (int(point["L"]) + 1), rng=rng
    )
    return teacher, weights


def mode_samples(point: Mapping[str, float], rng: np.random.Generator, samples) -> np.ndarray:
    """Samples of one observable of mode 0 at ``point``, simulated from the data (empirical)."""
    teacher, weights = aligned_network(point, rng)
    return samples(weights, teacher, n_samples=N_SAMPLES, rng=rng, sampler="empirical")[..., 0]
