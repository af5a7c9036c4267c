r"""Numeric observables of the modewise SDE, by simulating their definitions.

The drift and diffusion of a mode amplitude :math:`s_a = u_a^\top W v_a` under the anisotropic
Langevin SDE :math:`d\theta = -\nabla L\,dt + \sqrt{\kappa\Sigma}\,dW_t` (paper Eq. 1,
Props. 3.3-3.4, Apps. C-D) follow from Itô's formula applied to a *polynomial* in
:math:`\theta`.  Along any direction :math:`\xi = (\xi_1, \dots, \xi_L)`,

.. math:: s_a(\theta + h\xi) = u_a^\top (W_L + h\xi_L)\cdots(W_1 + h\xi_1)\,v_a
          = \sum_{k=0}^{L} c_k h^k,

with :math:`c_1 = \langle \nabla s_a, \xi\rangle` and
:math:`c_2 = \tfrac12 \xi^\top \nabla^2 s_a\,\xi`.  The coefficients are computed exactly by
multiplying polynomial matrices layer by layer,
:math:`P_k \leftarrow W_l P_k + \xi_l P_{k-1}` (starting from :math:`P_0 = V_r`), batched over
noise draws and networks.  With :math:`\xi` a draw of the one-sample gradient noise
(covariance :math:`\Sigma`):

* modewise (cross-mode) diffusion :math:`= \kappa \operatorname{Var}(c_1^a)`
  (:math:`\kappa \operatorname{Cov}(c_1^a, c_1^b)`) — :func:`modewise_diffusion_samples`;
* Itô drift :math:`= \kappa\,\mathbb{E}\,c_2
  = \tfrac12\kappa \sum_{l \ne k}\langle H_{lk}, \Sigma_{lk}\rangle` —
  :func:`ito_drift_samples`;
* gradient drift :math:`= c_1` along :math:`-\nabla L`, exact — :func:`gradient_drift`.

No closed form of the paper enters: these are the numeric ground truth that the symbolic
derivations of :mod:`derivations` are compared with (DESIGN.md §2, claims C5-C7, C13-C14).
An independent route to the Itô drift, through one Euler-Maruyama step of the SDE with
antithetic noise, is :func:`ito_drift_increment_samples`.

The module is separate from :mod:`numerics.network` because it holds observables (functions
of the noise), not the network; and from :mod:`numerics.montecarlo` because it returns samples,
which the estimators there turn into estimates with standard errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from numbers import Integral
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dlnverify.errors import InvalidParameter
from numerics._validation import (
    as_real_array,
    check_generator,
    check_positive_int,
    check_positive_real,
)
from numerics.network import (
    _teacher_iv,
    end_to_end,
    network_widths,
    population_gradient,
    unflatten_layers,
    validate_weights,
)
from numerics.noise import dense_gradient_noise, empirical_gradient_noise, factored_gradient_noise
from numerics.sde import anisotropic_langevin_step, gradient_descent_step
from numerics.teacher import Teacher

__all__ = [
    "cross_mode_diffusion_samples",
    "cross_mode_expansion",
    "cross_mode_ito_drift_samples",
    "gradient_drift",
    "imbalance_drift_samples",
    "imbalance_expansion",
    "ito_drift_increment_samples",
    "ito_drift_samples",
    "mode_amplitude_expansion",
    "modewise_diffusion_samples",
]

Layers = tuple[NDArray[np.float64], ...]
Sampler = Literal["empirical", "factored", "dense"]

_SAMPLERS = ("dense", "empirical", "factored")
#: Largest number of float64 noise entries drawn at once (32 MiB); larger requests are chunked.
_CHUNK_ENTRIES = 2**22


def _direction_iv(layers: Layers, direction: Any) -> tuple[Layers, tuple[int, ...]]:
    """Validate a direction: layers of shape (*batch, *extra, h_l, h_{l-1}); return extra."""
    if isinstance(direction, np.ndarray) or not isinstance(direction, Sequence):
        raise InvalidParameter(
            f"Got direction of type {type(direction).__name__}, but direction must be a sequence"
            " of L arrays (xi_1, ..., xi_L)."
        )
    if len(direction) != len(layers):
        raise InvalidParameter(
            f"Got direction with {len(direction)} layers, but the network has depth"
            f" L={len(layers)}."
        )
    batch = layers[0].shape[:-2]
    arrays = []
    extra: tuple[int, ...] | None = None
    for index, (layer, xi) in enumerate(zip(layers, direction, strict=True), start=1):
        array = as_real_array(f"direction[{index - 1}] (xi_{index})", xi)
        shape = array.shape
        if (
            array.ndim < layer.ndim
            or shape[-2:] != layer.shape[-2:]
            or shape[: len(batch)] != batch
        ):
            raise InvalidParameter(
                f"Got xi_{index} of shape {shape}, but it must have shape"
                f" (*{batch}, ..., {layer.shape[-2]}, {layer.shape[-1]}): the batch shape of the"
                " weights, extra axes, then the shape of W_l."
            )
        this_extra = shape[len(batch) : -2]
        if extra is not None and this_extra != extra:
            raise InvalidParameter(
                f"Got xi_{index} with extra axes {this_extra}, but xi_1 has {extra};"
                " every layer must have the same."
            )
        extra = this_extra
        arrays.append(array)
    assert extra is not None
    return tuple(arrays), extra


def _modes_iv(teacher: Teacher, n_modes: int | None) -> int:
    if n_modes is None:
        return teacher.rank
    count = check_positive_int("n_modes", n_modes)
    if count > min(teacher.m, teacher.n):
        raise InvalidParameter(
            f"Got {n_modes=}, but n_modes must be at most min(m, n) = {min(teacher.m, teacher.n)}."
        )
    return count


def _order_iv(order: Any) -> int:
    if not isinstance(order, Integral) or isinstance(order, bool) or order < 0:
        raise InvalidParameter(f"Got {order=}, but order must be an integer >= 0.")
    return int(order)


def _polynomial_coefficients(
    layers: Layers,
    direction: Layers,
    extra: tuple[int, ...],
    right: NDArray[np.float64],
    order: int,
) -> list[NDArray[np.float64]]:
    r"""Coefficients :math:`P_k` of :math:`\prod_l (W_l + h\xi_l)\,V`, :math:`k \le` order.

    Exact recursion :math:`P_k \leftarrow W_l P_k + \xi_l P_{k-1}`; zero coefficients are kept
    as ``None`` while they are structurally zero.  Shapes ``(*batch, *extra, m, r)``.
    """
    pad = (1,) * len(extra)
    coefficients: list[NDArray[np.float64] | None] = [right] + [None] * order
    for layer, xi in zip(layers, direction, strict=True):
        w = layer.reshape(*layer.shape[:-2], *pad, *layer.shape[-2:])
        updated: list[NDArray[np.float64] | None] = []
        for k in range(order + 1):
            same, lower = coefficients[k], coefficients[k - 1] if k >= 1 else None
            term = None if same is None else w @ same
            if lower is not None:
                step = xi @ lower
                term = step if term is None else term + step
            updated.append(term)
        coefficients = updated
    shape = (*layers[0].shape[:-2], *extra, layers[-1].shape[-2], right.shape[-1])
    return [
        np.zeros(shape) if c is None else np.broadcast_to(c, shape).astype(np.float64)
        for c in coefficients
    ]


def cross_mode_expansion(
    weights: Sequence[ArrayLike],
    teacher: Teacher,
    direction: Sequence[ArrayLike],
    *,
    order: int = 2,
    n_modes: int | None = None,
) -> NDArray[np.float64]:
    r"""Taylor coefficients of the cross-mode amplitudes along a direction.

    .. math:: U_r^\top (W_L + h\xi_L)\cdots(W_1 + h\xi_1) V_r
              = \sum_{k=0}^{L} C_k h^k, \qquad (C_k)_{ab} \text{ for } s_{ab} = u_a^\top W v_b,

    exactly (a polynomial of degree :math:`L` in :math:`h`; :math:`C_k = 0` for :math:`k > L`).

    Parameters
    ----------
    weights : sequence of array_like
        :math:`(W_1, \dots, W_L)`, shapes ``(*batch, h_l, h_{l-1})``.
    teacher : Teacher
        Supplies :math:`u_a, v_b` (its left/right singular vectors).
    direction : sequence of array_like
        :math:`(\xi_1, \dots, \xi_L)`, shapes ``(*batch, *extra, h_l, h_{l-1})``: the batch
        shape of the weights followed by any extra axes (e.g. noise draws).
    order : int, optional
        Highest power of :math:`h` returned, ``>= 0``.
    n_modes : int, optional
        Number :math:`r` of leading singular directions (default: the teacher's rank; up to
        :math:`\min(m, n)` to follow student modes the teacher does not have).

    Returns
    -------
    numpy.ndarray, shape (*batch, *extra, order + 1, r, r)
    """
    layers = validate_weights(weights)
    teacher = _teacher_iv(layers, teacher)
    xis, extra = _direction_iv(layers, direction)
    order = _order_iv(order)
    r = _modes_iv(teacher, n_modes)
    coefficients = _polynomial_coefficients(layers, xis, extra, teacher.right[:, :r], order)
    left = teacher.left[:, :r]
    return np.stack([left.T @ c for c in coefficients], axis=-3)


def mode_amplitude_expansion(
    weights: Sequence[ArrayLike],
    teacher: Teacher,
    direction: Sequence[ArrayLike],
    *,
    order: int = 2,
    n_modes: int | None = None,
) -> NDArray[np.float64]:
    r"""Taylor coefficients of the mode amplitudes along a direction.

    .. math:: s_a(\theta + h\xi) = u_a^\top (W_L + h\xi_L)\cdots(W_1 + h\xi_1)\,v_a
              = \sum_{k=0}^{L} c_k^a h^k,

    :math:`c_0^a = s_a`, :math:`c_1^a = \langle\nabla s_a, \xi\rangle`,
    :math:`c_2^a = \tfrac12 \xi^\top \nabla^2 s_a\,\xi` (paper Prop. 3.4, App. D); the diagonal
    of :func:`cross_mode_expansion`.  Parameters as there.

    Returns
    -------
    numpy.ndarray, shape (*batch, *extra, order + 1, r)
    """
    layers = validate_weights(weights)
    teacher = _teacher_iv(layers, teacher)
    xis, extra = _direction_iv(layers, direction)
    order = _order_iv(order)
    r = _modes_iv(teacher, n_modes)
    coefficients = _polynomial_coefficients(layers, xis, extra, teacher.right[:, :r], order)
    left = teacher.left[:, :r]
    return np.stack([np.einsum("...ia,ia->...a", c, left) for c in coefficients], axis=-2)


def gradient_drift(
    weights: Sequence[ArrayLike], teacher: Teacher, *, n_modes: int | None = None
) -> NDArray[np.float64]:
    r"""Gradient drift of the mode amplitudes, exact (no sampling).

    .. math:: \mu^{\mathrm{grad}}_a = -\langle \nabla s_a, \nabla L\rangle
              = c_1^a \text{ along } \xi = -\nabla L,

    the first-order coefficient of :func:`mode_amplitude_expansion` along minus the population
    gradient (paper Prop. 3.4, first term).

    Returns
    -------
    numpy.ndarray, shape (*batch, r)
    """
    layers = validate_weights(weights)
    teacher = _teacher_iv(layers, teacher)
    direction = tuple(-g for g in population_gradient(layers, teacher))
    return mode_amplitude_expansion(layers, teacher, direction, order=1, n_modes=n_modes)[..., 1, :]


def _sampler_iv(sampler: Any, layers: Layers) -> str:
    if sampler not in _SAMPLERS:
        raise InvalidParameter(f"Got {sampler=}, but sampler must be one of {_SAMPLERS}.")
    if sampler == "dense" and layers[0].ndim != 2:
        raise InvalidParameter(
            f"Got sampler='dense' with weights of batch shape {layers[0].shape[:-2]}, but the"
            " dense sampler takes a single network (no batch axes)."
        )
    return str(sampler)


def _noise_chunks(
    layers: Layers,
    teacher: Teacher,
    n_samples: Any,
    rng: Any,
    sampler: str,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[Layers]:
    """Yield draws of the one-sample gradient noise, (*batch, k, h_l, h_{l-1}), in chunks;
    ``progress(done, n_samples)`` after each."""
    total = check_positive_int("n_samples", n_samples)
    rng = check_generator(rng)
    batch_size = int(np.prod(layers[0].shape[:-2], dtype=np.int64))
    per_draw = batch_size * sum(int(w.shape[-1] * w.shape[-2]) for w in layers)
    chunk = max(1, _CHUNK_ENTRIES // per_draw)
    widths = network_widths(layers)
    done = 0
    while done < total:
        k = min(chunk, total - done)
        if sampler == "empirical":
            draws = empirical_gradient_noise(layers, teacher, k, rng=rng)
        elif sampler == "factored":
            draws = factored_gradient_noise(layers, teacher, k, rng=rng)
        else:
            draws = unflatten_layers(dense_gradient_noise(layers, teacher, k, rng=rng), widths)
        yield tuple(np.asarray(d, dtype=np.float64) for d in draws)
        done += k
        if progress is not None:
            progress(done, total)


def _coefficient_samples(
    weights: Sequence[ArrayLike],
    teacher: Teacher,
    *,
    n_samples: int,
    rng: np.random.Generator,
    sampler: str,
    degree: int,
    cross: bool,
    n_modes: int | None,
    progress: Callable[[int, int], None] | None = None,
) -> NDArray[np.float64]:
    layers = validate_weights(weights)
    teacher = _teacher_iv(layers, teacher)
    sampler = _sampler_iv(sampler, layers)
    r = _modes_iv(teacher, n_modes)
    right, left = teacher.right[:, :r], teacher.left[:, :r]
    parts = []
    for xis in _noise_chunks(layers, teacher, n_samples, rng, sampler, progress):
        coefficient = _polynomial_coefficients(layers, xis, xis[0].shape[-3:-2], right, degree)[
            degree
        ]
        if cross:
            parts.append(left.T @ coefficient)
        else:
            parts.append(np.einsum("...ia,ia->...a", coefficient, left))
    axis = -3 if cross else -2
    return np.concatenate(parts, axis=axis)


def modewise_diffusion_samples(
    weights: Sequence[ArrayLike],
    teacher: Teacher,
    *,
    n_samples: int,
    rng: np.random.Generator,
    sampler: Sampler = "empirical",
    n_modes: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> NDArray[np.float64]:
    r"""Samples of :math:`c_1^a = \langle \nabla s_a, \xi\rangle`, :math:`\xi` the gradient noise.

    The modewise diffusion (paper Prop. 3.3, App. C, claim C5) is
    :math:`D_a = \kappa \operatorname{Var}(c_1^a)` and the cross-mode diffusion is
    :math:`\kappa \operatorname{Cov}(c_1^a, c_1^b)`; the mean of :math:`c_1^a` is zero.

    Parameters
    ----------
    weights, teacher
        As in :func:`mode_amplitude_expansion`.
    n_samples : int
        Noise draws per network, ``>= 1``.
    rng : numpy.random.Generator
        Source of randomness.
    sampler : {"empirical", "factored", "dense"}, optional
        How :math:`\xi` is drawn (:mod:`numerics.noise`): ``"empirical"`` — per-sample
        gradient minus population gradient at simulated data (the definition); ``"factored"``
        — the exact Gaussian of covariance :math:`\Sigma` from
        :math:`\Delta G + \Sigma_\varepsilon^{1/2} Z`; ``"dense"`` — symmetric square root of
        the dense :math:`\Sigma` (single network only).  All have covariance :math:`\Sigma`;
        only ``"empirical"`` has the non-Gaussian higher moments of SGD noise.
    n_modes : int, optional
        As in :func:`mode_amplitude_expansion`.
    progress : callable, optional
        Called as ``progress(done, n_samples)`` after each chunk of draws (the draws come in
        chunks of about ``2**22`` numbers).

    Returns
    -------
    numpy.ndarray, shape (*batch, n_samples, r)
    """
    return _coefficient_samples(
        weights,
        teacher,
        n_samples=n_samples,
        rng=rng,
        sampler=sampler,
        degree=1,
        cross=False,
        n_modes=n_modes,
        progress=progress,
    )


def cross_mode_diffusion_samples(
    weights: Sequence[ArrayLike],
    teacher: Teacher,
    *,
    n_samples: int,
    rng: np.random.Generator,
    sampler: Sampler = "empirical",
    n_modes: int | None = None,
) -> NDArray[np.float64]:
    r"""Samples of :math:`C_1^{ab} = \langle \nabla s_{ab}, \xi\rangle` for the cross-mode
    amplitudes :math:`s_{ab} = u_a^\top W v_b`.

    :math:`\kappa \operatorname{Var}(C_1^{ab})` is the diffusion of :math:`s_{ab}`.

    Parameters
    ----------
    weights, teacher, n_samples, rng, sampler, n_modes
        As in :func:`modewise_diffusion_samples`.

    Returns
    -------
    numpy.ndarray, shape (*batch, n_samples, r, r)
    """
    return _coefficient_samples(
        weights,
        teacher,
        n_samples=n_samples,
        rng=rng,
        sampler=sampler,
        degree=1,
        cross=True,
        n_modes=n_modes,
    )


def ito_drift_samples(
    weights: Sequence[ArrayLike],
    teacher: Teacher,
    *,
    n_samples: int,
    rng: np.random.Generator,
    sampler: Sampler = "empirical",
    n_modes: int | None = None,
) -> NDArray[np.float64]:
    r"""Samples of :math:`c_2^a = \tfrac12 \xi^\top \nabla^2 s_a\,\xi`.

    By Itô's formula the noise contributes the drift
    :math:`\tfrac12\kappa\operatorname{tr}(\nabla^2 s_a \Sigma) = \kappa\,\mathbb{E}\,c_2^a
    = \tfrac12\kappa\sum_{l \ne k}\langle H_{lk}, \Sigma_{lk}\rangle` (paper Prop. 3.4,
    App. D, claim C6): multiply the mean of these samples by :math:`\kappa`.

    Parameters
    ----------
    weights, teacher, n_samples, rng, sampler, n_modes
        As in :func:`modewise_diffusion_samples`.

    Returns
    -------
    numpy.ndarray, shape (*batch, n_samples, r)
    """
    return _coefficient_samples(
        weights,
        teacher,
        n_samples=n_samples,
        rng=rng,
        sampler=sampler,
        degree=2,
        cross=False,
        n_modes=n_modes,
    )


def cross_mode_ito_drift_samples(
    weights: Sequence[ArrayLike],
    teacher: Teacher,
    *,
    n_samples: int,
    rng: np.random.Generator,
    sampler: Sampler = "empirical",
    n_modes: int | None = None,
) -> NDArray[np.float64]:
    r"""Samples of :math:`C_2^{ab}`, the :math:`h^2` coefficient of
    :math:`u_a^\top W(\theta + h\xi) v_b`.

    :math:`\kappa\,\mathbb{E}\,C_2^{ab}` is the Itô (noise) drift of the cross-mode amplitude
    :math:`s_{ab}` (claim C14): whether the noise pushes the weights off the aligned manifold.

    Parameters
    ----------
    weights, teacher, n_samples, rng, sampler, n_modes
        As in :func:`modewise_diffusion_samples`.

    Returns
    -------
    numpy.ndarray, shape (*batch, n_samples, r, r)
    """
    return _coefficient_samples(
        weights,
        teacher,
        n_samples=n_samples,
        rng=rng,
        sampler=sampler,
        degree=2,
        cross=True,
        n_modes=n_modes,
    )


def imbalance_expansion(
    weights: Sequence[ArrayLike], direction: Sequence[ArrayLike]
) -> tuple[NDArray[np.float64], ...]:
    r"""Taylor coefficients of the layer imbalances along a direction.

    For :math:`D_l = W_{l+1}^\top W_{l+1} - W_l W_l^\top`, :math:`l = 1, \dots, L-1`,

    .. math:: D_l(\theta + h\xi) = D_l
              + h\,(\xi_{l+1}^\top W_{l+1} + W_{l+1}^\top \xi_{l+1} - \xi_l W_l^\top
              - W_l \xi_l^\top) + h^2 (\xi_{l+1}^\top \xi_{l+1} - \xi_l \xi_l^\top)

    (exact: :math:`D_l` is quadratic).

    Parameters
    ----------
    weights : sequence of array_like
        Shapes ``(*batch, h_l, h_{l-1})``, depth :math:`L \ge 2`.
    direction : sequence of array_like
        Shapes ``(*batch, *extra, h_l, h_{l-1})``.

    Returns
    -------
    tuple of numpy.ndarray
        One array per :math:`l = 1, \dots, L-1`, shape ``(*batch, *extra, 3, h_l, h_l)``.
    """
    layers = validate_weights(weights)
    if len(layers) < 2:
        raise InvalidParameter(
            f"Got weights of depth L={len(layers)}, but the layer imbalance needs L >= 2."
        )
    xis, extra = _direction_iv(layers, direction)
    pad = (1,) * len(extra)
    ws = [w.reshape(*w.shape[:-2], *pad, *w.shape[-2:]) for w in layers]
    result = []
    for l in range(len(layers) - 1):
        w_in, w_out, x_in, x_out = ws[l], ws[l + 1], xis[l], xis[l + 1]
        t = np.swapaxes
        c0 = t(w_out, -1, -2) @ w_out - w_in @ t(w_in, -1, -2)
        mixed_out = t(x_out, -1, -2) @ w_out
        mixed_in = x_in @ t(w_in, -1, -2)
        c1 = mixed_out + t(mixed_out, -1, -2) - mixed_in - t(mixed_in, -1, -2)
        c2 = t(x_out, -1, -2) @ x_out - x_in @ t(x_in, -1, -2)
        shape = (*layers[0].shape[:-2], *extra, c2.shape[-2], c2.shape[-1])
        result.append(np.stack([np.broadcast_to(c, shape) for c in (c0, c1, c2)], axis=-3))
    return tuple(result)


def imbalance_drift_samples(
    weights: Sequence[ArrayLike],
    teacher: Teacher,
    *,
    n_samples: int,
    rng: np.random.Generator,
    sampler: Sampler = "empirical",
) -> tuple[NDArray[np.float64], ...]:
    r"""Samples of the noise part of the Itô drift of the layer imbalances (claim C14).

    :math:`D_l` is quadratic in :math:`\theta`, so its Itô drift is the gradient part plus
    :math:`\kappa\,\mathbb{E}\,(\xi_{l+1}^\top \xi_{l+1} - \xi_l \xi_l^\top)`, the
    :math:`h^2` coefficient of :func:`imbalance_expansion` along the gradient noise.
    (The gradient part, the :math:`h` coefficient along :math:`-\nabla L`, is zero for every
    :math:`\theta`: gradient flow conserves the imbalance.)

    Parameters
    ----------
    weights, teacher
        As in :func:`mode_amplitude_expansion`; depth :math:`L \ge 2`.
    n_samples : int
        Noise draws per network, ``>= 1``.
    rng : numpy.random.Generator
        Source of randomness.
    sampler : {"empirical", "factored", "dense"}, optional
        As in :func:`modewise_diffusion_samples`.

    Returns
    -------
    tuple of numpy.ndarray
        For :math:`l = 1, \dots, L-1`, shape ``(*batch, n_samples, h_l, h_l)``.
    """
    layers = validate_weights(weights)
    if len(layers) < 2:
        raise InvalidParameter(
            f"Got weights of depth L={len(layers)}, but the layer imbalance needs L >= 2."
        )
    teacher = _teacher_iv(layers, teacher)
    method = _sampler_iv(sampler, layers)
    parts: list[list[NDArray[np.float64]]] = [[] for _ in range(len(layers) - 1)]
    for xis in _noise_chunks(layers, teacher, n_samples, rng, method):
        t = np.swapaxes
        for l in range(len(layers) - 1):
            parts[l].append(t(xis[l + 1], -1, -2) @ xis[l + 1] - xis[l] @ t(xis[l], -1, -2))
    return tuple(np.concatenate(p, axis=-3) for p in parts)


def ito_drift_increment_samples(
    weights: Sequence[ArrayLike],
    teacher: Teacher,
    *,
    dt: float,
    kappa: float,
    n_samples: int,
    rng: np.random.Generator,
    n_modes: int | None = None,
) -> NDArray[np.float64]:
    r"""Itô drift of the mode amplitudes from one Euler-Maruyama step, with antithetic noise.

    An independent route to :math:`\kappa\,\mathbb{E}\,c_2` (for tests): one step of
    :func:`numerics.sde.anisotropic_langevin_step`,
    :math:`\theta^+ = \theta - \nabla L\,dt + \sqrt{\kappa\,dt}\,\xi`, its mirror
    :math:`\theta^- = \theta - \nabla L\,dt - \sqrt{\kappa\,dt}\,\xi
    = 2\theta^{\mathrm{GD}} - \theta^+` with :math:`\theta^{\mathrm{GD}}` one gradient step
    (:func:`numerics.sde.gradient_descent_step`), and the sample

    .. math:: \frac{\tfrac12\bigl(s_a(\theta^+) + s_a(\theta^-)\bigr)
              - s_a(\theta^{\mathrm{GD}})}{dt}
              = \kappa\,c_2^a(\theta^{\mathrm{GD}}; \xi) + O(\kappa^2 dt).

    The antithetic pair cancels every odd power of the noise exactly (so no
    :math:`O(dt^{-1/2})` variance from :math:`c_1`); subtracting the gradient step removes the
    gradient drift.  The bias is :math:`O(dt)`; the mean of the samples is the Itô drift
    (including :math:`\kappa`).

    Parameters
    ----------
    weights, teacher
        A single network or a batch ``(*batch, h_l, h_{l-1})``.
    dt, kappa : float
        Step size and noise scale, both ``> 0``.
    n_samples : int
        Antithetic pairs per network, ``>= 1``.
    rng : numpy.random.Generator
        Source of randomness (consumed by the SDE step).
    n_modes : int, optional
        As in :func:`mode_amplitude_expansion`.

    Returns
    -------
    numpy.ndarray, shape (*batch, n_samples, r)
    """
    layers = validate_weights(weights)
    teacher = _teacher_iv(layers, teacher)
    dt = check_positive_real("dt", dt)
    kappa = check_positive_real("kappa", kappa)
    total = check_positive_int("n_samples", n_samples)
    rng = check_generator(rng)
    r = _modes_iv(teacher, n_modes)
    left, right = teacher.left[:, :r], teacher.right[:, :r]

    def amplitudes(ws: Sequence[NDArray[np.float64]]) -> NDArray[np.float64]:
        # u_a^T W v_a from the end-to-end product (numerics.network), not the expansion
        return np.einsum("ia,...ij,ja->...a", left, end_to_end(ws), right)

    gd = tuple(np.asarray(w) for w in gradient_descent_step(layers, teacher, eta=dt))
    base = amplitudes(gd)[..., None, :]
    batch = layers[0].shape[:-2]
    per_draw = max(1, int(np.prod(batch, dtype=np.int64))) * sum(
        int(w.shape[-1] * w.shape[-2]) for w in layers
    )
    chunk = max(1, _CHUNK_ENTRIES // (4 * per_draw))
    parts = []
    done = 0
    while done < total:
        k = min(chunk, total - done)
        tiled = tuple(
            np.broadcast_to(w[..., None, :, :], (*batch, k, *w.shape[-2:])).copy() for w in layers
        )
        plus = tuple(
            np.asarray(w)
            for w in anisotropic_langevin_step(tiled, teacher, dt=dt, kappa=kappa, rng=rng)
        )
        minus = tuple(2 * g[..., None, :, :] - p for g, p in zip(gd, plus, strict=True))
        parts.append((0.5 * (amplitudes(plus) + amplitudes(minus)) - base) / dt)
        done += k
    return np.concatenate(parts, axis=-2)
