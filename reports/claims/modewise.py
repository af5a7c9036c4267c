r"""C5 (Prop. 3.3, App. C) and C6 (Prop. 3.4, App. D): the modewise SDE at general weights.

Monte Carlo at random (non-aligned) networks: the covariance of the first-order coefficients
:math:`c_1^a = \langle\nabla s_a, \xi\rangle` against :math:`\kappa\langle J_a, \Sigma J_b\rangle`
(C5), and the mean of the second-order coefficients against the contraction of the mixed
Hessian blocks with the C3 covariance (C6).
"""

from __future__ import annotations

import numpy as np

from derivations.modewise import modewise_diffusion_claim, modewise_drift_claim
from numerics.montecarlo import covariance_estimate, mean_estimate
from numerics.network import (
    flatten_layers,
    network_widths,
    partial_products,
)
from numerics.observables import ito_drift_samples, modewise_diffusion_samples
from numerics.teacher import Teacher
from reports.claims._random_networks import (
    N_SAMPLES,
    SHAPES,
    closed_form_covariance,
    network_parameters,
    random_network,
)
from reports.engine.claim import Claim, MonteCarlo
from reports.engine.quantity import Quantity
from reports.engine.verdict import Comparison, scaled_estimate

__all__ = [
    "CLAIMS",
    "MODEWISE_DIFFUSION",
    "MODEWISE_DRIFT",
    "QUANTITIES",
    "ito_drift_comparison",
    "ito_drift_comparisons",
    "modewise_diffusion_comparison",
    "modewise_diffusion_comparisons",
]


def _modewise_jacobians(weights, teacher: Teacher) -> np.ndarray:
    r"""Rows: vec of :math:`A_l^\top u_a v_a^\top B_l^\top` stacked over layers, per mode."""
    A, B = partial_products(weights)
    rows = []
    for a in range(teacher.rank):
        u, v = teacher.left_vectors[:, a], teacher.right_vectors[:, a]
        rows.append(
            flatten_layers([np.outer(Al.T @ u, Bl @ v) for Al, Bl in zip(A, B, strict=True)])
        )
    return np.array(rows)


def modewise_diffusion_comparison(
    weights, teacher: Teacher, *, kappa: float, rng: np.random.Generator, n_samples: int
) -> Comparison:
    r"""C5 at one network: :math:`\kappa\,\mathrm{Cov}(c_1^a, c_1^b)` vs
    :math:`\kappa\,\langle J_a, \Sigma J_b\rangle`, every pair of teacher modes.

    :math:`c_1^a = \langle\nabla s_a, \xi\rangle` is the first-order coefficient of
    :math:`s_a(\theta + h\xi)` along ``n_samples`` simulated draws of the one-sample gradient
    noise :math:`\xi`; :math:`J_a = \nabla s_a` (rows :math:`A_l^\top u_a v_a^\top B_l^\top`)
    and :math:`\Sigma` the Kronecker closed form of C3.  An :math:`r \times r` comparison
    (diagonal: modewise diffusion, off-diagonal: cross-mode diffusion).
    """
    samples = modewise_diffusion_samples(weights, teacher, n_samples=n_samples, rng=rng)
    J = _modewise_jacobians(weights, teacher)
    closed = kappa * J @ closed_form_covariance(weights, teacher) @ J.T
    scaled = scaled_estimate(covariance_estimate(samples), kappa)
    params = network_parameters(network_widths(weights), teacher) | {"kappa": kappa}
    return Comparison(params, scaled, closed)


def modewise_diffusion_comparisons(
    rng: np.random.Generator, *, kappa: float = 0.05
) -> list[Comparison]:
    r"""C5 at random (non-aligned) weights of every shape in ``SHAPES``
    (:func:`modewise_diffusion_comparison`)."""
    comparisons = []
    for widths in SHAPES:
        teacher, weights = random_network(widths, rng)
        comparisons.append(
            modewise_diffusion_comparison(
                weights, teacher, kappa=kappa, rng=rng, n_samples=N_SAMPLES
            )
        )
    return comparisons


def _ito_closed_form(weights, teacher: Teacher, sigma: np.ndarray) -> np.ndarray:
    r""":math:`\tfrac12\sum_{l\ne k}\langle H_{lk}, \Sigma_{lk}\rangle` per mode, with the
    mixed Hessian blocks of :math:`s_a` as bilinear forms (Prop. 3.4, App. D, Eq. 25)."""
    widths = network_widths(weights)
    depth = len(weights)
    A, B = partial_products(weights)
    sizes = [widths[l] * widths[l + 1] for l in range(depth)]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    drifts = []
    for a in range(teacher.rank):
        u, v = teacher.left_vectors[:, a], teacher.right_vectors[:, a]
        total = 0.0
        for l in range(depth):  # lower layer (0-based)
            for k in range(l + 1, depth):  # upper layer
                middle = np.eye(widths[l + 1])
                for j in range(l + 1, k):
                    middle = weights[j] @ middle
                block = sigma[offsets[k] : offsets[k + 1], offsets[l] : offsets[l + 1]]
                # column-major vec: entry (i, j) of layer k sits at i + j * h_k
                block4 = block.reshape(widths[k], widths[k + 1], widths[l], widths[l + 1])
                total += np.einsum("i,jp,q,jiqp->", A[k].T @ u, middle, B[l] @ v, block4)
        drifts.append(total)
    return np.array(drifts)


def ito_drift_comparison(
    weights, teacher: Teacher, *, kappa: float, rng: np.random.Generator, n_samples: int
) -> Comparison:
    r"""C6 at one network: :math:`\kappa\,E[c_2^a]` vs
    :math:`\tfrac12\kappa\sum_{l\ne k}\langle H_{lk}, \Sigma_{lk}\rangle`, every teacher mode.

    :math:`c_2^a = \tfrac12\xi^\top\nabla^2 s_a\,\xi` is the second-order coefficient of
    :math:`s_a(\theta + h\xi)` along ``n_samples`` simulated draws of the gradient noise; the
    closed form contracts the mixed Hessian blocks :math:`H_{lk}` of :math:`s_a` with the
    blocks :math:`\Sigma_{lk}` of the C3 closed form (Prop. 3.4, App. D).
    """
    samples = ito_drift_samples(weights, teacher, n_samples=n_samples, rng=rng)
    closed = kappa * _ito_closed_form(weights, teacher, closed_form_covariance(weights, teacher))
    scaled = scaled_estimate(mean_estimate(samples), kappa)
    params = network_parameters(network_widths(weights), teacher) | {"kappa": kappa}
    return Comparison(params, scaled, closed)


def ito_drift_comparisons(rng: np.random.Generator, *, kappa: float = 0.05) -> list[Comparison]:
    r"""C6 at random (non-aligned) weights of every shape in ``SHAPES``
    (:func:`ito_drift_comparison`)."""
    comparisons = []
    for widths in SHAPES:
        teacher, weights = random_network(widths, rng)
        comparisons.append(
            ito_drift_comparison(weights, teacher, kappa=kappa, rng=rng, n_samples=N_SAMPLES)
        )
    return comparisons


MODEWISE_DIFFUSION = Claim(
    "C5",
    "Modewise Jacobian, mode and cross-mode diffusion, NTK form",
    "Prop. 3.3, App. C",
    r"\nabla_{W_l} s_a = A_l^\top u_a v_a^\top B_l^\top,\qquad "
    r"D_{ab} = \kappa \langle J_a, \Sigma J_b\rangle",
    modewise_diffusion_claim,
    MonteCarlo(modewise_diffusion_comparisons, "Modes and cross-modes at random weights."),
)
MODEWISE_DRIFT = Claim(
    "C6",
    "General modewise SDE: gradient drift and Itô drift",
    "Prop. 3.4, App. D",
    r"ds_a = \Bigl(\langle \nabla s_a, -\nabla L\rangle + \tfrac12\kappa\sum_{l\ne k}"
    r"\langle H_{lk}, \Sigma_{lk}\rangle\Bigr)dt + \sqrt{D_{aa}}\,dW_t",
    modewise_drift_claim,
    MonteCarlo(ito_drift_comparisons, "Itô drift at random (non-aligned) weights."),
)

CLAIMS = (MODEWISE_DIFFUSION, MODEWISE_DRIFT)
QUANTITIES: tuple[Quantity, ...] = ()
