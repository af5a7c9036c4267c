r"""Random networks at which the general-weight claims (C1, C3-C6) are checked.

Depth 1-3, rectangular, hidden layers wider and narrower than the input; a teacher with
singular values drawn in :math:`[0.5, 2]` and isotropic label noise; weights
:math:`N(0, 1)` entries.  The closed form of the noise covariance evaluated here is the C3
statement proven by :mod:`derivations.noise_covariance`.
"""

from __future__ import annotations

import numpy as np

from derivations.noise_covariance import noise_covariance_closed_form_numeric
from numerics.montecarlo import Estimate
from numerics.teacher import Teacher, random_teacher
from numerics.weights import random_weights

__all__ = [
    "EXACT_ROUNDOFF",
    "N_SAMPLES",
    "SHAPES",
    "closed_form_covariance",
    "exact_estimate",
    "network_parameters",
    "random_network",
]


#: Networks (widths h_0..h_L) at which the general claims are checked: depth 1-3,
#: rectangular, hidden wider and narrower than the input.
SHAPES = ((3, 2), (2, 3, 2), (3, 2, 4, 2))

#: Samples (data points or noise draws) behind each Monte Carlo estimate.
N_SAMPLES = 100_000


def random_network(widths, rng: np.random.Generator, *, label_noise: float = 0.3):
    """A teacher of shape ``(h_L, h_0)`` (singular values uniform on [0.5, 2], Haar bases,
    isotropic label noise) and weights with :math:`N(0, 1)` entries of the given widths."""
    n, m = widths[0], widths[-1]
    rank = min(n, m)
    singular_values = np.sort(rng.uniform(0.5, 2.0, size=rank))[::-1]
    teacher = random_teacher(singular_values, shape=(m, n), rng=rng, label_noise=label_noise)
    weights = random_weights(widths, rng=rng, scale=1.0)
    return teacher, weights


def closed_form_covariance(weights, teacher: Teacher) -> np.ndarray:
    return noise_covariance_closed_form_numeric(weights, teacher.matrix, teacher.label_noise_cov)


def network_parameters(widths, teacher: Teacher) -> dict:
    return {
        "widths": list(widths),
        "singular_values": [round(float(v), 4) for v in teacher.singular_values],
    }


#: Relative round-off allowance of exact (sample-free) evaluations.
EXACT_ROUNDOFF = 1e-9


def exact_estimate(value) -> Estimate:  # type: ignore[no-untyped-def]
    """An exact evaluation as an :class:`Estimate` whose standard error is round-off."""
    value = np.asarray(value, dtype=float)
    return Estimate(value, EXACT_ROUNDOFF * (np.abs(value) + 1.0), 0)
