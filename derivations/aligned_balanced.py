r"""Mode dynamics on the aligned-balanced manifold, for symbolic depth (C7).

Paper Prop. 3.5, App. E, Eqs. 4-7: on :math:`W_l = R_l\operatorname{diag}(a_l)R_{l-1}^\top`
(:math:`R_0 = V`, :math:`R_L = U`, :math:`R_l` orthogonal) with balance
:math:`a_{l,b} = s_b^{1/L}`, the paper states that each mode amplitude follows a decoupled
scalar SDE.  This module derives the drift and diffusion of every mode from the *general*
matrix formulas (the NTK operator of :mod:`derivations.symbolic_network`, the noise second
moments of :mod:`derivations.output_noise`, the pairwise second-order terms of
:mod:`derivations.modewise`) and finds that the Itô drift **couples the modes**.

Why the bases drop out.  With isotropic label noise :math:`\Sigma_\varepsilon =
\sigma_\varepsilon^2 I`, :math:`U^\top N V = U^\top\Delta V(x'x'^\top - I) + \varepsilon'x'^\top`
with :math:`x' = V^\top x \sim N(0, I)` and :math:`\varepsilon' = U^\top\varepsilon \sim
N(0, \sigma_\varepsilon^2 I)`; every hidden :math:`R_l` cancels in the products
:math:`R_l^\top R_l = I`.  So every quantity equals the one computed with identity bases and
diagonal :math:`W_l` (proved again here for symbolic rotations at depth 2, two modes, modulo
:math:`c^2+q^2=1`:
:func:`_rotated_agreement`).  With identity bases and one coordinate per mode, the derivation
is exact matrix algebra on diagonal :math:`r\times r` matrices with per-layer per-mode
amplitude symbols :math:`a_{l,b}`.

Depth-general forms.  The :math:`(b,b)` entries of :math:`A_l`, :math:`B_l` and
:math:`M_{kl} = W_{k-1}\cdots W_{l+1}` are products over layer ranges; with balance they are
``sympy.Product`` of :math:`s_b^{1/L}` over symbolic ranges, evaluated for symbolic
:math:`l, k, L`, then summed over layers (``summation``).  The depth-general expressions are
proved equal to the concrete derivations at every depth 1-6.

Results (mode :math:`a`, gap :math:`D_b = \sigma_b - s_b`):

* gradient drift :math:`L s_a^{2-2/L}(\sigma_a - s_a)`;
* diffusion :math:`\kappa L^2 s_a^{4-4/L}(2D_a^2 + \sigma_\varepsilon^2)`; cross-mode
  diffusion :math:`0`;
* Itô drift

  .. math:: \mu^{\text{Itô}}_a = \kappa\sum_{d=1}^{L-1}(L-d)\,s_a^{(2L-2-2d)/L}
     \Bigl[(D_a^2 + \sigma_\varepsilon^2)\,s_a^{(L-2+2d)/L}
     + D_a\sum_{b} D_b\,s_b^{(L-2+2d)/L}\Bigr]
     = \kappa\tfrac{L(L-1)}{2}s_a^{3-4/L}(2D_a^2+\sigma_\varepsilon^2)
     + \kappa D_a\sum_{d=1}^{L-1}(L-d)s_a^{(2L-2-2d)/L}\sum_{b\ne a}D_b s_b^{(L-2+2d)/L}.

  The second (cross-mode) term depends on the other modes; it vanishes when
  :math:`s_a = \sigma_a` or every other mode has :math:`s_b \in \{0, \sigma_b\}`, and for
  two modes only then.  The decoupled scalar SDE of Prop. 3.5 is exact at depth 1 (no Itô
  drift), for a single mode, or in those configurations.
"""

from __future__ import annotations

from functools import cache
from itertools import pairwise
from typing import Any

import sympy as sp

from derivations._validation import integer_at_least
from derivations.conventions import L, kappa, m_out, s, s_b, sigma, sigma_b, sigma_eps
from derivations.gradient import population_loss
from derivations.modewise import second_order_amplitude
from derivations.output_noise import (
    expanded,
    expect_quadratic,
    layer_noise,
    noise_second_moments,
    noise_symbols,
)
from derivations.result import DerivationResult, Finding, Math, Step
from derivations.symbolic_network import end_to_end, ntk_operator
from dlnverify.errors import InvalidParameter

__all__ = [
    "aligned_balanced_claim",
    "aligned_cross_diffusion",
    "aligned_diffusion",
    "aligned_drift",
    "aligned_gradient_drift",
    "aligned_ito_drift",
    "aligned_ito_drift_modes",
    "aligned_mode_dynamics",
    "aligned_ntk_eigenvalue",
    "balanced_product",
    "generic_summation",
    "mode_decoupling_claim",
    "mode_index",
    "mode_symbols",
    "n_modes_symbol",
    "s_mode",
    "sigma_mode",
    "teacher_point",
    "two_mode_ito_drift",
    "two_mode_population_loss",
]

#: Indexed amplitudes :math:`s_b` and teacher singular values :math:`\sigma_b` of the
#: multi-mode (coupled) Itô drift; the mode of interest is :data:`mode_index`, the number of
#: modes :data:`n_modes_symbol`.
s_mode = sp.IndexedBase("s", positive=True)
sigma_mode = sp.IndexedBase("sigma", positive=True)
mode_index = sp.Symbol("a", integer=True, positive=True)
n_modes_symbol = sp.Symbol("r", integer=True, positive=True)

_b = sp.Symbol("b", integer=True, positive=True)
_d = sp.Symbol("d", integer=True, positive=True)
_j = sp.Symbol("j", integer=True, positive=True)
_l = sp.Symbol("l", integer=True, positive=True)
_k = sp.Symbol("k", integer=True, positive=True)

_DEPTHS = (1, 2, 3, 4, 5, 6)


def _depth_iv(depth: int) -> int:
    return integer_at_least(depth, "depth", 1)


def _modes_iv(n_modes: int) -> int:
    return integer_at_least(n_modes, "n_modes", 1)


def mode_symbols(n_modes: int) -> tuple[tuple[sp.Symbol, ...], tuple[sp.Symbol, ...]]:
    """Concrete positive symbols ``(s_1, ..., s_r)`` and ``(sigma_1, ..., sigma_r)``."""
    n_modes = _modes_iv(n_modes)
    amps = tuple(sp.Symbol(f"s_{b}", positive=True) for b in range(1, n_modes + 1))
    sings = tuple(sp.Symbol(f"sigma_{b}", positive=True) for b in range(1, n_modes + 1))
    return amps, sings


# --------------------------------------------------------------------------------------------
# concrete depth, several modes: matrices with per-layer per-mode amplitudes
# --------------------------------------------------------------------------------------------


@cache
def aligned_mode_dynamics(*, depth: int, n_modes: int) -> dict[str, Any]:
    r"""Drift and diffusion of every mode at a concrete depth, derived from matrices.

    :math:`W_l = \operatorname{diag}(a_{l,1},\dots,a_{l,r})` (identity bases, see the module
    docstring), teacher :math:`\operatorname{diag}(\sigma_1,\dots,\sigma_r)`,
    :math:`\Sigma_\varepsilon = \sigma_\varepsilon^2 I`.  For each mode :math:`a`:

    * gradient drift :math:`u_a^\top\Theta(\Delta)v_a` (Prop. 3.4, derived in
      :func:`derivations.modewise.modewise_drift_claim`);
    * diffusion matrix :math:`\kappa\,\mathbb E[(u_a^\top\Theta(N)v_a)(u_b^\top\Theta(N)v_b)]`
      (Prop. 3.3, :func:`derivations.modewise.modewise_diffusion_claim`);
    * Itô drift :math:`\kappa\sum_{l<k}\mathbb E[u_a^\top A_k\xi_k M_{kl}\xi_l B_l v_a]`, the
      expected second-order term of :math:`s_a(\theta+\xi)` (Prop. 3.4).

    Balance is then imposed as :math:`a_{l,b} = t_b` with :math:`t_b = s_b^{1/L}`, so that
    every result is a polynomial in the :math:`t_b`.

    Returns
    -------
    dict
        ``"gradient_drift"``, ``"ito_drift"`` (lists over modes), ``"diffusion"`` (an
        :math:`r\times r` matrix), balanced versions ``"balanced_*"`` in the roots ``"t"``,
        and the symbols ``"amplitudes"`` (:math:`a_{l,b}`), ``"s"``, ``"sigma"``.
    """
    depth, r = _depth_iv(depth), _modes_iv(n_modes)
    amps, sings = mode_symbols(r)
    a = [
        [sp.Symbol(f"a_{l}_{b}", positive=True) for b in range(1, r + 1)]
        for l in range(1, depth + 1)
    ]
    roots = tuple(sp.Symbol(f"t_{b}", positive=True) for b in range(1, r + 1))
    weights = [sp.diag(*row) for row in a]
    teacher = sp.diag(*sings)
    gap = teacher - end_to_end(weights)
    basis = [sp.eye(r)[:, b] for b in range(r)]
    grad = [(e.T * ntk_operator(weights, gap) * e)[0, 0] for e in basis]
    moments = noise_second_moments(gap, sigma_eps * sp.eye(r))
    noise = noise_symbols(r, r)
    theta_n = ntk_operator(weights, noise)
    lin = [(e.T * theta_n * e)[0, 0] for e in basis]
    diffusion = sp.Matrix(
        r, r, lambda i, j: kappa * expect_quadratic(lin[i] * lin[j], noise, moments)
    )
    xis = layer_noise(weights, noise)
    ito = [
        kappa * expect_quadratic(second_order_amplitude(weights, xis, e, e), noise, moments)
        for e in basis
    ]
    balance = {a[l][b]: roots[b] for l in range(depth) for b in range(r)}
    to_roots = {amps[b]: roots[b] ** depth for b in range(r)}

    def bal(expr):
        return expanded(sp.sympify(expr).xreplace(balance).xreplace(to_roots))

    return {
        "amplitudes": a,
        "s": amps,
        "sigma": sings,
        "t": roots,
        "gradient_drift": grad,
        "diffusion": diffusion,
        "ito_drift": ito,
        "balanced_gradient_drift": [bal(g) for g in grad],
        "balanced_diffusion": diffusion.applyfunc(bal),
        "balanced_ito_drift": [bal(i) for i in ito],
    }


# --------------------------------------------------------------------------------------------
# symbolic depth: products over layer ranges, sums over layers
# --------------------------------------------------------------------------------------------


def teacher_point(
    widths: tuple[int, ...], rank: int
) -> tuple[tuple[sp.Matrix, ...], tuple[sp.Symbol, ...]]:
    r"""The aligned-balanced teacher point in the teacher's singular bases (completed by null
    directions): :math:`W_l` rectangular-diagonal with :math:`\tau_1, \dots, \tau_r`
    (``tau_b``, positive; :math:`\sigma_b = \tau_b^L`) for widths :math:`(n, h_1, \dots, m)`.
    The caller validates ``widths`` and ``rank``."""
    taus = tuple(sp.Symbol(f"tau_{b}", positive=True) for b in range(1, rank + 1))
    weights = tuple(
        sp.Matrix(rows, cols, lambda i, j: taus[i] if i == j and i < rank else 0)
        for cols, rows in pairwise(widths)
    )
    return weights, taus


def generic_summation(summand: sp.Expr, limits: tuple[sp.Symbol, Any, Any]) -> sp.Expr:
    r"""``summation`` over symbolic limits, keeping the generic case: where SymPy answers with
    a ``Piecewise`` (a geometric sum splits on its ratio :math:`q = 1`), the branch whose
    condition is true, i.e. :math:`q \ne 1`."""
    total = sp.piecewise_fold(sp.summation(summand, limits))
    if isinstance(total, sp.Piecewise):
        return next(branch for branch, condition in total.args if condition is sp.true)
    return total


def balanced_product(amp: sp.Expr, first: sp.Expr, last: sp.Expr) -> sp.Expr:
    r""":math:`\prod_{j=first}^{last} a_j` on the balanced manifold, where every layer's
    amplitude of a mode with amplitude ``amp`` is :math:`a_j = \mathrm{amp}^{1/L}` (symbolic
    ranges allowed; an empty range is 1)."""
    return sp.powsimp(sp.Product(amp ** (1 / L), (_j, first, last)).doit())


def _pair_factors(
    amp_a: sp.Expr, amp_b: sp.Expr, l: sp.Expr, k: sp.Expr
) -> tuple[sp.Expr, sp.Expr]:
    r"""For a pair :math:`l<k`: the factor :math:`(A_kA_k^\top)_{aa}(B_l^\top B_l)_{aa}` and the
    mode-:math:`b` factor :math:`(B_k^\top M_{kl} A_l^\top)_{bb}` of
    :math:`u_a^\top A_kA_k^\top N B_k^\top M_{kl}A_l^\top N B_l^\top B_l v_a`."""
    outer = balanced_product(amp_a, k + 1, L) ** 2 * balanced_product(amp_a, 1, l - 1) ** 2
    inner = (
        balanced_product(amp_b, 1, k - 1)
        * balanced_product(amp_b, l + 1, k - 1)
        * balanced_product(amp_b, l + 1, L)
    )
    return sp.powsimp(outer, force=True), sp.powsimp(inner, force=True)


@cache
def _noise_pair_moments() -> tuple[sp.Expr, ...]:
    r""":math:`\mathbb E[N_{aa}^2]`, :math:`\mathbb E[N_{ab}N_{ba}]` (:math:`a\ne b`) and
    :math:`\mathbb E[N_{aa}N_{bb}]`, derived on two coordinates with gaps :math:`D_1, D_2`
    (returned last)."""
    d1, d2 = sp.symbols("D_1 D_2", real=True)
    moments = noise_second_moments(sp.diag(d1, d2), sigma_eps * sp.eye(2))
    # column-major: N_11 -> 0, N_21 -> 1, N_12 -> 2, N_22 -> 3
    return moments[0, 0], moments[2, 1], moments[0, 3], d1, d2


def aligned_gradient_drift() -> sp.Expr:
    r"""Gradient drift of a mode on the aligned-balanced manifold, symbolic depth (Eq. 5).

    :math:`\sum_{l=1}^L (A_lA_l^\top)_{aa}(B_l^\top B_l)_{aa}(\sigma - s)` with
    :math:`(A_l)_{aa} = \prod_{j>l}s^{1/L}`, :math:`(B_l)_{aa} = \prod_{j<l}s^{1/L}`, summed
    over :math:`l` by ``summation``; equals :math:`L s^{2-2/L}(\sigma - s)`.
    """
    return aligned_ntk_eigenvalue() * (sigma - s)


@cache
def aligned_ntk_eigenvalue() -> sp.Expr:
    r"""The eigenvalue :math:`\sum_l (A_lA_l^\top)_{aa}(B_l^\top B_l)_{aa} = L s^{2-2/L}` of the
    NTK operator on :math:`u_av_a^\top` at an aligned-balanced mode,
    :math:`\Theta(u_av_a^\top) = L s_a^{2-2/L}u_av_a^\top`, symbolic depth (products over
    layer ranges, then ``summation``)."""
    term = sp.powsimp(
        balanced_product(s, _l + 1, L) ** 2 * balanced_product(s, 1, _l - 1) ** 2, force=True
    )
    return sp.simplify(sp.summation(term, (_l, 1, L)))


def aligned_diffusion() -> sp.Expr:
    r"""Diffusion of a mode on the aligned-balanced manifold, symbolic depth (Eq. 7).

    :math:`u_a^\top\Theta(N)v_a = \bigl(\sum_l (A_lA_l^\top)_{aa}(B_l^\top B_l)_{aa}\bigr)N_{aa}`
    on the manifold, and :math:`\mathbb E[N_{aa}^2]` is a Gaussian expectation; the result is
    :math:`\kappa L^2 s^{4-4/L}(2(\sigma-s)^2+\sigma_\varepsilon^2)`.
    """
    self_moment, _, _, d1, _ = _noise_pair_moments()
    return kappa * aligned_ntk_eigenvalue() ** 2 * self_moment.subs(d1, sigma - s)


def aligned_cross_diffusion() -> sp.Expr:
    r"""Cross-mode diffusion :math:`\kappa\,\Theta_a\Theta_b\,\mathbb E[N_{aa}N_{bb}]` of two
    distinct aligned modes; the Gaussian expectation is zero."""
    _, _, diag_pair, _, _ = _noise_pair_moments()
    return kappa * diag_pair


def _ito_pair_term(l: sp.Expr, k: sp.Expr) -> sp.Expr:
    r"""Itô contribution of the layer pair :math:`l<k` for mode :data:`mode_index`, indexed
    over the other modes :math:`b`: :math:`\kappa\,(A_kA_k^\top)_{aa}(B_l^\top B_l)_{aa}
    \sum_b \mathbb E[N_{ab}N_{ba}]\,(B_k^\top M_{kl}A_l^\top)_{bb}`."""
    self_moment, cross_moment, _, d1, d2 = _noise_pair_moments()
    sa, sigma_a = s_mode[mode_index], sigma_mode[mode_index]
    sb, sigma_b = s_mode[_b], sigma_mode[_b]
    outer, inner_a = _pair_factors(sa, sa, l, k)
    _, inner_b = _pair_factors(sa, sb, l, k)
    gap_a, gap_b = sigma_a - sa, sigma_b - sb
    # sum over b of E[N_ab N_ba] (.)_bb = sum_b D_a D_b (.)_bb + (E[N_aa^2] - D_a^2) (.)_aa
    cross = cross_moment.subs({d1: gap_a, d2: gap_b})
    diag_extra = sp.expand(self_moment.subs(d1, gap_a) - cross.subs(gap_b, gap_a))
    return kappa * outer * (sp.Sum(cross * inner_b, (_b, 1, n_modes_symbol)) + diag_extra * inner_a)


@cache
def aligned_ito_drift(*, coupled: bool = False) -> sp.Expr:
    r"""Itô drift of a mode on the aligned-balanced manifold, symbolic depth (Eq. 6).

    Derived as :math:`\kappa\sum_{l<k}\mathbb E[u_a^\top A_k\xi_kM_{kl}\xi_lB_lv_a]` with the
    products over layer ranges evaluated for symbolic :math:`l, k, L`.

    Parameters
    ----------
    coupled : bool
        ``False`` (default): the single-mode (decoupled) drift in the conventions' symbols,
        :math:`\kappa\frac{L(L-1)}{2}s^{3-4/L}(2(\sigma-s)^2+\sigma_\varepsilon^2)`, exact when
        the other modes satisfy :math:`s_b\in\{0,\sigma_b\}` (see :func:`mode_decoupling_claim`).
        ``True``: the full multi-mode drift of mode :data:`mode_index` in the indexed symbols
        :data:`s_mode`, :data:`sigma_mode` over :data:`n_modes_symbol` modes, written as a
        sum over the layer gap :math:`d = k - l` (multiplicity :math:`L-d`).
    """
    if coupled:
        term = _ito_pair_term(_l, _l + _d)
        # the summand depends on (l, k) only through d = k - l: multiplicity L - d
        reduced = sp.powsimp(sp.expand(term), force=True)
        if reduced.has(_l):
            raise AssertionError("pair term depends on l beyond the gap")
        return sp.Sum((L - _d) * reduced, (_d, 1, L - 1))
    self_moment, _, _, d1, _ = _noise_pair_moments()
    outer, inner = _pair_factors(s, s, _l, _k)
    exponent_term = sp.powsimp(outer * inner, force=True)
    pairs = sp.summation(sp.summation(exponent_term, (_l, 1, _k - 1)), (_k, 2, L))
    return kappa * sp.factor(sp.simplify(pairs)) * self_moment.subs(d1, sigma - s)


def aligned_drift() -> sp.Expr:
    r"""Total drift of a decoupled mode: gradient drift plus the single-mode Itô drift."""
    return aligned_gradient_drift() + aligned_ito_drift()


@cache
def aligned_ito_drift_modes(*, depth: int, n_modes: int) -> tuple[sp.Expr, ...]:
    r"""The coupled Itô drift of every mode at a concrete depth, in the symbols of
    :func:`mode_symbols` (from the depth-general indexed formula)."""
    depth, r = _depth_iv(depth), _modes_iv(n_modes)
    amps, sings = mode_symbols(r)
    general = aligned_ito_drift(coupled=True).subs({L: depth, n_modes_symbol: r})
    out = []
    for a in range(1, r + 1):
        expr = general.subs(mode_index, a).doit()
        expr = expr.subs({s_mode[b]: amps[b - 1] for b in range(1, r + 1)})
        expr = expr.subs({sigma_mode[b]: sings[b - 1] for b in range(1, r + 1)})
        out.append(expr)
    return tuple(out)


@cache
def two_mode_ito_drift(depth: int | None = None) -> sp.Expr:
    r"""The Itô drift of a mode :math:`s` (teacher :math:`\sigma`) when a second mode
    :math:`s_b` (teacher :math:`\sigma_b`) is present: the coupled drift of
    :func:`aligned_ito_drift` at two modes, in the conventions' symbols.

    The summand over the layer gap :math:`d` splits into the terms free of mode :math:`b`,
    summed for symbolic :math:`L` (they give the single-mode drift of Eq. 6), and the
    cross-mode terms

    .. math:: \kappa(\sigma - s)(\sigma_b - s_b)\,s^{2-2/L}s_b^{1-2/L}
              \sum_{d=1}^{L-1}(L-d)\,q^d, \qquad q = (s_b/s)^{2/L},

    whose sum SymPy evaluates for :math:`q \ne 1`, i.e. :math:`s_b \ne s` (at
    :math:`s_b = s` the drift is the limit, :math:`\frac{L(L-1)}{2}` times the prefactor).

    Parameters
    ----------
    depth : int, optional
        A concrete depth: the sum over :math:`d` is then carried out term by term (no
        division by :math:`(1-q)^2`, valid at :math:`s_b = s` too).
    """
    general = aligned_ito_drift(coupled=True)
    summand, (gap, first, last) = general.function, general.limits[0]
    summand = summand.subs({n_modes_symbol: 2, mode_index: 1}).doit()
    named = {s_mode[1]: s, s_mode[2]: s_b, sigma_mode[1]: sigma, sigma_mode[2]: sigma_b}
    summand = sp.powsimp(sp.expand(summand.subs(named)), force=True)
    if depth is not None:
        depth = _depth_iv(depth)
        limits = (gap, first, last.subs(L, depth))
        # factor_terms, not factor: SymPy 1.14's multivariate factor (Wang's Hensel lifting)
        # ran for minutes under some hash seeds at depth 4
        return sp.factor_terms(sp.expand(sp.Sum(summand.subs(L, depth), limits).doit()))
    terms = sp.Add.make_args(summand)
    own = sp.Add(*(term for term in terms if not term.has(s_b, sigma_b)))
    cross = sp.factor(sp.Add(*(term for term in terms if term.has(s_b, sigma_b))))
    own_total = sp.factor(sp.simplify(sp.summation(own, (gap, first, last))))
    # the cross summand is (L - d) times a geometric sequence in d: sum it in a symbol q
    geometric = sp.powsimp(sp.simplify(cross / (L - gap)), force=True)
    ratio = sp.powsimp(sp.simplify(geometric.subs(gap, gap + 1) / geometric), force=True)
    if ratio.has(gap):
        raise AssertionError(f"cross-mode summand is not geometric in the layer gap: {ratio}")
    q = sp.Dummy("q", positive=True)
    generic = generic_summation((L - gap) * q**gap, (gap, first, last))
    cross_total = geometric.subs(gap, 0) * sp.factor(generic).subs(q, ratio)
    return own_total + sp.powsimp(cross_total, force=True)


# --------------------------------------------------------------------------------------------
# statements and proofs
# --------------------------------------------------------------------------------------------


def _stated() -> dict[str, sp.Expr]:
    """DESIGN.md §4 C7 statements (typed in: compared with, never used as a result)."""
    return {
        "gradient_drift": L * s ** (2 - 2 / L) * (sigma - s),
        "diffusion": kappa * L**2 * s ** (4 - 4 / L) * (2 * (sigma - s) ** 2 + sigma_eps**2),
        "cross_diffusion": sp.Integer(0),
        "ito_drift": kappa
        * L
        * (L - 1)
        / 2
        * s ** (3 - 4 / L)
        * (2 * (sigma - s) ** 2 + sigma_eps**2),
    }


def _stated_coupled_ito(depth: int, amps, sings, a: int) -> sp.Expr:
    """The coupled Itô drift as stated in DESIGN.md review (a statement to check), at a concrete depth."""
    total = sp.Integer(0)
    sa, ga = amps[a], sings[a] - amps[a]
    for l in range(1, depth + 1):
        for k in range(l + 1, depth + 1):
            p = sp.Rational(2 * (k - l) + depth - 2, depth)
            inner = sa**p * (2 * ga**2 + sigma_eps**2) + sum(
                (amps[b] ** p * ga * (sings[b] - amps[b]) for b in range(len(amps)) if b != a),
                sp.Integer(0),
            )
            total += sa ** sp.Rational(2 * (depth - k) + 2 * (l - 1), depth) * inner
    return kappa * total


def _in_roots(expr: sp.Expr, depth: int, amps, roots) -> sp.Expr:
    return sp.expand(sp.sympify(expr).subs({amps[b]: roots[b] ** depth for b in range(len(amps))}))


def _single_mode(expr: sp.Expr, depth: int) -> sp.Expr:
    return sp.sympify(expr).subs(L, depth)


#: The coupled Itô drift and its cross term as the C7 finding states them; the derivation
#: (:func:`mode_decoupling_claim`) proves this form at each depth it checks (``form_ok``).
_COUPLED_ITO_DRIFT = Math(
    r"\mu^{\mathrm{It\hat{o}}}_a = \frac{\kappa L (L-1)}{2} s_a^{3-4/L}"
    r" \bigl(2(\sigma_a - s_a)^2 + \sigma_{\varepsilon}^2\bigr) + C_a",
    "mu^Ito_a = kappa L(L-1)/2 s_a^(3-4/L) (2(sigma_a - s_a)^2 + sigma_eps^2) + C_a",
    display=True,
)
_CROSS_TERM = Math(
    r"C_a = \kappa (\sigma_a - s_a) \sum_{d=1}^{L-1} (L-d)\, s_a^{(2L-2-2d)/L}"
    r" \sum_{b \ne a} (\sigma_b - s_b)\, s_b^{(L-2+2d)/L}.",
    "C_a = kappa (sigma_a - s_a) sum_{d=1}^{L-1} (L-d) s_a^((2L-2-2d)/L) "
    "sum_{b != a} (sigma_b - s_b) s_b^((L-2+2d)/L).",
    display=True,
)


def aligned_balanced_claim(
    *, depths: tuple[int, ...] = _DEPTHS, n_modes: int = 3
) -> DerivationResult:
    r"""C7 [Prop. 3.5, App. E, Eqs. 4-7]: drift and diffusion of aligned-balanced modes.

    Derived for symbolic depth (:func:`aligned_gradient_drift`, :func:`aligned_diffusion`,
    :func:`aligned_cross_diffusion`, :func:`aligned_ito_drift`), and at every concrete
    depth in ``depths`` with ``n_modes`` modes from matrices
    (:func:`aligned_mode_dynamics`); both must agree, and agree with the statements:
    gradient drift :math:`Ls^{2-2/L}(\sigma-s)`, diffusion
    :math:`\kappa L^2 s^{4-4/L}(2(\sigma-s)^2+\sigma_\varepsilon^2)`, zero cross-mode
    diffusion, the coupled Itô drift of :func:`aligned_ito_drift` (``coupled=True``) and the
    stated pair-sum form; its self part is
    :math:`\kappa\frac{L(L-1)}2 s^{3-4/L}(2(\sigma-s)^2+\sigma_\varepsilon^2)`.
    """
    depths = tuple(_depth_iv(d) for d in depths)
    r = _modes_iv(n_modes)
    stated = _stated()
    derived = {
        "gradient_drift": aligned_gradient_drift(),
        "diffusion": aligned_diffusion(),
        "cross_diffusion": aligned_cross_diffusion(),
        "ito_drift": aligned_ito_drift(),
        "ito_drift_coupled": aligned_ito_drift(coupled=True),
    }
    holds = all(sp.simplify(derived[key] - stated[key]) == 0 for key in stated)
    steps = [
        Step("gradient drift, symbolic L", sp.Symbol("mu^{grad}"), derived["gradient_drift"]),
        Step("diffusion, symbolic L", sp.Symbol("D"), derived["diffusion"]),
        Step("cross-mode diffusion", sp.Symbol("D_{ab}"), derived["cross_diffusion"]),
        Step(
            "Itô drift of mode a (all modes)", sp.Symbol("mu^{Ito}_a"), derived["ito_drift_coupled"]
        ),
    ]
    for depth in depths:
        concrete = aligned_mode_dynamics(depth=depth, n_modes=r)
        amps, sings, roots = concrete["s"], concrete["sigma"], concrete["t"]
        coupled = aligned_ito_drift_modes(depth=depth, n_modes=r)
        for a in range(r):
            single = {s: amps[a], sigma: sings[a]}
            checks = [
                (
                    concrete["balanced_gradient_drift"][a],
                    _single_mode(derived["gradient_drift"], depth).subs(single),
                ),
                (
                    concrete["balanced_diffusion"][a, a],
                    _single_mode(derived["diffusion"], depth).subs(single),
                ),
                (concrete["balanced_ito_drift"][a], coupled[a]),
                (concrete["balanced_ito_drift"][a], _stated_coupled_ito(depth, amps, sings, a)),
            ]
            checks += [
                (concrete["balanced_diffusion"][a, b], derived["cross_diffusion"])
                for b in range(r)
                if b != a
            ]
            holds &= all(
                sp.expand(lhs - _in_roots(rhs, depth, amps, roots)) == 0 for lhs, rhs in checks
            )
        steps.append(
            Step(
                f"Itô drift of mode 1 from matrices, depth {depth}, {r} modes, a_(l,b) = t_b",
                sp.Symbol("mu^{Ito}_1"),
                concrete["balanced_ito_drift"][0],
            )
        )
    holds &= _rotated_agreement()
    return DerivationResult(
        claim="C7",
        derived=derived,
        stated=stated,
        holds=holds,
        steps=tuple(steps),
        cases=(
            *(f"depth={d}, n_modes={r}" for d in depths),
            "symbolic depth L",
            "depth=2, 2 modes, symbolic rotations U, V, R_1",
        ),
        findings=mode_decoupling_claim(depths=depths, n_modes=r).findings,
    )


def _cross_part(depth: int, r: int, a: int) -> sp.Expr:
    """Coupled minus single-mode Itô drift of mode ``a`` at a concrete depth."""
    amps, sings = mode_symbols(r)
    single = _single_mode(_stated()["ito_drift"], depth).subs({s: amps[a], sigma: sings[a]})
    return aligned_ito_drift_modes(depth=depth, n_modes=r)[a] - single


def mode_decoupling_claim(
    *, depths: tuple[int, ...] = _DEPTHS, n_modes: int = 3
) -> DerivationResult:
    r"""C7, the paper's claim that aligned-balanced modes decouple (Prop. 3.5).

    Statement checked: the Itô drift of mode :math:`a` equals the single-mode expression
    :math:`\kappa\frac{L(L-1)}2 s_a^{3-4/L}(2(\sigma_a-s_a)^2+\sigma_\varepsilon^2)` whatever
    the other modes.  Derived: the difference is the cross-mode term

    .. math:: C_a = \kappa(\sigma_a-s_a)\sum_{d=1}^{L-1}(L-d)\,s_a^{(2L-2-2d)/L}
              \sum_{b\ne a}(\sigma_b-s_b)\,s_b^{(L-2+2d)/L},

    which is not zero for :math:`L\ge 2` and two or more modes (``holds`` is ``False``).
    Proven here at every depth in ``depths``: :math:`C_a` has this form; it vanishes when
    :math:`s_a=\sigma_a` or when each other mode has :math:`s_b\in\{0,\sigma_b\}`; for two
    modes :math:`C_a/(\kappa(\sigma_a-s_a)(\sigma_b-s_b))` is a polynomial in
    :math:`s_a^{1/L}, s_b^{1/L}` with positive coefficients, so then those are the only
    zeros.  Label noise does not couple the modes.
    """
    depths = tuple(_depth_iv(d) for d in depths)
    r = _modes_iv(n_modes)
    if r < 2:
        raise InvalidParameter(f"Got n_modes={r}, but the coupling needs n_modes >= 2.")
    amps, sings = mode_symbols(r)
    roots = tuple(sp.Symbol(f"t_{b}", positive=True) for b in range(1, r + 1))
    holds_decoupled = True
    form_ok = zero_conditions_ok = two_mode_positive = True
    steps = []
    for depth in depths:
        for a in range(r):
            cross = _in_roots(_cross_part(depth, r, a), depth, amps, roots)
            stated_form = (
                kappa
                * (sings[a] - amps[a])
                * sum(
                    (
                        (depth - d)
                        * amps[a] ** sp.Rational(2 * depth - 2 - 2 * d, depth)
                        * sum(
                            (
                                (sings[b] - amps[b])
                                * amps[b] ** sp.Rational(depth - 2 + 2 * d, depth)
                                for b in range(r)
                                if b != a
                            ),
                            sp.Integer(0),
                        )
                        for d in range(1, depth)
                    ),
                    sp.Integer(0),
                )
            )
            form_ok &= sp.expand(cross - _in_roots(stated_form, depth, amps, roots)) == 0
            holds_decoupled &= cross == 0
            # zeros: s_a = sigma_a, or every other mode at 0 or at sigma_b (in roots)
            zero_conditions_ok &= sp.expand(cross.subs(sings[a], roots[a] ** depth)) == 0
            others = [b for b in range(r) if b != a]
            for pattern in range(2 ** len(others)):
                sub = {}
                for bit, b in enumerate(others):
                    if (pattern >> bit) & 1:
                        sub[sings[b]] = roots[b] ** depth
                    else:
                        sub[roots[b]] = sp.Integer(0)
                zero_conditions_ok &= sp.expand(cross.subs(sub)) == 0
        # two modes: the cofactor of the gaps has positive coefficients
        if depth >= 2:
            cross2 = _in_roots(_cross_part(depth, 2, 0), depth, amps[:2], roots[:2])
            gap_a = sings[0] - roots[0] ** depth
            gap_b = sings[1] - roots[1] ** depth
            cofactor = sp.cancel(cross2 / (kappa * gap_a * gap_b))
            poly = sp.Poly(cofactor, *roots[:2])
            two_mode_positive &= bool(poly.coeffs()) and all(c > 0 for c in poly.coeffs())
            steps.append(
                Step(
                    f"cross-mode Itô term, depth {depth}, two modes, s_b = t_b^L",
                    sp.Symbol("C_1"),
                    sp.factor(cross2),
                )
            )
    findings = (
        Finding(
            "The Itô drift of an aligned-balanced mode is NOT decoupled: ",
            _COUPLED_ITO_DRIFT,
            " with ",
            _CROSS_TERM,
        ),
        "Only the Itô drift couples: the gradient drift and the diffusion of mode a involve "
        "mode a only, the cross-mode diffusion is zero, and label noise does not couple.",
        "C_a = 0 when s_a = sigma_a, or when every other mode has s_b = 0 or s_b = sigma_b "
        "(a gradient-flow fixed point); with two modes these are the only zeros (the cofactor "
        "of (sigma_a - s_a)(sigma_b - s_b) is a positive polynomial in s_a^(1/L), s_b^(1/L)); "
        "with three or more modes over- and under-learned modes can also cancel.",
        "The decoupled scalar SDE of Prop. 3.5 is therefore exact at depth L = 1 (no Itô drift), "
        "for a single mode (any width: directions with s_b = 0 do not contribute for L >= 2), "
        "or while the other modes sit at 0 or at sigma_b - i.e. on the plateaus of "
        "saddle-to-saddle learning, not while two modes are learned at once. Student "
        "directions outside the teacher's rank (sigma_b = 0, s_b > 0) also couple.",
    )
    holds_all = form_ok and zero_conditions_ok and two_mode_positive
    return DerivationResult(
        claim="C7",
        derived="C_a = kappa (sigma_a - s_a) sum_d (L-d) s_a^((2L-2-2d)/L) sum_{b!=a} (sigma_b - s_b) s_b^((L-2+2d)/L)",
        stated="C_a = 0 (modes decouple)",
        holds=holds_decoupled and holds_all,
        steps=tuple(steps),
        cases=tuple(f"depth={d}, n_modes={r}" for d in depths),
        findings=findings if holds_all else (*findings, "INTERNAL: a sub-proof failed"),
    )


def _rotation(name: str) -> tuple[sp.Matrix, sp.Expr, sp.Symbol]:
    """A 2x2 rotation ``[[c, -q], [q, c]]`` with symbols ``c, q`` and the relation
    ``q^2 + c^2 - 1`` (its leading term ``q^2`` in lex order with ``q`` first)."""
    c, q = sp.Symbol(f"c_{name}", real=True), sp.Symbol(f"q_{name}", real=True)
    return sp.Matrix([[c, -q], [q, c]]), q**2 + c**2 - 1, q


def _zero_modulo(expr: sp.Expr, relations: list[sp.Expr], leading: list[sp.Symbol]) -> bool:
    """Whether a polynomial lies in the ideal of ``relations`` (a Gröbner basis: the
    leading terms ``q_i^2`` are pairwise coprime), by multivariate division in a ring."""
    others = set(sp.sympify(expr).free_symbols)
    for rel in relations:
        others |= rel.free_symbols
    gens = [*leading, *sorted(others - set(leading), key=str)]
    ring = sp.ring(gens, sp.QQ, order="lex")[0]
    remainder = ring.from_expr(expr).rem([ring.from_expr(rel) for rel in relations])
    return remainder == 0


@cache
def _rotated_agreement() -> bool:
    r"""The bases drop out: depth 2, two modes, :math:`U, V, R_1` symbolic rotations.

    Gradient drift, diffusion matrix and Itô drift computed from the general matrix formulas
    at :math:`W_2 = U\operatorname{diag}(a_2)R_1^\top`, :math:`W_1 = R_1\operatorname{diag}(a_1)V^\top`,
    :math:`W^* = U\operatorname{diag}(\sigma)V^\top`, equal the identity-basis results."""
    (rot_u, rel_u, q_u), (rot_v, rel_v, q_v), (rot_1, rel_1, q_1) = (
        _rotation(n) for n in ("U", "V", "1")
    )
    relations, leading = [rel_u, rel_v, rel_1], [q_u, q_v, q_1]
    concrete = aligned_mode_dynamics(depth=2, n_modes=2)
    a = concrete["amplitudes"]
    sings = concrete["sigma"]
    weights = [rot_1 * sp.diag(*a[0]) * rot_v.T, rot_u * sp.diag(*a[1]) * rot_1.T]
    gap = rot_u * sp.diag(*sings) * rot_v.T - weights[1] * weights[0]
    moments = noise_second_moments(gap, sigma_eps * sp.eye(2))
    noise = noise_symbols(2, 2)
    us = [rot_u[:, b] for b in range(2)]
    vs = [rot_v[:, b] for b in range(2)]
    ok = True
    theta_gap = ntk_operator(weights, gap)
    theta_n = ntk_operator(weights, noise)
    lin = [(u.T * theta_n * v)[0, 0] for u, v in zip(us, vs, strict=True)]
    xis = layer_noise(weights, noise)
    for i in range(2):
        grad = (us[i].T * theta_gap * vs[i])[0, 0]
        ok &= _zero_modulo(grad - concrete["gradient_drift"][i], relations, leading)
        for j in range(2):
            diff = kappa * expect_quadratic(lin[i] * lin[j], noise, moments)
            ok &= _zero_modulo(diff - concrete["diffusion"][i, j], relations, leading)
        second = second_order_amplitude(weights, xis, us[i], vs[i])
        ito = kappa * expect_quadratic(second, noise, moments)
        ok &= _zero_modulo(ito - concrete["ito_drift"][i], relations, leading)
    return bool(ok)


def _two_mode_loss_at(outputs: int) -> sp.Expr:
    r"""The Wick-expected loss (:func:`derivations.gradient.population_loss`) of the aligned
    point with amplitudes :math:`(s, s_b)` of a teacher :math:`(\sigma, \sigma_b)`, in the
    teacher's bases (the loss is invariant under the orthogonal changes of basis), with
    ``outputs`` output and 2 input dimensions and label noise :math:`\sigma_\varepsilon^2 I`.
    The loss depends on the end-to-end map only, so one layer stands for every depth."""
    teacher, weights = sp.zeros(outputs, 2), sp.zeros(outputs, 2)
    teacher[0, 0], teacher[1, 1] = sigma, sigma_b
    weights[0, 0], weights[1, 1] = s, s_b
    return sp.expand(population_loss([weights], teacher, sigma_eps**2 * sp.eye(outputs)))


@cache
def two_mode_population_loss() -> sp.Expr:
    r"""The population loss :math:`\mathbb E\tfrac12\|y - Wx\|^2` at an aligned point with two
    modes, amplitudes :math:`s, s_b` of teacher values :math:`\sigma, \sigma_b`, :math:`m`
    outputs, label noise :math:`\Sigma_\varepsilon = \sigma_\varepsilon^2 I_m`:

    .. math:: L = \tfrac12(\sigma - s)^2 + \tfrac12(\sigma_b - s_b)^2
              + \tfrac{m}{2}\sigma_\varepsilon^2 .

    Derived by Wick at :math:`m = 2` and :math:`m = 3`; each further output adds an
    independent label-noise coordinate and nothing else, so the loss is affine in :math:`m`:
    :math:`L(2) + (m - 2)(L(3) - L(2))`, checked against the Wick expectation at
    :math:`m = 4` (an ``AssertionError`` otherwise).
    """
    two, three = _two_mode_loss_at(2), _two_mode_loss_at(3)
    loss = sp.expand(two + (m_out - 2) * (three - two))
    if sp.expand(loss.subs(m_out, 4) - _two_mode_loss_at(4)) != 0:
        raise AssertionError("the population loss is not affine in the number of outputs")
    return loss
