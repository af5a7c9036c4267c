r"""Plateaus of gradient descent from small initialisation against the derived saddles (C15).

The numeric side simulates the *definition*: gradient descent on the population loss of the
full deep linear network (:func:`numerics.plateaus.gradient_descent_trajectory`) from a small
Gaussian initialisation :math:`N(0, d^{-\gamma})` (:func:`numerics.weights.small_gaussian_init`),
teacher :math:`8 \times 8` of rank 3 with singular values :math:`(3, 2, 1)` (arithmetic
progression), Haar-random bases and isotropic label noise :math:`\sigma_\varepsilon = 0.3`;
depths 2 and 3, every width 8.  The plateaus of the loss curve and the numeric rank of the
end-to-end map during each are found by :func:`numerics.plateaus.find_plateaus` (a step is
flat when its loss change is at most :data:`RTOL` times the steepest one, at least
:data:`MIN_LENGTH` flat steps; rank = singular values above :data:`RANK_TOL`, half the
smallest teacher singular value).  No closed form enters the simulation.  It is compared with
the derived saddle losses :math:`L_0, \dots, L_3` of :func:`derivations.plateaus.plateau_losses`
and with the rank sequence :math:`(0, 1, 2, 3)`.

Standard errors.  The simulation is deterministic; the plateau values differ from the saddle
losses (the :math:`\gamma \to \infty` limit) because the not-yet-learned modes have grown from
the initial scale and the learned ones have not quite converged.  That deviation shrinks
geometrically with the initial scale: by about :math:`22\times` per unit of :math:`\gamma` at
depth 3 (the amplitude of the unlearned modes, :math:`\propto c^3 \propto d^{-3\gamma/2}`) and
about :math:`8\times` per 4 units at depth 2 (there the flattest point balances the
exponentially converging learned mode against the growing next one, a power
:math:`\approx 1/4` of :math:`c^2` for :math:`\sigma = (3, 2, 1)`).  Each depth is run at two
initial scales :math:`\gamma_1 < \gamma_2` (:data:`CONFIGS`) with the *same* Gaussian
directions (common random numbers); the estimate is the run at the smaller scale
:math:`\gamma_2` and its standard error is :math:`|v(\gamma_1) - v(\gamma_2)|`, which bounds
the reported run's deviation whenever the deviation shrinks by at least a factor 2 from
:math:`\gamma_1` to :math:`\gamma_2` (tests check this with a third scale).  Where both runs sit
at the same value to round-off (the final plateau converges exponentially), the standard error
is floored at :data:`FLOOR_ULPS` machine epsilons times the initial loss, the round-off of a
loss evaluation.  The rank sequence is an exact comparison (standard error 0).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from derivations.plateaus import arithmetic_plateau_loss, plateau_claim
from numerics.montecarlo import Estimate
from numerics.plateaus import Plateau, find_plateaus, gradient_descent_trajectory
from numerics.teacher import Teacher, random_teacher
from numerics.weights import small_gaussian_init
from reports.engine.claim import Claim, ClaimFigure, MonteCarlo
from reports.engine.quantity import Quantity
from reports.engine.verdict import Comparison
from reports.render.figures import figure_file, figure_path

__all__ = [
    "CLAIMS",
    "CONFIGS",
    "FLOOR_ULPS",
    "LABEL_NOISE",
    "MIN_LENGTH",
    "PLATEAUS",
    "PLATEAU_FIGURE",
    "PLATEAU_LOSS",
    "PlateauRun",
    "QUANTITIES",
    "RANK_TOL",
    "RTOL",
    "SINGULAR_VALUES",
    "WIDTH",
    "compare_plateaus",
    "derived_plateau_losses",
    "plateau_comparisons",
    "plateau_figure",
    "run_plateaus",
    "simulate_plateaus",
    "simulated_plateau_loss",
]


#: Teacher singular values (arithmetic progression), width of every layer, label noise.
SINGULAR_VALUES = (3.0, 2.0, 1.0)
WIDTH = 8
LABEL_NOISE = 0.3
#: Plateau detection: relative slope threshold, minimum number of flat steps, rank tolerance.
RTOL = 1e-2
MIN_LENGTH = 10
RANK_TOL = 0.5 * min(SINGULAR_VALUES)
#: Per depth: the two initial scales (gamma_1, gamma_2), learning rate, number of steps.
CONFIGS: tuple[tuple[int, tuple[float, float], float, int], ...] = (
    (2, (20.0, 24.0), 0.02, 4000),
    (3, (4.5, 5.5), 0.05, 8000),
)
#: Floor of every standard error, in machine epsilons times the initial loss.
FLOOR_ULPS = 4096
_EPS = float(np.finfo(float).eps)


@dataclass(frozen=True)
class PlateauRun:
    """The plateaus of one depth, simulated at two initial scales.

    Attributes
    ----------
    parameters : dict
        Depth, widths, scales, learning rate, teacher.
    teacher : Teacher
        The teacher (singular values and label noise give the derived losses).
    depth : int
        Number of layers.
    estimate : Estimate
        Plateau losses of the :math:`\\gamma_2` run, SE :math:`|v(\\gamma_1) - v(\\gamma_2)|`
        (floored); ``nan`` where either run has fewer plateaus than expected.
    ranks : numpy.ndarray
        Numeric ranks at the plateaus of the :math:`\\gamma_2` run.
    counts : tuple[int, int]
        Number of plateaus found at :math:`\\gamma_1` and :math:`\\gamma_2`.
    seed : int
        Seed of the initial Gaussian directions (:func:`run_plateaus`).
    """

    parameters: dict[str, Any]
    teacher: Teacher
    depth: int
    estimate: Estimate
    ranks: np.ndarray
    counts: tuple[int, int]
    seed: int


def run_plateaus(
    teacher: Teacher, depth: int, gamma: float, seed: int, *, eta: float, steps: int
) -> tuple[tuple[Plateau, ...], float]:
    """Plateaus of one gradient-descent run (width :data:`WIDTH`) and its initial loss.

    The initial weights are :func:`numerics.weights.small_gaussian_init` from
    ``numpy.random.default_rng(seed)``: the same seed gives the same directions at every
    ``gamma``.
    """
    widths = (WIDTH,) * (depth + 1)
    weights = small_gaussian_init(widths, gamma=gamma, rng=np.random.default_rng(seed))
    losses, values = gradient_descent_trajectory(weights, teacher, eta=eta, steps=steps)
    plateaus = find_plateaus(
        losses, rtol=RTOL, min_length=MIN_LENGTH, singular_values=values, rank_tol=RANK_TOL
    )
    return plateaus, float(losses[0])


def _padded(plateaus: Sequence[Plateau], size: int) -> np.ndarray:
    values = np.full(size, np.nan)
    count = min(size, len(plateaus))
    values[:count] = [p.loss for p in plateaus[:count]]
    return values


def simulate_plateaus(rng: np.random.Generator) -> list[PlateauRun]:
    """One :class:`PlateauRun` per depth of :data:`CONFIGS` (a new teacher each)."""
    runs = []
    expected = len(SINGULAR_VALUES) + 1
    for depth, (gamma_1, gamma_2), eta, steps in CONFIGS:
        teacher = random_teacher(
            SINGULAR_VALUES, shape=(WIDTH, WIDTH), rng=rng, label_noise=LABEL_NOISE
        )
        seed = int(rng.integers(2**32))
        coarse, _ = run_plateaus(teacher, depth, gamma_1, seed, eta=eta, steps=steps)
        fine, initial = run_plateaus(teacher, depth, gamma_2, seed, eta=eta, steps=steps)
        value, other = _padded(fine, expected), _padded(coarse, expected)
        error = np.maximum(np.abs(value - other), FLOOR_ULPS * _EPS * abs(initial))
        ranks = np.full(expected, -1.0)
        ranks[: min(expected, len(fine))] = [p.rank for p in fine[:expected]]
        parameters = {
            "L": depth,
            "widths": (WIDTH,) * (depth + 1),
            "sigma": list(SINGULAR_VALUES),
            "sigma_eps": LABEL_NOISE,
            "gamma": [gamma_1, gamma_2],
            "eta": eta,
            "steps": steps,
        }
        runs.append(
            PlateauRun(
                parameters=parameters,
                teacher=teacher,
                depth=depth,
                estimate=Estimate(value, error, 0),
                ranks=ranks,
                counts=(len(coarse), len(fine)),
                seed=seed,
            )
        )
    return runs


def derived_plateau_losses(singular_values: Sequence[float], trace: float, depth: int) -> list:
    r"""The derived saddle losses :math:`L_0, \dots, L_r` (:mod:`derivations.plateaus`)."""
    from derivations.plateaus import plateau_losses

    return list(plateau_losses(singular_values, trace, depth=depth))


def compare_plateaus(
    runs: Sequence[PlateauRun],
    formula: Callable[[Sequence[float], float, int], Sequence[float]] = derived_plateau_losses,
) -> list[Comparison]:
    """Per run: plateau losses against ``formula(singular values, tr Sigma_eps, depth)``,
    the rank sequence against :math:`(0, 1, \\dots, r)` and the plateau counts against
    :math:`r + 1` (both exact)."""
    comparisons = []
    for run in runs:
        values = run.teacher.singular_values.tolist()
        trace = float(np.trace(run.teacher.label_noise_cov))
        expected = np.asarray(formula(values, trace, run.depth), dtype=float)
        comparisons.append(
            Comparison(
                run.parameters | {"observable": "plateau losses"},
                run.estimate,
                expected,
                labels=tuple(f"loss on plateau k={k}" for k in range(len(expected))),
            )
        )
        comparisons.append(
            Comparison(
                run.parameters | {"observable": "numeric rank on each plateau"},
                Estimate(run.ranks, np.zeros_like(run.ranks), 0),
                np.arange(len(values) + 1, dtype=float),
            )
        )
        comparisons.append(
            Comparison(
                run.parameters | {"observable": "number of plateaus (two scales)"},
                Estimate(np.array(run.counts, dtype=float), np.zeros(2), 0),
                np.full(2, float(len(values) + 1)),
            )
        )
    return comparisons


def plateau_comparisons(rng: np.random.Generator) -> list[Comparison]:
    """C15: :func:`simulate_plateaus` compared with the derived saddle losses and ranks."""
    return compare_plateaus(simulate_plateaus(rng))


def plateau_figure(path: str | Path) -> Path:
    r"""Saddle-to-saddle plateaus: a simulated gradient-descent loss curve and the derived levels.

    Gradient descent on the full network (depth 3, every width 8, teacher singular values
    3, 2, 1, label noise 0.3, init :math:`N(0, d^{-4.5})`; the set-up of
    :mod:`reports.claims.plateaus`), its population loss over :math:`t = k\eta` on a log
    scale, and the derived saddle losses :math:`L_k = \tfrac12\sum_{b>k}\sigma_b^2 +
    \tfrac12\operatorname{tr}\Sigma_\varepsilon` (:func:`derivations.plateaus.plateau_losses`)
    as dotted lines (C15).

    Parameters
    ----------
    path : str or pathlib.Path
        Output file (``.pdf`` or ``.png``).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    target = figure_path(path)
    depth, (gamma, _), eta, steps = next(c for c in CONFIGS if c[0] == 3)
    rng = np.random.default_rng(0)
    teacher = random_teacher(
        SINGULAR_VALUES, shape=(WIDTH, WIDTH), rng=rng, label_noise=LABEL_NOISE
    )
    weights = small_gaussian_init((WIDTH,) * (depth + 1), gamma=gamma, rng=rng)
    losses, _ = gradient_descent_trajectory(weights, teacher, eta=eta, steps=steps)
    levels = derived_plateau_losses(
        SINGULAR_VALUES, float(np.trace(teacher.label_noise_cov)), depth
    )
    with figure_file(target) as axes:
        times = eta * np.arange(losses.size)
        axes.semilogy(times, losses, color="tab:blue", lw=1.4, label="gradient descent (simulated)")
        reached = np.nonzero(losses <= 1.01 * float(levels[-1]))[0]
        shown = times[-1] if reached.size == 0 else min(times[-1], 1.6 * times[reached[0]])
        for k, level in enumerate(levels):
            axes.axhline(float(level), color="tab:orange", lw=0.9, ls=":")
            axes.annotate(
                f"$L_{k}$",
                (shown, float(level)),
                xytext=(-2, 2),
                textcoords="offset points",
                ha="right",
                va="bottom",
                fontsize=8,
                color="tab:orange",
            )
        axes.set_xlim(0.0, shown)
        axes.plot([], [], ":", color="tab:orange", label=r"derived $L_k$")
        axes.set_xlabel(r"time $t = k\eta$")
        axes.set_ylabel("population loss")
        axes.set_title(
            rf"Saddle-to-saddle plateaus, $L = {depth}$, $d = {WIDTH}$, "
            rf"init $N(0, d^{{-{gamma:g}}})$",
            fontsize=10,
        )
        axes.legend(loc="lower left", fontsize=8, frameon=False)
    return target


PLATEAU_FIGURE = ClaimFigure(
    plateau_figure,
    "plateau",
    (
        r"Simulated gradient descent from small initialisation (depth 3, $d = 8$, "
        r"$\sigma = 3, 2, 1$, $\sigma_\varepsilon = 0.3$): the loss rests on the derived "
        r"saddle losses $L_k$ (dotted) one after the other."
    ),
)

#: The ``plateau_loss`` observable: depth 2, hidden width 8, the initial scales, learning rate
#: times sigma, and steps (the learning time of the depth-2 flow scales as 1/sigma).
CHECK_HIDDEN, CHECK_GAMMAS, CHECK_ETA_SIGMA, CHECK_STEPS = 8, (20.0, 24.0), 0.02, 2500


def simulated_plateau_loss(point: Mapping[str, float], rng: np.random.Generator) -> Estimate:
    r"""The ``plateau_loss`` observable: the loss on the :math:`k`-th plateau of gradient
    descent on a depth-2 network (widths ``(m, 8, m)``) from small initialisation, teacher
    ``m x m`` of rank ``r`` with singular values :math:`\sigma(r, r-1, \dots, 1)` (Haar-random
    bases) and label noise ``sigma_eps``.

    As the claim's check: plateaus found by :func:`numerics.plateaus.find_plateaus` in runs at
    the initial scales :data:`CHECK_GAMMAS` from the same Gaussian directions; the estimate is
    the run at the smaller scale, its standard error the difference between the two runs
    (floored at :data:`FLOOR_ULPS` machine epsilons times the initial loss).  A run that does
    not show the :math:`k`-th plateau is an error, not an estimate.
    """
    outputs, rank, learned = int(point["m"]), int(point["r"]), int(point["k"])
    sig = float(point["sigma"])
    teacher = random_teacher(
        sig * np.arange(rank, 0, -1.0),
        shape=(outputs, outputs),
        rng=rng,
        label_noise=float(point["sigma_eps"]),
    )
    seed = int(rng.integers(2**32))
    found = []
    for gamma in CHECK_GAMMAS:
        weights = small_gaussian_init(
            (outputs, CHECK_HIDDEN, outputs), gamma=gamma, rng=np.random.default_rng(seed)
        )
        losses, values = gradient_descent_trajectory(
            weights, teacher, eta=CHECK_ETA_SIGMA / sig, steps=CHECK_STEPS
        )
        plateaus = find_plateaus(
            losses, rtol=RTOL, min_length=MIN_LENGTH, singular_values=values, rank_tol=sig / 2
        )
        if len(plateaus) <= learned or plateaus[learned].rank != learned:
            raise RuntimeError(
                f"gradient descent did not show a plateau of rank {learned} at gamma={gamma:g}"
            )
        found.append((plateaus[learned].loss, float(losses[0])))
    (coarse, _), (fine, initial) = found
    return Estimate(fine, max(abs(fine - coarse), FLOOR_ULPS * _EPS * abs(initial)), 0)


PLATEAUS = Claim(
    "C15",
    "Saddle-to-saddle plateaus of gradient descent from small initialisation",
    "seed 002 (saddle-to-saddle dynamics)",
    r"L_k = \tfrac12\sum_{b>k}\sigma_b^2 + \tfrac12\operatorname{tr}\Sigma_\varepsilon,"
    r"\qquad \operatorname{rank} W = k,\quad k = 0, 1, \dots, r",
    plateau_claim,
    MonteCarlo(
        plateau_comparisons,
        "Gradient descent on the full network from small init, depths 2-3, three modes; "
        "SE = difference between two init scales.",
    ),
    figure=PLATEAU_FIGURE,
    quantities=("plateau_loss",),
)


def _plateau_exists(point: Mapping[str, float]) -> bool:
    return bool(point["k"] <= point["r"] <= point["m"])


PLATEAU_LOSS = Quantity(
    "plateau_loss",
    "loss on the plateau with k learned modes of gradient flow from small initialisation, "
    "teacher m x m of rank r with singular values sigma (r, r-1, ..., 1), label noise "
    "sigma_eps^2 I (C15)",
    ("k", "r", "sigma", "sigma_eps", "m"),
    "C15",
    lambda: {"loss": arithmetic_plateau_loss()},
    simulated_plateau_loss,
    constraint=_plateau_exists,
    domain="k <= r <= m",
)

CLAIMS = (PLATEAUS,)
QUANTITIES = (PLATEAU_LOSS,)
