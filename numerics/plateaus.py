r"""Plateaus of a loss trajectory: gradient descent from small initialisation (C15).

From a small initialisation, gradient descent on a deep linear network stalls near a sequence
of saddles (seed 002): the loss curve is a staircase of *plateaus* separated by fast drops, and
the rank of the end-to-end map grows by one at each drop.  This module simulates that
trajectory (:func:`gradient_descent_trajectory`, the simulator's population loss and gradient,
no closed form) and finds the plateaus of any loss curve (:func:`find_plateaus`).

A plateau is a maximal stretch of consecutive steps over which the loss changes by little:
with :math:`\delta_i = |L_{i+1} - L_i|`, steps :math:`i` with
:math:`\delta_i \le \text{rtol}\cdot\max_j \delta_j` (the stated relative threshold: a fraction
of the steepest drop of the trajectory), grouped into runs of at least ``min_length`` steps.
A run of steps :math:`a..b` covers the recorded points :math:`a..b+1`.  The plateau's value is
the loss at its flattest point (the step with the smallest :math:`\delta_i`, the point closest
to the saddle), and its numeric rank is the number of singular values of the end-to-end map
above ``rank_tol`` there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dlnverify.errors import InvalidParameter
from numerics._validation import (
    as_real_array,
    check_positive_int,
    check_positive_real,
)
from numerics.network import end_to_end, population_gradient, population_loss, validate_weights
from numerics.teacher import Teacher

__all__ = ["Plateau", "find_plateaus", "gradient_descent_trajectory", "numeric_rank"]


@dataclass(frozen=True)
class Plateau:
    """One plateau of a loss trajectory.

    Attributes
    ----------
    start, stop : int
        The recorded points ``start .. stop - 1`` belong to the plateau.
    flattest : int
        The recorded point at the start of the flattest step.
    loss : float
        The loss at ``flattest``.
    rank : int or None
        Numeric rank of the end-to-end map at ``flattest`` (``None`` without singular values).
    """

    start: int
    stop: int
    flattest: int
    loss: float
    rank: int | None


def gradient_descent_trajectory(
    weights: Sequence[ArrayLike], teacher: Teacher, *, eta: float, steps: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Run gradient descent on the population loss; record loss and singular values.

    :math:`W_l \leftarrow W_l - \eta\nabla_{W_l}L` (:func:`numerics.network.population_gradient`)
    for ``steps`` steps, one network (no batch dimensions).

    Parameters
    ----------
    weights : sequence of array_like
        Initial layers :math:`W_1, \dots, W_L`, shapes ``(h_l, h_{l-1})``.
    teacher : Teacher
        The teacher (its label noise enters the loss as :math:`\tfrac12\operatorname{tr}
        \Sigma_\varepsilon`, not the gradient).
    eta : float
        Learning rate, ``> 0``.
    steps : int
        Number of steps, ``>= 1``.

    Returns
    -------
    losses : numpy.ndarray, shape (steps + 1,)
        :math:`L(\theta_i)`, :math:`i = 0..` ``steps``.
    singular_values : numpy.ndarray, shape (steps + 1, min(m, n))
        Singular values of :math:`W(\theta_i)`, decreasing.
    """
    layers = [np.array(w) for w in validate_weights(weights)]
    if layers[0].ndim != 2:
        raise InvalidParameter(
            f"Got layers with batch shape {layers[0].shape[:-2]}, but weights must be one network."
        )
    rate = check_positive_real("eta", eta)
    count = check_positive_int("steps", steps)
    losses = np.empty(count + 1)
    values = np.empty((count + 1, min(teacher.m, teacher.n)))
    for i in range(count + 1):
        losses[i] = population_loss(layers, teacher)
        values[i] = np.linalg.svd(end_to_end(layers), compute_uv=False)
        if i < count:
            gradient = population_gradient(layers, teacher)
            layers = [w - rate * g for w, g in zip(layers, gradient, strict=True)]
    return losses, values


def numeric_rank(singular_values: ArrayLike, tol: float) -> NDArray[np.int64]:
    """Number of singular values ``> tol`` (along the last axis)."""
    values = as_real_array("singular_values", singular_values)
    if values.ndim < 1:
        raise InvalidParameter(
            f"Got singular_values of shape {values.shape}, but at least one axis is required."
        )
    threshold = check_positive_real("tol", tol)
    return np.sum(values > threshold, axis=-1)


def find_plateaus(
    losses: ArrayLike,
    *,
    rtol: float,
    min_length: int,
    singular_values: ArrayLike | None = None,
    rank_tol: float | None = None,
) -> tuple[Plateau, ...]:
    r"""The plateaus of a loss curve (module docstring for the definition).

    Parameters
    ----------
    losses : array_like, shape (N,)
        Finite losses at recorded points, :math:`N \ge 2`, not all equal.
    rtol : float
        Relative slope threshold in :math:`(0, 1)`: a step is flat when its loss change is at
        most ``rtol`` times the largest loss change of the curve.
    min_length : int
        Minimum number of consecutive flat steps, ``>= 1``.
    singular_values : array_like, shape (N, r), optional
        Singular values of the end-to-end map at each recorded point, for the numeric rank.
    rank_tol : float, optional
        Singular values above it count towards the rank; required with ``singular_values``.

    Returns
    -------
    tuple of Plateau
        In order of time.
    """
    curve = as_real_array("losses", losses, ndim=1)
    if curve.size < 2:
        raise InvalidParameter(f"Got {curve.size} losses, but at least 2 are required.")
    threshold = check_positive_real("rtol", rtol)
    if threshold >= 1:
        raise InvalidParameter(f"Got rtol={rtol!r}, but rtol must lie in (0, 1).")
    shortest = check_positive_int("min_length", min_length)
    ranks = None
    if singular_values is not None:
        if rank_tol is None:
            raise InvalidParameter("Got rank_tol=None, but it is required with singular_values.")
        values = as_real_array("singular_values", singular_values, ndim=2)
        if values.shape[0] != curve.size:
            raise InvalidParameter(
                f"Got singular_values with {values.shape[0]} rows, but losses has {curve.size}."
            )
        ranks = numeric_rank(values, rank_tol)
    changes = np.abs(np.diff(curve))
    steepest = float(changes.max())
    if steepest == 0:
        raise InvalidParameter("Got a constant loss curve, but plateaus need a loss that moves.")
    flat = changes <= threshold * steepest
    edges = np.diff(np.concatenate(([0], flat.astype(np.int8), [0])))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    plateaus = []
    for first, last in zip(starts, stops, strict=True):  # flat steps first .. last - 1
        if last - first < shortest:
            continue
        flattest = int(first + np.argmin(changes[first:last]))
        plateaus.append(
            Plateau(
                start=int(first),
                stop=int(last + 1),
                flattest=flattest,
                loss=float(curve[flattest]),
                rank=None if ranks is None else int(ranks[flattest]),
            )
        )
    return tuple(plateaus)
