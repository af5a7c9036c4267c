r"""C13 (Sec. 3, remark after Prop. 3.4): isotropic Langevin noise.

Monte Carlo: the variance of :math:`\langle\nabla s, \xi\rangle` for isotropic noise
:math:`\xi \sim N(0, T I)` at aligned weights against the derived NTK form
(:mod:`derivations.isotropic`); the check quantity ``isotropic_diffusion``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from derivations.isotropic import isotropic_diffusion, isotropic_langevin_claim
from numerics.montecarlo import Estimate, variance_estimate
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
    "ISOTROPIC_POINTS",
    "QUANTITIES",
    "isotropic_diffusion_comparisons",
    "simulated_isotropic_diffusion",
]


def simulated_isotropic_diffusion(point: Mapping[str, float], rng: np.random.Generator) -> Estimate:
    r""":math:`\mathrm{Var}\langle\nabla s, \xi\rangle` for isotropic noise :math:`\xi \sim N(0, T I)`
    (the convention :math:`d\theta = \dots + \sqrt{T}\,dW_t`), by simulation."""
    teacher, weights = aligned_network({**point, "sigma": 1.0, "sigma_eps": 0.0}, rng)
    directions = [
        np.sqrt(float(point["T"])) * rng.standard_normal((N_SAMPLES, *w.shape)) for w in weights
    ]
    c1 = mode_amplitude_expansion(weights, teacher, directions, order=1)[..., 1, 0]
    return variance_estimate(c1)


ISOTROPIC_DIFFUSION = Quantity(
    "isotropic_diffusion",
    "diffusion of an aligned-balanced mode under isotropic noise sqrt(T) dW (covariance T I)",
    ("s", "L", "T"),
    "C13",
    lambda: {"diffusion": isotropic_diffusion()},
    simulated_isotropic_diffusion,
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
    quantities=("isotropic_diffusion",),
)

CLAIMS = (ISOTROPIC,)
QUANTITIES = (ISOTROPIC_DIFFUSION,)
