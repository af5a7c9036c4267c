r"""Collapse of the full network without label noise: the rate of the gap's row (C16).

Beyond the paper (its App. K and Fig. 4 at :math:`\sigma_\varepsilon = 0`).  C11 derives the
rate at which *one* aligned-balanced mode collapses onto :math:`\sigma`,
:math:`\lambda_{C11} = L\sigma^{2-2/L} + \kappa L^2\sigma^{4-4/L}`.  In a network wider than
the teacher's rank the gap :math:`\sigma_a - s_a` is not alone: this module derives the rate
:math:`\lambda = -\tfrac{d}{dt}E\log|\sigma_a - s_a|` of the full network near the teacher.

1. **Linearisation** (:func:`linearised_gap_dynamics`, concrete widths and depths, exact).
   Near :math:`W = W^*` write the network in the teacher's singular bases, completed by
   null-space directions (amplitude 0); :math:`W^*_l` are then rectangular-diagonal with the
   balanced amplitudes :math:`\tau_b = \sigma_b^{1/L}`.  With the population gradient of C1,
   :math:`-\nabla_lL = A_l^\top\Delta B_l^\top`, the gap :math:`\Delta = W^* - W` has drift
   :math:`-\Theta(\Delta)` (:math:`\Theta` the NTK operator) and, from the layer noises
   :math:`\xi_l = -A_l^\top N B_l^\top`, noise :math:`\sqrt\kappa\,\Theta(N)` with
   :math:`N = \Delta(xx^\top - I)`.  At :math:`W^*` the operator is diagonal on matrix units,
   :math:`\Theta(E_{ij}) = K_{ij}E_{ij}` with
   :math:`K_{ij} = \sum_{l=1}^{L}s_i^{2(L-l)/L}s_j^{2(l-1)/L}` (:math:`0^0 = 1`, null
   directions :math:`s = 0`), and the Wick second moments give
   :math:`\operatorname{Cov}(\Theta(N)_{ij},\Theta(N)_{kl}) = K_{ij}K_{kl}\bigl((\Delta
   \Delta^\top)_{ik}\delta_{jl} + \Delta_{il}\Delta_{kj}\bigr)`: the noise of row :math:`a`
   of :math:`\Delta` depends on row :math:`a` only, so each row is a closed linear SDE.  Every
   second moment of :math:`N` is a homogeneous quadratic in :math:`\Delta`, so the Itô
   (second-order) drift of :math:`\Delta` is :math:`O(|\Delta|^2)` and drops out.

2. **Lyapunov exponent of a row** (:func:`row_log_generator`, block sizes 1-5).  The gap
   :math:`\Delta_{aa}` is one entry of row :math:`a`, its ratio to the row is stationary, so
   it collapses at the row's Lyapunov exponent.  Khasminskii's formula gives it as
   :math:`\lambda = -E_\pi Q`, with :math:`Q = \mathcal L\log|x|` (a function of the
   direction :math:`\theta = x/|x|` only) and :math:`\pi` the stationary law of
   :math:`\theta`.  Split the row into its slowest block (:math:`n` entries of rate
   :math:`K`) and faster entries (rates :math:`K_j > K`).  As :math:`\kappa \to 0`,
   :math:`\pi` sits on the slow block's sphere, where :math:`Q = -K - \tfrac\kappa2(3K^2 -
   nK^2 - \sum_j K_j^2)`; the faster entries leak in with :math:`E\theta_j^2 = \kappa
   K_j^2/(2(K_j - K)) + O(\kappa^2)`, which lowers :math:`Q` by :math:`(K_j - K)
   E\theta_j^2`, so

   .. math:: \lambda = K + \kappa K^2\frac{3 - n}{2} + O(\kappa^2).

   The remainder's expansion parameter is :math:`\kappa K_j^2/(K_j - K)`, not small at the
   paper's scales.  For a row of two entries the angular process is one-dimensional and
   :math:`\lambda` is exact by quadrature of its zero-current stationary law
   (:func:`two_entry_angular_sde`).

3. **The full network** (:func:`full_network_collapse_rate`, symbolic depth).  The entries of
   row :math:`a` are the gap (:math:`K = L\sigma_a^{2-2/L}`, C7's drift), the cross entries
   (:math:`K = \sum_l\sigma_a^{2(L-l)/L}\sigma_b^{2(l-1)/L}`) and the :math:`n = d - r`
   entries towards the input null space (:math:`K = \sigma_a^{2-2/L}`, only :math:`l = 1`
   survives).  For :math:`L \ge 2` and :math:`n \ge 1` the null block is the slowest, so

   .. math:: \lambda = \sigma_a^{2-2/L} + \kappa\sigma_a^{4-4/L}\frac{3 - n}{2} + O(\kappa^2),

   a factor :math:`L` slower than C11 as :math:`\kappa \to 0`; for :math:`n > 3` the noise
   slows the collapse.  A row with the gap alone (width 1) gives back C11's rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import sympy as sp

from derivations._validation import integer_at_least
from derivations.aligned_balanced import aligned_ntk_eigenvalue, balanced_product, teacher_point
from derivations.conventions import L, kappa, s, sigma
from derivations.output_noise import (
    expect_bilinear,
    layer_noise,
    noise_second_moments,
    noise_symbols,
)
from derivations.result import DerivationResult, Finding, Math, Step
from derivations.stationary import collapse_rate
from derivations.symbolic_network import gap_matrix, ntk_operator, partial_products
from dlnverify.errors import InvalidParameter

__all__ = [
    "BLOCK_SIZES",
    "LINEARISATION_CASES",
    "block_rate",
    "entry_relaxation_rates",
    "full_network_collapse_rate",
    "linearised_gap_dynamics",
    "row_collapse_claim",
    "row_log_generator",
    "slow_rate",
    "slow_size",
    "stated_row_collapse",
]

#: Rate :math:`K` and size :math:`n` of the slowest block of a row.
slow_rate = sp.Symbol("K", positive=True)
slow_size = sp.Symbol("n", integer=True, positive=True)
#: Another teacher singular value :math:`\sigma_b` (cross entries of the row).
_sigma_b = sp.Symbol("sigma_b", positive=True)
_l = sp.Symbol("l", integer=True, positive=True)

#: Concrete networks of the linearisation: widths :math:`(n, h_1, \dots, m)` and teacher rank;
#: null rows, null columns, hidden null directions, two modes, depths 1-3.
LINEARISATION_CASES: tuple[tuple[tuple[int, ...], int], ...] = (
    ((3, 2), 1),
    ((3, 2, 2), 1),
    ((3, 3, 3), 2),
    ((3, 2, 3, 2), 1),
)
#: Sizes :math:`n` of the slowest block for which the row generator is derived (each with
#: 0, 1 and 2 faster entries).
BLOCK_SIZES = (1, 2, 3, 4, 5)
_FAST_COUNTS = (0, 1, 2)


def _fast_rates(n_fast: int) -> tuple[sp.Symbol, ...]:
    return tuple(sp.Symbol(f"K_{j}", positive=True) for j in range(1, n_fast + 1))


def _count_iv(value: Any, name: str, minimum: int) -> int:
    return integer_at_least(value, name, minimum)


# --- 1. linearisation at the teacher ------------------------------------------------------


def _entry_rate_sum(row_value: sp.Expr, col_value: sp.Expr, depth: int) -> sp.Expr:
    r""":math:`\sum_{l=1}^{L} s_i^{2(L-l)/L}s_j^{2(l-1)/L}` at a concrete depth (:math:`0^0 = 1`):
    the statement the concrete NTK is compared with."""
    return sp.Add(
        *[
            row_value ** sp.Rational(2 * (depth - l), depth)
            * col_value ** sp.Rational(2 * (l - 1), depth)
            for l in range(1, depth + 1)
        ]
    )


@cache
def linearised_gap_dynamics(widths: tuple[int, ...], rank: int) -> dict[str, Any]:
    r"""The SDE of :math:`\Delta = W^* - W` to first order near the teacher (module, part 1).

    Parameters
    ----------
    widths : tuple of int
        :math:`(n, h_1, \dots, h_{L-1}, m)`, every hidden width :math:`\ge` ``rank``.
    rank : int
        :math:`r \ge 1`, the teacher's rank (its first ``rank`` singular directions).

    Returns
    -------
    dict
        ``"rates"``: the :math:`m\times n` matrix of :math:`K_{ij}` read off
        :math:`\Theta(E_{ij})`; ``"diagonal"``: every :math:`\Theta(E_{ij})` is a multiple of
        :math:`E_{ij}`; ``"rates_agree"``: :math:`K_{ij}` equals
        :math:`\sum_l s_i^{2(L-l)/L}s_j^{2(l-1)/L}`; ``"covariance_agrees"``: the Wick
        covariance of the linearised noise :math:`-\sum_l A_l\xi_lB_l` equals
        :math:`K_{ij}K_{kl}((\Delta\Delta^\top)_{ik}\delta_{jl} + \Delta_{il}\Delta_{kj})`;
        ``"rows_closed"``: the covariance within row :math:`i` involves row :math:`i` of
        :math:`\Delta` only; ``"moments_quadratic"``: every second moment of :math:`N` is a
        homogeneous quadratic in :math:`\Delta` (so the Itô drift of :math:`\Delta` is
        :math:`O(|\Delta|^2)`).
    """
    widths = tuple(_count_iv(h, "width", 1) for h in widths)
    rank = _count_iv(rank, "rank", 1)
    if len(widths) < 2 or min(widths) < rank:
        raise InvalidParameter(
            f"Got {widths=} and {rank=}, but a network needs >= 2 widths, each >= rank."
        )
    weights, taus = teacher_point(widths, rank)
    depth, n, m = len(weights), widths[0], widths[-1]

    def value(i: int) -> sp.Expr:
        return taus[i] ** depth if i < rank else sp.Integer(0)

    a_list, b_list = partial_products(weights)

    rates, diagonal = sp.zeros(m, n), True
    for i in range(m):
        for j in range(n):
            unit = sp.zeros(m, n)
            unit[i, j] = 1
            image = sp.expand(ntk_operator(weights, unit))
            rates[i, j] = image[i, j]
            diagonal = diagonal and (image - rates[i, j] * unit).is_zero_matrix
    stated_rates = sp.Matrix(m, n, lambda i, j: _entry_rate_sum(value(i), value(j), depth))
    rates_agree = sp.expand(rates - stated_rates).is_zero_matrix

    delta = gap_matrix((m, n))
    moments = noise_second_moments(delta, sp.zeros(m, m))
    noise = noise_symbols(m, n)
    driven = sp.expand(
        -sp.Add(
            *[
                a * xi * b
                for a, xi, b in zip(a_list, layer_noise(weights, noise), b_list, strict=True)
            ]
        )
    )
    gram = delta * delta.T
    covariance_agrees, rows_closed = True, True
    entries = [(i, j) for j in range(n) for i in range(m)]
    for p, (i, j) in enumerate(entries):
        for i2, j2 in entries[p:]:
            covariance = sp.expand(expect_bilinear(driven[i, j], driven[i2, j2], noise, moments))
            stated = (
                rates[i, j]
                * rates[i2, j2]
                * (gram[i, i2] * int(j == j2) + delta[i, j2] * delta[i2, j])
            )
            covariance_agrees = covariance_agrees and sp.expand(covariance - stated) == 0
            if i == i2:
                rows_closed = rows_closed and covariance.free_symbols <= set(delta.row(i)) | set(
                    taus
                )
    delta_symbols = list(delta)
    moments_quadratic = all(
        entry == 0 or sp.Poly(entry, *delta_symbols).homogeneous_order() == 2 for entry in moments
    )
    return {
        "rates": rates,
        "diagonal": diagonal,
        "rates_agree": rates_agree,
        "covariance_agrees": covariance_agrees,
        "rows_closed": rows_closed,
        "moments_quadratic": moments_quadratic,
    }


# --- 2. Lyapunov exponent of a row --------------------------------------------------------


def _generator(
    f: sp.Expr, coords: Sequence[sp.Symbol], rates: Sequence[sp.Expr], moments: sp.Matrix
) -> sp.Expr:
    r""":math:`\mathcal Lf = \sum_j -K_jx_j\partial_jf
    + \tfrac{\kappa}{2}\sum_{jk}K_jK_k\,\mathbb E[N_jN_k]\,\partial_j\partial_kf`."""
    drift = sp.Add(*[-k * x * sp.diff(f, x) for k, x in zip(rates, coords, strict=True)])
    noise = sp.Add(
        *[
            rates[j] * rates[k] * moments[j, k] * sp.diff(f, coords[j], coords[k])
            for j in range(len(coords))
            for k in range(len(coords))
            if moments[j, k] != 0
        ]
    )
    return drift + kappa * noise / 2


def _row(
    n_slow: int, n_fast: int
) -> tuple[tuple[sp.Symbol, ...], tuple[sp.Symbol, ...], tuple[sp.Expr, ...], sp.Matrix]:
    """Slow and fast coordinates of a row, their rates, and the Wick moments of its noise."""
    ys = sp.symbols(f"y1:{n_slow + 1}", real=True)
    zs = sp.symbols(f"z1:{n_fast + 1}", real=True)
    rates = (slow_rate,) * n_slow + _fast_rates(n_fast)
    return ys, zs, rates, noise_second_moments(sp.Matrix([(*ys, *zs)]), sp.zeros(1, 1))


@cache
def row_log_generator(n_slow: int, n_fast: int) -> dict[str, Any]:
    r"""Khasminskii's formula on one row of :math:`\Delta` (module, part 2), to first order.

    The row is :math:`x = (y_1, \dots, y_n, z_1, \dots, z_{n_f})` with rates
    :math:`(K, \dots, K, K_1, \dots, K_{n_f})`; its noise covariance is
    :math:`\kappa K_jK_k\,\mathbb E[N_jN_k]` with the Wick moments of
    :math:`N = \Delta(xx^\top - I)` for a :math:`1\times(n + n_f)` gap (part 1).  The
    generator :math:`Q = \mathcal L\log|x|` depends on the direction :math:`\theta = x/|x|`
    only, and :math:`\lambda = -E_\pi Q` with :math:`\pi` the stationary law of
    :math:`\theta`.  As :math:`\kappa\to0`, :math:`\pi` sits on the slow sphere
    (:math:`z = 0`), where :math:`Q` is constant; the faster entries leak in with
    :math:`E\theta_j^2 = \kappa K_j^2/(2(K_j - K)) + O(\kappa^2)` (injection
    :math:`\kappa K_j^2` against relaxation :math:`2(K_j - K)\theta_j^2` in
    :math:`\mathcal L\theta_j^2`), and :math:`Q` changes by
    :math:`-\sum_j (K_j - K)\theta_j^2` to that order.

    Returns
    -------
    dict
        ``"generator"`` (:math:`Q`), ``"homogeneous"`` (:math:`Q` is of degree 0),
        ``"slow_value"`` (:math:`Q` on the slow sphere), ``"slow_constant"`` (it is
        constant there), ``"leak_coefficients"`` (the :math:`\kappa\to0` coefficient of
        :math:`\theta_j^2` in :math:`Q`), ``"leaks"`` (:math:`E\theta_j^2` to first order),
        ``"rate"`` (:math:`\lambda` to first order in :math:`\kappa`), ``"fast_rates"``.
    """
    n_slow = _count_iv(n_slow, "n_slow", 1)
    n_fast = _count_iv(n_fast, "n_fast", 0)
    ys, zs, rates, moments = _row(n_slow, n_fast)
    coords = (*ys, *zs)
    norm = sp.Add(*[x**2 for x in coords])
    generator = sp.cancel(sp.together(_generator(sp.log(norm) / 2, coords, rates, moments)))
    scale = sp.Dummy("scale", positive=True)
    homogeneous = sp.cancel(generator.subs({x: scale * x for x in coords}) - generator) == 0
    slow_value = sp.factor(generator.subs(dict.fromkeys(zs, 0)))
    slow_constant = not (slow_value.free_symbols & set(coords))
    eps = sp.Dummy("epsilon")

    def small_fast(expr: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
        """Orders eps^0 and eps^2 of expr with z -> eps z."""
        numerator, denominator = sp.fraction(
            sp.cancel(sp.together(expr.subs({z: eps * z for z in zs}, simultaneous=True)))
        )
        top, bottom = sp.expand(numerator), sp.expand(denominator)
        # N/D = N0/D0 + eps^2 (N2/D0 - N0 D2/D0^2) + ..., both even in eps
        n0, n2, d0, d2 = (e.coeff(eps, k) for e in (top, bottom) for k in (0, 2))
        return sp.cancel(n0 / d0), sp.cancel(n2 / d0 - n0 * d2 / d0**2)

    slow_norm = sp.Add(*[y**2 for y in ys])
    leak_coefficients, leaks = [], []
    for z in zs:
        ratio = z**2 / norm
        _, change = small_fast(generator.subs({w: 0 for w in zs if w != z}))
        leak_coefficients.append(sp.simplify(change.subs(kappa, 0) * slow_norm / z**2))
        injected, relaxing = small_fast(_generator(ratio, coords, rates, moments))
        mean = sp.Symbol("theta2")
        relaxing = sp.simplify(relaxing.subs(kappa, 0) * slow_norm / z**2)
        leaks.append(sp.solve(injected + relaxing * mean, mean)[0])
    value = slow_value + sp.Add(*[c * m for c, m in zip(leak_coefficients, leaks, strict=True)])
    rate = sp.expand(-value)
    rate = rate.coeff(kappa, 0) + kappa * rate.coeff(kappa, 1)
    return {
        "generator": generator,
        "homogeneous": bool(homogeneous),
        "slow_value": slow_value,
        "slow_constant": bool(slow_constant),
        "leak_coefficients": tuple(leak_coefficients),
        "leaks": tuple(leaks),
        "rate": sp.factor(rate),
        "fast_rates": rates[n_slow:],
    }


def block_rate(n_slow: int, fast_rates: Sequence[sp.Expr] = ()) -> sp.Expr:
    r""":math:`\lambda` to first order in :math:`\kappa` of a row whose slowest block has
    ``n_slow`` entries of rate :data:`slow_rate` and whose other entries have ``fast_rates``
    (derived by :func:`row_log_generator`)."""
    derived = row_log_generator(n_slow, len(fast_rates))
    return derived["rate"].subs(dict(zip(derived["fast_rates"], fast_rates, strict=True)))


@cache
def two_entry_angular_sde() -> dict[str, sp.Expr]:
    r"""The exact angular SDE of a row of two entries (rates :math:`K_1, K_2`): with
    :math:`x = |x|(\cos\varphi, \sin\varphi)`, Itô's formula on
    :math:`\varphi = \operatorname{atan2}(x_2, x_1)` gives :math:`d\varphi = \mu\,dt +
    \sqrt{D}\,dW` and :math:`Q(\varphi) = \mathcal L\log|x|`.  The SDE is invariant under
    :math:`x_j \to -x_j`, so its stationary law on :math:`[0, \pi/2]` has zero current,
    :math:`p \propto D^{-1}\exp\int 2\mu/D`, and :math:`\lambda = -E_pQ` is exact for the
    linearised network (a quadrature; :mod:`reports.claims.row_collapse`)."""
    x1, x2 = sp.symbols("x1 x2", real=True)
    k1, k2 = _fast_rates(2)
    rates = (k1, k2)
    moments = noise_second_moments(sp.Matrix([[x1, x2]]), sp.zeros(1, 1))
    angle = sp.atan2(x2, x1)
    grad = [sp.diff(angle, x) for x in (x1, x2)]
    diffusion = kappa * sp.Add(
        *[
            rates[j] * rates[k] * moments[j, k] * grad[j] * grad[k]
            for j in range(2)
            for k in range(2)
        ]
    )
    phi = sp.Symbol("varphi", real=True)
    polar = {x1: sp.cos(phi), x2: sp.sin(phi)}

    def on_circle(expr: sp.Expr) -> sp.Expr:
        return sp.simplify(sp.trigsimp(sp.cancel(sp.together(expr)).subs(polar)))

    return {
        "angle": phi,
        "rates": rates,
        "drift": on_circle(_generator(angle, (x1, x2), rates, moments)),
        "diffusion": on_circle(diffusion),
        "log_norm_generator": on_circle(
            _generator(sp.log(x1**2 + x2**2) / 2, (x1, x2), rates, moments)
        ),
    }


# --- 3. the full network, symbolic depth --------------------------------------------------


@cache
def entry_relaxation_rates() -> dict[str, sp.Expr]:
    r"""The rates :math:`K_{aj} = \sum_l (A_lA_l^\top)_{aa}(B_l^\top B_l)_{jj}` of row
    :math:`a` at the teacher, symbolic depth (products over layer ranges, ``summation``):
    ``"gap"`` (:math:`j = a`), ``"cross"`` (another mode, :math:`\sigma_b \ne \sigma`; its
    limit :math:`\sigma_b \to \sigma` is the gap's rate), ``"null"``
    (an input null direction: :math:`B_l^\top B_l` vanishes there for :math:`l \ge 2`)."""
    gap = aligned_ntk_eigenvalue().subs(s, sigma)
    term = balanced_product(sigma, _l + 1, L) ** 2 * balanced_product(_sigma_b, 1, _l - 1) ** 2
    cross = sp.simplify(sp.summation(sp.powsimp(term, force=True), (_l, 1, L)))
    if isinstance(cross, sp.Piecewise):  # the geometric sum: keep the branch sigma_b != sigma
        cross = sp.simplify(cross.args[-1].expr)
    null = sp.powsimp(balanced_product(sigma, 2, L) ** 2, force=True)
    return {"gap": gap, "cross": cross, "null": sp.simplify(null)}


def full_network_collapse_rate(
    null_dim: int, other_singular_values: Sequence[sp.Expr] = ()
) -> sp.Expr:
    r""":math:`\lambda` to first order in :math:`\kappa` of mode :math:`a` (singular value
    :data:`~derivations.conventions.sigma`) in a network with ``null_dim`` :math:`= d - r
    \ge 1` input null directions, symbolic depth :math:`L \ge 2`: the null block is the
    slowest; the gap and one cross entry per other singular value are the faster entries."""
    null_dim = _count_iv(null_dim, "null_dim", 1)
    rates = entry_relaxation_rates()
    fast = [
        rates["gap"],
        *(rates["cross"].subs(_sigma_b, value) for value in other_singular_values),
    ]
    return sp.expand(block_rate(null_dim, fast).subs(slow_rate, rates["null"]))


def stated_row_collapse() -> dict[str, sp.Expr]:
    r"""The statements checked (typed in; see the README's Findings): a row whose slowest
    block has :math:`n` entries of rate :math:`K` collapses at :math:`K + \kappa K^2(3 - n)/2
    + O(\kappa^2)`, so the full network at :math:`\sigma^{2-2/L} + \kappa\sigma^{4-4/L}(3 -
    n)/2`, :math:`n = d - r`."""
    return {
        "block_rate": slow_rate + kappa * slow_rate**2 * (3 - slow_size) / 2,
        "full_network_rate": sigma ** (2 - 2 / L)
        + kappa * sigma ** (4 - 4 / L) * (3 - slow_size) / 2,
    }


def _linearisation_holds() -> bool:
    keys = ("diagonal", "rates_agree", "covariance_agrees", "rows_closed", "moments_quadratic")
    return all(linearised_gap_dynamics(*case)[key] for case in LINEARISATION_CASES for key in keys)


def _depth_rate_gaps() -> list[sp.Expr]:
    """The symbolic-depth rates minus the concrete ones (gap, cross, null) at depths 1-4."""
    rates = entry_relaxation_rates()
    tau1, tau2 = sp.symbols("tau_1 tau_2", positive=True)
    gaps = []
    for depth in (1, 2, 3, 4):
        concrete = linearised_gap_dynamics((2,) * (depth + 1), 2)["rates"]
        null = linearised_gap_dynamics((3,) + (2,) * depth, 2)["rates"][0, 2]
        at = {L: depth, sigma: tau1**depth, _sigma_b: tau2**depth}
        gaps += [
            rates["gap"].subs(at) - concrete[0, 0],
            rates["cross"].subs(at) - concrete[0, 1],
            rates["null"].subs(at) - null,
        ]
    gaps.append(sp.limit(rates["cross"], _sigma_b, sigma) - rates["gap"])
    return [sp.simplify(gap) for gap in gaps]


def row_collapse_claim(stated: dict[str, sp.Expr] | None = None) -> DerivationResult:
    r"""C16 (beyond the paper): the full network without label noise collapses at the
    Lyapunov exponent of the gap's row, to first order the rate of its slowest block, not at
    C11's modewise rate.

    Parameters
    ----------
    stated : dict, optional
        Overrides of :func:`stated_row_collapse` (keys ``"block_rate"``,
        ``"full_network_rate"``).

    The comparisons: the linearisation (part 1) at every :data:`LINEARISATION_CASES`;
    Khasminskii's generator (part 2) homogeneous and constant on the slow sphere, and the
    first-order rate equal to the stated block rate, for every block size of
    :data:`BLOCK_SIZES` with 0-2 faster entries; the two-entry angular SDE's generator equal
    to part 2's on the slow sphere; the symbolic-depth rates (part 3) equal to the concrete
    ones at depths 1-4 (the cross rate tends to the gap's as :math:`\sigma_b\to\sigma`); the
    full-network rate equal to the stated one; the gap alone equal to C11's derived rate.
    """
    statements = stated_row_collapse() | dict(stated or {})
    block_gaps, generators_ok = [], True
    for n_slow in BLOCK_SIZES:
        for n_fast in _FAST_COUNTS:
            derived = row_log_generator(n_slow, n_fast)
            generators_ok = generators_ok and derived["homogeneous"] and derived["slow_constant"]
            block_gaps.append(
                sp.simplify(derived["rate"] - statements["block_rate"].subs(slow_size, n_slow))
            )
    angular = two_entry_angular_sde()
    one_fast = row_log_generator(1, 1)
    slow_sphere = sp.simplify(
        angular["log_norm_generator"].subs(angular["angle"], sp.pi / 2)
        - one_fast["slow_value"].subs(
            {slow_rate: angular["rates"][1], one_fast["fast_rates"][0]: angular["rates"][0]}
        )
    )
    full_gaps = [
        sp.simplify(
            full_network_collapse_rate(n_null)
            - statements["full_network_rate"].subs(slow_size, n_null)
        )
        for n_null in BLOCK_SIZES
    ]
    rates = entry_relaxation_rates()
    alone = sp.simplify(block_rate(1).subs(slow_rate, rates["gap"]) - collapse_rate())
    holds = (
        _linearisation_holds()
        and generators_ok
        and all(gap == 0 for gap in (*block_gaps, *full_gaps, *_depth_rate_gaps()))
        and slow_sphere == 0
        and alone == 0
    )
    two = row_log_generator(2, 1)
    derived_out = {
        "entry_rate_gap": rates["gap"],
        "entry_rate_cross": rates["cross"],
        "entry_rate_null": rates["null"],
        **{f"block_rate_n{n}": block_rate(n) for n in BLOCK_SIZES},
        **{f"full_network_rate_n{n}": full_network_collapse_rate(n) for n in BLOCK_SIZES},
    }
    findings = (
        Finding(
            "Without label noise the full network's gap sigma_a - s_a collapses at ",
            Math(
                r"\lambda = \sigma^{2-2/L} + \kappa \sigma^{4-4/L} \frac{3 - n}{2} + O(\kappa^2)",
                "lambda = sigma^(2-2/L) + kappa sigma^(4-4/L) (3 - n)/2 + O(kappa^2)",
            ),
            ", n = d - r >= 1 the teacher's input null dimension, L >= 2: the rate of the row's"
            " entries towards the null space, not C11's ",
            Math(
                r"L \sigma^{2-2/L} + \kappa L^2 \sigma^{4-4/L}",
                "L sigma^(2-2/L) + kappa L^2 sigma^(4-4/L)",
            ),
            " (a factor L slower as kappa -> 0). For n > 3 the noise slows the collapse.",
        ),
        "The O(kappa^2) remainder is not small at the paper's scales: its expansion parameter "
        "is kappa K_j^2 / (K_j - K) for each faster entry j of the row (0.2 for L = 2, sigma "
        "= 2, kappa = 0.05). For a row of two entries (d = 2, rank one) the exact rate of the "
        "linearised network is a quadrature of the stationary angular law "
        "(two_entry_angular_sde); the Monte Carlo check compares with that.",
        "At depth 1 every entry of the row has rate 1: the whole row is one block of d "
        "entries and lambda = 1 + kappa (3 - d)/2 (C11: 1 + kappa).",
        "A row holding the gap alone (width 1) collapses at C11's derived rate.",
    )
    steps = (
        Step(
            "drift of Delta at the teacher, Theta(E_aj) = K_aj E_aj",
            sp.Symbol("K_{aj}"),
            sp.Sum(
                sigma ** (2 * (L - _l) / L) * sp.Symbol("sigma_j") ** (2 * (_l - 1) / L),
                (_l, 1, L),
            ),
        ),
        Step("gap entry (C7's drift)", sp.Symbol("K_{aa}"), rates["gap"]),
        Step("entry towards an input null direction", sp.Symbol("K_{a0}"), rates["null"]),
        Step("entry towards mode b", sp.Symbol("K_{ab}"), rates["cross"]),
        Step(
            "Khasminskii: generator of log|x| on the slow sphere (n = 2, one faster entry)",
            sp.Symbol("Q_0"),
            two["slow_value"],
        ),
        Step(
            "leak of the faster entry, first order",
            sp.Symbol(r"E\theta_1^2"),
            sp.factor(two["leaks"][0]),
        ),
        Step(
            "lambda = -(Q_0 + (K - K_1) E theta_1^2), first order",
            sp.Symbol("lambda"),
            two["rate"],
        ),
        Step(
            "full network, n = d - r null directions (first order)",
            sp.Symbol("lambda_row"),
            full_network_collapse_rate(2),
        ),
    )
    return DerivationResult(
        claim="C16",
        derived=derived_out,
        stated=statements,
        holds=holds,
        steps=steps,
        cases=(
            *(f"linearisation at widths {w}, rank {r}" for w, r in LINEARISATION_CASES),
            "rows with slowest blocks of n = 1-5 entries and 0-2 faster entries",
            "symbolic L (entry rates), checked at L = 1-4",
        ),
        findings=findings,
    )
