r"""With label noise the layers rebalance along the manifold of global minima (C18).

Beyond the paper.  At the teacher, :math:`W_L\cdots W_1 = W^*`, the gradient vanishes and the
one-sample noise is :math:`\xi_l = -A_l^\top N B_l^\top` with :math:`N = \varepsilon x^\top`
(:mod:`derivations.output_noise`).  Every layer imbalance
:math:`D_l = W_{l+1}^\top W_{l+1} - W_lW_l^\top` is conserved by gradient flow (C14), so its
drift is the Itô term alone,

.. math:: \frac{d}{dt}\mathbb E D_l = \kappa\bigl(\mathbb E[\xi_{l+1}^\top\xi_{l+1}]
          - \mathbb E[\xi_l\xi_l^\top]\bigr)
          = \kappa\sigma_\varepsilon^2\bigl(\|A_{l+1}\|_F^2\,B_{l+1}B_{l+1}^\top
          - \|B_l\|_F^2\,A_l^\top A_l\bigr) + O(\kappa^2)

for :math:`\Sigma_\varepsilon = \sigma_\varepsilon^2 I` (:func:`imbalance_drift_at_minimum`,
derived from Wick moments at general symbolic weights on the manifold; the fluctuations around
it, of variance :math:`O(\kappa)`, add :math:`O(\kappa^2)`).  The empty products are
identities, :math:`A_L = I_m`, :math:`B_1 = I_n`: the first layer feels noise in all
:math:`n` input directions and the last in all :math:`m` output directions.

On the aligned part of the manifold, :math:`W_l = R_l\operatorname{diag}(a_l)R_{l-1}^\top`
with :math:`\prod_l a_{l,b} = \sigma_b`, write :math:`P_{l,b} = \prod_{k\le l}a_{k,b}^2`
(:math:`B_{l+1}` has the squared singular values :math:`P_{l,b}`, :math:`A_l` has
:math:`Q_{l,b} = \sigma_b^2/P_{l,b}`).  The drift is diagonal in the :math:`R_l` basis, and
(:func:`mode_imbalance_drift`, :func:`rebalancing_potential`)

.. math:: \frac{d}{dt}(a_{l+1,b}^2 - a_{l,b}^2)
          = \kappa\sigma_\varepsilon^2\,\frac{\partial R}{\partial\log P_{l,b}},\qquad
          R = \operatorname{tr}H = \sum_{l=1}^L\|A_l\|_F^2\,\|B_l\|_F^2 ,

:math:`H` the Hessian of the population loss at the minimum (:math:`\Sigma^* =
\sigma_\varepsilon^2 H`).  Since :math:`\partial(a_{l+1,b}^2 - a_{l,b}^2)/\partial\log P` is
minus a weighted path Laplacian, the slow motion is a gradient descent of :math:`\operatorname{tr}H`
along the manifold, at rate :math:`\kappa\sigma_\varepsilon^2`; :math:`R` is a sum of
exponentials of linear forms in :math:`\log P`, strictly convex, so the flow has one fixed
point and it attracts every aligned start.

The fixed point (:func:`rebalanced_point`, solved at each depth): :math:`\partial R/\partial
\log P_{l,b} = P_{l,b}\|A_{l+1}\|^2 - Q_{l,b}\|B_l\|^2 = 0` makes
:math:`P_{l,b}/Q_{l,b}` the same for every mode, so :math:`P_{l,b} = \sigma_b r_l`; the
:math:`r_l` then solve a linear system in :math:`\log r_l`.  With :math:`S = \sum_b\sigma_b`,

.. math:: a_{1,b}^2 = \sigma_b\Bigl(\frac nS\Bigr)^{\frac{L-1}L}\Bigl(\frac Sm\Bigr)^{\frac1L},
          \qquad a_{l,b}^2 = \Bigl(\frac{S^2}{mn}\Bigr)^{\frac1L}\ (1 < l < L),\qquad
          a_{L,b}^2 = \sigma_b\Bigl(\frac Sn\Bigr)^{\frac1L}\Bigl(\frac mS\Bigr)^{\frac{L-1}L}.

It is the balanced point :math:`a_{l,b} = \sigma_b^{1/L}` only when :math:`m = n` at
:math:`L = 2`, and at :math:`L \ge 3` only for a square full-rank teacher with equal singular
values (:math:`r = m = n`, :math:`\sigma_b = \sigma`).  At :math:`L = 2` it is the balanced
point rescaled, :math:`W_1 \to (n/m)^{1/4}W_1`, and the slow flow of each mode relaxes at the
rate :math:`2\kappa\sigma_\varepsilon^2mn/(m+n)` (:func:`depth_two_rate`).

The first-order stationary mean of each mode at the rebalanced point follows from the linear
response of C17 at that point (:func:`derivations.network_mean.aligned_mean_shift`).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from itertools import pairwise
from typing import Any

import mpmath
import sympy as sp

from derivations.conventions import L, kappa, m_out, n_in, sigma, sigma_eps
from derivations.network_mean import linear_response, mean_shift
from derivations.output_noise import (
    expect_quadratic,
    is_zero_polynomial,
    layer_noise,
    noise_second_moments,
    noise_symbols,
)
from derivations.result import DerivationResult, Finding, Math, Step
from derivations.symbolic_network import (
    check_widths,
    partial_products,
    weight_matrices,
)
from dlnverify.errors import InvalidParameter

__all__ = [
    "DRIFT_SHAPES",
    "MODE_CASES",
    "aligned_minimum",
    "aligned_mode_means",
    "depth_two_rate",
    "depth_two_slow_flow",
    "imbalance_drift_at_minimum",
    "mode_imbalance_drift",
    "rebalanced_amplitudes",
    "rebalanced_point",
    "rebalancing_claim",
    "rebalancing_potential",
    "slow_rates",
    "stated_depth_two_mean",
    "stated_imbalance_drift",
    "stated_rebalanced_mean",
    "stated_rebalanced_point",
    "total_imbalance_drift",
]

#: Widths :math:`(n, h_1, \dots, m)` at which the matrix drift is derived at general weights.
DRIFT_SHAPES: tuple[tuple[int, ...], ...] = ((2, 3, 3), (3, 2, 2, 2), (2, 3, 2, 3))

#: Aligned minima (widths, teacher rank) of the per-mode drift, the potential and the means.
MODE_CASES: tuple[tuple[tuple[int, ...], int], ...] = (
    ((2, 3, 3), 2),
    ((3, 2, 2), 2),
    ((4, 2, 2), 2),
    ((3, 2, 2, 2), 1),
    ((2, 2, 3, 3), 2),
    ((2, 2, 2, 2, 3), 2),
)

#: The sum :math:`S = \sum_b\sigma_b` of the teacher's singular values (the fixed point's
#: widths are :data:`derivations.conventions.m_out` and :data:`~derivations.conventions.n_in`).
nuclear = sp.Symbol("S", positive=True)


def _frobenius_squared(matrix: sp.Matrix) -> sp.Expr:
    return sp.Add(*(e**2 for e in matrix))


def stated_imbalance_drift(weights: Sequence[sp.Matrix]) -> tuple[sp.Matrix, ...]:
    r"""The statement :math:`\kappa\sigma_\varepsilon^2(\|A_{l+1}\|^2B_{l+1}B_{l+1}^\top -
    \|B_l\|^2A_l^\top A_l)`, :math:`l = 1, \dots, L-1`, at given weights."""
    a_list, b_list = partial_products(weights)
    return tuple(
        sp.expand(
            kappa
            * sigma_eps**2
            * (
                _frobenius_squared(a_list[l + 1]) * b_list[l + 1] * b_list[l + 1].T
                - _frobenius_squared(b_list[l]) * a_list[l].T * a_list[l]
            )
        )
        for l in range(len(weights) - 1)
    )


def _drift_at_minimum(weights: Sequence[sp.Matrix]) -> tuple[sp.Matrix, ...]:
    """Itô part of the drift of every imbalance at a point of the manifold of minima (Wick
    moments of :math:`N = \\varepsilon x^\\top`, gap zero)."""
    m, n = weights[-1].rows, weights[0].cols
    noise = noise_symbols(m, n)
    moments = noise_second_moments(sp.zeros(m, n), sigma_eps * sp.eye(m))
    xis = layer_noise(weights, noise)
    out = []
    for l in range(len(weights) - 1):
        second = xis[l + 1].T * xis[l + 1] - xis[l] * xis[l].T
        out.append(
            second.applyfunc(lambda e: sp.expand(kappa * expect_quadratic(e, noise, moments)))
        )
    return tuple(out)


@cache
def imbalance_drift_at_minimum(widths: tuple[int, ...]) -> dict[str, Any]:
    r"""Derived drift of every layer imbalance at a point of the manifold of minima, general
    symbolic weights of widths :math:`(n, h_1, \dots, m)`, with the statement compared.

    Returns ``{"weights", "derived", "stated", "holds"}``; ``derived[l-1]`` is the drift of
    :math:`D_l`.  The gap is zero, so the weights need not multiply to a particular teacher:
    the noise law at a minimum depends on the weights only through :math:`A_l, B_l`.
    """
    widths = check_widths(widths)
    if len(widths) < 3:
        raise InvalidParameter(f"Got widths={widths!r}, but the imbalance needs depth >= 2.")
    weights = weight_matrices(widths)
    derived = _drift_at_minimum(weights)
    stated = stated_imbalance_drift(weights)
    holds = all(is_zero_polynomial(e) for d, s in zip(derived, stated, strict=True) for e in d - s)
    return {"weights": weights, "derived": derived, "stated": stated, "holds": holds}


def aligned_minimum(
    widths: tuple[int, ...], rank: int
) -> tuple[tuple[sp.Matrix, ...], tuple[tuple[sp.Symbol, ...], ...]]:
    r"""A point of the aligned part of the manifold of minima in the teacher's (completed)
    singular bases: :math:`W_l` rectangular-diagonal with per-layer amplitudes ``a_{l}_{b}``
    (positive), the teacher's singular values :math:`\sigma_b = \prod_l a_{l,b}`."""
    widths = check_widths(widths)
    if not isinstance(rank, int) or rank < 1 or rank > min(widths):
        raise InvalidParameter(f"Got rank={rank!r}, but 1 <= rank <= min(widths)={min(widths)}.")
    amplitudes = tuple(
        tuple(sp.Symbol(f"a_{l}_{b}", positive=True) for b in range(1, rank + 1))
        for l in range(1, len(widths))
    )
    weights = tuple(
        sp.Matrix(rows, cols, lambda i, j, a=a: a[i] if i == j and i < rank else 0)
        for (cols, rows), a in zip(pairwise(widths), amplitudes, strict=True)
    )
    return weights, amplitudes


@cache
def mode_imbalance_drift(widths: tuple[int, ...], rank: int) -> dict[str, Any]:
    r"""The drift of the imbalance of every mode and layer at an aligned minimum, derived from
    the matrices (:func:`imbalance_drift_at_minimum`'s Wick computation), with the checks that
    it is diagonal and that null directions do not move.

    Returns ``{"amplitudes", "drift", "diagonal"}`` with ``drift[l-1][b-1]`` the drift of
    :math:`a_{l+1,b}^2 - a_{l,b}^2`."""
    weights, amplitudes = aligned_minimum(widths, rank)
    drifts = _drift_at_minimum(weights)
    diagonal = all(
        d[i, j] == 0 for d in drifts for i in range(d.rows) for j in range(d.cols) if i != j
    )
    null_still = all(d[i, i] == 0 for d in drifts for i in range(rank, d.rows))
    return {
        "amplitudes": amplitudes,
        "drift": tuple(tuple(d[b, b] for b in range(rank)) for d in drifts),
        "diagonal": diagonal and null_still,
    }


def _log_coordinates(
    amplitudes: tuple[tuple[sp.Symbol, ...], ...],
) -> tuple[dict[sp.Symbol, sp.Expr], tuple[tuple[sp.Symbol, ...], ...]]:
    r"""The substitution :math:`a_{l,b} = \sqrt{P_{l,b}/P_{l-1,b}}` (:math:`P_{0,b} = 1`,
    :math:`P_{L,b} = \sigma_b^2`) and the symbols ``P_{l}_{b}``, :math:`l < L`."""
    depth, rank = len(amplitudes), len(amplitudes[0])
    sings = tuple(sp.Symbol(f"sigma_{b}", positive=True) for b in range(1, rank + 1))
    inner = tuple(
        tuple(sp.Symbol(f"P_{l}_{b}", positive=True) for b in range(1, rank + 1))
        for l in range(1, depth)
    )
    full = ((sp.Integer(1),) * rank, *inner, tuple(s**2 for s in sings))
    substitution = {
        amplitudes[l][b]: sp.sqrt(full[l + 1][b] / full[l][b])
        for l in range(depth)
        for b in range(rank)
    }
    return substitution, inner


@cache
def rebalancing_potential(widths: tuple[int, ...], rank: int) -> dict[str, Any]:
    r""":math:`R = \operatorname{tr}\Sigma^*/\sigma_\varepsilon^2 = \operatorname{tr}H` at an
    aligned minimum (Wick, summed over layers) and the check that every mode's imbalance drift
    is :math:`\kappa\sigma_\varepsilon^2\,\partial R/\partial\log P_{l,b}`.

    Returns ``{"potential", "gradient_flow"}``: ``potential`` in the amplitudes,
    ``gradient_flow`` whether the identity holds at every layer and mode."""
    weights, amplitudes = aligned_minimum(widths, rank)
    m, n = weights[-1].rows, weights[0].cols
    noise = noise_symbols(m, n)
    moments = noise_second_moments(sp.zeros(m, n), sigma_eps * sp.eye(m))
    trace = sp.Add(
        *(
            expect_quadratic(sp.expand(e**2), noise, moments)
            for xi in layer_noise(weights, noise)
            for e in xi
        )
    )
    potential = sp.expand(trace / sigma_eps**2)
    substitution, inner = _log_coordinates(amplitudes)
    in_p = sp.expand(potential.subs(substitution))
    drift = mode_imbalance_drift(widths, rank)["drift"]
    holds = True
    for l, row in enumerate(inner):
        for b, p in enumerate(row):
            gradient = p * sp.diff(in_p, p)
            derived = sp.expand(drift[l][b].subs(substitution))
            holds &= sp.simplify(derived - kappa * sigma_eps**2 * gradient) == 0
    return {"potential": potential, "gradient_flow": bool(holds)}


@cache
def rebalanced_point(depth: int) -> tuple[sp.Expr, ...]:
    r"""Squared layer amplitudes :math:`(a_{1,b}^2, \dots, a_{L,b}^2)` of a mode of singular
    value :math:`\sigma_b` at the fixed point of the slow flow, derived at ``depth``.

    With :math:`P_{l,b} = \sigma_b r_l` (every mode shares :math:`P/Q`) the conditions
    :math:`P_{l,b}\|A_{l+1}\|^2 = Q_{l,b}\|B_l\|^2` read :math:`r_l^2 = \|B_l\|^2 /
    \|A_{l+1}\|^2` with :math:`\|B_1\|^2 = n`, :math:`\|B_l\|^2 = S r_{l-1}`,
    :math:`\|A_L\|^2 = m`, :math:`\|A_{l+1}\|^2 = S/r_{l+1}`: linear in :math:`\log r_l`,
    solved here.  In the symbols :data:`m_out`, :data:`n_in`, :data:`nuclear` and
    ``sigma_b``."""
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 2:
        raise InvalidParameter(f"Got depth={depth!r}, but depth must be an integer >= 2.")
    logs = sp.symbols(f"y_1:{depth}", real=True)
    ratio = [sp.exp(y) for y in logs]

    def inputs(l: int) -> sp.Expr:  # ||B_l||^2
        return n_in if l == 1 else nuclear * ratio[l - 2]

    def outputs(l: int) -> sp.Expr:  # ||A_l||^2
        return m_out if l == depth else nuclear / ratio[l - 1]

    equations = [
        sp.expand_log(sp.log(ratio[l - 1] ** 2) - sp.log(inputs(l) / outputs(l + 1)), force=True)
        for l in range(1, depth)
    ]
    (solution,) = sp.linsolve(equations, logs)
    sigma_b = sp.Symbol("sigma_b", positive=True)
    products = [sp.Integer(1), *(sigma_b * sp.exp(y) for y in solution), sigma_b**2]
    return tuple(
        sp.powsimp(sp.simplify(products[l + 1] / products[l]), force=True) for l in range(depth)
    )


def stated_rebalanced_point(depth: sp.Expr) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    r"""The statement: :math:`a_{1,b}^2`, a middle :math:`a_{l,b}^2` and :math:`a_{L,b}^2` at
    the fixed point, for any depth (module docstring)."""
    sigma_b = sp.Symbol("sigma_b", positive=True)
    first = sigma_b * (n_in / nuclear) ** ((depth - 1) / depth) * (nuclear / m_out) ** (1 / depth)
    middle = (nuclear**2 / (m_out * n_in)) ** (1 / depth)
    last = sigma_b * (nuclear / n_in) ** (1 / depth) * (m_out / nuclear) ** ((depth - 1) / depth)
    return first, middle, last


@cache
def depth_two_rate() -> dict[str, sp.Expr]:
    r"""Linearised rate of the slow flow of one mode at :math:`L = 2`, derived.

    With :math:`a_{1}^2 = P`, :math:`a_2^2 = \sigma^2/P`, the drift
    :math:`\kappa\sigma_\varepsilon^2(mP - n\sigma^2/P)` of :math:`D = a_2^2 - a_1^2` gives
    :math:`\dot{\log P} = -\kappa\sigma_\varepsilon^2(mP - n\sigma^2/P)/(P + \sigma^2/P)`;
    its derivative in :math:`\log P` at the fixed point is minus the rate.  Returns
    ``{"fixed_point", "rate"}``."""
    p, sigma_b = sp.symbols("P sigma_b", positive=True)
    log_p = sp.Symbol("u", real=True)
    force = m_out * p - n_in * sigma_b**2 / p
    velocity = (-kappa * sigma_eps**2 * force / (p + sigma_b**2 / p)).subs(p, sp.exp(log_p))
    (fixed,) = sp.solve(sp.Eq(force, 0), p)
    rate = -sp.diff(velocity, log_p).subs(log_p, sp.log(fixed))
    return {"fixed_point": fixed, "rate": sp.factor(sp.simplify(rate))}


@cache
def aligned_mode_means(widths: tuple[int, ...], rank: int) -> dict[str, Any]:
    r"""First-order stationary mean and variance of every mode at an aligned minimum with
    per-layer amplitudes ``a_{l}_{b}`` (:func:`aligned_minimum`): C17's linear response and
    stationarity of :math:`W` (:func:`derivations.network_mean.linear_response`,
    :func:`derivations.network_mean.mean_shift`) at that point.

    Returns the keys of :func:`derivations.network_mean.mean_shift`, ``"amplitudes"`` and
    ``"checks"`` (NTK diagonal, noise covariance :math:`\sigma_\varepsilon^2H`, Lyapunov
    equation, solvability)."""
    weights, amplitudes = aligned_minimum(widths, rank)
    linear = linear_response(weights)
    shift = mean_shift(linear, rank)
    checks = all(
        linear[key] for key in ("ntk_diagonal", "noise_is_scaled_hessian", "lyapunov")
    ) and bool(shift["solvable"])
    return {**shift, "amplitudes": amplitudes, "checks": checks}


def _same_positive(a: sp.Expr, b: sp.Expr) -> bool:
    """Two products of powers of positive symbols are equal (their logarithms agree)."""
    return sp.simplify(sp.expand_log(sp.log(a) - sp.log(b), force=True)) == 0


def rebalanced_amplitudes(
    singular_values: Sequence[sp.Expr], widths: tuple[int, int], depth: int
) -> tuple[tuple[sp.Expr, ...], ...]:
    r"""Layer amplitudes :math:`a_{l,b}` (not squared; ``[l-1][b-1]``) of the fixed point for
    a teacher with ``singular_values`` in an :math:`m \times n` network, ``widths = (m, n)``,
    from :func:`rebalanced_point`."""
    m, n = widths
    total = sp.Add(*singular_values)
    sigma_b = sp.Symbol("sigma_b", positive=True)
    squares = rebalanced_point(depth)
    return tuple(
        tuple(
            sp.sqrt(sq.subs({m_out: m, n_in: n, nuclear: total, sigma_b: value}))
            for value in singular_values
        )
        for sq in squares
    )


def stated_depth_two_mean() -> dict[str, sp.Expr]:
    r"""The statements at :math:`L = 2` (typed in): the first-order mean of mode :math:`a` at
    an aligned minimum with layer amplitudes :math:`a_1, a_2` (:math:`a_1a_2 = \sigma`),
    :math:`\sigma - \kappa\sigma_\varepsilon^2(m+n)\sigma/(2(a_1^2 + a_2^2))`, and at the
    rebalanced point, :math:`\sigma - \kappa\sigma_\varepsilon^2\sqrt{mn}/2`."""
    a_1, a_2 = sp.symbols("a_1 a_2", positive=True)
    return {
        "general": sigma - kappa * sigma_eps**2 * (m_out + n_in) * sigma / (2 * (a_1**2 + a_2**2)),
        "rebalanced": sigma - kappa * sigma_eps**2 * sp.sqrt(m_out * n_in) / 2,
    }


def _depth_two_means_agree() -> bool:
    """The derived means of every depth-two case equal :func:`stated_depth_two_mean`."""
    a_1, a_2 = sp.symbols("a_1 a_2", positive=True)
    stated = stated_depth_two_mean()["general"]
    holds = True
    for widths, rank in MODE_CASES:
        if len(widths) != 3:
            continue
        derived = aligned_mode_means(widths, rank)
        amplitudes = derived["amplitudes"]
        for b, mean in enumerate(derived["mode_means"]):
            first, second = amplitudes[0][b], amplitudes[1][b]
            expected = stated.subs({a_1: first, a_2: second}).subs(
                {sigma: first * second, m_out: widths[-1], n_in: widths[0]}
            )
            holds &= sp.simplify(mean - expected) == 0
    rebalanced = sp.sqrt(n_in / m_out) * sigma, sp.sqrt(m_out / n_in) * sigma
    at_fixed = stated.subs({a_1: sp.sqrt(rebalanced[0]), a_2: sp.sqrt(rebalanced[1])})
    holds &= sp.simplify(at_fixed - stated_depth_two_mean()["rebalanced"]) == 0
    return bool(holds)


_layer = sp.Symbol("l", integer=True, positive=True)


@cache
def total_imbalance_drift() -> sp.Expr:
    r"""Drift of the end-to-end imbalance :math:`a_L^2 - a_1^2` of one mode at the balanced
    teacher point (rank one, :math:`a_l = \sigma^{1/L}`) in an :math:`m \times n` network of
    symbolic depth :math:`L \ge 2`: the sum over :math:`l` of the per-mode drifts
    :math:`\kappa\sigma_\varepsilon^2(P_l\|A_{l+1}\|^2 - Q_l\|B_l\|^2)` with
    :math:`\|A_L\|^2 = m`, :math:`\|B_1\|^2 = n` (the per-mode form is the matrix
    derivation's, :func:`rebalancing_claim`), summed by ``summation``; compared with the
    matrix derivation at concrete depths and widths by :func:`_total_drift_agrees`."""
    power = sigma ** (2 * (L - 1) / L)  # P_l ||A_{l+1}||^2 = Q_l ||B_l||^2 between the ends
    inner = sp.summation(
        sp.powsimp(sigma ** (2 * _layer / L) * sigma ** (2 * (L - _layer - 1) / L)),
        (_layer, 1, L - 2),
    )
    outer = sp.summation(
        sp.powsimp(sigma ** (2 * (L - _layer) / L) * sigma ** (2 * (_layer - 1) / L)),
        (_layer, 2, L - 1),
    )
    total = inner + power * m_out - power * n_in - outer
    return sp.factor(sp.simplify(kappa * sigma_eps**2 * total))


def _total_drift_agrees() -> bool:
    """:func:`total_imbalance_drift` equals the sum over layers of the matrix-derived
    per-mode drift at the balanced teacher point, at depths 2-4 and two pairs of widths."""
    holds = True
    for depth in (2, 3, 4):
        for n, m in ((2, 3), (3, 1)):
            widths = (n, *(1,) * (depth - 1), m)
            derived = mode_imbalance_drift(widths, 1)
            root = sp.Symbol("r", positive=True)  # sigma^(1/L)
            at = {row[0]: root for row in derived["amplitudes"]}
            summed = sp.Add(*(row[0] for row in derived["drift"])).subs(at)
            stated = total_imbalance_drift().subs({L: depth, m_out: m, n_in: n})
            holds &= sp.simplify(summed - stated.subs(sigma, root**depth)) == 0
    return bool(holds)


def stated_rebalanced_mean(depth: sp.Expr) -> sp.Expr:
    r"""The statement (typed in): the first-order stationary mean of every mode at the
    rebalanced point, :math:`\sigma_b - \kappa\sigma_\varepsilon^2\frac{L-1}{2}
    (mn)^{1/L}S^{1-2/L}`, in the symbols ``sigma`` (for :math:`\sigma_b`), :data:`m_out`,
    :data:`n_in`, :data:`nuclear`."""
    return sigma - kappa * sigma_eps**2 * (depth - 1) / 2 * (m_out * n_in) ** (
        1 / depth
    ) * nuclear ** (1 - 2 / depth)


def _rebalanced_cases(mean: sp.Expr, depth_symbol: sp.Symbol) -> bool:
    """At every :data:`MODE_CASES` case, teacher :math:`(2, 1)` (or :math:`(2)`): the derived
    per-mode drift vanishes at :func:`rebalanced_amplitudes`, and the derived first-order
    mode means there equal ``mean`` (a function of ``depth_symbol``)."""
    holds = True
    for widths, rank in MODE_CASES:
        values = (sp.Integer(2), sp.Integer(1))[:rank]
        depth, (m, n) = len(widths) - 1, (widths[-1], widths[0])
        derived = mode_imbalance_drift(widths, rank)
        symbols = derived["amplitudes"]
        point = rebalanced_amplitudes(values, (m, n), depth)
        at_point = {symbols[l][b]: point[l][b] for l in range(depth) for b in range(rank)}
        holds &= all(sp.simplify(e.subs(at_point)) == 0 for row in derived["drift"] for e in row)
        stated = mean.subs({depth_symbol: depth, m_out: m, n_in: n, nuclear: sp.Add(*values)})
        for value, derived_mean in zip(
            values, aligned_mode_means(widths, rank)["mode_means"], strict=True
        ):
            gap = derived_mean.subs(at_point) - stated.subs(sigma, value)
            holds &= sp.simplify(sp.expand(gap)) == 0
    return bool(holds)


def _balanced_only_when_special() -> bool:
    r"""The fixed point is the balanced point :math:`a_{l,b}^2 = \sigma_b^{2/L}` at
    :math:`L = 2` exactly when :math:`m = n` (solved), and at :math:`L = 3, 4` for a square
    full-rank teacher with equal singular values (:math:`r = m = n`, :math:`S = r\sigma`), but
    not when one width exceeds the rank or the singular values differ."""
    sigma_b = sp.Symbol("sigma_b", positive=True)
    holds = sp.solve(sp.Eq(rebalanced_point(2)[0], sigma_b), m_out) == [n_in]
    for depth in (3, 4):
        squares = rebalanced_point(depth)

        def balanced(
            at: dict[sp.Symbol, sp.Expr], value: sp.Expr, squares=squares, depth=depth
        ) -> bool:
            return all(
                sp.simplify(sq.subs(at).subs(sigma_b, value) - value ** sp.Rational(2, depth)) == 0
                for sq in squares
            )

        rank = 3
        equal = {m_out: rank, n_in: rank, nuclear: rank * sigma_b}
        holds &= balanced(equal, sigma_b)
        holds &= not balanced(equal | {m_out: rank + 1}, sigma_b)
        # singular values 2 and 1 in a 2 x 2 network: mode 1 is not balanced
        holds &= not balanced({m_out: 2, n_in: 2, nuclear: 3}, sp.Integer(2))
    return bool(holds)


def _fixed_point_attracts(rate: sp.Expr) -> bool:
    """Every relaxation rate of the slow flow (:func:`slow_rates`) is positive at every
    :data:`MODE_CASES` case (teacher (2, 1) or (2)), and at depth two every mode's rate is
    ``rate`` (in units of kappa sigma_eps^2)."""
    holds = True
    for widths, rank in MODE_CASES:
        rates = slow_rates(widths, (sp.Integer(2), sp.Integer(1))[:rank])
        holds &= min(rates) > 0
        if len(widths) == 3:
            stated = rate.subs({m_out: widths[-1], n_in: widths[0]}) / (kappa * sigma_eps**2)
            holds &= all(abs(r - float(stated)) < 1e-9 for r in rates)
    return bool(holds)


def rebalancing_claim(stated: dict[str, sp.Expr] | None = None) -> DerivationResult:
    r"""C18 (beyond the paper): with label noise, the imbalance of the layers drifts at first
    order in :math:`\kappa` at the teacher, the layers rebalance along the manifold of minima
    to a fixed point that is not the balanced point unless the widths and the teacher are
    special, and the mode means settle at that point (module docstring).

    Parameters
    ----------
    stated : dict, optional
        Overrides of the statements: ``"first"``, ``"middle"``, ``"last"`` (squared layer
        amplitudes at the fixed point, functions of the depth symbol), ``"rate"`` (the
        depth-two rate), ``"mean"`` (the first-order mean at the fixed point, a function of
        the depth symbol).
    """
    depth_symbol = sp.Symbol("L", positive=True, integer=True)
    first, middle, last = stated_rebalanced_point(depth_symbol)
    statements = {
        "first": first,
        "middle": middle,
        "last": last,
        "rate": 2 * kappa * sigma_eps**2 * m_out * n_in / (m_out + n_in),
        "mean": stated_rebalanced_mean(depth_symbol),
    } | dict(stated or {})
    holds = all(imbalance_drift_at_minimum(w)["holds"] for w in DRIFT_SHAPES)
    for widths, rank in MODE_CASES:
        holds &= bool(mode_imbalance_drift(widths, rank)["diagonal"])
        holds &= bool(rebalancing_potential(widths, rank)["gradient_flow"])
        holds &= bool(aligned_mode_means(widths, rank)["checks"])
    for depth in range(2, 7):
        derived = rebalanced_point(depth)
        at = {depth_symbol: depth}
        holds &= _same_positive(derived[0], statements["first"].subs(at))
        holds &= _same_positive(derived[-1], statements["last"].subs(at))
        holds &= all(_same_positive(d, statements["middle"].subs(at)) for d in derived[1:-1])
    rate = depth_two_rate()
    holds &= sp.simplify(rate["rate"] - statements["rate"]) == 0
    holds &= _rebalanced_cases(statements["mean"], depth_symbol)
    holds &= _balanced_only_when_special()
    holds &= _total_drift_agrees()
    holds &= _fixed_point_attracts(statements["rate"])
    holds &= _depth_two_means_agree()
    drift_symbol = sp.Symbol(r"\dot{D}_l")
    norm_a, norm_b = sp.Symbol(r"\|A_{l+1}\|^{2}"), sp.Symbol(r"\|B_{l}\|^{2}")
    gram_b, gram_a = sp.Symbol(r"B_{l+1} B_{l+1}^{\top}"), sp.Symbol(r"A_{l}^{\top} A_{l}")
    steps = (
        Step(
            "Itô drift of D_l at a minimum (Wick, N = eps x^T; general weights at widths "
            f"{', '.join(str(w) for w in DRIFT_SHAPES)})",
            drift_symbol,
            kappa * sigma_eps**2 * (norm_a * gram_b - norm_b * gram_a),
        ),
        Step(
            "at an aligned minimum: drift of a_{l+1,b}^2 - a_{l,b}^2 = kappa sigma_eps^2 "
            "dR/dlog P_{l,b}, R = tr H",
            sp.Symbol("R"),
            sp.Sum(
                sp.Symbol(r"\|A_{l}\|^{2}") * sp.Symbol(r"\|B_{l}\|^{2}"),
                (sp.Symbol("l"), 1, depth_symbol),
            ),
        ),
        Step("fixed point, first layer", sp.Symbol(r"a_{1,b}^{2}"), statements["first"]),
        Step("fixed point, middle layers", sp.Symbol(r"a_{l,b}^{2}"), statements["middle"]),
        Step("fixed point, last layer", sp.Symbol(r"a_{L,b}^{2}"), statements["last"]),
        Step("depth two: relaxation rate of each mode", sp.Symbol(r"\lambda"), rate["rate"]),
        Step(
            "depth two, any aligned minimum: first-order mean (C17's linear response there)",
            sp.Symbol(r"\mathbb{E}s_{a}"),
            stated_depth_two_mean()["general"],
        ),
        Step(
            "first-order mean of every mode at the fixed point",
            sp.Symbol(r"\mathbb{E}s_{b}"),
            statements["mean"],
        ),
    )
    findings = (
        Finding(
            "With label noise the layer imbalance drifts at FIRST order in kappa at the teacher: ",
            Math(
                r"\frac{d}{dt}\mathbb{E}D_l = \kappa\sigma_\varepsilon^2\bigl(\|A_{l+1}\|_F^2"
                r"B_{l+1}B_{l+1}^\top - \|B_l\|_F^2A_l^\top A_l\bigr)",
                "d/dt E D_l = kappa sigma_eps^2 (||A_{l+1}||^2 B_{l+1} B_{l+1}^T - "
                "||B_l||^2 A_l^T A_l)",
                display=True,
            ),
            " (A_L = I_m, B_1 = I_n). The balanced point is a fixed point only at L = 2 with "
            "m = n, or at L >= 3 for a square full-rank teacher with equal singular values.",
        ),
        Finding(
            "The slow flow descends tr H along the manifold of minima at rate kappa "
            "sigma_eps^2 and has one fixed point: ",
            Math(
                r"a_{1,b}^2 = \sigma_b (n/S)^{(L-1)/L} (S/m)^{1/L},\ "
                r"a_{l,b}^2 = (S^2/(mn))^{1/L},\ "
                r"a_{L,b}^2 = \sigma_b (S/n)^{1/L} (m/S)^{(L-1)/L}",
                "a_{1,b}^2 = sigma_b (n/S)^((L-1)/L) (S/m)^(1/L), a_{l,b}^2 = (S^2/(mn))^(1/L), "
                "a_{L,b}^2 = sigma_b (S/n)^(1/L) (m/S)^((L-1)/L)",
                display=True,
            ),
            " with S the sum of the teacher's singular values: at depth >= 3 the middle "
            "layers carry every mode with the same amplitude.",
        ),
        Finding(
            "At L = 2 each mode relaxes at rate ",
            rate["rate"],
            " to the balanced point with W_1 scaled by (n/m)^(1/4) and W_2 by (m/n)^(1/4).",
        ),
        Finding(
            "At the fixed point every mode has the same first-order mean shift: ",
            statements["mean"],
            " (S the sum of the singular values), e.g. sigma - kappa sigma_eps^2 sqrt(mn)/2 at "
            "L = 2 instead of C17's sigma - kappa sigma_eps^2 (m + n)/4 at the balanced point. "
            "C17's balanced-point means hold for times t << 1/(kappa sigma_eps^2) after a "
            "balanced start; these hold after the layers have rebalanced.",
        ),
    )
    return DerivationResult(
        claim="C18",
        derived={
            "rebalanced_L2": rebalanced_point(2),
            "rebalanced_L3": rebalanced_point(3),
            "rate": rate["rate"],
        },
        stated=statements,
        holds=bool(holds),
        steps=steps,
        cases=(
            *(f"matrix drift at widths {w}" for w in DRIFT_SHAPES),
            *(f"aligned minimum, widths {w}, rank {r}" for w, r in MODE_CASES),
            "fixed point at depths 2-6",
        ),
        findings=findings,
    )


@cache
def depth_two_slow_flow() -> dict[str, sp.Expr]:
    r"""The slow flow of one mode at :math:`L = 2` as an ODE for its imbalance
    :math:`D = a_2^2 - a_1^2` in the slow time :math:`\tau = \kappa\sigma_\varepsilon^2 t`,
    with the first-order mean along it, derived from the per-mode statements.

    On the manifold :math:`a_1^2a_2^2 = \sigma^2`, so :math:`a_{1,2}^2 = (\sqrt{D^2 +
    4\sigma^2} \mp D)/2` (solved here); substituted into the drift
    :math:`\kappa\sigma_\varepsilon^2(ma_1^2 - na_2^2)` (checked against the matrix derivation
    at every depth-two case of :data:`MODE_CASES` by :func:`rebalancing_claim`) and into
    :func:`stated_depth_two_mean`.  Returns ``{"rate"}`` (:math:`dD/d\tau`),
    ``{"mean_shift"}`` (:math:`(E s - \sigma)/(\kappa\sigma_\varepsilon^2)`), ``"fixed"``
    (:math:`D^*`) and ``"imbalance"`` (the symbol :math:`D`)."""
    imbalance = sp.Symbol("D", real=True)
    root = sp.sqrt(imbalance**2 + 4 * sigma**2)
    low, high = (root - imbalance) / 2, (root + imbalance) / 2  # a_1^2, a_2^2: both positive
    if sp.simplify(high - low - imbalance) != 0 or sp.simplify(low * high - sigma**2) != 0:
        raise AssertionError("a_1^2, a_2^2 do not solve a_2^2 - a_1^2 = D, a_1^2 a_2^2 = sigma^2")
    rate = sp.simplify(m_out * low - n_in * high)
    a_1, a_2 = sp.symbols("a_1 a_2", positive=True)
    mean = stated_depth_two_mean()["general"].subs({a_1: sp.sqrt(low), a_2: sp.sqrt(high)})
    shift = sp.simplify((mean - sigma) / (kappa * sigma_eps**2))
    # squaring the root brings in a spurious solution: keep the roots of the rate itself
    probe = {m_out: 3, n_in: 2, sigma: sp.Rational(3, 2)}
    (fixed,) = [
        d
        for d in sp.solve(rate, imbalance)
        if sp.simplify(rate.subs(imbalance, d).subs(probe)) == 0
    ]
    return {"rate": rate, "mean_shift": shift, "fixed": fixed, "imbalance": imbalance}


def slow_rates(widths: tuple[int, ...], singular_values: Sequence[sp.Expr]) -> tuple[float, ...]:
    r"""Relaxation rates of the slow flow at its fixed point, in units of
    :math:`\kappa\sigma_\varepsilon^2`, for an aligned network of ``widths`` with a teacher of
    ``singular_values`` (one per mode), smallest first.

    In the coordinates :math:`\log P_{l,b}` the flow is :math:`\dot{\log P} =
    \kappa\sigma_\varepsilon^2M^{-1}\nabla R` with :math:`M = \partial D/\partial\log P`
    (the imbalances as functions of :math:`\log P`), so near the fixed point it relaxes with the
    eigenvalues of :math:`-M^{-1}\nabla^2R`; :math:`R` from :func:`rebalancing_potential`,
    :math:`M` by differentiation, both evaluated at :func:`rebalanced_amplitudes`."""
    rank = len(singular_values)
    depth = len(widths) - 1
    potential = rebalancing_potential(widths, rank)["potential"]
    _, amplitudes = aligned_minimum(widths, rank)
    substitution, inner = _log_coordinates(amplitudes)
    logs = [sp.Symbol(f"u_{l}_{b}", real=True) for l in range(1, depth) for b in range(rank)]
    as_logs = {p: sp.exp(u) for p, u in zip((p for row in inner for p in row), logs, strict=True)}
    in_logs = sp.expand(potential.subs(substitution)).subs(as_logs)
    imbalances = [
        (amplitudes[l + 1][b] ** 2 - amplitudes[l][b] ** 2).subs(substitution).subs(as_logs)
        for l in range(depth - 1)
        for b in range(rank)
    ]
    sings = {sp.Symbol(f"sigma_{b}", positive=True): v for b, v in enumerate(singular_values, 1)}
    point = rebalanced_amplitudes(list(singular_values), (widths[-1], widths[0]), depth)
    products = [sp.Integer(1)] * rank
    at: dict[sp.Symbol, sp.Expr] = {}
    for l in range(depth - 1):
        for b in range(rank):
            products[b] = products[b] * point[l][b] ** 2
            at[logs[l * rank + b]] = sp.log(products[b])
    hessian = sp.hessian(in_logs, logs).subs(sings).subs(at)
    metric = sp.Matrix(imbalances).jacobian(logs).subs(sings).subs(at)
    relaxation = -(metric.evalf(30).inv() * hessian.evalf(30))
    values, _ = mpmath.eig(mpmath.matrix(relaxation.tolist()))
    return tuple(sorted(float(mpmath.re(v)) for v in values))
