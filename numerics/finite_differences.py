r"""Derivatives of the network by central finite differences, with an error bar.

The deterministic matrix quantities of Prop. 3.1 and 3.3 are derivatives of the end-to-end
map :math:`W = W_L\cdots W_1`; here they are computed from their definitions, by perturbing
one entry of one layer at a time, with no formula of the paper:

* :func:`end_to_end_jacobian` — :math:`\partial\operatorname{vec}W/\partial\operatorname{vec}
  W_l` (column-major ``vec``, row :math:`p` the entry :math:`p` of :math:`\operatorname{vec}W`),
  column :math:`q` the central difference of :math:`\operatorname{vec}W` in the entry
  :math:`q` of :math:`\operatorname{vec}W_l`;
* :func:`modewise_jacobian` — :math:`\nabla_{W_l}s` for :math:`s = u^\top Wv`, the central
  difference of :math:`s` in every entry of :math:`W_l`;
* :func:`neural_tangent_kernel` — :math:`\sum_l J_lJ_l^\top` from those Jacobians.

Error bar.  A central difference :math:`D(h) = (f(x + h) - f(x - h))/2h` has a truncation
error :math:`ch^2 + O(h^4)` and a round-off error of about :math:`\epsilon F/h`, with
:math:`\epsilon` the float64 unit round-off and :math:`F` the size of the terms :math:`f` is
summed from.  The value returned is :math:`D(h/2)`; its error bar is

.. math:: e = \tfrac13|D(h) - D(h/2)| + \gamma\,\epsilon\,F/h,

the first term Richardson's estimate of the truncation error of :math:`D(h/2)` (the two
differ by :math:`\tfrac34 ch^2`), the second a bound on the round-off of :math:`D(h)` and
:math:`D(h/2)` with :math:`F` from the absolute values of the factors and :math:`\gamma` the
number of floating-point operations an entry accumulates (the sum of the widths, times 4).
It is returned as the ``standard_error`` of an :class:`~numerics.montecarlo.Estimate` with
``n_samples = 0`` (nothing is drawn), so that the z-tests of a numeric check treat it as
they treat a sampling error; since :math:`W` is linear in each :math:`W_l`, the truncation
error is zero here and the bound is round-off alone, of order :math:`10^{-12}`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dlnverify.errors import InvalidParameter
from numerics._validation import check_positive_real
from numerics.montecarlo import Estimate
from numerics.network import end_to_end, validate_weights

__all__ = [
    "DEFAULT_STEP",
    "central_difference",
    "end_to_end_jacobian",
    "modewise_jacobian",
    "neural_tangent_kernel",
]

#: The step :math:`h` (a power of two, so that :math:`x \pm h` and :math:`x \pm h/2` are
#: exact for entries of order 1).
DEFAULT_STEP = 2.0**-10
_EPS = float(np.finfo(np.float64).eps)

_Array = NDArray[np.float64]


def _vec(matrix: _Array) -> _Array:
    """Column-major ``vec`` of the last two axes."""
    return np.swapaxes(matrix, -1, -2).reshape(*matrix.shape[:-2], -1)


def central_difference(
    function: Callable[[_Array], _Array],
    point: ArrayLike,
    *,
    step: float = DEFAULT_STEP,
    scale: ArrayLike = 1.0,
    operations: int = 1,
) -> Estimate:
    r"""The Jacobian of ``function`` at ``point`` by central differences, with its error bar.

    Parameters
    ----------
    function : callable
        Maps a 1-D float array of the shape of ``point`` to a 1-D float array.
    point : array_like, 1-D
    step : float
        :math:`h`; the value is :math:`D(h/2)` (module docstring).
    scale : array_like
        :math:`F`, broadcast against the output: the size of the terms each output entry is
        summed from (the function evaluated with the absolute values of its factors).
    operations : int
        :math:`\gamma`, the floating-point operations an output entry accumulates.

    Returns
    -------
    Estimate
        ``value`` and ``standard_error`` of shape ``(outputs, inputs)``, ``n_samples = 0``.
    """
    step = check_positive_real("step", step)
    x = np.asarray(point, dtype=np.float64)

    def derivative(h: float) -> _Array:
        columns = []
        for q in range(x.size):
            shift = np.zeros_like(x)
            shift[q] = h
            columns.append((function(x + shift) - function(x - shift)) / (2 * h))
        return np.stack(columns, axis=-1)

    coarse, fine = derivative(step), derivative(step / 2)
    roundoff = operations * _EPS * np.asarray(scale, dtype=np.float64) / (step / 2)
    error = np.abs(coarse - fine) / 3 + np.broadcast_to(roundoff[..., None], fine.shape)
    return Estimate(fine, error, 0)


def _operations(layers: Sequence[_Array]) -> int:
    return 4 * (layers[0].shape[-1] + sum(W.shape[-2] for W in layers))


def _replaced(layers: Sequence[_Array], l: int, vec_layer: _Array) -> list[_Array]:
    """The layers with :math:`W_l` (1-based) replaced by the matrix whose ``vec`` is given."""
    rows, cols = layers[l - 1].shape
    out = list(layers)
    out[l - 1] = vec_layer.reshape(cols, rows).T
    return out


def _column(name: str, value: ArrayLike, size: int) -> _Array:
    """A finite column of ``size`` entries (any shape with that many), flattened."""
    column = np.asarray(value, dtype=np.float64)
    if column.size != size or column.squeeze().ndim > 1 or not np.all(np.isfinite(column)):
        raise InvalidParameter(
            f"Got {name} of shape {column.shape}, but {name} must be a finite column of"
            f" {size} entries."
        )
    return column.reshape(-1)


def _layer_iv(layers: Sequence[_Array], l: int) -> int:
    if not (isinstance(l, int) and 1 <= l <= len(layers)):
        raise InvalidParameter(f"Got l={l!r}, but the layer must be 1 to {len(layers)}.")
    return l


def end_to_end_jacobian(
    weights: Sequence[ArrayLike], l: int, *, step: float = DEFAULT_STEP
) -> Estimate:
    r""":math:`\partial\operatorname{vec}W/\partial\operatorname{vec}W_l`, :math:`mn \times
    h_lh_{l-1}`, by central differences of the end-to-end product (module docstring)."""
    layers = validate_weights(weights)
    l = _layer_iv(layers, l)
    magnitudes = [np.abs(W) + step for W in layers]
    return central_difference(
        lambda x: _vec(end_to_end(_replaced(layers, l, x))),
        _vec(layers[l - 1]),
        step=step,
        scale=_vec(end_to_end(magnitudes)),
        operations=_operations(layers),
    )


def modewise_jacobian(
    weights: Sequence[ArrayLike],
    u: ArrayLike,
    v: ArrayLike,
    l: int,
    *,
    step: float = DEFAULT_STEP,
) -> Estimate:
    r""":math:`\nabla_{W_l}s` for :math:`s = u^\top W v`, shaped like :math:`W_l`
    (:math:`h_l \times h_{l-1}`), by central differences of :math:`s`."""
    layers = validate_weights(weights)
    l = _layer_iv(layers, l)
    left, right = _column("u", u, layers[-1].shape[0]), _column("v", v, layers[0].shape[1])
    magnitudes = [np.abs(W) + step for W in layers]
    gradient = central_difference(
        lambda x: np.atleast_1d(left @ end_to_end(_replaced(layers, l, x)) @ right),
        _vec(layers[l - 1]),
        step=step,
        scale=np.atleast_1d(np.abs(left) @ end_to_end(magnitudes) @ np.abs(right)),
        operations=_operations(layers) + left.size + right.size,
    )
    rows, cols = layers[l - 1].shape
    value, error = (
        np.asarray(a).reshape(cols, rows).T for a in (gradient.value, gradient.standard_error)
    )
    return Estimate(value, error, 0)


def neural_tangent_kernel(weights: Sequence[ArrayLike], *, step: float = DEFAULT_STEP) -> Estimate:
    r""":math:`\sum_l J_lJ_l^\top` (:math:`mn\times mn`), :math:`J_l` from
    :func:`end_to_end_jacobian`; the error bar propagated to first and second order,
    :math:`\sum_l |J_l||E_l|^\top + |E_l||J_l|^\top + |E_l||E_l|^\top`, plus the round-off of
    the products."""
    layers = validate_weights(weights)
    size = int(np.prod(end_to_end(layers).shape))
    value, error = np.zeros((size, size)), np.zeros((size, size))
    for l in range(1, len(layers) + 1):
        jacobian = end_to_end_jacobian(layers, l, step=step)
        J, E = np.asarray(jacobian.value), np.asarray(jacobian.standard_error)
        value += J @ J.T
        error += np.abs(J) @ E.T + E @ np.abs(J).T + E @ E.T
        error += J.shape[1] * _EPS * (np.abs(J) @ np.abs(J).T)
    return Estimate(value, error, 0)
