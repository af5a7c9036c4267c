r"""Monte Carlo checks of the general-weight claims (C1, C3-C6) against the simulator.

Each function draws a few random networks (seeded), estimates an observable by simulating
its definition (:mod:`numerics`), evaluates the *derived* closed form at the same weights, and
returns the list of :class:`~reports.engine.verdict.Comparison` that
:func:`reports.engine.verdict.numeric_check` turns into a verdict (tests perturb the closed forms
to show the same machinery rejects a wrong formula).  The closed forms evaluated here are the
statements proven by :mod:`derivations`; the estimates share no code with them.
"""

from __future__ import annotations

import numpy as np

from derivations.noise_covariance import noise_covariance_closed_form_numeric
from numerics.montecarlo import Estimate, covariance_estimate, mean_estimate
from numerics.network import (
    flatten_layers,
    network_widths,
    partial_products,
    per_sample_gradients,
    population_gradient,
    population_loss,
)
from numerics.noise import empirical_gradient_noise
from numerics.observables import gradient_drift, ito_drift_samples, modewise_diffusion_samples
from numerics.teacher import Teacher, random_teacher
from numerics.weights import aligned_balanced_weights, random_weights
from reports.engine.verdict import Comparison, scaled_estimate

__all__ = [
    "aligned_modes_comparisons",
    "aligned_point_comparisons",
    "batch_covariance_comparisons",
    "gradient_comparisons",
    "ito_drift_comparison",
    "ito_drift_comparisons",
    "modewise_diffusion_comparison",
    "modewise_diffusion_comparisons",
    "noise_covariance_comparisons",
    "symmetry_comparisons",
]

#: Networks (widths h_0..h_L) at which the general claims are checked: depth 1-3,
#: rectangular, hidden wider and narrower than the input.
_SHAPES = ((3, 2), (2, 3, 2), (3, 2, 4, 2))
_N_SAMPLES = 100_000


def _setup(widths, rng: np.random.Generator, *, label_noise: float = 0.3):
    n, m = widths[0], widths[-1]
    rank = min(n, m)
    singular_values = np.sort(rng.uniform(0.5, 2.0, size=rank))[::-1]
    teacher = random_teacher(singular_values, shape=(m, n), rng=rng, label_noise=label_noise)
    weights = random_weights(widths, rng=rng, scale=1.0)
    return teacher, weights


def _closed_form_covariance(weights, teacher: Teacher) -> np.ndarray:
    return noise_covariance_closed_form_numeric(weights, teacher.matrix, teacher.label_noise_cov)


def _params(widths, teacher: Teacher) -> dict:
    return {
        "widths": list(widths),
        "singular_values": [round(float(v), 4) for v in teacher.singular_values],
    }


def gradient_comparisons(rng: np.random.Generator) -> list[Comparison]:
    r"""C1: mean of simulated per-sample gradients vs :math:`-A_l^\top\Delta B_l^\top`."""
    comparisons = []
    for widths in _SHAPES:
        teacher, weights = _setup(widths, rng)
        x = rng.standard_normal((_N_SAMPLES, teacher.n))
        y = (
            x @ teacher.matrix.T
            + rng.standard_normal((_N_SAMPLES, teacher.m)) @ teacher.label_noise_sqrt
        )
        grads = flatten_layers(per_sample_gradients(weights, x, y))
        A, B = partial_products(weights)
        W = A[0] @ weights[0]
        delta = teacher.matrix - W
        closed = flatten_layers([-a.T @ delta @ b.T for a, b in zip(A, B, strict=True)])
        comparisons.append(Comparison(_params(widths, teacher), mean_estimate(grads), closed))
    return comparisons


#: Relative round-off allowance of exact (sample-free) evaluations.
_ROUNDOFF = 1e-9


def _exact(value) -> Estimate:  # type: ignore[no-untyped-def]
    """An exact evaluation as an :class:`Estimate` whose standard error is round-off."""
    value = np.asarray(value, dtype=float)
    return Estimate(value, _ROUNDOFF * (np.abs(value) + 1.0), 0)


def _random_invertible(size: int, rng: np.random.Generator) -> np.ndarray:
    """A non-orthogonal, well-conditioned matrix: singular values in [0.5, 2], Haar bases."""
    left, _ = np.linalg.qr(rng.standard_normal((size, size)))
    right, _ = np.linalg.qr(rng.standard_normal((size, size)))
    return left @ np.diag(rng.uniform(0.5, 2.0, size)) @ right.T


def symmetry_comparisons(
    rng: np.random.Generator, *, gradient_law: str = "covariant"
) -> list[Comparison]:
    r"""C2: :math:`W_{l+1}\to W_{l+1}G^{-1}`, :math:`W_l \to GW_l` with a random invertible,
    non-orthogonal :math:`G`: the simulator's population loss is unchanged and its gradient
    obeys :math:`\nabla_{l+1} \to \nabla_{l+1}G^\top`, :math:`\nabla_l \to G^{-\top}\nabla_l`
    (other layers unchanged).  ``gradient_law="weights"`` states instead the law of the
    weights themselves (:math:`\nabla_{l+1}G^{-1}`, :math:`G\nabla_l`), which tests show fails.
    """
    comparisons = []
    for widths in _SHAPES[1:]:
        teacher, weights = _setup(widths, rng)
        loss, grads = population_loss(weights, teacher), population_gradient(weights, teacher)
        for l in range(len(weights) - 1):  # hidden layer between W_l and W_{l+1} (0-based)
            g = _random_invertible(widths[l + 1], rng)
            g_inv = np.linalg.inv(g)
            moved = list(weights)
            moved[l], moved[l + 1] = g @ weights[l], weights[l + 1] @ g_inv
            predicted = list(grads)
            if gradient_law == "covariant":
                predicted[l], predicted[l + 1] = g_inv.T @ grads[l], grads[l + 1] @ g.T
            else:
                predicted[l], predicted[l + 1] = g @ grads[l], grads[l + 1] @ g_inv
            params = _params(widths, teacher) | {"hidden layer": l + 1}
            comparisons += [
                Comparison(
                    params | {"observable": "loss"}, _exact(population_loss(moved, teacher)), loss
                ),
                Comparison(
                    params | {"observable": "gradient"},
                    _exact(flatten_layers(population_gradient(moved, teacher))),
                    flatten_layers(predicted),
                ),
            ]
    return comparisons


def noise_covariance_comparisons(rng: np.random.Generator) -> list[Comparison]:
    r"""C3: empirical covariance of simulated gradient noise vs the Kronecker closed form."""
    comparisons = []
    for widths in _SHAPES:
        teacher, weights = _setup(widths, rng)
        noise = flatten_layers(empirical_gradient_noise(weights, teacher, _N_SAMPLES, rng=rng))
        comparisons.append(
            Comparison(
                _params(widths, teacher),
                covariance_estimate(noise),
                _closed_form_covariance(weights, teacher),
            )
        )
    return comparisons


def batch_covariance_comparisons(
    rng: np.random.Generator, *, batch_size: int = 4
) -> list[Comparison]:
    r"""C4: covariance of the online batch-mean gradient noise vs :math:`\Sigma / B`."""
    comparisons = []
    for widths in _SHAPES[:2]:
        teacher, weights = _setup(widths, rng)
        n_batches = _N_SAMPLES // 2
        noise = flatten_layers(
            empirical_gradient_noise(weights, teacher, n_batches * batch_size, rng=rng)
        )
        batch_means = noise.reshape(n_batches, batch_size, -1).mean(axis=1)
        closed = _closed_form_covariance(weights, teacher) / batch_size
        params = _params(widths, teacher) | {"B": batch_size}
        comparisons.append(Comparison(params, covariance_estimate(batch_means), closed))
    return comparisons


def _modewise_jacobians(weights, teacher: Teacher) -> np.ndarray:
    r"""Rows: vec of :math:`A_l^\top u_a v_a^\top B_l^\top` stacked over layers, per mode."""
    A, B = partial_products(weights)
    rows = []
    for a in range(teacher.rank):
        u, v = teacher.left_vectors[:, a], teacher.right_vectors[:, a]
        rows.append(
            flatten_layers([np.outer(Al.T @ u, Bl @ v) for Al, Bl in zip(A, B, strict=True)])
        )
    return np.array(rows)


def modewise_diffusion_comparison(
    weights, teacher: Teacher, *, kappa: float, rng: np.random.Generator, n_samples: int
) -> Comparison:
    r"""C5 at one network: :math:`\kappa\,\mathrm{Cov}(c_1^a, c_1^b)` vs
    :math:`\kappa\,\langle J_a, \Sigma J_b\rangle`, every pair of teacher modes.

    :math:`c_1^a = \langle\nabla s_a, \xi\rangle` is the first-order coefficient of
    :math:`s_a(\theta + h\xi)` along ``n_samples`` simulated draws of the one-sample gradient
    noise :math:`\xi`; :math:`J_a = \nabla s_a` (rows :math:`A_l^\top u_a v_a^\top B_l^\top`)
    and :math:`\Sigma` the Kronecker closed form of C3.  An :math:`r \times r` comparison
    (diagonal: modewise diffusion, off-diagonal: cross-mode diffusion).
    """
    samples = modewise_diffusion_samples(weights, teacher, n_samples=n_samples, rng=rng)
    J = _modewise_jacobians(weights, teacher)
    closed = kappa * J @ _closed_form_covariance(weights, teacher) @ J.T
    scaled = scaled_estimate(covariance_estimate(samples), kappa)
    params = _params(network_widths(weights), teacher) | {"kappa": kappa}
    return Comparison(params, scaled, closed)


def modewise_diffusion_comparisons(
    rng: np.random.Generator, *, kappa: float = 0.05
) -> list[Comparison]:
    r"""C5 at random (non-aligned) weights of every shape in ``_SHAPES``
    (:func:`modewise_diffusion_comparison`)."""
    comparisons = []
    for widths in _SHAPES:
        teacher, weights = _setup(widths, rng)
        comparisons.append(
            modewise_diffusion_comparison(
                weights, teacher, kappa=kappa, rng=rng, n_samples=_N_SAMPLES
            )
        )
    return comparisons


def _ito_closed_form(weights, teacher: Teacher, sigma: np.ndarray) -> np.ndarray:
    r""":math:`\tfrac12\sum_{l\ne k}\langle H_{lk}, \Sigma_{lk}\rangle` per mode, with the
    mixed Hessian blocks of :math:`s_a` as bilinear forms (Prop. 3.4, App. D, Eq. 25)."""
    widths = network_widths(weights)
    depth = len(weights)
    A, B = partial_products(weights)
    sizes = [widths[l] * widths[l + 1] for l in range(depth)]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    drifts = []
    for a in range(teacher.rank):
        u, v = teacher.left_vectors[:, a], teacher.right_vectors[:, a]
        total = 0.0
        for l in range(depth):  # lower layer (0-based)
            for k in range(l + 1, depth):  # upper layer
                middle = np.eye(widths[l + 1])
                for j in range(l + 1, k):
                    middle = weights[j] @ middle
                block = sigma[offsets[k] : offsets[k + 1], offsets[l] : offsets[l + 1]]
                # column-major vec: entry (i, j) of layer k sits at i + j * h_k
                block4 = block.reshape(widths[k], widths[k + 1], widths[l], widths[l + 1])
                total += np.einsum("i,jp,q,jiqp->", A[k].T @ u, middle, B[l] @ v, block4)
        drifts.append(total)
    return np.array(drifts)


def ito_drift_comparison(
    weights, teacher: Teacher, *, kappa: float, rng: np.random.Generator, n_samples: int
) -> Comparison:
    r"""C6 at one network: :math:`\kappa\,E[c_2^a]` vs
    :math:`\tfrac12\kappa\sum_{l\ne k}\langle H_{lk}, \Sigma_{lk}\rangle`, every teacher mode.

    :math:`c_2^a = \tfrac12\xi^\top\nabla^2 s_a\,\xi` is the second-order coefficient of
    :math:`s_a(\theta + h\xi)` along ``n_samples`` simulated draws of the gradient noise; the
    closed form contracts the mixed Hessian blocks :math:`H_{lk}` of :math:`s_a` with the
    blocks :math:`\Sigma_{lk}` of the C3 closed form (Prop. 3.4, App. D).
    """
    samples = ito_drift_samples(weights, teacher, n_samples=n_samples, rng=rng)
    closed = kappa * _ito_closed_form(weights, teacher, _closed_form_covariance(weights, teacher))
    scaled = scaled_estimate(mean_estimate(samples), kappa)
    params = _params(network_widths(weights), teacher) | {"kappa": kappa}
    return Comparison(params, scaled, closed)


def ito_drift_comparisons(rng: np.random.Generator, *, kappa: float = 0.05) -> list[Comparison]:
    r"""C6 at random (non-aligned) weights of every shape in ``_SHAPES``
    (:func:`ito_drift_comparison`)."""
    comparisons = []
    for widths in _SHAPES:
        teacher, weights = _setup(widths, rng)
        comparisons.append(
            ito_drift_comparison(weights, teacher, kappa=kappa, rng=rng, n_samples=_N_SAMPLES)
        )
    return comparisons


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
            n_samples=_N_SAMPLES,
            coupled=coupled,
        )
    return comparisons
