r"""The Monte Carlo check of C16: full networks without label noise against the exact
collapse rate of their linearised row.

For a rank-one teacher and input width :math:`d = 2` the gap's row of :math:`\Delta` has two
entries, the gap (rate :math:`K_1 = L\sigma^{2-2/L}`) and one entry towards the input null
direction (rate :math:`K_2 = \sigma^{2-2/L}`).  Its direction is one angle :math:`\varphi`
with the derived SDE of :func:`derivations.row_collapse.two_entry_angular_sde`; the
stationary law on :math:`[0, \pi/2]` has zero current,
:math:`p \propto D^{-1}\exp\int 2\mu/D`, and the collapse rate of the linearised network is
exactly :math:`\lambda = -E_p\,Q` (Khasminskii), a quadrature
(:func:`two_entry_collapse_rate`).  No :math:`O(\kappa^2)` truncation enters the
comparison: the full network (:func:`reports.experiments.collapse.collapse_experiment`,
Euler-Maruyama at :math:`dt` and :math:`dt/2` on one Brownian path per network, Richardson
per network) is compared with this exact rate within its standard error, the standard error
of the mean over the independent networks.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import sympy as sp

from derivations.conventions import L, kappa, sigma
from derivations.row_collapse import (
    entry_relaxation_rates,
    row_collapse_claim,
    two_entry_angular_sde,
)
from dlnverify.errors import InvalidParameter
from numerics.montecarlo import Estimate
from reports.engine.claim import Claim, MonteCarlo
from reports.engine.quantity import Quantity
from reports.engine.verdict import Comparison
from reports.experiments.collapse import collapse_experiment, default_collapse_config

__all__ = [
    "CLAIMS",
    "QUANTITIES",
    "ROW_COLLAPSE",
    "ROW_COLLAPSE_POINTS",
    "row_collapse_comparisons",
    "simulated_collapse_rate",
    "two_entry_collapse_rate",
]


#: (depth, sigma, networks): rank-one teacher, input and output width 2, kappa 0.05.
ROW_COLLAPSE_POINTS = ((2, 2.0, 4096), (3, 1.3, 4096))
#: Noise scale of the check (the collapse experiment's default).
KAPPA = 0.05
#: Grid points of the quadrature on [0, pi/2] (Simpson; the integrands are smooth).
_GRID = 4001


@cache
def _angular_functions() -> tuple[Any, Any, Any]:
    sde = two_entry_angular_sde()
    args = (sde["angle"], *sde["rates"], kappa)
    return tuple(  # type: ignore[return-value]
        sp.lambdify(args, sde[name], "numpy")
        for name in ("drift", "diffusion", "log_norm_generator")
    )


def _positive(name: str, value: Any) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value < np.inf:
        raise InvalidParameter(f"Got {name}={value!r}, but {name} must be a positive number.")
    return float(value)


def _rate_on_grid(k1: float, k2: float, scale: float, points: int) -> float:
    drift, diffusion, generator = _angular_functions()
    grid = np.linspace(0.0, np.pi / 2, points)
    mu, var = drift(grid, k1, k2, scale), diffusion(grid, k1, k2, scale)
    from scipy import integrate  # lazily: `dlnverify list` stays fast

    exponent = integrate.cumulative_simpson(2 * mu / var, x=grid, initial=0.0)
    density = np.exp(exponent - exponent.max()) / var
    q = generator(grid, k1, k2, scale)
    return float(-integrate.simpson(q * density, x=grid) / integrate.simpson(density, x=grid))


def two_entry_collapse_rate(gap_rate: float, other_rate: float, scale: float) -> float:
    r"""The exact collapse rate :math:`\lambda = -E_pQ` of a two-entry row with rates
    ``gap_rate`` (:math:`K_1`) and ``other_rate`` (:math:`K_2`) at :math:`\kappa` =
    ``scale``: Simpson quadrature of the derived zero-current angular law (module
    docstring); the grid halved changes it by less than :math:`10^{-9}` relative."""
    k1 = _positive("gap_rate", gap_rate)
    k2 = _positive("other_rate", other_rate)
    return _rate_on_grid(k1, k2, _positive("scale", scale), _GRID)


@cache
def simulated_collapse_rate(depth: int, value: float, networks: int, seed: int) -> Estimate:
    r"""The late-window collapse rate (:math:`t \in [3, 4.5]`, from a start gap of 0.1) of
    ``networks`` full networks at a rank-one teacher ``value``, input and output width 2,
    :math:`\kappa` = :data:`KAPPA`, Richardson in :math:`dt` on coupled runs
    (:func:`reports.experiments.collapse.collapse_experiment`); cached, so that a test and
    the registry check with the same seed share one simulation."""
    config = default_collapse_config(
        depth=depth,
        width=2,
        singular_values=(value,),
        eta=KAPPA,
        ensemble=networks,
        duration=4.5,
        record_every=120,
        seed=seed,
    )
    experiment = collapse_experiment(config, start_gap=0.1)
    return Estimate(float(experiment.rates[-1, 0]), float(experiment.rates_se[-1, 0]), networks)


def row_collapse_comparisons(rng: np.random.Generator) -> list[Comparison]:
    r"""C16: late-window collapse rates of full networks (:data:`ROW_COLLAPSE_POINTS`,
    :math:`t \in [3, 4.5]` from a start gap of 0.1) against
    :func:`two_entry_collapse_rate` at the derived entry rates."""
    rates = entry_relaxation_rates()
    comparisons = []
    for depth, value, networks in ROW_COLLAPSE_POINTS:
        at = {L: depth, sigma: value}
        k1, k2 = float(rates["gap"].subs(at)), float(rates["null"].subs(at))
        estimate = simulated_collapse_rate(depth, value, networks, int(rng.integers(2**32)))
        params = {
            "L": depth,
            "sigma": value,
            "d": 2,
            "kappa": KAPPA,
            "networks": networks,
            "observable": "-d/dt E log|sigma - s_t|, t in [3, 4.5] (EM, Richardson in dt on "
            "one Brownian path)",
        }
        comparisons.append(Comparison(params, estimate, two_entry_collapse_rate(k1, k2, KAPPA)))
    return comparisons


ROW_COLLAPSE = Claim(
    "C16",
    "Full network without label noise: collapse at the rate of the gap's row",
    "beyond the paper (App. K, Fig. 4 at sigma_eps = 0)",
    r"\lambda = -\tfrac{d}{dt}E\log|\sigma_a - s_a| = \sigma_a^{2-2/L}"
    r" + \kappa\sigma_a^{4-4/L}\,\frac{3 - n}{2} + O(\kappa^2),\quad n = d - r \ge 1,"
    r"\ L \ge 2",
    row_collapse_claim,
    MonteCarlo(
        row_collapse_comparisons,
        "Full networks (rank-one teacher, d = 2, kappa = 0.05, 4096 networks, Richardson "
        "in dt on one Brownian path per network), late-window collapse rate against the "
        "exact rate of the linearised row "
        "(quadrature of the derived angular law; no O(kappa^2) truncation).",
    ),
)

CLAIMS = (ROW_COLLAPSE,)
QUANTITIES: tuple[Quantity, ...] = ()
