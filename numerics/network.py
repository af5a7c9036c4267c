r"""A deep linear network: end-to-end map, partial products, losses and their gradients.

Conventions of DESIGN.md §3: weights :math:`\theta = (W_1, \dots, W_L)` with
:math:`W_l \in \mathbb{R}^{h_l \times h_{l-1}}`, :math:`h_0 = n`, :math:`h_L = m`; end-to-end map
:math:`W = W_L \cdots W_1`; partial products :math:`A_l = W_L \cdots W_{l+1}`
(:math:`m \times h_l`) and :math:`B_l = W_{l-1} \cdots W_1` (:math:`h_{l-1} \times n`), an empty
product being the identity, so that :math:`W = A_l W_l B_l` for every :math:`l`.

Every function accepts leading batch dimensions ``...`` on the weights, for ensembles of
independent networks: ``W_l`` has shape ``(..., h_l, h_{l-1})`` and all layers share the same
batch shape (nothing is broadcast silently).  Gradients are closed forms evaluated with batched
``matmul``/``einsum`` (paper Prop. 3.1): no automatic differentiation, no Python loop over
samples.  This module is the simulator's core; data, noise and integrators build on it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dlnverify.errors import InvalidParameter
from numerics._validation import as_real_array, check_widths
from numerics.teacher import Teacher

__all__ = [
    "cross_mode_amplitudes",
    "end_to_end",
    "flatten_layers",
    "minibatch_gradient",
    "mode_amplitudes",
    "network_widths",
    "partial_products",
    "per_sample_gradients",
    "population_gradient",
    "population_loss",
    "sample_loss",
    "unflatten_layers",
    "validate_weights",
]

Weights = tuple[NDArray[np.float64], ...]


def _layer_sequence(name: str, layers: Any) -> list[Any]:
    if isinstance(layers, np.ndarray) or not isinstance(layers, Sequence):
        raise InvalidParameter(
            f"Got {name} of type {type(layers).__name__}, but {name} must be a tuple"
            " (W_1, ..., W_L) of arrays."
        )
    if len(layers) < 1:
        raise InvalidParameter(
            f"Got {name} with {len(layers)} layers (depth L=0), but the depth L must be >= 1."
        )
    return list(layers)


def validate_weights(weights: Sequence[ArrayLike]) -> Weights:
    r"""Validate the weights of a (batch of) deep linear network(s).

    Parameters
    ----------
    weights : sequence of array_like
        :math:`(W_1, \dots, W_L)`, :math:`L \ge 1`, ``W_l`` of shape ``(..., h_l, h_{l-1})``
        with positive widths, chained widths (``W_{l+1}.shape[-1] == W_l.shape[-2]``), the same
        batch shape ``...`` for every layer, real and finite entries.

    Returns
    -------
    tuple of numpy.ndarray
        Float64 copies of the layers.

    Raises
    ------
    dlnverify.errors.InvalidParameter
        On any violation, naming the layer and the constraint.
    """
    layers = _layer_sequence("weights", weights)
    arrays = []
    for index, layer in enumerate(layers, start=1):
        name = f"weights[{index - 1}] (W_{index})"
        array = as_real_array(name, layer)
        if array.ndim < 2:
            raise InvalidParameter(
                f"Got {name} of shape {array.shape}, but each layer must have shape"
                " (..., h_l, h_{l-1})."
            )
        if min(array.shape[-2:]) < 1:
            raise InvalidParameter(
                f"Got {name} of shape {array.shape}, but widths h_l must be integers >= 1."
            )
        arrays.append(array)
    batch = arrays[0].shape[:-2]
    for index, array in enumerate(arrays, start=1):
        if array.shape[:-2] != batch:
            raise InvalidParameter(
                f"Got W_{index} with batch shape {array.shape[:-2]}, but every layer must have"
                f" the batch shape {batch} of W_1."
            )
        if index > 1 and array.shape[-1] != arrays[index - 2].shape[-2]:
            raise InvalidParameter(
                f"Got W_{index} of shape {array.shape} after W_{index - 1} of shape"
                f" {arrays[index - 2].shape}, but widths must chain:"
                " W_{l+1}.shape[-1] == W_l.shape[-2]."
            )
    return tuple(arrays)


def network_widths(weights: Sequence[ArrayLike]) -> tuple[int, ...]:
    r"""Widths :math:`(h_0, h_1, \dots, h_L)` of the network (:math:`h_0 = n`, :math:`h_L = m`)."""
    layers = validate_weights(weights)
    return (int(layers[0].shape[-1]), *(int(w.shape[-2]) for w in layers))


def _batch_shape(layers: Weights) -> tuple[int, ...]:
    return tuple(layers[0].shape[:-2])


def _product(layers: Weights) -> NDArray[np.float64]:
    product = layers[0]
    for layer in layers[1:]:
        product = layer @ product
    return product


def end_to_end(weights: Sequence[ArrayLike]) -> NDArray[np.float64]:
    r"""End-to-end map :math:`W = W_L W_{L-1} \cdots W_1`.

    Returns
    -------
    numpy.ndarray, shape (..., m, n)
    """
    return _product(validate_weights(weights))


def _identity(size: int, batch: tuple[int, ...]) -> NDArray[np.float64]:
    return np.broadcast_to(np.eye(size), (*batch, size, size)).copy()


def _partial_products(layers: Weights) -> tuple[Weights, Weights]:
    batch = _batch_shape(layers)
    depth = len(layers)
    lefts: list[NDArray[np.float64]] = [np.empty(0)] * depth
    rights: list[NDArray[np.float64]] = [np.empty(0)] * depth
    rights[0] = _identity(layers[0].shape[-1], batch)
    for l in range(1, depth):
        rights[l] = layers[l - 1] @ rights[l - 1]
    lefts[depth - 1] = _identity(layers[-1].shape[-2], batch)
    for l in range(depth - 2, -1, -1):
        lefts[l] = lefts[l + 1] @ layers[l + 1]
    return tuple(lefts), tuple(rights)


def partial_products(weights: Sequence[ArrayLike]) -> tuple[Weights, Weights]:
    r"""Partial products :math:`A_l = W_L \cdots W_{l+1}` and :math:`B_l = W_{l-1} \cdots W_1`.

    Paper Prop. 3.1: :math:`W = A_l W_l B_l`, so the Jacobian of :math:`\operatorname{vec} W`
    with respect to :math:`\operatorname{vec} W_l` is :math:`B_l^\top \otimes A_l`.  An empty
    product is the identity (:math:`A_L = I_m`, :math:`B_1 = I_n`).  Computed with two
    cumulative products, :math:`O(L d^3)`.

    Returns
    -------
    (A, B) : tuple of tuples of numpy.ndarray
        ``A[l-1]`` of shape ``(..., m, h_l)`` and ``B[l-1]`` of shape ``(..., h_{l-1}, n)``
        for :math:`l = 1, \dots, L`.
    """
    return _partial_products(validate_weights(weights))


def _data_iv(
    layers: Weights, x: ArrayLike, y: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    batch = _batch_shape(layers)
    n, m = layers[0].shape[-1], layers[-1].shape[-2]
    xs = as_real_array("x", x)
    ys = as_real_array("y", y)
    if xs.ndim < 2 or xs.shape[:-2] != batch or xs.shape[-1] != n:
        expected = ", ".join([*map(str, batch), "n_samples", str(n)])
        raise InvalidParameter(
            f"Got x of shape {xs.shape}, but x must have shape ({expected}): the weights'"
            f" batch shape {batch}, a sample axis, and the input width n={n}."
        )
    if ys.shape != (*xs.shape[:-1], m):
        raise InvalidParameter(
            f"Got y of shape {ys.shape}, but y must have shape {(*xs.shape[:-1], m)}"
            " (the shape of x with the last axis replaced by the output width m)."
        )
    if xs.shape[-2] < 1:
        raise InvalidParameter(f"Got x with {xs.shape[-2]} samples, but n_samples must be >= 1.")
    return xs, ys


def _residuals(
    layers: Weights, x: NDArray[np.float64], y: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Prediction errors :math:`y - W x` for each sample, shape (..., n_samples, m)."""
    return y - x @ np.swapaxes(_product(layers), -1, -2)


def sample_loss(weights: Sequence[ArrayLike], x: ArrayLike, y: ArrayLike) -> NDArray[np.float64]:
    r"""Per-sample loss :math:`\ell = \tfrac12 \|y - W x\|^2`.

    Parameters
    ----------
    weights : sequence of array_like
        Layers of shape ``(..., h_l, h_{l-1})``.
    x : array_like, shape (..., n_samples, n)
        Inputs; the batch shape ``...`` must equal that of the weights.
    y : array_like, shape (..., n_samples, m)
        Labels.

    Returns
    -------
    numpy.ndarray, shape (..., n_samples)
    """
    layers = validate_weights(weights)
    xs, ys = _data_iv(layers, x, y)
    residual = _residuals(layers, xs, ys)
    return 0.5 * np.einsum("...si,...si->...s", residual, residual)


def per_sample_gradients(weights: Sequence[ArrayLike], x: ArrayLike, y: ArrayLike) -> Weights:
    r"""Gradients of the per-sample loss with respect to each layer, for every sample.

    For :math:`\ell = \tfrac12\|y - A_l W_l B_l x\|^2` (paper App. B, "Per-sample gradient
    noise"; the per-sample version of Prop. 3.1),

    .. math:: \nabla_{W_l} \ell = -A_l^\top (y - W x)\, x^\top B_l^\top
              = -\bigl(A_l^\top r\bigr)\bigl(B_l x\bigr)^\top, \qquad r = y - Wx,

    an outer product, evaluated for all samples at once (``matmul`` on stacks): cost
    :math:`O(L d^2)` per sample after the :math:`O(L d^3)` partial products.

    Parameters
    ----------
    weights : sequence of array_like
        Layers of shape ``(..., h_l, h_{l-1})``.
    x : array_like, shape (..., n_samples, n)
        Inputs, batch shape equal to that of the weights.
    y : array_like, shape (..., n_samples, m)
        Labels.

    Returns
    -------
    tuple of numpy.ndarray
        ``G_l`` of shape ``(..., n_samples, h_l, h_{l-1})``, :math:`l = 1, \dots, L`.
    """
    layers = validate_weights(weights)
    xs, ys = _data_iv(layers, x, y)
    residual = _residuals(layers, xs, ys)
    lefts, rights = _partial_products(layers)
    # One buffer for all layers: a single large allocation (transparent huge pages where the
    # kernel offers them) costs far fewer page faults than L separate ones.
    lead = xs.shape[:-1]  # (..., S)
    shapes = [(*lead, *w.shape[-2:]) for w in layers]
    sizes = [math.prod(shape) for shape in shapes]
    buffer = np.empty(sum(sizes))
    offsets = np.cumsum([0, *sizes])
    gradients = []
    for a_l, b_l, shape, start, stop in zip(
        lefts, rights, shapes, offsets[:-1], offsets[1:], strict=True
    ):
        back = -(residual @ a_l)  # rows -(A_l^T r_s)^T, shape (..., S, h_l)
        forward = xs @ np.swapaxes(b_l, -1, -2)  # rows (B_l x_s)^T, shape (..., S, h_{l-1})
        out = buffer[start:stop].reshape(shape)
        np.einsum("...i,...j->...ij", back, forward, out=out)
        gradients.append(out)
    return tuple(gradients)


def _teacher_iv(layers: Weights, teacher: Any) -> Teacher:
    if not isinstance(teacher, Teacher):
        raise InvalidParameter(
            f"Got teacher of type {type(teacher).__name__}, but teacher must be a"
            " numerics.teacher.Teacher."
        )
    n, m = layers[0].shape[-1], layers[-1].shape[-2]
    if (teacher.m, teacher.n) != (m, n):
        raise InvalidParameter(
            f"Got a teacher of shape ({teacher.m}, {teacher.n}), but it must have the network's"
            f" shape (h_L, h_0) = ({m}, {n})."
        )
    return teacher


def population_loss(weights: Sequence[ArrayLike], teacher: Teacher) -> NDArray[np.float64]:
    r"""Population loss :math:`L(\theta) = \mathbb{E}\,\ell`.

    With :math:`y - Wx = \Delta x + \varepsilon`, :math:`\Delta = W^* - W`,
    :math:`\mathbb{E}\,xx^\top = I_n` and :math:`\varepsilon` independent of :math:`x`:

    .. math:: L = \tfrac12 \|\Delta\|_F^2 + \tfrac12 \operatorname{tr}\Sigma_\varepsilon.

    Returns
    -------
    numpy.ndarray, shape (...)
    """
    layers = validate_weights(weights)
    teacher = _teacher_iv(layers, teacher)
    gap = teacher.matrix - _product(layers)
    return 0.5 * np.sum(gap * gap, axis=(-2, -1)) + 0.5 * np.trace(teacher.label_noise_cov)


def population_gradient(weights: Sequence[ArrayLike], teacher: Teacher) -> Weights:
    r"""Gradient of the population loss, paper Prop. 3.1.

    .. math:: \nabla_{W_l} L = -A_l^\top \Delta B_l^\top, \qquad \Delta = W^* - W.

    Returns
    -------
    tuple of numpy.ndarray
        Shapes ``(..., h_l, h_{l-1})``.
    """
    layers = validate_weights(weights)
    teacher = _teacher_iv(layers, teacher)
    return _backpropagate(layers, teacher.matrix - _product(layers))


def minibatch_gradient(weights: Sequence[ArrayLike], x: ArrayLike, y: ArrayLike) -> Weights:
    r"""Mean of the per-sample gradients over the samples, without forming them.

    The per-sample gradients are :math:`-A_l^\top r_s x_s^\top B_l^\top`
    (:func:`per_sample_gradients`), linear in :math:`r_s x_s^\top`, so their mean over
    :math:`S` samples is

    .. math:: \frac1S \sum_s \nabla_{W_l} \ell_s = -A_l^\top \hat C B_l^\top, \qquad
              \hat C = \frac1S \sum_s r_s x_s^\top = \frac1S R^\top X,

    the population gradient (Prop. 3.1) with :math:`\Delta = \mathbb{E}\, r x^\top` replaced
    by its sample mean :math:`\hat C`.  Cost :math:`O(S\,mn + L d^3)` instead of the
    :math:`O(S L d^2)` of materialising every per-sample gradient: the gradient of one
    minibatch SGD step (:func:`numerics.sde.sgd_step`).

    Parameters
    ----------
    weights, x, y
        As in :func:`per_sample_gradients`.

    Returns
    -------
    tuple of numpy.ndarray
        Shapes ``(..., h_l, h_{l-1})``.
    """
    layers = validate_weights(weights)
    xs, ys = _data_iv(layers, x, y)
    residual = _residuals(layers, xs, ys)
    correlation = np.swapaxes(residual, -1, -2) @ xs / xs.shape[-2]
    return _backpropagate(layers, correlation)


def _backpropagate(layers: Weights, outer: NDArray[np.float64]) -> Weights:
    r""":math:`-A_l^\top C B_l^\top` for every layer, ``outer`` = :math:`C` of shape (..., m, n)."""
    lefts, rights = _partial_products(layers)
    return tuple(
        -(np.swapaxes(a_l, -1, -2) @ outer @ np.swapaxes(b_l, -1, -2))
        for a_l, b_l in zip(lefts, rights, strict=True)
    )


def cross_mode_amplitudes(weights: Sequence[ArrayLike], teacher: Teacher) -> NDArray[np.float64]:
    r"""Cross-mode amplitudes :math:`s_{ab} = u_a^\top W v_b` (paper Sec. 2.3).

    Returns
    -------
    numpy.ndarray, shape (..., r, r)
        :math:`U_r^\top W V_r`; its diagonal holds the mode amplitudes.
    """
    layers = validate_weights(weights)
    teacher = _teacher_iv(layers, teacher)
    return teacher.left_vectors.T @ _product(layers) @ teacher.right_vectors


def mode_amplitudes(weights: Sequence[ArrayLike], teacher: Teacher) -> NDArray[np.float64]:
    r"""Mode amplitudes :math:`s_a = u_a^\top W v_a`, :math:`a = 1, \dots, r` (paper Sec. 2.3).

    Returns
    -------
    numpy.ndarray, shape (..., r)
    """
    return np.diagonal(cross_mode_amplitudes(weights, teacher), axis1=-2, axis2=-1).copy()


def flatten_layers(layers: Sequence[ArrayLike]) -> NDArray[np.float64]:
    r"""Stack the column-major vectorisations of the layers, :math:`l = 1, \dots, L`.

    :math:`\operatorname{vec} X` stacks the columns of :math:`X`; for ``X`` of shape
    ``(..., a, b)`` it is ``X.swapaxes(-1, -2).reshape(..., a * b)``.  This is the order of the
    noise covariance :math:`\Sigma = \operatorname{Cov}(\operatorname{vec}\xi)` (DESIGN.md §3).

    Parameters
    ----------
    layers : sequence of array_like
        Arrays of shape ``(..., h_l, h_{l-1})`` with a common leading shape ``...``; their
        widths need not chain (e.g. per-sample gradients with a sample axis in ``...``).

    Returns
    -------
    numpy.ndarray, shape (..., P)
        :math:`P = \sum_l h_l h_{l-1}`.
    """
    arrays = [
        as_real_array(f"layers[{i}]", layer)
        for i, layer in enumerate(_layer_sequence("layers", layers))
    ]
    for i, array in enumerate(arrays):
        if array.ndim < 2 or array.shape[:-2] != arrays[0].shape[:-2]:
            raise InvalidParameter(
                f"Got layers[{i}] of shape {array.shape}, but every layer must have shape"
                f" (..., a, b) with the common leading shape {arrays[0].shape[:-2]}."
            )
    return np.concatenate(
        [a.swapaxes(-1, -2).reshape(*a.shape[:-2], a.shape[-1] * a.shape[-2]) for a in arrays],
        axis=-1,
    )


def unflatten_layers(vec: ArrayLike, widths: Sequence[int]) -> Weights:
    r"""Inverse of :func:`flatten_layers` for layers of widths :math:`(h_0, \dots, h_L)`.

    Parameters
    ----------
    vec : array_like, shape (..., P)
        :math:`P = \sum_l h_l h_{l-1}`.
    widths : sequence of int
        :math:`(h_0, h_1, \dots, h_L)`.

    Returns
    -------
    tuple of numpy.ndarray
        Layers of shape ``(..., h_l, h_{l-1})``.
    """
    sizes = check_widths(widths)
    array = as_real_array("vec", vec)
    total = sum(a * b for a, b in zip(sizes[1:], sizes[:-1], strict=True))
    if array.ndim < 1 or array.shape[-1] != total:
        raise InvalidParameter(
            f"Got vec of shape {array.shape}, but its last axis must have length"
            f" sum_l h_l h_(l-1) = {total} for widths={sizes}."
        )
    layers = []
    start = 0
    for rows, cols in zip(sizes[1:], sizes[:-1], strict=True):
        block = array[..., start : start + rows * cols]
        layers.append(block.reshape(*array.shape[:-1], cols, rows).swapaxes(-1, -2).copy())
        start += rows * cols
    return tuple(layers)
