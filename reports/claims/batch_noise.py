r"""C4 (App. A, App. G): the covariance of batch noise, online and without replacement.

Monte Carlo: the covariance of online batch means of simulated gradient noise against
:math:`\Sigma / B`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from derivations.batch_noise import batch_noise_claim, finite_population_factor
from numerics.batches import batch_mean_variance
from numerics.data import sample_data
from numerics.montecarlo import Estimate, covariance_estimate
from numerics.network import (
    flatten_layers,
    per_sample_gradients,
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
    "simulated_batch_noise_factor",
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


def simulated_batch_noise_factor(point: Mapping[str, float], rng: np.random.Generator) -> Estimate:
    r"""The ``batch_noise_factor`` observable: :math:`\operatorname{Var}(\bar g_{\mathcal B})
    / S` for batches of ``B`` drawn without replacement from ``N`` data points.

    The data are the per-sample gradients of ``N`` sampled points at a random network
    (:data:`SHAPES`\ ``[1]``), projected on a random unit direction: values
    :math:`g_n` with their empirical variance :math:`S = \frac1N\sum_n (g_n - \bar g)^2`
    (computed); the variance of the batch mean over every batch (or 200 000 sampled ones,
    :func:`numerics.batches.batch_mean_variance`) divided by :math:`S`.
    """
    size, points = int(point["B"]), int(point["N"])
    teacher, weights = random_network(SHAPES[1], rng)
    x, y = sample_data(teacher, points, rng=rng)
    gradients = flatten_layers(per_sample_gradients(weights, x, y))
    direction = rng.standard_normal(gradients.shape[-1])
    values = gradients @ (direction / np.linalg.norm(direction))
    spread = float(np.mean((values - values.mean()) ** 2))
    variance = batch_mean_variance(values, size, rng=rng)
    return Estimate(
        float(variance.value) / spread, float(variance.standard_error) / spread, variance.n_samples
    )


BATCH_NOISE = Claim(
    "C4",
    "Batch noise: online Sigma/B; finite-population factor without replacement",
    "App. A, App. G",
    r"\operatorname{Cov}(\bar\xi_B) = \frac{\Sigma}{B},\qquad "
    r"\operatorname{Cov}(\bar\xi_B) = \frac{N-B}{B(N-1)}\,\hat\Sigma_N",
    batch_noise_claim,
    MonteCarlo(batch_covariance_comparisons, "Online batches (B = 4) of simulated data."),
    quantities=("batch_noise_factor",),
)


def _batch_within_data(point: Mapping[str, float]) -> bool:
    return bool(point["N"] >= 2 and point["B"] <= point["N"])


BATCH_NOISE_FACTOR = Quantity(
    "batch_noise_factor",
    "factor c in Cov(batch mean) = c S for batches of B drawn without replacement from N data "
    "points, S their empirical covariance normalised by 1/N (App. G, Eq. 32)",
    ("B", "N"),
    "C4",
    lambda: {"factor": finite_population_factor()},
    simulated_batch_noise_factor,
    constraint=_batch_within_data,
    domain="B <= N",
)

CLAIMS = (BATCH_NOISE,)
QUANTITIES = (BATCH_NOISE_FACTOR,)
