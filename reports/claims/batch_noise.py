r"""C4 (App. A, App. G): the covariance of batch noise, online and without replacement.

Monte Carlo: the covariance of online batch means of simulated gradient noise against
:math:`\Sigma / B`.
"""

from __future__ import annotations

import numpy as np

from derivations.batch_noise import batch_noise_claim
from numerics.montecarlo import covariance_estimate
from numerics.network import (
    flatten_layers,
)
from numerics.noise import empirical_gradient_noise
from reports.claims._random_networks import (
    N_SAMPLES,
    SHAPES,
    closed_form_covariance,
    network_parameters,
    random_network,
)
from reports.engine.claim import Claim, MonteCarlo
from reports.engine.quantity import Quantity
from reports.engine.verdict import Comparison

__all__ = [
    "BATCH_NOISE",
    "CLAIMS",
    "QUANTITIES",
    "batch_covariance_comparisons",
]


def batch_covariance_comparisons(
    rng: np.random.Generator, *, batch_size: int = 4
) -> list[Comparison]:
    r"""C4: covariance of the online batch-mean gradient noise vs :math:`\Sigma / B`."""
    comparisons = []
    for widths in SHAPES[:2]:
        teacher, weights = random_network(widths, rng)
        n_batches = N_SAMPLES // 2
        noise = flatten_layers(
            empirical_gradient_noise(weights, teacher, n_batches * batch_size, rng=rng)
        )
        batch_means = noise.reshape(n_batches, batch_size, -1).mean(axis=1)
        closed = closed_form_covariance(weights, teacher) / batch_size
        params = network_parameters(widths, teacher) | {"B": batch_size}
        comparisons.append(Comparison(params, covariance_estimate(batch_means), closed))
    return comparisons


BATCH_NOISE = Claim(
    "C4",
    "Batch noise: online Sigma/B; finite-population factor without replacement",
    "App. A, App. G",
    r"\operatorname{Cov}(\bar\xi_B) = \frac{\Sigma}{B},\qquad "
    r"\operatorname{Cov}(\bar\xi_B) = \frac{N-B}{B(N-1)}\,\hat\Sigma_N",
    batch_noise_claim,
    MonteCarlo(batch_covariance_comparisons, "Online batches (B = 4) of simulated data."),
)

CLAIMS = (BATCH_NOISE,)
QUANTITIES: tuple[Quantity, ...] = ()
