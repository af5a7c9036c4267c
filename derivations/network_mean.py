r"""Stationary mode means and variances of the full network with label noise, first order in
kappa (C17).

Beyond the paper.  C12 derives the stationary mean of *one* aligned-balanced mode,
:math:`E s = \sigma - \kappa(L-1)\sigma^{1-2/L}\sigma_\varepsilon^2/2 + O(\kappa^2)`.  In a
network wider than one mode the other entries of :math:`W` fluctuate too, and their
fluctuations move the mean of :math:`s_a = u_a^\top W v_a` at the same order.  This module
derives that shift exactly, to first order in :math:`\kappa`, near the aligned-balanced
teacher point, with isotropic label noise :math:`\Sigma_\varepsilon = \sigma_\varepsilon^2 I`.

1. **Linear response** (:func:`linearised_stationary_covariance`, concrete widths, exact).
   Write the weights in the teacher's singular bases, completed by null directions:
   :math:`\theta = \theta^* + \delta` with :math:`W^*_l` rectangular-diagonal,
   :math:`\tau_b = \sigma_b^{1/L}`.  The Jacobian :math:`J = \partial\operatorname{vec}W /
   \partial\delta` at :math:`\delta = 0` is differentiated; :math:`\Theta^* = JJ^\top` (the
   NTK operator at the teacher) is diagonal on matrix units with entries :math:`K_{ij}` (as
   in C16).  The noise covariance at the teacher is a Wick expectation of the layer noises
   :math:`\xi_l = -A_l^\top N B_l^\top`, :math:`N = \varepsilon x^\top`, and equals
   :math:`\sigma_\varepsilon^2 H` with :math:`H = J^\top J` the Hessian of the population loss
   at the minimum.  The linearised SDE :math:`d\delta = -H\delta\,dt + \sqrt{\kappa\Sigma^*}
   \,dB` therefore has the stationary covariance

   .. math:: C = \frac{\kappa\sigma_\varepsilon^2}{2}\sum_{K_{ij} > 0} u_{ij}u_{ij}^\top,
             \qquad u_{ij} = J^\top E_{ij}/\sqrt{K_{ij}},

   (:math:`\kappa\sigma_\varepsilon^2/2` times the projector onto the range of :math:`H`),
   which solves the Lyapunov equation :math:`HC + CH = \kappa\Sigma^*`; the solution is
   unique on the range of :math:`H \succeq 0`.  The kernel of :math:`H` (the directions
   :math:`W_{l+1}G^{-1}, GW_l` of C2) gets no noise and no restoring force here, but a drift
   of order :math:`\kappa\sigma_\varepsilon^2` that moves the layers along the manifold of
   minima (C18, :mod:`derivations.minima_flow`): the result holds at the balanced point, so
   for times :math:`t \ll 1/(\kappa\sigma_\varepsilon^2)` after a balanced start;
   :func:`mean_shift` gives the means at any other aligned minimum.

2. **Stationarity of the end-to-end map** (:func:`network_mean_shift`).  The drift of
   :math:`W` is :math:`\Theta_\theta(\Delta) + \kappa I(\theta)`, the gradient part (C1's
   population gradient pushed through :math:`\sum_l A_l(\cdot)B_l`) plus the Itô term
   :math:`I = \tfrac12\sum_{pq}\partial_p\partial_q W\,\Sigma_{pq}` (the Wick expectation of
   the second-order part of :math:`W(\theta^* + \xi)`).  In the stationary state its mean
   vanishes, so to first order in :math:`\kappa`

   .. math:: \Theta^*(E\Delta) = -E\,\mathcal B(\delta, \delta) - \kappa I(\theta^*),

   where :math:`\mathcal B` is the second-order part of :math:`(\Theta_{\theta^* + \delta} -
   \Theta^*)(\Delta(\theta^* + \delta))` and :math:`E\mathcal B = \frac{\kappa
   \sigma_\varepsilon^2}{2}\sum_{ij}\mathcal B(u_{ij}, u_{ij})`.  The entries with
   :math:`K_{ij} = 0` (null row and null column) must have a vanishing right-hand side; the
   others give :math:`E\Delta_{ij}`, and :math:`E s_a = \sigma_a - E\Delta_{aa}`.

3. **Closed form** (:func:`stated_network_mean`, checked at every case).  Summing the
   contributions entry by entry, the mean of mode :math:`a` in an :math:`m \times n` network is

   .. math:: E s_a = \sigma_a - \frac{\kappa\sigma_\varepsilon^2}{2}\Bigl[(L-1)
             \sigma_a^{1-2/L} + \sum_{k \ne a}^{m} g(\sigma_a, \sigma_k)
             + \sum_{k \ne a}^{n} g(\sigma_a, \sigma_k)\Bigr] + O(\kappa^2),
             \qquad g(x, y) = \frac1L\sum_{l=1}^{L}(l-1)\,x^{(2l-L-2)/L}y^{2(L-l)/L},

   the sums running over the other output and input directions (:math:`\sigma_k = 0` beyond
   the rank; :math:`0^0 = 1`).  The first term is C12's single mode; a null direction adds
   :math:`g(\sigma_a, 0) = \frac{L-1}{L}\sigma_a^{1-2/L}`.  At :math:`L = 2`, :math:`g = 1/2`
   and :math:`E s_a = \sigma_a - \kappa\sigma_\varepsilon^2(m + n)/4`, whatever the
   singular values.  At width 1 the network is the mode and the result is C12's.

4. **Variance** (``mode_variances`` of :func:`network_mean_shift`).  To first order,
   :math:`\operatorname{Var}s_a = \nabla s_a^\top C\,\nabla s_a`.  The gradient of
   :math:`s_a = W_{aa}` is :math:`J^\top E_{aa}`, in the range of :math:`H`, so

   .. math:: \operatorname{Var}s_a = \frac{\kappa\sigma_\varepsilon^2}{2}K_{aa}
             = \frac{\kappa}{2}L\sigma_a^{2-2/L}\sigma_\varepsilon^2 + O(\kappa^2),

   C12's single-mode variance: the width moves the mean at first order, the variance only
   at second.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import sympy as sp

from derivations.aligned_balanced import teacher_point
from derivations.conventions import L, kappa, m_out, n_in, sigma, sigma_b, sigma_eps
from derivations.output_noise import (
    expanded,
    expect_quadratic,
    layer_noise,
    noise_second_moments,
    noise_symbols,
)
from derivations.result import DerivationResult, Finding, Math, Step
from derivations.stationary import stationary_mean, stationary_variance
from derivations.symbolic_network import end_to_end, ntk_operator, symbolic_matrix, unvec, vec
from dlnverify.errors import InvalidParameter

__all__ = [
    "NETWORK_MEAN_CASES",
    "coupling_closed_form",
    "linear_response",
    "linearised_stationary_covariance",
    "mean_shift",
    "network_mean_claim",
    "network_mean_shift",
    "rank_one_mean_gaps",
    "rank_one_network_mean",
    "stated_mode_mean",
    "stated_network_mean",
    "two_mode_mean_gaps",
    "two_mode_network_mean",
    "width_coupling",
]

#: Another singular value :math:`\sigma_k` (0 for a null direction).
_sigma_k = sp.Symbol("sigma_k", nonnegative=True)
_l = sp.Symbol("l", integer=True, positive=True)
_t = sp.Symbol("_t")

#: Networks of the derivation: widths :math:`(n, h_1, \dots, m)` and teacher rank.  Width
#: one at depths 1-3 (C12's mode); rectangular networks of depths 1-4 with null rows, null
#: columns and hidden null directions, one and two modes.
NETWORK_MEAN_CASES: tuple[tuple[tuple[int, ...], int], ...] = (
    ((1, 1), 1),
    ((3, 2), 2),
    ((1, 1, 1), 1),
    ((3, 3, 2), 1),
    ((2, 2, 3), 2),
    ((1, 1, 1, 1), 1),
    ((3, 2, 2, 2), 2),
    ((2, 2, 2, 2, 3), 2),
)


def _case_iv(widths: Any, rank: Any) -> tuple[tuple[int, ...], int]:
    def count(value: Any, name: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise InvalidParameter(f"Got {name}={value!r}, but {name} must be an integer >= 1.")
        return value

    widths = tuple(count(h, "width") for h in widths)
    rank = count(rank, "rank")
    if len(widths) < 2 or min(widths) < rank:
        raise InvalidParameter(
            f"Got {widths=} and {rank=}, but a network needs >= 2 widths, each >= rank."
        )
    return widths, rank


def _split(vector: Sequence[sp.Expr], weights: Sequence[sp.Matrix]) -> list[sp.Matrix]:
    """A parameter vector (vec of every layer, stacked) as layer matrices."""
    out, start = [], 0
    for w in weights:
        out.append(unvec(vector[start : start + w.rows * w.cols], w.shape))
        start += w.rows * w.cols
    return out


def _second_order(matrix: sp.Matrix) -> sp.Matrix:
    """The coefficient of :math:`t^2` of a matrix polynomial in the scaling symbol."""
    return matrix.applyfunc(lambda e: expanded(e).coeff(_t, 2))


@cache
def linearised_stationary_covariance(widths: tuple[int, ...], rank: int) -> dict[str, Any]:
    r"""Linear response at the teacher point (module, part 1).

    Parameters
    ----------
    widths : tuple of int
        :math:`(n, h_1, \dots, h_{L-1}, m)`, every width :math:`\ge` ``rank``.
    rank : int
        The teacher's rank :math:`r \ge 1`.

    Returns
    -------
    dict
        ``"weights"``, ``"taus"``: the teacher point; ``"jacobian"``: :math:`J`;
        ``"rates"``: the :math:`m \times n` matrix of :math:`K_{ij}` (diagonal of
        :math:`JJ^\top`); ``"directions"``: :math:`\{(i, j): J^\top E_{ij}\}` for
        :math:`K_{ij} > 0` (:math:`u_{ij}` without its normalisation);
        ``"noise_covariance"``: :math:`\Sigma^*` (Wick); ``"covariance"``: :math:`C`;
        ``"moments"``, ``"noise"``: the
        second moments of :math:`N = \varepsilon x^\top` and the symbols standing for
        :math:`N`; and the checks ``"ntk_diagonal"``
        (:math:`JJ^\top` diagonal), ``"noise_is_scaled_hessian"``
        (:math:`\Sigma^* = \sigma_\varepsilon^2J^\top J`) and ``"lyapunov"`` (:math:`HC + CH
        = \kappa\Sigma^*` for the covariance :math:`C` of the module docstring).
    """
    widths, rank = _case_iv(widths, rank)
    weights, taus = teacher_point(widths, rank)
    return {**linear_response(weights), "taus": taus}


def linear_response(weights: Sequence[sp.Matrix]) -> dict[str, Any]:
    r"""The linear response of :func:`linearised_stationary_covariance` at any point
    ``weights`` of the manifold of minima (the teacher is their product) whose NTK operator is
    diagonal on matrix units, e.g. an aligned point with unequal layers (C18).  The same keys,
    without ``"taus"``."""
    weights = tuple(weights)
    m, n = weights[-1].rows, weights[0].cols
    perturbation = [symbolic_matrix(f"_d{l}", w.rows, w.cols) for l, w in enumerate(weights)]
    parameters = [e for p in perturbation for e in vec(p)]
    end = end_to_end([w + p for w, p in zip(weights, perturbation, strict=True)])
    at_teacher = dict.fromkeys(parameters, 0)
    jacobian = vec(end).jacobian(parameters).subs(at_teacher)
    ntk = sp.expand(jacobian * jacobian.T)
    ntk_diagonal = ntk.is_diagonal()
    rates = unvec([ntk[p, p] for p in range(m * n)], (m, n))
    # J^T E_ij (row (i, j) of J) for the entries that respond; u_ij is it over sqrt(K_ij)
    directions = {(p % m, p // m): jacobian.row(p).T for p in range(m * n) if ntk[p, p] != 0}
    noise = noise_symbols(m, n)
    moments = noise_second_moments(sp.zeros(m, n), sigma_eps * sp.eye(m))
    layer_xi = [e for xi in layer_noise(weights, noise) for e in vec(xi)]
    size = len(parameters)
    noise_covariance = sp.zeros(size, size)
    for p in range(size):
        for q in range(p, size):
            noise_covariance[p, q] = noise_covariance[q, p] = expect_quadratic(
                layer_xi[p] * layer_xi[q], noise, moments
            )
    hessian = jacobian.T * jacobian
    covariance = sp.zeros(size, size)
    for (i, j), v in directions.items():
        covariance += kappa * sigma_eps**2 / 2 * v * v.T / rates[i, j]
    lyapunov = (hessian * covariance + covariance * hessian - kappa * noise_covariance).applyfunc(
        lambda e: sp.cancel(sp.together(e))
    )
    return {
        "weights": weights,
        "jacobian": jacobian,
        "rates": rates,
        "directions": directions,
        "noise_covariance": noise_covariance,
        "covariance": covariance,
        "moments": moments,
        "noise": noise,
        "ntk_diagonal": ntk_diagonal,
        "noise_is_scaled_hessian": sp.expand(
            noise_covariance - sigma_eps**2 * hessian
        ).is_zero_matrix,
        "lyapunov": lyapunov.is_zero_matrix,
    }


@cache
def network_mean_shift(widths: tuple[int, ...], rank: int) -> dict[str, Any]:
    r"""The stationary mean of every mode to first order in :math:`\kappa` (module, part 2).

    Parameters
    ----------
    widths, rank
        As in :func:`linearised_stationary_covariance`.

    Returns
    -------
    dict
        ``"mean_gap"``: :math:`E\Delta` (:math:`m \times n`, first order in :math:`\kappa`);
        ``"mode_means"``: :math:`(E s_1, \dots, E s_r)`; ``"mode_variances"``:
        :math:`(\operatorname{Var} s_a)_a = (\nabla s_a^\top C\,\nabla s_a)_a` (first order);
        ``"ito"``: :math:`I(\theta^*)`;
        ``"response"``: :math:`E\mathcal B`; ``"solvable"``: the right-hand side vanishes
        where :math:`K_{ij} = 0`; ``"taus"``.
    """
    linear = linearised_stationary_covariance(*_case_iv(widths, rank))
    return {**mean_shift(linear, rank), "taus": linear["taus"]}


def mean_shift(linear: dict[str, Any], rank: int) -> dict[str, Any]:
    r"""The first-order stationary means and variances of :func:`network_mean_shift` from a
    :func:`linear_response` at any point of the manifold of minima with a diagonal NTK
    operator, for the first ``rank`` modes (:math:`s_a = W_{aa}` in the teacher's bases).
    The same keys, without ``"taus"``."""
    weights, rates = linear["weights"], linear["rates"]
    m, n = rates.shape
    teacher = end_to_end(weights)

    def along(direction: sp.Matrix) -> list[sp.Matrix]:
        return [w + _t * d for w, d in zip(weights, _split(direction, weights), strict=True)]

    response = sp.zeros(m, n)
    for (i, j), v in linear["directions"].items():  # B(u, u) = B(v, v) / K_ij
        moved = along(v)
        gap = teacher - end_to_end(moved)
        change = _second_order(ntk_operator(moved, gap) - ntk_operator(weights, gap))
        response += change / rates[i, j]
    response = sp.expand(kappa * sigma_eps**2 / 2 * response)
    xi = layer_noise(weights, linear["noise"])
    second = _second_order(end_to_end([w + _t * x for w, x in zip(weights, xi, strict=True)]))
    ito = second.applyfunc(lambda e: expect_quadratic(e, linear["noise"], linear["moments"]))
    rhs = sp.expand(-response - kappa * ito)
    solvable = all(rhs[i, j] == 0 for i in range(m) for j in range(n) if rates[i, j] == 0)
    mean_gap = sp.Matrix(
        m, n, lambda i, j: sp.cancel(rhs[i, j] / rates[i, j]) if rates[i, j] != 0 else 0
    )
    mode_means = tuple(teacher[a, a] - mean_gap[a, a] for a in range(rank))
    jacobian, covariance = linear["jacobian"], linear["covariance"]
    rows = [jacobian.row(a + m * a) for a in range(rank)]  # gradients of s_a = W_aa
    mode_variances = tuple(sp.cancel((row * covariance * row.T)[0, 0]) for row in rows)
    return {
        "mean_gap": mean_gap,
        "mode_means": mode_means,
        "mode_variances": mode_variances,
        "ito": ito,
        "response": response,
        "solvable": solvable,
    }


def width_coupling(depth: int | None = None) -> sp.Expr:
    r"""The statement's :math:`g(\sigma, \sigma_k) = \frac1L\sum_{l=1}^L(l-1)
    \sigma^{(2l-L-2)/L}\sigma_k^{2(L-l)/L}` (``depth=None``: symbolic :math:`L`, an unevaluated
    sum; a concrete depth gives the explicit sum, :math:`0^0 = 1`)."""
    return stated_network_mean()["coupling"] if depth is None else _coupling_at(depth)


def _coupling_at(depth: int, coupling: sp.Expr | None = None) -> sp.Expr:
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 1:
        raise InvalidParameter(f"Got depth={depth!r}, but depth must be an integer >= 1.")
    coupling = stated_network_mean()["coupling"] if coupling is None else coupling
    return coupling.subs(L, depth).doit()


def stated_network_mean() -> dict[str, sp.Expr]:
    r"""The statements checked (typed in; module docstring, parts 3-4): the single-mode term
    :math:`(L-1)\sigma^{1-2/L}` (C12) and the coupling :math:`g` to another direction of
    singular value :math:`\sigma_k`, both in units of :math:`-\kappa\sigma_\varepsilon^2/2`;
    and the variance of a mode, :math:`\frac{\kappa}{2}L\sigma^{2-2/L}\sigma_\varepsilon^2`
    (no width term)."""
    return {
        "variance": kappa * L * sigma ** (2 - 2 / L) * sigma_eps**2 / 2,
        "self": (L - 1) * sigma ** (1 - 2 / L),
        "coupling": sp.Sum(
            (_l - 1) * sigma ** ((2 * _l - L - 2) / L) * _sigma_k ** (2 * (L - _l) / L),
            (_l, 1, L),
        )
        / L,
    }


_j = sp.Symbol("j", integer=True, positive=True)


@cache
def rank_one_network_mean() -> sp.Expr:
    r"""The first-order stationary mean of the mode of a rank-one teacher :math:`\sigma` in an
    :math:`m \times n` network of symbolic depth :math:`L` (label noise
    :math:`\sigma_\varepsilon^2 I`), at the balanced teacher point:

    .. math:: E s = \sigma - \frac{\kappa\sigma_\varepsilon^2}{2}(L-1)\sigma^{1-2/L}
              \Bigl(1 + \frac{m + n - 2}{L}\Bigr) + O(\kappa^2).

    Assembled from C12's derived single-mode mean
    (:func:`derivations.stationary.stationary_mean`) and, for each of the :math:`m - 1` null
    output and :math:`n - 1` null input directions, the coupling :math:`g(\sigma, 0)` of
    :func:`width_coupling` (which :func:`network_mean_claim` proves against the linear
    response): writing :math:`l = L - j`, the terms :math:`j \ge 1` carry
    :math:`\sigma_k^{2j/L}` and vanish at :math:`\sigma_k = 0`, leaving the term
    :math:`l = L`, :math:`g(\sigma, 0) = \frac{L-1}{L}\sigma^{1-2/L}`.  Compared with
    the linear response at concrete depths and widths by :func:`rank_one_mean_gaps`.
    """
    (summed,) = [a for a in sp.preorder_traversal(width_coupling()) if isinstance(a, sp.Sum)]
    body, (index, _, high) = summed.function, summed.limits[0]
    rest = sp.Sum(body.subs(index, high - _j).subs(_sigma_k, 0), (_j, 1, high - 1)).doit()
    null = sp.simplify((body.subs(index, high) + rest) / L)
    mean = stationary_mean() - kappa * sigma_eps**2 / 2 * (m_out + n_in - 2) * null
    return sigma + sp.factor_terms(sp.simplify(mean - sigma))


def rank_one_mean_gaps(
    depths: Sequence[int] = (1, 2, 3, 4), widths: Sequence[tuple[int, int]] = ((3, 2), (1, 3))
) -> dict[tuple[int, int, int], sp.Expr]:
    r""":func:`rank_one_network_mean` minus the linear response's mode mean
    (:func:`network_mean_shift` of a rank-one teacher, hidden width 1) at each depth and
    ``(m, n)``, keyed ``(depth, m, n)``: all zero when the closed form is the derived one."""
    return _first_mode_gaps(rank_one_network_mean(), (sigma,), depths, widths)


def _first_mode_gaps(
    closed: sp.Expr,
    values: Sequence[sp.Symbol],
    depths: Sequence[int],
    widths: Sequence[tuple[int, int]],
) -> dict[tuple[int, int, int], sp.Expr]:
    """``closed`` (the first mode's mean, in the teacher's singular ``values``) minus the
    linear response's at each depth and ``(m, n)``, hidden width the rank."""
    rank, gaps = len(values), {}
    for depth in depths:
        for m, n in widths:
            derived = network_mean_shift((n, *(rank,) * (depth - 1), m), rank)
            taus, mean = derived["taus"], derived["mode_means"][0]
            at = closed.subs({L: depth, m_out: m, n_in: n})
            at = at.subs({value: tau**depth for value, tau in zip(values, taus, strict=True)})
            gaps[depth, m, n] = sp.simplify(mean - at)
    return gaps


def coupling_closed_form(x: sp.Expr, y: sp.Expr) -> sp.Expr:
    r"""The coupling :math:`g(x, y)` of :func:`width_coupling` in closed form for symbolic
        :math:`L` and :math:`x
    e y > 0`: with :math:`q = (x/y)^{2/L}` each term is
        :math:`(l-1)x^{-(L+2)/L}y^2q^l`, and :math:`\sum_{l=1}^{L}(l-1)q^l =
        q^2rac{1 - Lq^{L-1} + (L-1)q^L}{(1-q)^2}` (differentiate the geometric sum), so

        .. math:: g(x, y) = rac{x^{(2-L)/L}y^{2-4/L}}{L}\,
                  rac{1 - L(x/y)^{2-2/L} + (L-1)(x/y)^2}{(1 - (x/y)^{2/L})^2}

        (removable singularity at :math:`x = y`, where :math:`g = rac{L-1}{2}x^{1-2/L}`)."""
    q = (x / y) ** (2 / L)
    return (
        x ** ((2 - L) / L)
        * y ** (2 - 4 / L)
        * (1 - L * (x / y) ** (2 - 2 / L) + (L - 1) * (x / y) ** 2)
        / (L * (1 - q) ** 2)
    )


@cache
def two_mode_network_mean() -> sp.Expr:
    r"""The first-order stationary mean of the first mode of a rank-two teacher
    :math:`(\sigma, \sigma_b)` in an :math:`m 	imes n` network of symbolic depth :math:`L`
    and hidden width 2 (label noise :math:`\sigma_arepsilon^2 I`), at the balanced teacher
    point: the statement of :func:`stated_network_mean` with the second mode among the other
    output and input directions (twice :math:`g(\sigma, \sigma_b)`) and :math:`m - 2`,
    :math:`n - 2` null ones (:math:`g(\sigma, 0) = rac{L-1}{L}\sigma^{1-2/L}`, as in
    :func:`rank_one_network_mean`):

    .. math:: E s = \sigma - rac{\kappa\sigma_arepsilon^2}{2}\Bigl[(L-1)\sigma^{1-2/L}
              \Bigl(1 + rac{m + n - 4}{L}\Bigr) + 2g(\sigma, \sigma_b)\Bigr] + O(\kappa^2),

    :math:`g` in closed form (:func:`coupling_closed_form`).  The mode's mean depends on the
    second mode through this cross term only.  Compared with the linear response at concrete
    depths and widths by :func:`two_mode_mean_gaps`."""
    null = (L - 1) / L * sigma ** (1 - 2 / L)
    bracket = (L - 1) * sigma ** (1 - 2 / L) + (m_out + n_in - 4) * null
    bracket += 2 * coupling_closed_form(sigma, sigma_b)
    return sigma - kappa * sigma_eps**2 / 2 * bracket


def two_mode_mean_gaps(
    depths: Sequence[int] = (1, 2, 3, 4), widths: Sequence[tuple[int, int]] = ((2, 2), (3, 2))
) -> dict[tuple[int, int, int], sp.Expr]:
    r""":func:`two_mode_network_mean` minus the linear response's mean of the first mode
    (:func:`network_mean_shift` of a rank-two teacher, hidden width 2) at each depth and
    ``(m, n)``, keyed ``(depth, m, n)``: all zero when the closed form is the derived one."""
    return _first_mode_gaps(two_mode_network_mean(), (sigma, sigma_b), depths, widths)


def _statements(stated: dict[str, sp.Expr] | None) -> dict[str, sp.Expr]:
    """:func:`stated_network_mean` with the overrides ``stated`` applied."""
    return stated_network_mean() | dict(stated or {})


def stated_mode_mean(
    depth: int,
    singular_values: Sequence[sp.Expr],
    widths: tuple[int, int],
    mode: int,
    stated: dict[str, sp.Expr] | None = None,
) -> sp.Expr:
    r""":math:`E s_a` of the statement at a concrete depth: mode ``mode`` (0-based) of a
    teacher with ``singular_values`` in an :math:`m \times n` network, ``widths = (m, n)``.

    ``stated`` overrides :func:`stated_network_mean` (keys ``"self"``, ``"coupling"``)."""
    statements = _statements(stated)
    m, n = widths
    values = list(singular_values)
    if not 0 <= mode < len(values) <= min(m, n):
        raise InvalidParameter(
            f"Got {mode=} of {len(values)} singular values in an {m} x {n} network, but the "
            "mode must exist and the rank must not exceed the widths."
        )
    mine = values[mode]

    def coupling(other: sp.Expr) -> sp.Expr:
        return _coupling_at(depth, statements["coupling"]).subs({sigma: mine, _sigma_k: other})

    padded_out = values + [sp.Integer(0)] * (m - len(values))
    padded_in = values + [sp.Integer(0)] * (n - len(values))
    others = [v for k, v in enumerate(padded_out) if k != mode]
    others += [v for k, v in enumerate(padded_in) if k != mode]
    bracket = statements["self"].subs(L, depth).subs(sigma, mine) + sp.Add(
        *[coupling(v) for v in others]
    )
    return mine - kappa * sigma_eps**2 / 2 * bracket


def _case_gaps(stated: dict[str, sp.Expr] | None) -> tuple[bool, list[sp.Expr]]:
    """Linear response checks at every case, and derived minus stated mode means and
    variances."""
    variance = _statements(stated)["variance"]
    checks, gaps = True, []
    for widths, rank in NETWORK_MEAN_CASES:
        linear = linearised_stationary_covariance(widths, rank)
        derived = network_mean_shift(widths, rank)
        checks = checks and all(
            linear[key] for key in ("ntk_diagonal", "noise_is_scaled_hessian", "lyapunov")
        )
        checks = checks and derived["solvable"]
        depth = len(widths) - 1
        values = [tau**depth for tau in derived["taus"]]
        for a, mean in enumerate(derived["mode_means"]):
            stated_mean = stated_mode_mean(depth, values, (widths[-1], widths[0]), a, stated)
            gaps.append(sp.simplify(mean - stated_mean))
        for value, derived_variance in zip(values, derived["mode_variances"], strict=True):
            stated_variance = variance.subs(L, depth).subs(sigma, value)
            gaps.append(sp.simplify(derived_variance - stated_variance))
    return checks, gaps


def _width_one_gaps(stated: dict[str, sp.Expr] | None) -> list[sp.Expr]:
    """Width one (the network is the mode): the derived mean minus C12's derived mean, and
    the stated variance minus C12's derived first-order variance (symbolic depth)."""
    variance = _statements(stated)["variance"]
    gaps = [sp.simplify(variance - stationary_variance())]
    for widths, _ in NETWORK_MEAN_CASES:
        if set(widths) == {1}:
            depth = len(widths) - 1
            (tau,) = network_mean_shift(widths, 1)["taus"]
            (mean,) = network_mean_shift(widths, 1)["mode_means"]
            c12 = stationary_mean().subs(L, depth).subs(sigma, tau**depth)
            gaps.append(sp.simplify(sp.series(mean - c12, kappa, 0, 2).removeO()))
    return gaps


def network_mean_claim(stated: dict[str, sp.Expr] | None = None) -> DerivationResult:
    r"""C17 (beyond the paper): with label noise, the stationary mean of a mode of the full
    network is shifted below C12's single-mode mean by the fluctuations of the other entries
    of its row and column of :math:`W`, by an amount that grows with the width.

    Parameters
    ----------
    stated : dict, optional
        Overrides of :func:`stated_network_mean` (keys ``"self"``, ``"coupling"``,
        ``"variance"``).

    The comparisons, at every :data:`NETWORK_MEAN_CASES`: the linear response (part 1:
    :math:`JJ^\top` diagonal, noise covariance :math:`\sigma_\varepsilon^2 H`, Lyapunov
    equation), the solvability of the stationarity equation, the derived mode means
    (part 2) equal to the stated ones (part 3), and the derived mode variances equal to the
    stated one (part 4); at width one, equal to C12's derived mean and variance.
    """
    statements = _statements(stated)
    checks, gaps = _case_gaps(stated)
    width_one = _width_one_gaps(stated)
    holds = checks and all(gap == 0 for gap in (*gaps, *width_one))
    two_by_two = network_mean_shift((3, 2, 2, 2), 2)
    derived = {
        **{
            f"mean_L2_{m}x{n}": stated_mode_mean(2, [sigma], (m, n), 0)
            for m, n in ((2, 2), (4, 4), (12, 12))
        },
        "coupling_L2": sp.simplify(_coupling_at(2)),
        "coupling_L3": sp.simplify(_coupling_at(3)),
        "null_coupling_L3": sp.simplify(_coupling_at(3).subs(_sigma_k, 0)),
        **{
            f"mode_mean_L3_2x3_rank2_mode{a + 1}": mean
            for a, mean in enumerate(two_by_two["mode_means"])
        },
        **{
            f"mode_variance_L3_2x3_rank2_mode{a + 1}": variance
            for a, variance in enumerate(two_by_two["mode_variances"])
        },
    }
    findings = (
        Finding(
            "With label noise every mode of the full network has stationary mean ",
            Math(
                r"E s_a = \sigma_a - \frac{\kappa \sigma_{\varepsilon}^2}{2}"
                r" \Bigl[(L-1) \sigma_a^{1-2/L} + \sum_k g(\sigma_a, \sigma_k)\Bigr]"
                r" + O(\kappa^2),",
                "E s_a = sigma_a - kappa sigma_eps^2/2 [(L-1) sigma_a^(1-2/L) + sum_k"
                " g(sigma_a, sigma_k)] + O(kappa^2),",
                display=True,
            ),
            " the sum over the other output and input directions k, with ",
            Math(
                r"g(x, y) = \frac{1}{L} \sum_l (l-1)\, x^{(2l-L-2)/L} y^{2(L-l)/L}",
                "g(x, y) = (1/L) sum_l (l-1) x^((2l-L-2)/L) y^(2(L-l)/L)",
            ),
            ": below C12's single-mode mean by an amount that grows linearly with the width.",
        ),
        Finding(
            "At L = 2, g = 1/2 for every pair of singular values, so ",
            Math(
                r"E s_a = \sigma_a - \kappa \sigma_{\varepsilon}^2 (m + n)/4",
                "E s_a = sigma_a - kappa sigma_eps^2 (m + n)/4",
            ),
            ": for the paper's d = 12 the shift is 12 times C12's. Other modes couple as strongly"
            " as null directions (-(d - r) kappa sigma_eps^2/2, which counts the null directions"
            " only, misses their part).",
        ),
        "The variance does not move at this order: Var s_a = (kappa/2) L sigma_a^(2-2/L) "
        "sigma_eps^2 + O(kappa^2), C12's single-mode value, whatever the width (the gradient "
        "of s_a lies in the range of H, where the linear response's covariance is kappa "
        "sigma_eps^2/2 times the identity, and its squared length is the mode's own rate "
        "L sigma_a^(2-2/L)). A width dependence of the variance is of second order in kappa.",
        "The result holds at the balanced point: the mean depends on the position along the "
        "flat directions W_{l+1} G^-1, G W_l, which the label noise moves at first order in "
        "kappa, on the time scale 1/(kappa sigma_eps^2) (C18). These are the means for "
        "t << 1/(kappa sigma_eps^2) after a balanced start.",
    )
    hessian, projector, width = sp.Symbol("H"), sp.Symbol(r"\Pi_{H}"), sp.Symbol("d")
    mean_gap = sp.Symbol(r"\mathbb{E}\Delta_{aa}")
    steps = (
        Step(
            "noise covariance at the teacher (Wick), H = J^T J",
            sp.Symbol(r"\Sigma^{*}"),
            sigma_eps**2 * hessian,
        ),
        Step(
            "stationary covariance of the linear response (Lyapunov equation; projector onto "
            "the range of H)",
            sp.Symbol("C"),
            kappa * sigma_eps**2 / 2 * projector,
        ),
        Step(
            "stationarity of W: K_aa E Delta_aa = -E B_aa - kappa I_aa",
            sp.Symbol(r"\mathbb{E}s_{a}"),
            sigma - mean_gap,
        ),
        Step(
            "coupling to another direction",
            sp.Function("g")(sigma, _sigma_k),
            statements["coupling"],
        ),
        Step(
            "variance of a mode: grad s_a^T C grad s_a (no width term)",
            sp.Symbol(r"\operatorname{Var}s_{a}"),
            statements["variance"],
        ),
        Step("coupling at L = 2", sp.Function("g")(sigma, _sigma_k), derived["coupling_L2"]),
        Step("coupling at L = 3", sp.Function("g")(sigma, _sigma_k), derived["coupling_L3"]),
        Step(
            "L = 2, d x d network: the mode itself and 2(d - 1) other directions",
            sp.Symbol(r"\mathbb{E}s_{a}"),
            sp.factor_terms(
                sigma
                - kappa
                * sigma_eps**2
                / 2
                * (statements["self"].subs(L, 2) + 2 * (width - 1) * derived["coupling_L2"])
            ),
        ),
    )
    return DerivationResult(
        claim="C17",
        derived=derived,
        stated=statements,
        holds=holds,
        steps=steps,
        cases=tuple(f"widths {w}, rank {r}" for w, r in NETWORK_MEAN_CASES),
        findings=findings,
    )
