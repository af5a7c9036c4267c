r"""C7 (Prop. 3.5, App. E, Eqs. 4-7): the modewise SDE on the aligned-balanced manifold.

Monte Carlo at aligned-balanced weights with random orthogonal bases, three modes, depths
2-4: the exact gradient drift, the covariance of the first-order coefficients (diffusion
matrix) and the mean of the second-order coefficients (Itô drift, coupled through the other
modes) against the derived closed forms of :mod:`derivations.aligned_balanced`.  The check
quantities ``gradient_drift``, ``ito_drift``, ``drift``, ``diffusion`` and their two-mode
forms, with their simulated observables (:mod:`reports.claims._aligned_point`), and the
figure of the diffusion profile (shared with C8).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from derivations.aligned_balanced import (
    aligned_balanced_claim,
    aligned_diffusion,
    aligned_gradient_drift,
    aligned_ito_drift,
    two_mode_ito_drift,
    two_mode_population_loss,
)
from numerics.data import sample_data
from numerics.montecarlo import Estimate, covariance_estimate, mean_estimate, variance_estimate
from numerics.network import sample_loss
from numerics.observables import (
    gradient_drift,
    ito_drift_samples,
    modewise_diffusion_samples,
)
from numerics.teacher import random_teacher
from numerics.weights import aligned_balanced_weights
from reports.claims._aligned_point import EXACT_ROUNDOFF, aligned_network, mode_samples
from reports.claims._random_networks import (
    N_SAMPLES,
)
from reports.engine.claim import Claim, ClaimFigure, MonteCarlo
from reports.engine.quantity import Quantity
from reports.engine.verdict import Comparison, scaled_estimate
from reports.render.figures import figure_file, figure_path

__all__ = [
    "ALIGNED_BALANCED",
    "CLAIMS",
    "DIFFUSION_PROFILE",
    "QUANTITIES",
    "aligned_modes_comparisons",
    "aligned_point_comparisons",
    "diffusion_profile_figure",
    "simulated_diffusion",
    "simulated_drift",
    "simulated_gradient_drift",
    "simulated_ito_drift",
    "simulated_population_loss",
]


def _evaluated(expr, values: dict) -> float:
    return float(expr.xreplace(values))


def _aligned_closed_forms(
    depth: int,
    singular_values: np.ndarray,
    amplitudes: np.ndarray,
    *,
    kappa: float,
    sigma_eps: float,
    coupled: bool,
) -> dict[str, np.ndarray]:
    r"""The derived C7 closed forms (:mod:`derivations.aligned_balanced`) at one point.

    Per mode :math:`a`: gradient drift :math:`L s_a^{2-2/L}(\sigma_a - s_a)`; diffusion
    matrix :math:`\operatorname{diag}_a \kappa L^2 s_a^{4-4/L}(2(\sigma_a-s_a)^2
    + \sigma_\varepsilon^2)` (the cross-mode diffusion is zero); Itô drift from
    :func:`~derivations.aligned_balanced.aligned_ito_drift_modes` (coupled through the other
    modes), or with ``coupled=False`` the paper's single-mode
    :math:`\kappa\frac{L(L-1)}2 s_a^{3-4/L}(2(\sigma_a-s_a)^2+\sigma_\varepsilon^2)`.
    """
    from derivations import aligned_balanced as ab
    from derivations.conventions import L, s, sigma
    from derivations.conventions import kappa as kappa_symbol
    from derivations.conventions import sigma_eps as eps_symbol

    common = {kappa_symbol: kappa, eps_symbol: sigma_eps, L: depth}
    per_mode = [
        common | {s: amplitude, sigma: singular}
        for amplitude, singular in zip(amplitudes, singular_values, strict=True)
    ]
    if coupled:
        s_modes, sigma_modes = ab.mode_symbols(len(amplitudes))
        values = common | dict(zip(s_modes, amplitudes, strict=True))
        values |= dict(zip(sigma_modes, singular_values, strict=True))
        ito = [
            _evaluated(e, values)
            for e in ab.aligned_ito_drift_modes(depth=depth, n_modes=len(amplitudes))
        ]
    else:
        ito = [_evaluated(ab.aligned_ito_drift(), p) for p in per_mode]
    return {
        "gradient drift": np.array([_evaluated(ab.aligned_gradient_drift(), p) for p in per_mode]),
        "diffusion matrix": np.diag([_evaluated(ab.aligned_diffusion(), p) for p in per_mode]),
        "Itô drift": np.array(ito),
    }


def aligned_point_comparisons(
    depth: int,
    singular_values,
    amplitudes,
    width: int,
    *,
    kappa: float,
    sigma_eps: float,
    rng: np.random.Generator,
    n_samples: int,
    coupled: bool = True,
) -> list[Comparison]:
    r"""C7 at one aligned-balanced point: gradient drift, diffusion matrix, Itô drift.

    A teacher :math:`W^* = U\operatorname{diag}(\sigma)V^\top` of shape
    ``(width, width)`` with Haar-random bases and isotropic label noise
    :math:`\sigma_\varepsilon`, and weights of depth :math:`L` = ``depth``, every layer
    ``width`` wide (``width >= len(amplitudes)``), on the aligned-balanced manifold with
    amplitudes :math:`s_a > 0` (:func:`numerics.weights.aligned_balanced_weights`, random
    hidden bases).  Three comparisons, with the derived closed forms of
    :func:`_aligned_closed_forms`:

    * the exact gradient drift :math:`c_1^a` along :math:`-\nabla L` (round-off tolerance
      :math:`10^{-10}(|\mu| + 1)`, no sampling);
    * :math:`\kappa\,\mathrm{Cov}(c_1^a, c_1^b)` over ``n_samples`` noise draws;
    * :math:`\kappa\,E[c_2^a]` over another ``n_samples`` draws.
    """
    singular_values = np.asarray(singular_values, dtype=float)
    amplitudes = np.asarray(amplitudes, dtype=float)
    teacher = random_teacher(singular_values, shape=(width, width), rng=rng, label_noise=sigma_eps)
    weights = aligned_balanced_weights(teacher, amplitudes, (width,) * (depth + 1), rng=rng)
    closed = _aligned_closed_forms(
        depth, singular_values, amplitudes, kappa=kappa, sigma_eps=sigma_eps, coupled=coupled
    )
    params = {
        "L": depth,
        "s": [round(float(v), 4) for v in amplitudes],
        "kappa": kappa,
        "sigma_eps": sigma_eps,
    }
    n_modes = amplitudes.size
    gradient = gradient_drift(weights, teacher)[:n_modes]
    roundoff = 1e-10 * (np.abs(gradient) + 1.0)
    c1 = modewise_diffusion_samples(weights, teacher, n_samples=n_samples, rng=rng)
    c2 = ito_drift_samples(weights, teacher, n_samples=n_samples, rng=rng)
    estimates = {
        "gradient drift": Estimate(gradient, roundoff, 0),
        "diffusion matrix": scaled_estimate(covariance_estimate(c1), kappa),
        "Itô drift": scaled_estimate(mean_estimate(c2), kappa),
    }
    # the two drifts are vectors over the modes: name the worst mode; the diffusion matrix's
    # worst entry is named by its index
    modes = range(1, n_modes + 1)
    labels = {
        "gradient drift": tuple(f"gradient drift of s_{a}" for a in modes),
        "diffusion matrix": (),
        "Itô drift": tuple(f"Itô drift of s_{a}" for a in modes),
    }
    return [
        Comparison(
            params | {"observable": name},
            estimates[name],
            closed[name],
            labels=labels[name],
            worst_only=True,
        )
        for name in estimates
    ]


def aligned_modes_comparisons(
    rng: np.random.Generator,
    *,
    kappa: float = 0.05,
    sigma_eps: float = 0.3,
    coupled: bool = True,
) -> list[Comparison]:
    r"""C7: three modes at aligned-balanced weights (hidden width 4), depths 2-4.

    Singular values :math:`(2, 1.5, 1)`, amplitudes :math:`s_a = u_a \sigma_a` with
    :math:`u_a \sim U(0.2, 0.9)` (every mode partly learned: the modes couple), compared by
    :func:`aligned_point_comparisons`.  ``coupled=False`` compares the Itô drift with the
    paper's decoupled single-mode form instead (tests show it fails).
    """
    n_modes, width = 3, 4
    singular_values = np.array([2.0, 1.5, 1.0])
    comparisons = []
    for depth in (2, 3, 4):
        amplitudes = singular_values * rng.uniform(0.2, 0.9, size=n_modes)
        comparisons += aligned_point_comparisons(
            depth,
            singular_values,
            amplitudes,
            width,
            kappa=kappa,
            sigma_eps=sigma_eps,
            rng=rng,
            n_samples=N_SAMPLES,
            coupled=coupled,
        )
    return comparisons


# --- the check quantities' observables: one mode of the network at a point -------------


def simulated_diffusion(point: Mapping[str, float], rng: np.random.Generator) -> Estimate:
    r""":math:`\kappa\,\mathrm{Var}\langle\nabla s, \xi\rangle` from simulated per-sample gradients."""
    samples = mode_samples(point, rng, modewise_diffusion_samples)
    return scaled_estimate(variance_estimate(samples), float(point["kappa"]))


def simulated_ito_drift(point: Mapping[str, float], rng: np.random.Generator) -> Estimate:
    r""":math:`\kappa\,E[c_2]`, :math:`c_2` the second-order coefficient of :math:`s(\theta + h\xi)`."""
    samples = mode_samples(point, rng, ito_drift_samples)
    return scaled_estimate(mean_estimate(samples), float(point["kappa"]))


def simulated_gradient_drift(point: Mapping[str, float], rng: np.random.Generator) -> Estimate:
    r""":math:`-\langle \nabla s, \nabla L\rangle`, exact (no sampling; SE = round-off)."""
    teacher, weights = aligned_network(point, rng)
    value = float(gradient_drift(weights, teacher)[0])
    return Estimate(value, EXACT_ROUNDOFF * (abs(value) + 1.0), 0)


def simulated_drift(point: Mapping[str, float], rng: np.random.Generator) -> Estimate:
    """Gradient drift plus Itô drift."""
    gradient = simulated_gradient_drift(point, rng)
    ito = simulated_ito_drift(point, rng)
    return Estimate(
        float(gradient.value) + float(ito.value),
        float(np.hypot(gradient.standard_error, ito.standard_error)),
        ito.n_samples,
    )


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


DIFFUSION_PROFILE = ClaimFigure(
    diffusion_profile_figure,
    "diffusion_profile",
    (
        r"Derived aligned-balanced diffusion $D(s)/\kappa$ for $\sigma = 1$, "
        r"$\sigma_\varepsilon \in \{{0, 0.2\}}$ and $L = 1, \dots, 4$; dots mark the derived "
        r"maximiser $s^\ast$ where it exists."
    ),
)

ALIGNED_BALANCED = Claim(
    "C7",
    "Aligned-balanced modewise SDE for symbolic depth L (Eqs. 4-7)",
    "Prop. 3.5, App. E, Eqs. 4-7",
    r"ds = \bigl(L s^{2-2/L}(\sigma - s) + \mu_{\mathrm{Ito}}\bigr)dt"
    r" + \sqrt{\kappa L^2 s^{4-4/L}\bigl(2(\sigma-s)^2 + \sigma_\varepsilon^2\bigr)}\,dW_t",
    aligned_balanced_claim,
    MonteCarlo(
        aligned_modes_comparisons,
        "Three modes, depths 2-4; Itô drift against the coupled (derived) form.",
    ),
    quantities=(
        "gradient_drift",
        "ito_drift",
        "drift",
        "diffusion",
        "two_mode_ito_drift",
        "two_mode_drift",
        "population_loss",
    ),
    figure=DIFFUSION_PROFILE,
)


def simulated_population_loss(point: Mapping[str, float], rng: np.random.Generator) -> Estimate:
    r"""The ``population_loss`` observable: the mean of the per-sample loss
    :math:`\tfrac12\|y - Wx\|^2` over :data:`N_SAMPLES` sampled data points, with its
    standard error, at aligned-balanced weights of depth 2 (widths ``(3, 3, m)``) with
    amplitudes ``s``, ``s_b`` of a teacher of shape ``(m, 3)`` with singular values
    ``sigma``, ``sigma_b`` (Haar-random bases) and label noise ``sigma_eps``."""
    outputs = int(point["m"])
    teacher = random_teacher(
        [float(point["sigma"]), float(point["sigma_b"])],
        shape=(outputs, 3),
        rng=rng,
        label_noise=float(point["sigma_eps"]),
    )
    amplitudes = [float(point["s"]), float(point["s_b"])]
    weights = aligned_balanced_weights(teacher, amplitudes, (3, 3, outputs), rng=rng)
    x, y = sample_data(teacher, N_SAMPLES, rng=rng)
    return mean_estimate(sample_loss(weights, x, y))


def _two_outputs(point: Mapping[str, float]) -> bool:
    return bool(point["m"] >= 2)


_MODE = "aligned-balanced single mode (other modes at 0)"
_SYMBOLS = ("s", "sigma", "sigma_eps", "L", "kappa")
_TWO_MODES = ("s", "sigma", "s_b", "sigma_b", "sigma_eps", "L", "kappa")

QUANTITIES = (
    Quantity(
        "gradient_drift",
        f"gradient part of the drift of s, {_MODE} (Eq. 5)",
        ("s", "sigma", "L"),
        "C7",
        lambda: {"gradient_drift": aligned_gradient_drift()},
        simulated_gradient_drift,
    ),
    Quantity(
        "ito_drift",
        f"Itô (noise-induced) part of the drift of s, {_MODE} (Eq. 6)",
        _SYMBOLS,
        "C7",
        lambda: {"ito_drift": aligned_ito_drift()},
        simulated_ito_drift,
    ),
    Quantity(
        "drift",
        f"total drift mu of ds = mu dt + sqrt(D) dW, {_MODE} (Eqs. 4-6)",
        _SYMBOLS,
        "C7",
        lambda: {"gradient_drift": aligned_gradient_drift(), "ito_drift": aligned_ito_drift()},
        simulated_drift,
    ),
    Quantity(
        "diffusion",
        f"diffusion D (full variance rate) of s, {_MODE} (Eq. 7)",
        _SYMBOLS,
        "C7",
        lambda: {"diffusion": aligned_diffusion()},
        simulated_diffusion,
    ),
    Quantity(
        "two_mode_ito_drift",
        "Itô drift of s when a second mode s_b (teacher sigma_b) is present, aligned-balanced "
        "(Eq. 6 plus the cross-mode term it omits); for free L a closed form, its limit at s_b = s",
        _TWO_MODES,
        "C7",
        lambda: {"ito_drift": two_mode_ito_drift()},
        simulated_ito_drift,
        at_depth=lambda depth: {"ito_drift": two_mode_ito_drift(depth=depth)},
    ),
    Quantity(
        "two_mode_drift",
        "total drift mu of s when a second mode s_b (teacher sigma_b) is present: the gradient "
        "drift (Eq. 5, mode s only) plus two_mode_ito_drift",
        _TWO_MODES,
        "C7",
        lambda: {"gradient_drift": aligned_gradient_drift(), "ito_drift": two_mode_ito_drift()},
        simulated_drift,
        at_depth=lambda depth: {
            "gradient_drift": aligned_gradient_drift(),
            "ito_drift": two_mode_ito_drift(depth=depth),
        },
    ),
    Quantity(
        "population_loss",
        "population loss E 1/2||y - Wx||^2 at an aligned point with two modes, amplitudes s, "
        "s_b of teacher values sigma, sigma_b, m outputs, label noise sigma_eps^2 I (any depth)",
        ("s", "sigma", "s_b", "sigma_b", "sigma_eps", "m"),
        "C7",
        lambda: {"loss": two_mode_population_loss()},
        simulated_population_loss,
        constraint=_two_outputs,
        domain="m >= 2 (two modes)",
    ),
)
CLAIMS = (ALIGNED_BALANCED,)
