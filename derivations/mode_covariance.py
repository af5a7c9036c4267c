r"""The diffusion of mode amplitudes at general weights: the covariance of their increments (C5).

Under the one-sample gradient noise :math:`\xi = (\xi_1, \dots, \xi_L)` the mode amplitudes
:math:`s_a = u_a^\top W_L\cdots W_1 v_a` and :math:`s_b = u_b^\top W_L\cdots W_1 v_b` move, to
first order, by :math:`\langle\nabla s_a, \xi\rangle` and :math:`\langle\nabla s_b, \xi\rangle`;
the SDE's (cross-mode) diffusion is :math:`D_{ab} = \kappa\operatorname{Cov}(\langle\nabla s_a,
\xi\rangle, \langle\nabla s_b, \xi\rangle)` (paper Prop. 3.3, App. C), and :math:`D_{aa}` the
diffusion of one mode.  :func:`mode_covariance` derives it at one concrete network, weights not
aligned with the teacher, and nothing of the paper's closed form enters:

1. the increment is *differentiated*, not typed: :math:`\langle\nabla s, \xi\rangle =
   \tfrac{d}{dt}\, u^\top(W_L + t\xi_L)\cdots(W_1 + t\xi_1)v\,\big|_{t=0}`, the amplitude
   multiplied out in a polynomial ring in which :math:`t` is a generator;
2. :math:`\xi_l = -A_l^\top NB_l^\top` for a symbolic :math:`N`
   (:func:`derivations.output_noise.layer_noise`), so the increments are linear in
   :math:`N` with mean zero, and :math:`\mathbb E[f_af_b] = \sum_{pq}\partial_pf_a\,
   \partial_qf_b\,\mathbb E[N_pN_q]` with the second moments of
   :math:`N = \Delta(xx^\top - I) + Sz\,x^\top` taken by Isserlis' theorem
   (:func:`derivations.output_noise.noise_second_moments`), the gap :math:`\Delta` independent
   and :math:`\Sigma_\varepsilon = SS^\top`.

The weights are either free symbols (the result is then a polynomial identity in every entry)
or given rational numbers (a polynomial in :math:`u, v, \Delta, S, \kappa` alone, far smaller:
at depth 3 the symbolic result has some :math:`10^5` terms).  The mode vectors are generic
columns, neither unit nor orthogonal; ``cross=False`` takes :math:`b = a`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp
from sympy.polys.matrices import DomainMatrix

from derivations.conventions import kappa
from derivations.modewise import symbolic_mode_setup
from derivations.output_noise import layer_noise, noise_second_moments, noise_symbols
from derivations.symbolic_network import ring_matrix, vec

__all__ = ["ModeCovariance", "mode_covariance"]

#: The generator of the perturbation :math:`\theta + t\xi`.
_T = sp.Symbol("_t")


@dataclass(frozen=True)
class ModeCovariance:
    r"""The derived :math:`\kappa\operatorname{Cov}(\langle\nabla s_a, \xi\rangle,
    \langle\nabla s_b, \xi\rangle)` at one network (module docstring).

    Attributes
    ----------
    ring : sympy.polys.rings.PolyRing
        Polynomial ring over :math:`\mathbb Q` in the free entries (weights when symbolic,
        :math:`u_a, v_a` (and :math:`u_b, v_b`), :math:`\Delta`, :math:`S`, :math:`\kappa`),
        then the noise symbols and :math:`t`.
    value : PolyElement
        The covariance, an element of ``ring`` free of the noise symbols and :math:`t`.
    weights : tuple of sympy.Matrix
        :math:`W_1, \dots, W_L`: symbols ``w{l}_{i}_{j}`` (0-based) or the given numbers.
    first, second : tuple of sympy.Matrix
        :math:`(u_a, v_a)` and :math:`(u_b, v_b)` (the same pair when not ``cross``).
    delta, root : sympy.Matrix
        :math:`\Delta` (:math:`m\times n`) and :math:`S` (:math:`m\times m`).
    """

    ring: Any
    value: Any
    weights: tuple[sp.Matrix, ...]
    first: tuple[sp.Matrix, sp.Matrix]
    second: tuple[sp.Matrix, sp.Matrix]
    delta: sp.Matrix
    root: sp.Matrix

    def matrix(self, matrix: sp.Matrix) -> DomainMatrix:
        """A matrix of these symbols (or numbers) over :attr:`ring`."""
        return ring_matrix(matrix, self.ring)


def mode_covariance(
    widths: Sequence[int], *, cross: bool, weights: Sequence[sp.Matrix] | None = None
) -> ModeCovariance:
    r"""Derive :math:`\kappa\operatorname{Cov}(\langle\nabla s_a, \xi\rangle, \langle\nabla
    s_b, \xi\rangle)` at the network ``widths`` (module docstring).

    Parameters
    ----------
    widths : sequence of int
        :math:`(h_0 = n, \dots, h_L = m)`.
    cross : bool
        Two independent pairs of mode vectors (``u0, v0`` and ``u1, v1``), or one (the
        diffusion of one mode, :math:`b = a`).
    weights : sequence of sympy.Matrix, optional
        Rational weights :math:`W_1, \dots, W_L` of these widths; free symbols by default.
    """
    symbols, us, vs, delta, root = symbolic_mode_setup(widths, n_modes=2 if cross else 1)
    layers = tuple(symbols if weights is None else (sp.Matrix(W) for W in weights))
    m, n = widths[-1], widths[0]
    noise = noise_symbols(m, n)
    free = [e for W in layers for e in W if isinstance(e, sp.Symbol)]
    free += [e for M in (*us, *vs, delta, root) for e in M]
    ring = sp.ring([*free, kappa, *vec(noise), _T], sp.QQ)[0]
    t = ring(_T)
    perturbed = [
        ring_matrix(W, ring) + ring_matrix(xi, ring) * t
        for W, xi in zip(layers, layer_noise(layers, noise), strict=True)
    ]
    pairs = list(zip(us, vs, strict=True))
    first, second = pairs[0], pairs[-1]
    increments = [_amplitude(perturbed, u, v, ring).diff(t).subs(t, 0) for u, v in (first, second)]
    slopes = [[f.diff(ring(p)) for p in vec(noise)] for f in increments]
    moments = noise_second_moments(delta, root)
    size = m * n
    expectation = ring.zero
    for p in range(size):
        row = sum((ring.from_expr(moments[p, q]) * slopes[1][q] for q in range(size)), ring.zero)
        expectation += slopes[0][p] * row
    return ModeCovariance(ring, ring(kappa) * expectation, layers, first, second, delta, root)


def _amplitude(layers: Sequence[DomainMatrix], u: sp.Matrix, v: sp.Matrix, ring: Any) -> Any:
    r""":math:`u^\top W_L\cdots W_1 v` over ``ring``, multiplied from :math:`u^\top` on (a
    row at a time)."""
    row = ring_matrix(u.T, ring)
    for layer in reversed(layers):
        row = row * layer
    return (row * ring_matrix(v, ring)).to_list()[0][0]
