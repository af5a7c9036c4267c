r"""Initial weights: aligned-balanced, small Gaussian, random; and the layer imbalance.

The paper's analysis (Sec. 2.4, assumptions A1-A2; Prop. 3.5) lives on the *aligned-balanced
manifold* :math:`W_l = R_l \operatorname{diag}(a_l) R_{l-1}^\top` with :math:`R_0 = V`,
:math:`R_L = U` and orthogonal hidden bases :math:`R_l`; its experiments (Sec. 4, App. H)
start from small Gaussian initialisations :math:`N(0, d^{-\gamma})`.  This module builds those
points, and measures how far weights are from balance (the imbalance of App. I, Eq. 33), so
that tests and experiments share one construction.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from dlnverify.errors import InvalidParameter
from numerics._validation import (
    as_real_array,
    check_finite_real,
    check_generator,
    check_nonnegative_real,
    check_positive_real,
    check_shape_tuple,
    check_widths,
)
from numerics.network import Weights, validate_weights
from numerics.teacher import Teacher, random_orthogonal

__all__ = [
    "aligned_balanced_weights",
    "aligned_weights",
    "layer_imbalance",
    "random_weights",
    "small_gaussian_init",
]


def _teacher_widths(teacher: Any, widths: Any) -> tuple[int, ...]:
    """``widths`` validated against ``teacher``'s input and output widths."""
    if not isinstance(teacher, Teacher):
        raise InvalidParameter(
            f"Got teacher of type {type(teacher).__name__}, but teacher must be a"
            " numerics.teacher.Teacher."
        )
    sizes = check_widths(widths)
    if (sizes[0], sizes[-1]) != (teacher.n, teacher.m):
        raise InvalidParameter(
            f"Got widths={sizes} with (h_0, h_L) = ({sizes[0]}, {sizes[-1]}), but they must be"
            f" the teacher's (n, m) = ({teacher.n}, {teacher.m})."
        )
    return sizes


def aligned_balanced_weights(
    teacher: Teacher,
    amplitudes: ArrayLike,
    widths: Sequence[int],
    *,
    rng: np.random.Generator,
) -> Weights:
    r"""Weights on the aligned-balanced manifold with given mode amplitudes.

    .. math:: W_l = R_l[:, :k]\, \operatorname{diag}(a_l)\, R_{l-1}[:, :k]^\top, \qquad
              a_{l,a} = s_a^{1/L},

    with :math:`R_0 = V` (``teacher.right``), :math:`R_L = U` (``teacher.left``) and hidden
    :math:`R_l` Haar-random orthogonal :math:`h_l \times h_l`.  Then
    :math:`W = \sum_{a \le k} s_a u_a v_a^\top`, so the cross-mode amplitudes
    :math:`u_a^\top W v_b` vanish for :math:`a \ne b` (aligned, assumption A2) and equal
    :math:`s_a` on the diagonal; and
    :math:`W_{l+1}^\top W_{l+1} = R_l \operatorname{diag}(s^{2/L}) R_l^\top = W_l W_l^\top`
    (balanced, assumption A1; DESIGN.md §3).

    Parameters
    ----------
    teacher : Teacher
        Supplies the bases :math:`U`, :math:`V`.
    amplitudes : array_like, shape (k,)
        Non-negative mode amplitudes :math:`s_a`, :math:`1 \le k \le \min(\text{widths})`.
        Modes beyond the teacher's rank align with the further columns of :math:`U`, :math:`V`.
    widths : sequence of int
        :math:`(h_0 = n, h_1, \dots, h_L = m)`, depth :math:`L \ge 1`.
    rng : numpy.random.Generator
        Source of the hidden bases.

    Returns
    -------
    tuple of numpy.ndarray
        :math:`(W_1, \dots, W_L)`, ``W_l`` of shape ``(h_l, h_{l-1})``.
    """
    sizes = _teacher_widths(teacher, widths)
    values = as_real_array("amplitudes", amplitudes, ndim=1)
    if not 1 <= values.size <= min(sizes):
        raise InvalidParameter(
            f"Got {values.size} amplitudes, but the number of modes k must satisfy"
            f" 1 <= k <= min(widths) = {min(sizes)}."
        )
    if np.any(values < 0):
        raise InvalidParameter(
            f"Got amplitudes={values.tolist()}, but mode amplitudes must be >= 0."
        )
    depth = len(sizes) - 1
    per_layer = np.broadcast_to(values ** (1.0 / depth), (depth, values.size))
    return aligned_weights(teacher, per_layer, sizes, rng=rng)


def aligned_weights(
    teacher: Teacher,
    layer_amplitudes: ArrayLike,
    widths: Sequence[int],
    *,
    rng: np.random.Generator,
) -> Weights:
    r"""Aligned weights with given amplitudes per layer and mode,

    .. math:: W_l = R_l[:, :k]\, \operatorname{diag}(a_{l,\cdot})\, R_{l-1}[:, :k]^\top,

    :math:`R_0 = V`, :math:`R_L = U`, hidden :math:`R_l` Haar-random; mode :math:`a` has
    amplitude :math:`s_a = \prod_l a_{l,a}` and imbalances
    :math:`W_{l+1}^\top W_{l+1} - W_lW_l^\top = R_l\operatorname{diag}(a_{l+1}^2 - a_l^2)
    R_l^\top`.

    Parameters
    ----------
    teacher : Teacher
        Supplies the bases :math:`U`, :math:`V`.
    layer_amplitudes : array_like, shape (L, k)
        Non-negative :math:`a_{l,a}`, :math:`1 \le k \le \min(\text{widths})`.
    widths : sequence of int
        :math:`(h_0 = n, h_1, \dots, h_L = m)`.
    rng : numpy.random.Generator
        Source of the hidden bases.
    """
    sizes = _teacher_widths(teacher, widths)
    rng = check_generator(rng)
    depth = len(sizes) - 1
    values = as_real_array("layer_amplitudes", layer_amplitudes, ndim=2)
    if values.shape[0] != depth or not 1 <= values.shape[1] <= min(sizes):
        raise InvalidParameter(
            f"Got layer_amplitudes of shape {values.shape}, but it must be (L, k) with L ="
            f" {depth} and 1 <= k <= min(widths) = {min(sizes)}."
        )
    if np.any(values < 0):
        raise InvalidParameter("Got negative layer_amplitudes, but amplitudes must be >= 0.")
    k = values.shape[1]
    bases = [teacher.right]
    bases += [random_orthogonal(h, rng=rng) for h in sizes[1:-1]]
    bases.append(teacher.left)
    return tuple(
        (bases[l][:, :k] * values[l - 1]) @ bases[l - 1][:, :k].T for l in range(1, depth + 1)
    )


def _gaussian_layers(
    sizes: tuple[int, ...],
    stds: Sequence[float],
    rng: np.random.Generator,
    batch: tuple[int, ...],
) -> Weights:
    return tuple(
        std * rng.standard_normal((*batch, rows, cols))
        for rows, cols, std in zip(sizes[1:], sizes[:-1], stds, strict=True)
    )


def small_gaussian_init(
    widths: Sequence[int],
    *,
    gamma: float,
    rng: np.random.Generator,
    d: float | None = None,
    batch_shape: tuple[int, ...] = (),
) -> Weights:
    r"""Small Gaussian initialisation, entries i.i.d. :math:`N(0, d^{-\gamma})`.

    The paper's feature-learning (saddle-to-saddle) regime, Sec. 2.3 and App. H: with
    :math:`\gamma > 1` the initial end-to-end map is small and modes are learned one by one.

    Parameters
    ----------
    widths : sequence of int
        :math:`(h_0, \dots, h_L)`, depth :math:`L \ge 1`.
    gamma : float
        Finite exponent :math:`\gamma`; the entry variance is :math:`d^{-\gamma}`.
    rng : numpy.random.Generator
        Source of randomness.
    d : float, optional
        Positive reference width; defaults to :math:`\max_l h_l`.
    batch_shape : tuple of int, optional
        Leading shape for an ensemble of independent networks.

    Returns
    -------
    tuple of numpy.ndarray
        ``W_l`` of shape ``(*batch_shape, h_l, h_{l-1})``.
    """
    sizes = check_widths(widths)
    exponent = check_finite_real("gamma", gamma)
    rng = check_generator(rng)
    scale_width = float(max(sizes)) if d is None else check_positive_real("d", d)
    batch = check_shape_tuple("batch_shape", batch_shape)
    std = scale_width ** (-0.5 * exponent)
    return _gaussian_layers(sizes, [std] * (len(sizes) - 1), rng, batch)


def random_weights(
    widths: Sequence[int],
    *,
    rng: np.random.Generator,
    scale: float = 1.0,
    batch_shape: tuple[int, ...] = (),
) -> Weights:
    r"""Generic random weights, entries of :math:`W_l` i.i.d. :math:`N(0, \text{scale}^2/h_{l-1})`.

    With ``scale = 1`` every layer roughly preserves norms (LeCun scaling), so products stay of
    order one at any depth: generic, non-aligned, non-balanced test points.

    Parameters
    ----------
    widths : sequence of int
        :math:`(h_0, \dots, h_L)`, depth :math:`L \ge 1`.
    rng : numpy.random.Generator
        Source of randomness.
    scale : float, optional
        Finite, ``>= 0``.
    batch_shape : tuple of int, optional
        Leading shape for an ensemble of independent networks.

    Returns
    -------
    tuple of numpy.ndarray
        ``W_l`` of shape ``(*batch_shape, h_l, h_{l-1})``.
    """
    sizes = check_widths(widths)
    rng = check_generator(rng)
    factor = check_nonnegative_real("scale", scale)
    batch = check_shape_tuple("batch_shape", batch_shape)
    return _gaussian_layers(sizes, [factor / np.sqrt(h) for h in sizes[:-1]], rng, batch)


def layer_imbalance(weights: Sequence[ArrayLike]) -> Weights:
    r"""Layer imbalances :math:`W_{l+1}^\top W_{l+1} - W_l W_l^\top`, :math:`l = 1, \dots, L-1`.

    Zero for balanced weights (assumption A1 of the paper); conserved by gradient flow
    (Sec. 2.4) but not by the SDE (DESIGN.md claim C14).

    Returns
    -------
    tuple of numpy.ndarray
        ``L - 1`` arrays of shape ``(..., h_l, h_l)`` (empty for depth 1).
    """
    layers = validate_weights(weights)
    return tuple(
        np.swapaxes(upper, -1, -2) @ upper - lower @ np.swapaxes(lower, -1, -2)
        for lower, upper in pairwise(layers)
    )
