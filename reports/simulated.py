r"""Monte Carlo observables of the ``check`` quantities at a parameter point.

The scalar quantities of the theory (DESIGN.md §7) live on the aligned-balanced manifold:
one mode of amplitude ``s`` of a teacher with singular value ``sigma``, depth ``L``, label
noise ``sigma_eps``.  This module builds that network in the simulator (random orthogonal
bases, a small width so that the other directions carry amplitude 0) and estimates each
quantity by simulating its definition (:mod:`numerics.observables`): no closed form enters.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from numerics.montecarlo import Estimate, mean_estimate, variance_estimate
from numerics.observables import gradient_drift, ito_drift_samples, modewise_diffusion_samples
from numerics.teacher import random_teacher
from numerics.weights import aligned_balanced_weights

__all__ = [
    "N_SAMPLES",
    "simulated_diffusion",
    "simulated_drift",
    "simulated_gradient_drift",
    "simulated_ito_drift",
]

#: Samples per Monte Carlo estimate.  The relative standard error of a variance estimate of
#: these (kurtosis-15) samples is about sqrt(14 / n): 0.84 % at 2e5, so a formula off by a
#: factor 1.1 lies about 12 standard errors away.
N_SAMPLES = 200_000
#: Width of every layer of the simulated network: the mode plus one direction of amplitude 0.
_WIDTH = 2
#: Floating-point round-off allowance (relative) for the exact, sample-free gradient drift.
_ROUNDOFF = 1e-10


def _network(point: Mapping[str, float], rng: np.random.Generator):
    depth = int(point["L"])
    teacher = random_teacher(
        [float(point["sigma"])],
        shape=(_WIDTH, _WIDTH),
        rng=rng,
        label_noise=float(point.get("sigma_eps", 0.0)),
    )
    weights = aligned_balanced_weights(
        teacher, [float(point["s"])], (_WIDTH,) * (depth + 1), rng=rng
    )
    return teacher, weights


def _scaled(estimate: Estimate, factor: float) -> Estimate:
    return Estimate(
        np.asarray(estimate.value) * factor,
        np.asarray(estimate.standard_error) * abs(factor),
        estimate.n_samples,
    )


def simulated_diffusion(point: Mapping[str, float], rng: np.random.Generator) -> Estimate:
    r""":math:`\kappa\,\mathrm{Var}\langle\nabla s, \xi\rangle` from simulated per-sample gradients."""
    teacher, weights = _network(point, rng)
    samples = modewise_diffusion_samples(
        weights, teacher, n_samples=N_SAMPLES, rng=rng, sampler="empirical"
    )[..., 0]
    return _scaled(variance_estimate(samples), float(point["kappa"]))


def simulated_ito_drift(point: Mapping[str, float], rng: np.random.Generator) -> Estimate:
    r""":math:`\kappa\,E[c_2]`, :math:`c_2` the second-order coefficient of :math:`s(\theta + h\xi)`."""
    teacher, weights = _network(point, rng)
    samples = ito_drift_samples(
        weights, teacher, n_samples=N_SAMPLES, rng=rng, sampler="empirical"
    )[..., 0]
    return _scaled(mean_estimate(samples), float(point["kappa"]))


def simulated_gradient_drift(point: Mapping[str, float], rng: np.random.Generator) -> Estimate:
    r""":math:`-\langle \nabla s, \nabla L\rangle`, exact (no sampling; SE = round-off)."""
    teacher, weights = _network(point, rng)
    value = float(gradient_drift(weights, teacher)[0])
    return Estimate(value, _ROUNDOFF * (abs(value) + 1.0), 0)


def simulated_drift(point: Mapping[str, float], rng: np.random.Generator) -> Estimate:
    """Gradient drift plus Itô drift."""
    gradient = simulated_gradient_drift(point, rng)
    ito = simulated_ito_drift(point, rng)
    return Estimate(
        float(gradient.value) + float(ito.value),
        float(np.hypot(gradient.standard_error, ito.standard_error)),
        ito.n_samples,
    )
