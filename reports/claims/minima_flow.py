r"""Monte Carlo check of claim C18: with label noise the layers rebalance along the manifold of
minima.

At points of the manifold of global minima (:math:`W_L\cdots W_1 = W^*`, label noise
:math:`\sigma_\varepsilon = 0.5`) the simulator estimates, from per-sample gradients of sampled
data (:func:`numerics.observables.imbalance_drift_samples`, the ``"empirical"`` sampler), the
drift of every layer imbalance :math:`D_l = W_{l+1}^\top W_{l+1} - W_lW_l^\top`: gradient
flow conserves :math:`D_l`, so its drift is the Itô term
:math:`\kappa\,\mathbb E[\xi_{l+1}^\top\xi_{l+1} - \xi_l\xi_l^\top]`.  Two networks, chosen
so that the balanced point is *not* the fixed point:

* depth 2, widths :math:`(n, h, m) = (2, 3, 3)`, teacher :math:`(2, 1)` (:math:`m \ne n`);
* depth 3, widths :math:`(3, 2, 2, 2)`, teacher :math:`(1, 0.5)` (rank below the widths).

At each, two points: the balanced aligned point moved along the manifold by a random gauge
(:math:`W_{l+1}G_l^{-1}`, :math:`G_lW_l`; a general, non-aligned minimum), where the drift is
not zero, and the rebalanced point of :func:`derivations.minima_flow.rebalanced_amplitudes`
(aligned, random hidden bases), where it must vanish.  The closed form compared with is the
matrix drift derived at general symbolic weights
(:func:`derivations.minima_flow.imbalance_drift_at_minimum`), evaluated at the simulated
weights.  The samples are independent, so the standard error of a mean over them is exact up
to the normal approximation; every matrix entry counts as one test of the claim's
false-alarm budget.

Then the slow flow itself (:data:`LONG_RUN`): full networks of widths :math:`(9, 1, 1)`
(:math:`n = 9`, :math:`m = 1`, one mode, :math:`\sigma = 1`, :math:`\sigma_\varepsilon = 2`)
start at the balanced teacher point and run to :math:`t = 100`, far beyond the slow time scale
:math:`1/(\lambda)`, :math:`\lambda = 2\kappa\sigma_\varepsilon^2mn/(m+n)`
(:math:`t\lambda = 7` at the smallest :math:`\kappa`), at :math:`\kappa = 0.02, 0.015` and
:math:`0.01` and at :math:`dt` and :math:`dt/2`, all on one Brownian path per network
(:func:`numerics.coupled.coupled_langevin_runs`).  Per network, the imbalance
:math:`|D| = |W_2^\top W_2 - W_1W_1^\top|` and the mode's :math:`(s - \sigma)/\kappa` are
averaged over :math:`t \in [70, 100]`, Richardson-extrapolated in :math:`dt`, and
extrapolated to :math:`\kappa \to 0` by the quadratic through the three noise scales
(:func:`extrapolation_weights`: :math:`3f(0.02) - 8f(0.015) + 6f(0.01)`).  A linear
extrapolation from :math:`0.02` and :math:`0.01` alone left the :math:`\kappa^2` term of
:math:`|D|`, 1.5 standard errors on average over five seeds (multiplicative noise is strong
here: :math:`\kappa K(n+1)/2 \approx 0.3` at :math:`\kappa = 0.02`); the quadratic removes it
at the price of a larger standard error (the runs share one path, so the weights
:math:`3, -8, 6` cost far less than independent runs would).  Its own remainder is not
negligible against a standard error of 0.2 % of :math:`|D|`: the error bar adds, in
quadrature, how much the residual changes when the largest noise scale is left out (linear
through :math:`0.015, 0.01`), a conservative estimate of what the quadratic leaves.  The
closed form is the same combination of the derived slow path: the ODE
:func:`derivations.minima_flow.depth_two_slow_flow` in :math:`\tau = \kappa
\sigma_\varepsilon^2t` from :math:`D = 0`, integrated by :func:`scipy.integrate.solve_ivp`
(relative tolerance :math:`10^{-10}`, far below the standard errors), averaged over the same
record times, and the derived first-order mean along it.  So the comparison covers the
remaining transient too; at the window it is about 1 % of :math:`D^*`.  The networks are
independent, so the spread of the per-network combinations gives the standard error.  The
balanced-point values (:math:`D = 0`; C17's :math:`-\sigma_\varepsilon^2(m+n)/4`) are
rejected by many standard errors (``tests/reports/claims/test_minima_flow.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp

from derivations.conventions import kappa as kappa_symbol
from derivations.conventions import m_out, n_in
from derivations.conventions import sigma as sigma_symbol
from derivations.conventions import sigma_eps as eps_symbol
from derivations.minima_flow import (
    depth_two_slow_flow,
    imbalance_drift_at_minimum,
    rebalanced_amplitudes,
    rebalancing_claim,
    total_imbalance_drift,
)
from numerics.coupled import coupled_langevin_runs
from numerics.montecarlo import Estimate, mean_estimate
from numerics.observables import imbalance_drift_samples
from numerics.teacher import random_teacher
from numerics.weights import aligned_balanced_weights, aligned_weights
from reports.claims._aligned_point import N_SAMPLES
from reports.engine.claim import Claim, ClaimFigure, MonteCarlo
from reports.engine.quantity import Quantity
from reports.engine.verdict import Comparison, scaled_estimate
from reports.render.figures import figure_file, figure_path

__all__ = [
    "CLAIMS",
    "LONG_RUN",
    "LongRun",
    "QUANTITIES",
    "REBALANCING",
    "REBALANCING_DRIFT",
    "SlowPath",
    "derived_slow_path",
    "rebalancing_comparisons",
    "rebalancing_figure",
    "simulated_long_runs",
    "simulated_rebalancing_drift",
]

#: (widths (n, h_1, ..., m), teacher singular values) of the two networks.
NETWORKS: tuple[tuple[tuple[int, ...], tuple[float, ...]], ...] = (
    ((2, 3, 3), (2.0, 1.0)),
    ((3, 2, 2, 2), (1.0, 0.5)),
)
_KAPPA, _SIGMA_EPS = 0.05, 0.5
_N_SAMPLES = 100_000


@cache
def _drift_function(widths: tuple[int, ...]) -> Any:
    """The derived drift matrices as one NumPy function of the flattened weights."""
    derived = imbalance_drift_at_minimum(widths)
    symbols = [e for w in derived["weights"] for e in w.T]  # column-major, layer by layer
    values = {kappa_symbol: _KAPPA, eps_symbol: _SIGMA_EPS}
    matrices = [d.subs(values) for d in derived["derived"]]
    return sp.lambdify(symbols, matrices, "numpy")


def _derived_drift(weights: tuple[np.ndarray, ...]) -> list[np.ndarray]:
    widths = (weights[0].shape[1], *(w.shape[0] for w in weights))
    flat = [x for w in weights for x in w.T.ravel()]
    return [np.asarray(m, dtype=float) for m in _drift_function(widths)(*flat)]


def _gauge(weights: tuple[np.ndarray, ...], rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    r"""The same end-to-end map with :math:`W_{l+1}G_l^{-1}`, :math:`G_lW_l`, :math:`G_l =
    I + 0.3Z` for every hidden layer (a general point of the manifold of minima)."""
    moved = list(weights)
    for l in range(len(moved) - 1):
        size = moved[l].shape[0]
        gauge = np.eye(size) + 0.3 * rng.standard_normal((size, size))
        moved[l] = gauge @ moved[l]
        moved[l + 1] = moved[l + 1] @ np.linalg.inv(gauge)
    return tuple(moved)


def rebalanced_layer_amplitudes(widths: tuple[int, ...], values: tuple[float, ...]) -> np.ndarray:
    """The rebalanced point's layer amplitudes as an ``(L, k)`` array of floats."""
    exact = rebalanced_amplitudes(
        [sp.nsimplify(v) for v in values], (widths[-1], widths[0]), len(widths) - 1
    )
    return np.array([[float(a) for a in row] for row in exact])


@dataclass(frozen=True)
class LongRun:
    """The parameters of the long full-network runs of the slow flow (module docstring)."""

    widths: tuple[int, ...] = (9, 1, 1)
    sigma: float = 1.0
    label_noise: float = 2.0
    kappas: tuple[float, ...] = (0.02, 0.015, 0.01)
    dt: float = 0.01
    duration: float = 100.0
    window_start: float = 70.0
    record: float = 0.1
    networks: int = 128

    @property
    def steps(self) -> int:
        return round(self.duration / self.dt)

    @property
    def record_every(self) -> int:
        return round(self.record / self.dt)


LONG_RUN = LongRun()


@dataclass(frozen=True)
class SlowPath:
    r"""The derived slow path at one noise scale, at the record times ``times``: the imbalance
    :math:`|D|` and the first-order :math:`(E s - \sigma)/\kappa`."""

    times: np.ndarray
    imbalance: np.ndarray
    mean_shift: np.ndarray


def derived_slow_path(kappa: float, times: np.ndarray, run: LongRun = LONG_RUN) -> SlowPath:
    r""":func:`derivations.minima_flow.depth_two_slow_flow` integrated from :math:`D = 0` in
    :math:`\tau = \kappa\sigma_\varepsilon^2t` and read at ``times``."""
    from scipy.integrate import solve_ivp

    flow = depth_two_slow_flow()
    where = {
        sigma_symbol: run.sigma,
        m_out: run.widths[-1],
        n_in: run.widths[0],
    }
    rate = sp.lambdify(flow["imbalance"], flow["rate"].subs(where), "numpy")
    shift = sp.lambdify(flow["imbalance"], flow["mean_shift"].subs(where), "numpy")
    scale = kappa * run.label_noise**2
    solution = solve_ivp(
        lambda _, d: rate(d),
        (0.0, scale * float(times[-1])),
        [0.0],
        t_eval=scale * np.asarray(times, dtype=float),
        rtol=1e-10,
        atol=1e-12,
    )
    imbalance = solution.y[0]
    return SlowPath(
        np.asarray(times, dtype=float),
        np.abs(imbalance),
        run.label_noise**2 * np.asarray(shift(imbalance), dtype=float),
    )


def _balanced_ensemble(
    run: LongRun, networks: int, rng: np.random.Generator
) -> tuple[Any, tuple[np.ndarray, ...]]:
    """``run``'s rank-one teacher and ``networks`` copies of its balanced teacher point (the
    teacher and the hidden bases drawn from ``rng``, in that order)."""
    teacher = random_teacher(
        np.array([run.sigma]),
        shape=(run.widths[-1], run.widths[0]),
        rng=rng,
        label_noise=run.label_noise,
    )
    single = aligned_balanced_weights(teacher, np.array([run.sigma]), run.widths, rng=rng)
    return teacher, tuple(np.broadcast_to(w, (networks, *w.shape)).copy() for w in single)


@cache
def simulated_long_runs(seed: int, run: LongRun = LONG_RUN) -> dict[str, Any]:
    r"""The long coupled runs from the balanced teacher point (module docstring); cached, so
    that a test, the registry check and the figure with the same seed share one simulation.

    Returns ``"times"`` and ``"runs"``: per noise scale (``"imbalance"``, ``"mean_shift"``)
    the per-network window averages, Richardson-extrapolated in :math:`dt`, shape
    ``(networks,)``."""
    rng = np.random.default_rng(seed)
    teacher, start = _balanced_ensemble(run, run.networks, rng)
    runs = coupled_langevin_runs(
        start,
        teacher,
        kappas=run.kappas,
        dt=run.dt,
        steps=run.steps,
        rng=rng,
        record_every=run.record_every,
    )
    times = np.asarray(runs.coarse[0].times)
    window = times >= run.window_start
    per_kappa: dict[float, dict[str, np.ndarray]] = {}
    for k, kappa in enumerate(run.kappas):
        fine, coarse = runs.fine[k], runs.coarse[k]
        shift = [(np.asarray(r.modes)[..., 0] - run.sigma) / kappa for r in (fine, coarse)]
        imbalance = [np.asarray(r.imbalance)[..., 0] for r in (fine, coarse)]
        per_kappa[kappa] = {
            "imbalance": 2 * imbalance[0][window].mean(0) - imbalance[1][window].mean(0),
            "mean_shift": 2 * shift[0][window].mean(0) - shift[1][window].mean(0),
        }
    return {"times": times, "runs": per_kappa}


def extrapolation_weights(kappas: tuple[float, ...]) -> tuple[float, ...]:
    r"""Weights :math:`w_k` with :math:`\sum_k w_kf(\kappa_k) = p(0)`, :math:`p` the polynomial
    of degree ``len(kappas) - 1`` through the values (Lagrange basis at 0): the extrapolation
    to :math:`\kappa \to 0` that removes the terms :math:`\kappa, \dots,
    \kappa^{K-1}`."""
    return tuple(
        float(np.prod([other / (other - kappa) for other in kappas if other != kappa]))
        for kappa in kappas
    )


def _extrapolated(per_kappa: dict[float, Any], key: str, kappas: tuple[float, ...]) -> Any:
    r"""The extrapolation to :math:`\kappa \to 0` of ``per_kappa[k][key]`` through ``kappas``."""
    weights = extrapolation_weights(kappas)
    return sum(w * per_kappa[k][key] for w, k in zip(weights, kappas, strict=True))


def _with_extrapolation_error(
    simulated: dict[float, Any], derived: dict[float, Any], key: str, kappas: tuple[float, ...]
) -> tuple[Estimate, float]:
    r"""The extrapolated estimate and closed form of ``key``, the estimate's error bar widened
    by the extrapolation's own error: the change of the residual (estimate minus closed form)
    when the largest noise scale is left out (one degree lower), added in quadrature to the
    standard error.  That change estimates the first term the lower extrapolation leaves,
    so it bounds the remainder of the full one from above (a conservative error bar)."""
    estimate = mean_estimate(_extrapolated(simulated, key, kappas))
    closed = float(_extrapolated(derived, key, kappas))
    lower = kappas[1:]
    residual_lower = float(np.mean(_extrapolated(simulated, key, lower))) - float(
        _extrapolated(derived, key, lower)
    )
    change = abs(residual_lower - (float(estimate.value) - closed))
    error = float(np.hypot(float(estimate.standard_error), change))
    return Estimate(estimate.value, error, estimate.n_samples), closed


def long_run_comparisons(seed: int, run: LongRun = LONG_RUN) -> list[Comparison]:
    r"""The window-averaged :math:`|D|` and :math:`(s - \sigma)/\kappa`, extrapolated to
    :math:`\kappa \to 0`, against the same combination of the derived slow path; the error
    bar includes the extrapolation's (:func:`_with_extrapolation_error`)."""
    simulated = simulated_long_runs(seed, run)
    times = simulated["times"]
    window = times >= run.window_start
    derived: dict[float, Any] = {}
    for kappa in run.kappas:
        path = derived_slow_path(kappa, times, run)
        derived[kappa] = {
            "imbalance": path.imbalance[window].mean(),
            "mean_shift": path.mean_shift[window].mean(),
        }
    params = {
        "widths": list(run.widths),
        "sigma": run.sigma,
        "sigma_eps": run.label_noise,
        "kappa": list(run.kappas),
        "networks": run.networks,
        "start": "balanced teacher point",
    }
    window_text = f"t in [{run.window_start:g}, {run.duration:g}]"
    observables = {
        "imbalance": f"|D| averaged over {window_text} (Richardson in dt, kappa -> 0)",
        "mean_shift": f"(s - sigma)/kappa averaged over {window_text} (Richardson in dt, "
        "kappa -> 0)",
    }
    comparisons = []
    for key, text in observables.items():
        estimate, closed = _with_extrapolation_error(simulated["runs"], derived, key, run.kappas)
        comparisons.append(Comparison(params | {"observable": text}, estimate, closed))
    return comparisons


def rebalancing_comparisons(rng: np.random.Generator) -> list[Comparison]:
    r"""C18: the imbalance drift at a general minimum (not zero) and at the rebalanced point
    (zero), simulated against the derived matrix drift."""
    comparisons = []
    for widths, values in NETWORKS:
        teacher = random_teacher(
            np.array(values), shape=(widths[-1], widths[0]), rng=rng, label_noise=_SIGMA_EPS
        )
        balanced = aligned_balanced_weights(teacher, np.array(values), widths, rng=rng)
        points = {
            "general minimum": _gauge(balanced, rng),
            "rebalanced point": aligned_weights(
                teacher, rebalanced_layer_amplitudes(widths, values), widths, rng=rng
            ),
        }
        for name, weights in points.items():
            samples = imbalance_drift_samples(
                weights, teacher, n_samples=_N_SAMPLES, rng=rng, sampler="empirical"
            )
            for l, (drawn, closed) in enumerate(
                zip(samples, _derived_drift(weights), strict=True), start=1
            ):
                comparisons.append(
                    Comparison(
                        {
                            "widths": list(widths),
                            "sigma": list(values),
                            "point": name,
                            "observable": f"drift of D_{l}",
                            "kappa": _KAPPA,
                            "sigma_eps": _SIGMA_EPS,
                        },
                        scaled_estimate(mean_estimate(drawn), _KAPPA),
                        closed,
                    )
                )
    return comparisons + long_run_comparisons(int(rng.integers(2**32)))


#: Networks and seed of the figure's own runs (the check's runs depend on ``--seed``).
FIGURE_NETWORKS, FIGURE_SEED = 32, 0


def rebalancing_figure(path: str | Path) -> Path:
    r"""The slow flow at depth two: ensemble means of :math:`|D|` and of
    :math:`(s - \sigma)/\kappa` over time from the balanced teacher point, for the anisotropic
    Langevin SDE (Euler-Maruyama, :math:`\kappa = 0.02`, :math:`dt = 0.02`) and online SGD
    (:math:`\eta = 0.02`, :math:`B = 1`, :math:`t = k\eta`), :data:`FIGURE_NETWORKS` networks
    of :data:`LONG_RUN`'s widths each, against the derived slow path
    (:func:`derived_slow_path`), with C17's balanced-point mean for reference.

    Parameters
    ----------
    path : str or pathlib.Path
        Output file (``.pdf``, ``.png`` or ``.svg``).
    """
    from numerics.trajectory import simulate_trajectory

    run, kappa = LONG_RUN, LONG_RUN.kappas[0]
    target = figure_path(path)
    rng = np.random.default_rng(FIGURE_SEED)
    m, n = run.widths[-1], run.widths[0]
    teacher, start = _balanced_ensemble(run, FIGURE_NETWORKS, rng)
    steps, every = round(run.duration / kappa), round(run.record / kappa)
    runs = {
        label: simulate_trajectory(
            start,
            teacher,
            optimizer=optimizer,
            eta=kappa,
            steps=steps,
            rng=rng,
            record_every=every,
        )
        for label, optimizer in (
            (rf"anisotropic Langevin, $\kappa = {kappa:g}$", "anisotropic"),
            (rf"online SGD, $\eta = {kappa:g}$, $B = 1$", "sgd"),
        )
    }
    times = np.asarray(next(iter(runs.values())).times)
    derived = derived_slow_path(kappa, times)
    bins = 20
    edges = np.linspace(0.0, run.duration, bins + 1)
    which = np.clip(np.digitize(times, edges) - 1, 0, bins - 1)
    centres = (edges[:-1] + edges[1:]) / 2
    with figure_file(target, panels=2) as (left, right):
        for (label, trajectory), style, color in zip(
            runs.items(), ("o", "x"), ("tab:blue", "tab:green"), strict=True
        ):
            imbalance = np.asarray(trajectory.imbalance)[..., 0].mean(axis=1)
            shift = ((np.asarray(trajectory.modes)[..., 0] - run.sigma) / kappa).mean(axis=1)
            left.plot(times, imbalance, color=color, lw=1.0, label=label)
            binned = np.bincount(which, shift) / np.bincount(which)
            right.plot(centres, binned, style, color=color, ms=4, label=label)
        left.plot(times, derived.imbalance, "--", color="k", lw=0.8, label="derived slow flow")
        right.plot(times, derived.mean_shift, "--", color="k", lw=0.8, label="derived slow flow")
        right.axhline(
            -run.label_noise**2 * (m + n) / 4, color="tab:red", lw=0.8, ls=":",
            label="balanced point (C17)",
        )  # fmt: skip
        left.set_xlabel("time $t$")
        left.set_ylabel(r"imbalance $|W_2^\top W_2 - W_1 W_1^\top|$")
        right.set_xlabel("time $t$")
        right.set_ylabel(r"$(s - \sigma)/\kappa$, ensemble mean over bins of 5")
        left.legend(loc="lower right", fontsize=7, frameon=False)
        right.legend(loc="lower right", fontsize=7, frameon=False)
        left.set_title(
            rf"$n = {n}$, $m = {m}$, $\sigma = {run.sigma:g}$, "
            rf"$\sigma_\varepsilon = {run.label_noise:g}$",
            fontsize=9,
        )
    return target


REBALANCING_FIGURE = ClaimFigure(
    rebalancing_figure,
    "rebalancing",
    (
        r"With label noise the layers rebalance (C18): from the balanced teacher point the "
        r"imbalance and the mode's mean follow the derived slow flow in "
        r"$\tau = \kappa\sigma_\varepsilon^2 t$ (dashed), away from the balanced-point mean of "
        r"C17 (dotted); online SGD follows the same path."
    ),
)


def simulated_rebalancing_drift(point: Mapping[str, float], rng: np.random.Generator) -> Estimate:
    r"""The drift of :math:`a_L^2 - a_1^2` of one mode at the balanced teacher point of an
    ``m`` :math:`\times` ``n`` network of depth ``L`` (hidden width 1, teacher ``sigma``,
    label noise ``sigma_eps``), from per-sample gradients of sampled data: with hidden width 1
    the imbalances are numbers and their sum telescopes to
    :math:`W_L^\top W_L - W_1W_1^\top`, whose drift is :math:`\kappa` times the mean of
    :math:`\sum_l(\xi_{l+1}^\top\xi_{l+1} - \xi_l\xi_l^\top)`."""
    depth, m, n = int(point["L"]), int(point["m"]), int(point["n"])
    teacher = random_teacher(
        np.array([point["sigma"]]), shape=(m, n), rng=rng, label_noise=point["sigma_eps"]
    )
    widths = (n, *(1,) * (depth - 1), m)
    weights = aligned_balanced_weights(teacher, np.array([point["sigma"]]), widths, rng=rng)
    samples = imbalance_drift_samples(
        weights, teacher, n_samples=N_SAMPLES, rng=rng, sampler="empirical"
    )
    total = sum(drawn[..., 0, 0] for drawn in samples)
    return scaled_estimate(mean_estimate(total), float(point["kappa"]))


REBALANCING_DRIFT = Quantity(
    "rebalancing_drift",
    "drift of the end-to-end layer imbalance a_L^2 - a_1^2 of one mode at the balanced teacher "
    "point of an m x n network with label noise (C18; hidden width 1)",
    ("sigma", "sigma_eps", "L", "kappa", "m", "n"),
    "C18",
    lambda: {"ito_drift": total_imbalance_drift()},
    simulated_rebalancing_drift,
    depth_range=(2, 6),
)


REBALANCING = Claim(
    "C18",
    "With label noise the layers rebalance along the manifold of minima",
    "beyond the paper (issue 28)",
    r"\frac{d}{dt}\mathbb{E}D_l = \kappa\sigma_\varepsilon^2\bigl(\|A_{l+1}\|_F^2"
    r"B_{l+1}B_{l+1}^\top - \|B_l\|_F^2A_l^\top A_l\bigr)\ \text{at a minimum; fixed point }"
    r"a_{1,b}^2 = \sigma_b(n/S)^{\frac{L-1}{L}}(S/m)^{\frac1L},\ "
    r"a_{l,b}^2 = (S^2/mn)^{\frac1L},\ a_{L,b}^2 = \sigma_b(S/n)^{\frac1L}(m/S)^{\frac{L-1}{L}}",
    rebalancing_claim,
    MonteCarlo(
        rebalancing_comparisons,
        "Depth 2 (m != n) and depth 3 (rank below the widths): imbalance drift at a general "
        "minimum and at the rebalanced point. Long runs of 128 networks (9 x 1 x 1, sigma = 1,"
        " sigma_eps = 2) from the balanced point to t = 100 at kappa = 0.02, 0.015, 0.01, dt and "
        "dt/2 on one Brownian path: |D| and (s - sigma)/kappa over t = 70-100, Richardson in "
        "dt and extrapolated (quadratic) to kappa -> 0, against the derived slow path.",
    ),
    figure=REBALANCING_FIGURE,
    quantities=("rebalancing_drift",),
)

CLAIMS = (REBALANCING,)
QUANTITIES = (REBALANCING_DRIFT,)
