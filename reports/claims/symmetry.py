r"""C2 (Sec. 3, remark after Prop. 3.1): the GL(h) symmetry of the loss and its critical set.

Exact check (no sampling): the simulator's population loss and gradient under
:math:`W_{l+1}\to W_{l+1}G^{-1}`, :math:`W_l \to GW_l` with a random invertible,
non-orthogonal :math:`G`.
"""

from __future__ import annotations

import numpy as np

from derivations.symmetry import symmetry_claim
from numerics.network import (
    flatten_layers,
    population_gradient,
    population_loss,
)
from reports.claims._random_networks import (
    SHAPES,
    exact_estimate,
    network_parameters,
    random_network,
)
from reports.engine.claim import Claim, MonteCarlo
from reports.engine.quantity import Quantity
from reports.engine.verdict import Comparison

__all__ = [
    "CLAIMS",
    "QUANTITIES",
    "SYMMETRY",
    "symmetry_comparisons",
]


def _random_invertible(size: int, rng: np.random.Generator) -> np.ndarray:
    """A non-orthogonal, well-conditioned matrix: singular values in [0.5, 2], Haar bases."""
    left, _ = np.linalg.qr(rng.standard_normal((size, size)))
    right, _ = np.linalg.qr(rng.standard_normal((size, size)))
    return left @ np.diag(rng.uniform(0.5, 2.0, size)) @ right.T


def symmetry_comparisons(
    rng: np.random.Generator, *, gradient_law: str = "covariant"
) -> list[Comparison]:
    r"""C2: :math:`W_{l+1}\to W_{l+1}G^{-1}`, :math:`W_l \to GW_l` with a random invertible,
    non-orthogonal :math:`G`: the simulator's population loss is unchanged and its gradient
    obeys :math:`\nabla_{l+1} \to \nabla_{l+1}G^\top`, :math:`\nabla_l \to G^{-\top}\nabla_l`
    (other layers unchanged).  ``gradient_law="weights"`` states instead the law of the
    weights themselves (:math:`\nabla_{l+1}G^{-1}`, :math:`G\nabla_l`), which tests show fails.
    """
    comparisons = []
    for widths in SHAPES[1:]:
        teacher, weights = random_network(widths, rng)
        loss, grads = population_loss(weights, teacher), population_gradient(weights, teacher)
        for l in range(len(weights) - 1):  # hidden layer between W_l and W_{l+1} (0-based)
            g = _random_invertible(widths[l + 1], rng)
            g_inv = np.linalg.inv(g)
            moved = list(weights)
            moved[l], moved[l + 1] = g @ weights[l], weights[l + 1] @ g_inv
            predicted = list(grads)
            if gradient_law == "covariant":
                predicted[l], predicted[l + 1] = g_inv.T @ grads[l], grads[l + 1] @ g.T
            else:
                predicted[l], predicted[l + 1] = g @ grads[l], grads[l + 1] @ g_inv
            params = network_parameters(widths, teacher) | {"hidden layer": l + 1}
            comparisons += [
                Comparison(
                    params | {"observable": "loss"},
                    exact_estimate(population_loss(moved, teacher)),
                    loss,
                ),
                Comparison(
                    params | {"observable": "gradient"},
                    exact_estimate(flatten_layers(population_gradient(moved, teacher))),
                    flatten_layers(predicted),
                ),
            ]
    return comparisons


SYMMETRY = Claim(
    "C2",
    "GL(h) symmetry of the loss and of the critical set",
    "Sec. 3, remark after Prop. 3.1",
    r"L(\dots, G W_l, W_{l+1} G^{-1}, \dots) = L(\theta),"
    r"\quad \nabla L(\theta) = 0 \iff \nabla L(\theta_G) = 0",
    symmetry_claim,
    MonteCarlo(
        symmetry_comparisons,
        "Exact loss and gradients of the simulator under a random non-orthogonal G.",
    ),
)

CLAIMS = (SYMMETRY,)
QUANTITIES: tuple[Quantity, ...] = ()
