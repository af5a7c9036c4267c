r"""Monte Carlo check of claim C14: are balance (A1) and alignment (A2) kept by the SDE?

At aligned-balanced weights with two modes (random orthogonal hidden bases, every width 2,
depths 2-4) the simulator estimates, from the definitions alone (:mod:`numerics.observables`):

- the noise part of the drift of each layer imbalance
  :math:`G_l = W_{l+1}^\top W_{l+1} - W_l W_l^\top`, i.e.
  :math:`\kappa\,\mathbb E[\xi_{l+1}^\top\xi_{l+1} - \xi_l\xi_l^\top]`
  (the :math:`h^2` coefficient of :math:`G_l(\theta + h\xi)`);
- the Itô drift :math:`\kappa\,\mathbb E[C_2^{ab}]` and the diffusion
  :math:`\kappa\operatorname{Var}(C_1^{ab})` of the cross-mode amplitudes
  :math:`s_{ab} = u_a^\top W v_b`, :math:`a \ne b`.

They are compared with the matrices :mod:`derivations.invariance` derives in the hidden
bases :math:`R_l` (read off the weights: :math:`R_l = W_l R_{l-1}\operatorname{diag}(t)^{-1}`,
:math:`R_0 = V`), rotated back: :math:`R_l \operatorname{diag}(\cdot) R_l^\top`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from derivations.invariance import (
    assumption_invariance_claim,
    cross_mode_diffusion,
    cross_mode_drift,
    mode_imbalance_drift,
)
from numerics.montecarlo import Estimate, mean_estimate, variance_estimate
from numerics.network import population_gradient
from numerics.observables import (
    cross_mode_diffusion_samples,
    cross_mode_ito_drift_samples,
    imbalance_drift_samples,
)
from numerics.teacher import random_teacher
from numerics.weights import aligned_balanced_weights
from reports.claims._aligned_point import N_SAMPLES, aligned_network
from reports.engine.claim import Claim, MonteCarlo
from reports.engine.quantity import Quantity
from reports.engine.verdict import Comparison, scaled_estimate

__all__ = [
    "CLAIMS",
    "CROSS_MODE_DIFFUSION",
    "CROSS_MODE_DRIFT",
    "IMBALANCE_DRIFT",
    "INVARIANCE",
    "QUANTITIES",
    "invariance_comparisons",
    "simulated_cross_mode_diffusion",
    "simulated_cross_mode_drift",
    "simulated_imbalance_drift",
]


_N_SAMPLES = 100_000
_WIDTH = 2  # two modes and no spare coordinates: the hidden bases are read off the weights


def _evaluate(expr, values: dict[str, float]) -> float:  # type: ignore[no-untyped-def]
    """Value of a SymPy expression whose symbols are named in ``values``."""
    return float(expr.xreplace({sym: values[sym.name] for sym in expr.free_symbols}))


def _hidden_bases(weights, right: np.ndarray, roots: np.ndarray) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    r""":math:`R_0 = V`, :math:`R_l = W_l R_{l-1}\operatorname{diag}(t)^{-1}`."""
    bases = [right]
    for w in weights:
        bases.append(w @ bases[-1] / roots)
    return bases


def invariance_comparisons(
    rng: np.random.Generator, *, kappa: float = 0.05, sigma_eps: float = 0.3
) -> list[Comparison]:
    r"""C14: imbalance noise drift, cross-mode Itô drift (zero) and cross-mode diffusion."""
    from derivations import invariance
    from derivations.conventions import kappa as kappa_symbol
    from derivations.conventions import sigma_eps as eps_symbol

    comparisons = []
    for depth in (2, 3, 4):
        singular_values = np.array([2.0, 1.0])
        amplitudes = singular_values * rng.uniform(0.2, 0.9, size=_WIDTH)
        teacher = random_teacher(
            singular_values, shape=(_WIDTH, _WIDTH), rng=rng, label_noise=sigma_eps
        )
        weights = aligned_balanced_weights(teacher, amplitudes, (_WIDTH,) * (depth + 1), rng=rng)
        roots = amplitudes ** (1 / depth)
        values = {kappa_symbol.name: kappa, eps_symbol.name: sigma_eps}
        values |= {f"t_{c + 1}": float(roots[c]) for c in range(_WIDTH)}
        values |= {f"sigma_{c + 1}": float(singular_values[c]) for c in range(_WIDTH)}
        params = {
            "L": depth,
            "s": [round(float(v), 4) for v in amplitudes],
            "kappa": kappa,
            "sigma_eps": sigma_eps,
        }

        bases = _hidden_bases(weights, teacher.right_vectors, roots)
        derived = invariance.imbalance_noise_drift(depth=depth, n_coords=_WIDTH)
        samples = imbalance_drift_samples(weights, teacher, n_samples=_N_SAMPLES, rng=rng)
        for l, (matrix, drawn) in enumerate(zip(derived, samples, strict=True), start=1):
            diagonal = np.array([[_evaluate(e, values) for e in row] for row in matrix.tolist()])
            closed = bases[l] @ diagonal @ bases[l].T
            comparisons.append(
                Comparison(
                    params | {"observable": f"imbalance drift G_{l}"},
                    scaled_estimate(mean_estimate(drawn), kappa),
                    closed,
                )
            )

        cross = invariance.cross_mode_dynamics(depth=depth, n_modes=_WIDTH)
        swapped = values | {
            "t_1": values["t_2"],
            "t_2": values["t_1"],
            "sigma_1": values["sigma_2"],
            "sigma_2": values["sigma_1"],
        }
        c2 = cross_mode_ito_drift_samples(weights, teacher, n_samples=_N_SAMPLES, rng=rng)
        c1 = cross_mode_diffusion_samples(weights, teacher, n_samples=_N_SAMPLES, rng=rng)
        for observable, drawn, estimator in (
            ("ito_drift", c2, mean_estimate),
            ("diffusion", c1, variance_estimate),
        ):
            pair = np.stack([drawn[:, 0, 1], drawn[:, 1, 0]], axis=-1)  # s_12, s_21
            closed = [_evaluate(cross[observable], v) for v in (values, swapped)]
            comparisons.append(
                Comparison(
                    params | {"observable": f"cross-mode {observable}"},
                    scaled_estimate(estimator(pair), kappa),
                    closed,
                    labels=(f"cross-mode {observable} s_12", f"cross-mode {observable} s_21"),
                )
            )
    return comparisons


def simulated_cross_mode_diffusion(
    point: Mapping[str, float], rng: np.random.Generator
) -> Estimate:
    r""":math:`\kappa\,\mathrm{Var}\langle\nabla s_{ab}, \xi\rangle` of the cross-mode
    amplitude :math:`s_{ab} = u_a^\top W v_b`, mode :math:`a` = (``s``, ``sigma``), mode
    :math:`b` of amplitude ``s_b``, from simulated per-sample gradients.

    The teacher singular value of mode :math:`b` is drawn from ``rng`` (uniform on
    :math:`[0.5, 2]`) for each estimate: the cross-mode diffusion does not depend on it, and a
    formula that did would fail at some point.
    """
    sigma_b = float(rng.uniform(0.5, 2.0))
    teacher, weights = aligned_network({**point, "sigma_b": sigma_b}, rng)
    samples = cross_mode_diffusion_samples(
        weights, teacher, n_samples=N_SAMPLES, rng=rng, sampler="empirical"
    )[..., 0, 1]
    return scaled_estimate(variance_estimate(samples), float(point["kappa"]))


CROSS_MODE_DIFFUSION = Quantity(
    "cross_mode_diffusion",
    "diffusion of the cross-mode amplitude s_ab = u_a^T W v_b, mode a of amplitude s (teacher "
    "sigma) and mode b of amplitude s_b, aligned-balanced; for free L a closed form, its limit "
    "at s_b = s",
    ("s", "sigma", "s_b", "sigma_eps", "L", "kappa"),
    "C14",
    lambda: {"diffusion": cross_mode_diffusion()},
    simulated_cross_mode_diffusion,
    at_depth=lambda depth: {"diffusion": cross_mode_diffusion(depth)},
)


def _two_mode_network(point: Mapping[str, float], rng: np.random.Generator):  # type: ignore[no-untyped-def]
    """A teacher (sigma, sigma_b) of shape 2 x 2 and aligned-balanced weights (s, s_b) of
    width 2: the two modes and no other direction."""
    depth = int(point["L"])
    singular_values = np.array([float(point["sigma"]), float(point["sigma_b"])])
    amplitudes = np.array([float(point["s"]), float(point["s_b"])])
    teacher = random_teacher(
        singular_values,
        shape=(_WIDTH, _WIDTH),
        rng=rng,
        label_noise=float(point["sigma_eps"]),
    )
    weights = aligned_balanced_weights(teacher, amplitudes, (_WIDTH,) * (depth + 1), rng=rng)
    return teacher, weights, amplitudes ** (1 / depth)


def simulated_imbalance_drift(point: Mapping[str, float], rng: np.random.Generator) -> Estimate:
    r"""Drift of :math:`\sum_{l=1}^{L-1} r_{l}^\top G_l r_{l}`, the end-to-end imbalance
    :math:`a_{L,a}^2 - a_{1,a}^2` of mode :math:`a` (``s``, ``sigma``) in a network of width 2
    with a second mode (``s_b``, ``sigma_b``), :math:`r_l` the hidden direction of mode
    :math:`a` at layer :math:`l` (read off the weights, held fixed).

    From the definition, Itô's formula for the quadratic :math:`G_l`: the gradient part
    :math:`-(\nabla_{l+1}^\top W_{l+1} + W_{l+1}^\top\nabla_{l+1}) + \nabla_l W_l^\top +
    W_l\nabla_l^\top` of the simulator's population gradient (exact), plus the noise part
    :math:`\kappa\,\mathbb E[\xi_{l+1}^\top\xi_{l+1} - \xi_l\xi_l^\top]` from per-sample
    gradients of sampled data (:func:`numerics.observables.imbalance_drift_samples`); the
    standard error is the sampling error of the mean over :data:`N_SAMPLES` draws.
    """
    teacher, weights, roots = _two_mode_network(point, rng)
    bases = _hidden_bases(weights, teacher.right_vectors, roots)
    directions = [bases[l][:, 0] for l in range(1, len(weights))]
    gradients = population_gradient(weights, teacher)
    exact = 0.0
    for l, direction in enumerate(directions, start=1):
        w_up, g_up, w_down, g_down = weights[l], gradients[l], weights[l - 1], gradients[l - 1]
        change = -(g_up.T @ w_up + w_up.T @ g_up) + g_down @ w_down.T + w_down @ g_down.T
        exact += float(direction @ change @ direction)
    samples = imbalance_drift_samples(weights, teacher, n_samples=N_SAMPLES, rng=rng)
    projected = sum(
        np.einsum("i,kij,j->k", direction, drawn, direction)
        for direction, drawn in zip(directions, samples, strict=True)
    )
    noise = scaled_estimate(mean_estimate(projected), float(point["kappa"]))
    return Estimate(exact + float(noise.value), float(noise.standard_error), noise.n_samples)


_TWO_MODES = ("s", "sigma", "s_b", "sigma_b", "sigma_eps", "L", "kappa")


def _drift_quantity(
    name: str,
    description: str,
    derived: Callable[[int | None], Any],
    observable: Callable[[Mapping[str, float], np.random.Generator], Estimate],
    depth_range: tuple[int, int],
) -> Quantity:
    """A C14 drift at a two-mode aligned-balanced point: ``derived()`` for free ``L``,
    ``derived(depth)`` at a depth (the noise part, convention kind ``ito_drift``)."""
    return Quantity(
        name,
        description,
        _TWO_MODES,
        "C14",
        lambda: {"ito_drift": derived(None)},
        observable,
        depth_range=depth_range,
        # derived at a fixed depth from the matrices, at the depths of depth_range only
        deepest_fixed_depth=depth_range[1],
        at_depth=lambda depth: {"ito_drift": derived(depth)},
    )


IMBALANCE_DRIFT = _drift_quantity(
    "imbalance_drift",
    "drift of the end-to-end imbalance a_L^2 - a_1^2 = sum_l (G_l)_aa of mode a (amplitude s, "
    "teacher sigma) with a second mode s_b (teacher sigma_b), aligned-balanced, width 2 (C14); "
    "for free L a closed form valid for s_b != s",
    mode_imbalance_drift,
    simulated_imbalance_drift,
    (2, 5),
)


def simulated_cross_mode_drift(point: Mapping[str, float], rng: np.random.Generator) -> Estimate:
    r"""Drift of the cross-mode amplitude :math:`s_{ab} = u_a^\top W v_b` in a network of
    width 2 at the aligned-balanced point (``s``, ``sigma``), (``s_b``, ``sigma_b``).

    From the definition: the gradient part :math:`-u_a^\top\sum_l A_l\nabla_l B_l\,v_b` of
    the simulator's population gradient (exact), plus the Itô part
    :math:`\kappa\,\mathbb E\,C_2^{ab}` from per-sample gradients of sampled data
    (:func:`numerics.observables.cross_mode_ito_drift_samples`); the standard error is the
    sampling error of that mean over :data:`N_SAMPLES` draws.
    """
    teacher, weights, _ = _two_mode_network(point, rng)
    gradients = population_gradient(weights, teacher)
    left, right = teacher.left_vectors[:, 0], teacher.right_vectors[:, 1]
    velocity = np.zeros((_WIDTH, _WIDTH))
    for l, gradient in enumerate(gradients):
        above = np.eye(_WIDTH)
        for w in weights[l + 1 :]:
            above = w @ above
        below = np.eye(_WIDTH)
        for w in weights[:l]:
            below = w @ below
        velocity -= above @ gradient @ below
    samples = cross_mode_ito_drift_samples(weights, teacher, n_samples=N_SAMPLES, rng=rng)
    noise = scaled_estimate(mean_estimate(samples[:, 0, 1]), float(point["kappa"]))
    exact = float(left @ velocity @ right)
    return Estimate(exact + float(noise.value), float(noise.standard_error), noise.n_samples)


CROSS_MODE_DRIFT = _drift_quantity(
    "cross_mode_drift",
    "drift (gradient plus Itô part) of the cross-mode amplitude s_ab = u_a^T W v_b, mode a of "
    "amplitude s (teacher sigma), mode b of amplitude s_b (teacher sigma_b), aligned-balanced "
    "(C14)",
    cross_mode_drift,
    simulated_cross_mode_drift,
    (1, 6),
)

INVARIANCE = Claim(
    "C14",
    "Are balance (A1) and alignment (A2) invariant under the SDE?",
    "beyond the paper (seed 003)",
    r"\frac{d}{dt}E\bigl[W_{l+1}^\top W_{l+1} - W_l W_l^\top\bigr] = "
    r"\kappa\,E\bigl[\xi_{l+1}^\top\xi_{l+1} - \xi_l\xi_l^\top\bigr] \ne 0",
    assumption_invariance_claim,
    MonteCarlo(
        invariance_comparisons,
        "Two modes, depths 2-4: imbalance noise drift, cross-mode Itô drift and diffusion.",
    ),
    quantities=("cross_mode_diffusion", "cross_mode_drift", "imbalance_drift"),
)

CLAIMS = (INVARIANCE,)
QUANTITIES = (CROSS_MODE_DIFFUSION, CROSS_MODE_DRIFT, IMBALANCE_DRIFT)
