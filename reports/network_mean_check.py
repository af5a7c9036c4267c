r"""The Monte Carlo check of C17: stationary mode means of full networks with label noise.

Ensembles of full networks start at the aligned-balanced teacher point
(:func:`reports.simulation.aligned_init`, a rank-two teacher with Haar-random singular
bases, hidden width 2, :math:`\sigma_\varepsilon = 0.5`) and are stepped by Euler-Maruyama of
the anisotropic Langevin SDE (paper Eq. 1, :math:`\kappa = 0.01`).  Each network's mode
amplitudes :math:`s_a = u_a^\top W v_a` are averaged over :math:`t \in [5, 25]` (records
every 0.1; the slowest relaxation near the teacher has rate :math:`\ge 1`), and the mean of
these time averages over the independent networks, :math:`(\hat m_a - \sigma_a)/\kappa`, is
the estimate; its standard error comes from the spread over networks, so correlation in time
costs nothing in validity.  The same is done at :math:`dt = \kappa` and :math:`dt = \kappa/2`
(fixed :math:`\kappa`, paper App. K) and combined by Richardson extrapolation,
:math:`2\hat m(dt/2) - \hat m(dt)`, which removes the :math:`O(dt)` bias of Euler-Maruyama;
the two runs are independent, so the standard errors add in quadrature.

The closed form compared with is the *derived* first-order shift
(:func:`derivations.network_mean.network_mean_shift` at the same widths and depth, in units
of :math:`\kappa`), not the typed-in statement.  The comparison is with the first order, so
the :math:`O(\kappa^2)` remainder enters it as a bias.  The points keep it small against the
standard error: its size relative to the shift grows like :math:`\kappa K_{aa}`
(:math:`K_{aa} = L\sigma_a^{2-2/L}`), and for the single mode, whose exact law is known
(C10), the exact mean lies 2-4 % (:math:`L = 2`, :math:`\sigma = 1, 2`) and 1-3 %
(:math:`L = 3`, :math:`\sigma = 0.5, 1`) beyond the first order at :math:`\kappa = 0.01`,
under one standard error here.  That is why the depth-3 point uses the teacher
:math:`(1, 0.5)`: at :math:`\sigma = 2` the remainder is 8 %, about two standard errors.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import sympy as sp

from derivations.conventions import kappa, sigma_eps
from derivations.network_mean import network_mean_shift
from numerics.montecarlo import Estimate, mean_estimate
from reports.numeric_checks import Comparison
from reports.simulation import SimulationConfig, aligned_init, seeded_teacher, train

__all__ = [
    "NETWORK_MEAN_POINTS",
    "derived_mean_shifts",
    "network_mean_comparisons",
    "simulated_mean_shifts",
]

#: (depth, input/output width, teacher singular values, networks) of the check.
NETWORK_MEAN_POINTS = ((2, 4, (2.0, 1.0), 2048), (3, 4, (1.0, 0.5), 4096))
#: Hidden width (the teacher's rank), label noise, noise scale.
HIDDEN = 2
LABEL_NOISE = 0.5
KAPPA = 0.01
#: Averaging window and record spacing (time units).
BURN_IN, DURATION, RECORD = 5.0, 25.0, 0.1


def derived_mean_shifts(depth: int, width: int, singular_values: tuple[float, ...]) -> np.ndarray:
    r"""The derived :math:`(E s_a - \sigma_a)/\kappa` of every mode (first order in
    :math:`\kappa`) in a ``width`` :math:`\times` ``width`` network of depth ``depth``, hidden
    width :data:`HIDDEN`, teacher ``singular_values``, label noise :data:`LABEL_NOISE`."""
    derived = network_mean_shift((width, *(HIDDEN,) * (depth - 1), width), len(singular_values))
    at = {
        tau: sp.nsimplify(value) ** sp.Rational(1, depth)
        for tau, value in zip(derived["taus"], singular_values, strict=True)
    }
    at[sigma_eps] = sp.nsimplify(LABEL_NOISE)
    # the mode means are sigma_a + kappa (shift): the shift is the kappa-derivative
    return np.array([float(sp.diff(mean, kappa).subs(at)) for mean in derived["mode_means"]])


@cache
def simulated_mean_shifts(
    depth: int, width: int, singular_values: tuple[float, ...], networks: int, dt: float, seed: int
) -> Estimate:
    r""":math:`(\hat m_a - \sigma_a)/\kappa` with its standard error from ``networks``
    networks stepped at ``dt`` (module docstring); cached, so that a test and the registry
    check with the same seed share one simulation."""
    config = SimulationConfig(
        optimizer="anisotropic",
        depth=depth,
        width=width,
        hidden=HIDDEN,
        singular_values=singular_values,
        label_noise=LABEL_NOISE,
        eta=KAPPA,
        dt=dt,
        duration=DURATION,
        record_every=round(RECORD / dt),
        ensemble=networks,
        seed=seed,
    )
    rng, teacher = seeded_teacher(config)
    start = aligned_init(config, teacher, singular_values, rng)
    trajectory = train(config, start, teacher, rng=rng)
    window = np.asarray(trajectory.times) >= BURN_IN
    averages = np.asarray(trajectory.modes)[window].mean(axis=0)  # (networks, modes)
    shifts = (averages - np.asarray(singular_values)) / KAPPA
    return mean_estimate(shifts, axis=0)


def network_mean_comparisons(rng: np.random.Generator) -> list[Comparison]:
    r"""C17: Richardson-extrapolated mode-mean shifts of full networks
    (:data:`NETWORK_MEAN_POINTS`) against the derived first-order shifts."""
    comparisons = []
    for depth, width, values, networks in NETWORK_MEAN_POINTS:
        seed = int(rng.integers(2**32))
        coarse = simulated_mean_shifts(depth, width, values, networks, KAPPA, seed)
        fine = simulated_mean_shifts(depth, width, values, networks, KAPPA / 2, seed + 1)
        value = 2 * np.asarray(fine.value) - np.asarray(coarse.value)
        error = np.hypot(2 * np.asarray(fine.standard_error), np.asarray(coarse.standard_error))
        params = {
            "L": depth,
            "d": width,
            "hidden": HIDDEN,
            "sigma": values,
            "sigma_eps": LABEL_NOISE,
            "kappa": KAPPA,
            "networks": networks,
            "observable": f"(E s_a - sigma_a)/kappa, time average t in [{BURN_IN:g}, "
            f"{DURATION:g}] (EM, Richardson in dt)",
        }
        comparisons.append(
            Comparison(
                params, Estimate(value, error, networks), derived_mean_shifts(depth, width, values)
            )
        )
    return comparisons
