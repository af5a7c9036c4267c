r"""C1 (Prop. 3.1): the Jacobian of the end-to-end map and the population gradient.

Monte Carlo: the mean of simulated per-sample gradients at random networks
(:mod:`reports.claims._random_networks`) against the derived :math:`-A_l^\top\Delta B_l^\top`.
"""

from __future__ import annotations

import numpy as np

from derivations.gradient import population_gradient_claim
from numerics.montecarlo import mean_estimate
from numerics.network import (
    flatten_layers,
    partial_products,
    per_sample_gradients,
)
from reports.claims._random_networks import (
    N_SAMPLES,
    SHAPES,
    network_parameters,
    random_network,
)
from reports.engine.claim import Claim, MonteCarlo
from reports.engine.quantity import Quantity
from reports.engine.verdict import Comparison

__all__ = [
    "CLAIMS",
    "GRADIENT",
    "QUANTITIES",
    "gradient_comparisons",
]


def gradient_comparisons(rng: np.random.Generator) -> list[Comparison]:
    r"""C1: mean of simulated per-sample gradients vs :math:`-A_l^\top\Delta B_l^\top`."""
    comparisons = []
    for widths in SHAPES:
        teacher, weights = random_network(widths, rng)
        x = rng.standard_normal((N_SAMPLES, teacher.n))
        y = (
            x @ teacher.matrix.T
            + rng.standard_normal((N_SAMPLES, teacher.m)) @ teacher.label_noise_sqrt
        )
        grads = flatten_layers(per_sample_gradients(weights, x, y))
        A, B = partial_products(weights)
        W = A[0] @ weights[0]
        delta = teacher.matrix - W
        closed = flatten_layers([-a.T @ delta @ b.T for a, b in zip(A, B, strict=True)])
        comparisons.append(
            Comparison(network_parameters(widths, teacher), mean_estimate(grads), closed)
        )
    return comparisons


GRADIENT = Claim(
    "C1",
    "Gradient structure: Jacobian and population gradient",
    "Prop. 3.1",
    r"\frac{\partial \operatorname{vec} W}{\partial \operatorname{vec} W_l} = B_l^\top \otimes A_l,"
    r"\qquad \nabla_{W_l} L = -A_l^\top \Delta B_l^\top",
    population_gradient_claim,
    MonteCarlo(gradient_comparisons, "Mean of simulated per-sample gradients."),
)

CLAIMS = (GRADIENT,)
QUANTITIES: tuple[Quantity, ...] = ()
