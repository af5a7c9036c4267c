r"""Figures of the LaTeX report (matplotlib, Agg, deterministic).

* :func:`agreement_figure` — the :math:`z`-scores of a claim's Monte Carlo cases against the
  :math:`\pm z^\ast` band of its threshold;
* :func:`diffusion_profile_figure` — the derived aligned-balanced diffusion
  :math:`D(s)/\kappa` (C7) with the derived maximiser :math:`s^\ast` marked (C8);
* :func:`gradient_flow_figure` — the derived logistic gradient flow :math:`s(t)/\sigma` at
  :math:`L = 2` for three teacher values: larger modes are learned first (C9);
* :func:`plateau_figure` — a simulated gradient-descent loss curve from small initialisation
  with the derived plateau levels (C15);
* :func:`stationary_density_figure` — simulated chains of a mode's SDE against the derived
  stationary density, with the derived and the paper's mean (C10-C12);
* :func:`claim_figures` — the figure each claim's report section shows.

Every curve is a lambdified expression of :mod:`derivations` (nothing retyped).  The files
are deterministic (:mod:`reports.render.figures`): the same call writes the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from dlnverify.errors import InvalidParameter
from reports.engine.verify import ClaimOutcome
from reports.render.figures import figure_file, figure_path

__all__ = [
    "agreement_figure",
    "claim_figures",
    "diffusion_profile_figure",
    "gradient_flow_figure",
    "plateau_figure",
    "stationary_density_figure",
]


def agreement_figure(outcome: ClaimOutcome, path: str | Path) -> Path | None:
    r"""The :math:`z`-score of each Monte Carlo case, with the :math:`\pm` threshold band.

    Parameters
    ----------
    outcome : ClaimOutcome
        A claim's outcome.
    path : str or pathlib.Path
        Output file (``.pdf`` or ``.png``); parent directories are created.

    Returns
    -------
    pathlib.Path or None
        ``path``, or ``None`` (nothing written) when the outcome has no Monte Carlo check.
    """
    if not isinstance(outcome, ClaimOutcome):
        raise InvalidParameter(
            f"Got outcome of type {type(outcome).__name__}, but it must be a ClaimOutcome."
        )
    check = outcome.numeric
    if check is None:
        return None
    target = figure_path(path)
    with figure_file(target) as axes:
        z = np.array([case.z for case in check.cases], dtype=float)
        index = np.arange(1, z.size + 1)
        limit = float(check.threshold)
        shown = np.clip(
            np.nan_to_num(z, nan=0.0, posinf=2 * limit, neginf=-2 * limit), -2 * limit, 2 * limit
        )
        axes.axhspan(
            -limit, limit, color="tab:green", alpha=0.15, lw=0, label=rf"$|z| \leq {limit:.2f}$"
        )
        axes.axhline(0.0, color="0.4", lw=0.8)
        inside = np.abs(z) <= limit
        axes.plot(
            index[inside], shown[inside], "o", color="tab:blue", label="case within threshold"
        )
        if not inside.all():
            axes.plot(
                index[~inside], shown[~inside], "X", color="tab:red", ms=8, label="case outside"
            )
        axes.set_xlim(0.5, max(z.size, 1) + 0.5)
        top = 1.25 * max(limit, float(np.max(np.abs(shown), initial=0.0)))
        axes.set_ylim(-top, top)
        axes.set_xticks(index if z.size <= 20 else index[:: max(1, z.size // 10)])
        axes.set_xlabel("Monte Carlo case (table row)")
        axes.set_ylabel(r"$z = (\mathrm{estimate} - \mathrm{closed\ form}) / \mathrm{SE}$")
        axes.set_title(f"{outcome.claim.id}: Monte Carlo agreement", fontsize=10)
        axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    return target


def diffusion_profile_figure(path: str | Path) -> Path:
    r"""The derived diffusion :math:`D(s)/\kappa` on the aligned-balanced manifold, with :math:`s^\ast`.

    :math:`\sigma = 1`, :math:`\sigma_\varepsilon \in \{0, 0.2\}` (solid, dashed),
    :math:`L \in \{1, 2, 3, 4\}`; the derived maximiser :math:`s^\ast` is marked where it
    exists (:math:`L \geq 2`, below the threshold on :math:`\sigma_\varepsilon`).

    Parameters
    ----------
    path : str or pathlib.Path
        Output file (``.pdf`` or ``.png``).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    import sympy as sp

    from derivations.aligned_balanced import aligned_diffusion
    from derivations.conventions import L, kappa, s, sigma, sigma_eps
    from derivations.diffusion_peak import diffusion_peak

    target = figure_path(path)
    profile = sp.lambdify((s, sigma, sigma_eps, L), sp.simplify(aligned_diffusion() / kappa))
    peak = diffusion_peak()
    with figure_file(target) as axes:
        grid = np.linspace(1e-3, 1.2, 400)
        colors = ("tab:gray", "tab:blue", "tab:orange", "tab:green")
        for depth, color in zip((1, 2, 3, 4), colors, strict=True):
            for noise, style in ((0.0, "-"), (0.2, "--")):
                values = profile(grid, 1.0, noise, depth) * np.ones_like(grid)
                label = f"$L = {depth}$" if noise == 0.0 else None
                axes.plot(grid, values, style, color=color, lw=1.3, label=label)
                star = complex(peak.subs({sigma: 1, sigma_eps: noise, L: depth}).evalf())
                if depth >= 2 and abs(star.imag) < 1e-12 and 0.0 < star.real < 1.0:
                    axes.plot(
                        [star.real], [profile(star.real, 1.0, noise, depth)], "o", color=color, ms=5
                    )
        axes.axvline(1.0, color="0.5", lw=0.8, ls=":")
        axes.plot([], [], "k-", label=r"$\sigma_\varepsilon = 0$")
        axes.plot([], [], "k--", label=r"$\sigma_\varepsilon = 0.2$")
        axes.plot([], [], "ko", ms=5, label=r"derived $s^\ast$")
        axes.set_xlim(0.0, 1.2)
        axes.set_ylim(0.0, None)
        axes.set_xlabel(r"mode amplitude $s$ ($\sigma = 1$)")
        axes.set_ylabel(r"$D(s) / \kappa$")
        axes.set_title("Aligned-balanced diffusion and its maximiser", fontsize=10)
        axes.legend(loc="upper left", fontsize=8, frameon=False, ncols=2)
    return target


def gradient_flow_figure(path: str | Path) -> Path:
    r"""The derived gradient flow :math:`s(t)/\sigma` at :math:`L = 2` for three teacher values.

    :math:`\sigma \in \{1, 2, 3\}` (arithmetic progression), :math:`s_0 = 0.01`: the logistic
    solution of :func:`derivations.gradient_flow.logistic_solution`; larger modes rise first.

    Parameters
    ----------
    path : str or pathlib.Path
        Output file (``.pdf`` or ``.png``).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    import sympy as sp

    from derivations.conventions import s0, sigma, t
    from derivations.gradient_flow import logistic_solution

    target = figure_path(path)
    flow = sp.lambdify((t, sigma, s0), logistic_solution() / sigma)
    with figure_file(target) as axes:
        times = np.linspace(0.0, 3.5, 400)
        start = 0.01
        for value, color in zip(
            (1.0, 2.0, 3.0), ("tab:blue", "tab:orange", "tab:green"), strict=True
        ):
            axes.plot(
                times,
                flow(times, value, start),
                color=color,
                lw=1.5,
                label=rf"$\sigma = {value:g}$",
            )
            half = float(np.log(value / start - 1.0) / (2.0 * value))
            axes.plot([half], [0.5], "o", color=color, ms=4)
        axes.axhline(0.5, color="0.5", lw=0.8, ls=":")
        axes.set_xlim(0.0, 3.5)
        axes.set_ylim(0.0, 1.05)
        axes.set_xlabel(r"time $t = k\eta$")
        axes.set_ylabel(r"$s(t) / \sigma$")
        axes.set_title(
            rf"Gradient flow, $L = 2$, $s_0 = {start:g}$: larger modes first", fontsize=10
        )
        axes.legend(loc="lower right", fontsize=8, frameon=False)
    return target


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
    from numerics.plateaus import gradient_descent_trajectory
    from numerics.teacher import random_teacher
    from numerics.weights import small_gaussian_init
    from reports.claims.plateaus import (
        CONFIGS,
        LABEL_NOISE,
        SINGULAR_VALUES,
        WIDTH,
        derived_plateau_losses,
    )

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


def stationary_density_figure(path: str | Path) -> Path:
    r"""Stationary law of a mode: simulated chains against the derived density (C10-C12).

    :math:`L = 2`, :math:`\sigma = 1`, :math:`\sigma_\varepsilon = 0.5`,
    :math:`\kappa = 0.05`: the histogram of 6000 Euler-Maruyama chains of the mode SDE
    (C7 coefficients, :func:`numerics.scalar_sde.euler_maruyama`) after 8 relaxation times,
    the derived zero-current density (:func:`derivations.stationary.stationary_density`,
    normalised on the grid), its mean to first order in :math:`\kappa`
    (:func:`~derivations.stationary.stationary_mean`, below :math:`\sigma`) and the paper's
    "slightly above :math:`\sigma`" value, the zero of the drift
    (:func:`~derivations.stationary.drift_zero_mean`).

    Parameters
    ----------
    path : str or pathlib.Path
        Output file (``.pdf`` or ``.png``).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    import sympy as sp

    from derivations.aligned_balanced import aligned_diffusion, aligned_drift
    from derivations.conventions import L, kappa, s, sigma, sigma_eps
    from derivations.stationary import drift_zero_mean, stationary_density, stationary_mean
    from numerics.scalar_sde import euler_maruyama

    target = figure_path(path)
    where = {L: 2, sigma: 1.0, sigma_eps: 0.5, kappa: 0.05}
    drift = sp.lambdify(s, aligned_drift().subs(where), "numpy")
    diffusion = sp.lambdify(s, aligned_diffusion().subs(where), "numpy")
    density = sp.lambdify(s, stationary_density(2).subs(where), "numpy")
    relaxation = 0.5  # 1 / (L sigma^(2 - 2/L))
    dt = relaxation / 500
    final, _ = euler_maruyama(
        drift, diffusion, 1.0, dt=dt, n_steps=4000, n_chains=6000,
        rng=np.random.default_rng(0),
    )  # fmt: skip
    grid = np.linspace(0.55, 1.45, 600)
    values = density(grid)
    values = values / np.trapezoid(values, grid)
    with figure_file(target) as axes:
        axes.hist(
            final, bins=60, range=(0.55, 1.45), density=True, color="tab:blue", alpha=0.35,
            label="Euler-Maruyama chains (simulated)",
        )  # fmt: skip
        axes.plot(grid, values, color="tab:blue", lw=1.5, label="derived density (Eq. 16)")
        below = float(stationary_mean().subs(where))
        above = float(drift_zero_mean().subs(where))
        axes.axvline(1.0, color="0.5", lw=0.8, ls=":", label=r"$\sigma$")
        axes.axvline(below, color="tab:green", lw=1.2, label=r"derived mean $\sigma - O(\kappa)$")
        axes.axvline(above, color="tab:red", lw=1.2, ls="--", label=r"paper: $\sigma + O(\kappa)$")
        axes.set_xlim(0.55, 1.45)
        axes.set_xlabel(r"mode amplitude $s$")
        axes.set_ylabel("stationary density")
        axes.set_title(
            r"$L = 2$, $\sigma = 1$, $\sigma_\varepsilon = 0.5$, $\kappa = 0.05$", fontsize=10
        )
        axes.legend(loc="upper left", fontsize=7, frameon=False)
    return target


def claim_figures(outcomes: Sequence[ClaimOutcome], directory: str | Path) -> dict[str, str]:
    """Draw the figure of each claim's report section into ``directory``.

    A claim registered with ``figure="name_figure"`` shows that function's figure (drawn
    once however many claims share it: C7 and C8 show :func:`diffusion_profile_figure`, C9
    :func:`gradient_flow_figure`); any other claim with a Monte Carlo check its
    :func:`agreement_figure`; the rest none.

    Parameters
    ----------
    outcomes : sequence of ClaimOutcome
        The claims of the report.
    directory : str or pathlib.Path
        Where the PDF figures go (created if missing).

    Returns
    -------
    dict of str to str
        Claim id -> path of its figure file.
    """
    target = Path(directory)
    if target.exists() and not target.is_dir():
        raise InvalidParameter(f"Got figure directory {str(target)!r}, but it is a file.")
    drawn: dict[str, Path] = {}
    figures: dict[str, str] = {}
    for outcome in outcomes:
        claim_id, kind = outcome.claim.id, outcome.claim.figure
        if kind is not None:
            if kind not in drawn:
                if kind not in __all__ or not kind.endswith("_figure"):
                    raise InvalidParameter(
                        f"Claim {claim_id} names figure {kind!r}, but reports.documents.figures has no "
                        "such figure function."
                    )
                drawn[kind] = globals()[kind](target / f"{kind.removesuffix('_figure')}.pdf")
            figures[claim_id] = str(drawn[kind])
            continue
        name = re.sub(r"[^A-Za-z0-9]", "-", claim_id)
        agreement = agreement_figure(outcome, target / f"agreement_{name}.pdf")
        if agreement is not None:
            figures[claim_id] = str(agreement)
    return figures
