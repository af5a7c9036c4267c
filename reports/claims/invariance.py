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

from collections.abc import Mapping

import numpy as np

from derivations.invariance import assumption_invariance_claim, cross_mode_diffusion
from numerics.montecarlo import Estimate, mean_estimate, variance_estimate
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
    "INVARIANCE",
    "QUANTITIES",
    "invariance_comparisons",
    "simulated_cross_mode_diffusion",
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
    quantities=("cross_mode_diffusion",),
)

CLAIMS = (INVARIANCE,)
QUANTITIES = (CROSS_MODE_DIFFUSION,)
