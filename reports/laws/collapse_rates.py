r"""Collapse rates of a mode without label noise: C11's modewise rate and the row estimate
of C16 for the full network, in floating point.

Without label noise the modewise SDE of C7 collapses onto :math:`\sigma` at the rate derived
by Itô's formula on the linearised SDE,

.. math:: \lambda_{C11} = -\frac{d}{dt}\,E\log|\sigma - s_t|
          = L\sigma^{2-2/L} + \kappa L^2\sigma^{4-4/L}

(:func:`derivations.stationary.collapse_rate`, evaluated by :func:`c11_collapse_rate`).
In the full network the gap :math:`\Delta_{aa} = \sigma_a - s_a` of
:math:`\Delta = W^* - W` is coupled to the other entries of row :math:`a` (in the teacher's
singular bases, completed by null-space directions with :math:`s = 0`): entry
:math:`(i, j)` relaxes at

.. math:: K_{ij} = \sum_{l=1}^{L} s_i^{2(L-l)/L}\, s_j^{2(l-1)/L}

(:math:`0^0 = 1`), a block of :math:`n` entries with a common rate :math:`K` collapses at
:math:`K + \kappa K^2 (3 - n)/2`, and a row collapses at the rate of its slowest block
(:func:`row_collapse_rate`), up to :math:`O(\kappa^2)`; C16
(:mod:`derivations.row_collapse`) derives this first-order rate.  The collapse experiment
(:mod:`reports.experiments.collapse`) compares the full network with both.
"""

from __future__ import annotations

from collections.abc import Sequence

from derivations.conventions import L, kappa, sigma
from derivations.stationary import collapse_rate

__all__ = ["c11_collapse_rate", "row_collapse_rate"]


def c11_collapse_rate(depth: int, value: float, scale: float) -> float:
    r""":math:`\lambda_{C11}` of a mode: the derived
    :func:`derivations.stationary.collapse_rate` at :math:`L`, :math:`\sigma`, :math:`\kappa`."""
    return float(collapse_rate().subs({L: depth, sigma: value, kappa: scale}))


def _block_rate(rate: float, size: int, scale: float) -> float:
    return rate + scale * rate**2 * (3 - size) / 2


def row_collapse_rate(
    depth: int, singular_values: Sequence[float], mode: int, null_dim: int, scale: float
) -> float:
    r"""The row estimate (module docstring) of mode ``mode``'s collapse rate in the full
    network, first order in :math:`\kappa` (C16): the slowest block of row :math:`a` of
    :math:`\Delta`, a block of :math:`n` entries with rate :math:`K` giving
    :math:`K + \kappa K^2 (3 - n)/2`.

    Parameters
    ----------
    depth : int
        :math:`L`.
    singular_values : sequence of float
        The teacher's :math:`\sigma_1, \dots, \sigma_r`.
    mode : int
        :math:`a`, an index into ``singular_values``.
    null_dim : int
        :math:`n = d - r`, the dimension of the teacher's input null space.
    scale : float
        :math:`\kappa`.
    """
    own = singular_values[mode]

    def entry_rate(other: float) -> float:
        return sum(
            (own ** (2 * (depth - l) / depth) if l < depth else 1.0)
            * (other ** (2 * (l - 1) / depth) if l > 1 else 1.0)
            for l in range(1, depth + 1)
        )

    blocks: dict[float, int] = {}
    for other in singular_values:
        key = entry_rate(other)
        blocks[key] = blocks.get(key, 0) + 1
    if null_dim:
        blocks[own ** (2 - 2 / depth)] = null_dim
    return min(_block_rate(rate, size, scale) for rate, size in blocks.items())
