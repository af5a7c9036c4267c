r"""C13 (Sec. 3, remark after Prop. 3.4): isotropic Langevin noise.

Monte Carlo: the variance of :math:`\langle\nabla s, \xi\rangle` for isotropic noise
:math:`\xi \sim N(0, T I)` at aligned weights against the derived NTK form
(:mod:`derivations.isotropic`); the check quantity ``isotropic_diffusion``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from derivations.isotropic import (
    isotropic_diffusion,
    isotropic_ito_drift,
    isotropic_langevin_claim,
)
from numerics.montecarlo import Estimate, mean_estimate, variance_estimate
from numerics.observables import (
    mode_amplitude_expansion,
)
from reports.claims._aligned_point import N_SAMPLES, aligned_network
from reports.engine.claim import Claim, MonteCarlo
from reports.engine.quantity import Quantity, quantity_comparisons
from reports.engine.verdict import Comparison

__all__ = [
    "CLAIMS",
    "ISOTROPIC",
    "ISOTROPIC_DIFFUSION",
    "ISOTROPIC_ITO_DRIFT",
    "ISOTROPIC_POINTS",
    "QUANTITIES",
    "isotropic_diffusion_comparisons",
    "simulated_isotropic_diffusion",
    "simulated_isotropic_ito_drift",
]


def _isotropic_coefficient(
    point: Mapping[str, float], rng: np.random.Generator, order: int
) -> np.ndarray:
    r"""Samples of the :math:`h^{\text{order}}` coefficient of :math:`s(\theta + h\xi)` at the
    aligned-balanced point, :math:`\xi \sim N(0, TI)` (:data:`N_SAMPLES` draws)."""
    teacher, weights = aligned_network({**point, "sigma": 1.0, "sigma_eps": 0.0}, rng)
    directions = [
        np.sqrt(float(point["T"])) * rng.standard_normal((N_SAMPLES, *w.shape)) for w in weights
    ]
    return mode_amplitude_expansion(weights, teacher, directions, order=order)[..., order, 0]


def simulated_isotropic_diffusion(point: Mapping[str, float], rng: np.random.Generator) -> Estimate:
    r""":math:`\mathrm{Var}\langle\nabla s, \xi\rangle` for isotropic noise :math:`\xi \sim N(0, T I)`
    (the convention :math:`d\theta = \dots + \sqrt{T}\,dW_t`), by simulation."""
    return variance_estimate(_isotropic_coefficient(point, rng, 1))


ISOTROPIC_DIFFUSION = Quantity(
    "isotropic_diffusion",
    "diffusion of an aligned-balanced mode under isotropic noise sqrt(T) dW (covariance T I)",
    ("s", "L", "T"),
    "C13",
    lambda: {"diffusion": isotropic_diffusion()},
    simulated_isotropic_diffusion,
)


def simulated_isotropic_ito_drift(point: Mapping[str, float], rng: np.random.Generator) -> Estimate:
    r"""The Itô drift of an aligned-balanced mode under isotropic noise :math:`\sqrt T\,dW`:
    the mean of :math:`C_2`, the :math:`h^2` coefficient of :math:`s(\theta + h\xi)` for
    :math:`\xi \sim N(0, TI)` (Itô's formula: :math:`\tfrac12\mathbb E\,\xi^\top H\xi`), by
    simulation, with the standard error of that mean over :data:`N_SAMPLES` draws."""
    return mean_estimate(_isotropic_coefficient(point, rng, 2))


ISOTROPIC_ITO_DRIFT = Quantity(
    "isotropic_ito_drift",
    "Itô drift (T/2) tr of the Hessian of an aligned-balanced mode under isotropic noise "
    "sqrt(T) dW (covariance T I)",
    ("s", "L", "T"),
    "C13",
    lambda: {"ito_drift": isotropic_ito_drift()},
    simulated_isotropic_ito_drift,
    # derived at a fixed depth from the Hessian of a width-2 network, costly past depth 6
    deepest_fixed_depth=6,
    at_depth=lambda depth: {"ito_drift": isotropic_ito_drift(depth)},
)

#: Points at which the derived isotropic diffusion is held against the simulated one.
ISOTROPIC_POINTS = (
    {"s": 0.5, "L": 1, "T": 0.1},
    {"s": 0.3, "L": 2, "T": 0.05},
    {"s": 1.2, "L": 4, "T": 0.2},
)


def isotropic_diffusion_comparisons(rng: np.random.Generator) -> list[Comparison]:
    """The derived isotropic diffusion against the simulated one at :data:`ISOTROPIC_POINTS`."""
    return quantity_comparisons(ISOTROPIC_DIFFUSION, ISOTROPIC_POINTS, rng)


ISOTROPIC = Claim(
    "C13",
    "Isotropic Langevin: modewise diffusion through the NTK, zero Itô drift",
    "Sec. 3, remark after Prop. 3.4",
    r"D_a = T\sum_l \|A_l^\top u_a\|^2 \|B_l v_a\|^2,\qquad "
    r"\tfrac{T}{2}\operatorname{tr} \nabla^2 s_a = 0",
    isotropic_langevin_claim,
    MonteCarlo(
        isotropic_diffusion_comparisons,
        "Variance of <grad s, xi> for isotropic noise xi ~ N(0, T I) at aligned weights.",
    ),
    quantities=("isotropic_diffusion", "isotropic_ito_drift"),
)

CLAIMS = (ISOTROPIC,)
QUANTITIES = (ISOTROPIC_DIFFUSION, ISOTROPIC_ITO_DRIFT)
