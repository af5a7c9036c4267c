r"""The anisotropic-Langevin step of an ensemble of small networks, networks on the last axis.

The step is the Euler-Maruyama step of :func:`numerics.sde.anisotropic_langevin_step`
(paper Eq. 1),

.. math:: W_l \leftarrow W_l + A_l^\top \bigl(\Delta\,dt - \sqrt{\kappa\,dt}\,N\bigr) B_l^\top,
          \qquad N = \Delta G + \Sigma_\varepsilon^{1/2} Z, \quad G = (Z_1 + Z_1^\top)/\sqrt2,

(:func:`numerics.noise.factored_gradient_noise` for :math:`N`), with the layers stored as
``(h_l, h_{l-1}, *batch)`` instead of ``(*batch, h_l, h_{l-1})``.  A product of stacked
:math:`p \times q` and :math:`q \times r` matrices is then one :func:`numpy.einsum` whose
loops run over the contiguous network axes, instead of one small matrix product per network:
for the hidden widths 1-2 and inputs of a few units of the stationary checks (C16-C18), where
:func:`numpy.matmul` spends its time per matrix rather than per entry, the step is 1.5-2
times faster (``python benchmarks/run.py``, row 4).  The arithmetic is the same up to the order in
which the :math:`q` products of an entry are added (a few units in the last place); no
identity partial product (:math:`A_L = I`, :math:`B_1 = I`) is multiplied.

:func:`to_batch_last` and :func:`from_batch_last` convert between the two layouts.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from numerics.teacher import Teacher

__all__ = ["BatchLastStep", "from_batch_last", "matmul_batch_last", "to_batch_last"]

#: Layers with the networks on the trailing axes, ``(h_l, h_{l-1}, *batch)``.
LayersBatchLast = tuple[NDArray[np.float64], ...]


def to_batch_last(layers: tuple[NDArray[np.float64], ...]) -> LayersBatchLast:
    """``(*batch, p, q)`` layers as contiguous ``(p, q, *batch)`` arrays."""
    return tuple(np.ascontiguousarray(np.moveaxis(w, (-2, -1), (0, 1))) for w in layers)


def from_batch_last(layers: LayersBatchLast) -> tuple[NDArray[np.float64], ...]:
    """``(p, q, *batch)`` layers as contiguous ``(*batch, p, q)`` arrays."""
    return tuple(np.ascontiguousarray(np.moveaxis(w, (0, 1), (-2, -1))) for w in layers)


def matmul_batch_last(a: NDArray[Any], b: NDArray[Any]) -> NDArray[Any]:
    r"""The product of stacked matrices stored as ``a`` of shape ``(p, q, ...)`` and ``b`` of
    shape ``(q, r, ...)`` (the trailing axes broadcast against each other),
    :math:`C_{ij\ldots} = \sum_{k=1}^{q} a_{ik\ldots} b_{kj\ldots}`, shape ``(p, r, ...)``
    (:func:`numpy.einsum`, whose loops run over the contiguous trailing axes)."""
    return np.einsum("ik...,kj...->ij...", a, b)


def _transpose(a: NDArray[Any]) -> NDArray[Any]:
    return np.swapaxes(a, 0, 1)


class BatchLastStep:
    r"""The Euler-Maruyama step (module docstring) for one teacher, with the networks on the
    trailing ``batch_dims`` axes of the layers; built once per run.

    Parameters
    ----------
    teacher : Teacher
        The teacher and label noise.
    batch_dims : int
        How many trailing axes index networks.
    """

    def __init__(self, teacher: Teacher, batch_dims: int) -> None:
        trailing = (1,) * batch_dims
        self._target = teacher.matrix.reshape(teacher.matrix.shape + trailing)
        self._label_noise_sqrt = teacher.label_noise_sqrt.reshape(
            teacher.label_noise_sqrt.shape + trailing
        )
        self._has_label_noise = bool(np.any(teacher.label_noise_sqrt))

    def partial_products(self, layers: LayersBatchLast) -> tuple[list[Any], list[Any]]:
        r""":math:`A_l = W_L \cdots W_{l+1}` and :math:`B_l = W_{l-1} \cdots W_1`, with
        ``None`` for the identities :math:`A_L` and :math:`B_1`."""
        depth = len(layers)
        lefts: list[Any] = [None] * depth
        rights: list[Any] = [None] * depth
        for l in range(1, depth):
            below = rights[l - 1]
            rights[l] = layers[l - 1] if below is None else matmul_batch_last(layers[l - 1], below)
        for l in range(depth - 2, -1, -1):
            above = lefts[l + 1]
            lefts[l] = layers[l + 1] if above is None else matmul_batch_last(above, layers[l + 1])
        return lefts, rights

    def advance(
        self,
        layers: LayersBatchLast,
        dt: float,
        kappa: float | NDArray[np.float64],
        z1: NDArray[np.float64],
        z: NDArray[np.float64],
    ) -> LayersBatchLast:
        r"""One step from ``layers`` driven by the standard normals ``z1`` (``(n, n, ...)``)
        and ``z`` (``(m, n, ...)``); ``kappa`` broadcasts against the trailing axes."""
        lefts, rights = self.partial_products(layers)
        product = layers[0] if lefts[0] is None else matmul_batch_last(lefts[0], layers[0])
        gap = self._target - product  # Delta = W* - A_1 W_1
        goe = (z1 + _transpose(z1)) / math.sqrt(2.0)
        noise = matmul_batch_last(gap, goe)
        if self._has_label_noise:
            noise += matmul_batch_last(self._label_noise_sqrt, z)
        middle = dt * gap - np.sqrt(kappa * dt) * noise
        updated = []
        for w, a_l, b_l in zip(layers, lefts, rights, strict=True):
            sandwich = middle if a_l is None else matmul_batch_last(_transpose(a_l), middle)
            if b_l is not None:
                sandwich = matmul_batch_last(sandwich, _transpose(b_l))
            updated.append(w + sandwich)
        return tuple(updated)
