r"""C3 (Prop. 3.2, App. B): the gradient-noise covariance, Wick/Isserlis with the commutation matrix.

Monte Carlo: the empirical covariance of simulated one-sample gradient noise at random
networks against the derived Kronecker closed form, every entry of every block.
"""

from __future__ import annotations

import numpy as np

from derivations.noise_covariance import noise_covariance_claim
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
    "CLAIMS",
    "NOISE_COVARIANCE",
    "QUANTITIES",
    "noise_covariance_comparisons",
]


def noise_covariance_comparisons(rng: np.random.Generator) -> list[Comparison]:
    r"""C3: empirical covariance of simulated gradient noise vs the Kronecker closed form."""
    comparisons = []
    for widths in SHAPES:
        teacher, weights = random_network(widths, rng)
        noise = flatten_layers(empirical_gradient_noise(weights, teacher, N_SAMPLES, rng=rng))
        comparisons.append(
            Comparison(
                network_parameters(widths, teacher),
                covariance_estimate(noise),
                closed_form_covariance(weights, teacher),
            )
        )
    return comparisons


NOISE_COVARIANCE = Claim(
    "C3",
    "Gradient-noise covariance (Wick/Isserlis, commutation matrix)",
    "Prop. 3.2, App. B",
    r"\Sigma_{lk} = (B_l B_k^\top) \otimes \bigl(A_l^\top (\Delta\Delta^\top + \Sigma_\varepsilon) A_k\bigr)"
    r" + \bigl((B_l \Delta^\top A_k) \otimes (A_l^\top \Delta B_k^\top)\bigr) K",
    noise_covariance_claim,
    MonteCarlo(noise_covariance_comparisons, "Every entry of every block."),
)

CLAIMS = (NOISE_COVARIANCE,)
QUANTITIES: tuple[Quantity, ...] = ()
