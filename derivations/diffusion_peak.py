r"""Where the modewise diffusion peaks, and when it has an interior peak (C8).

Paper Eqs. 8-10 (Sec. 4): the diffusion of an aligned-balanced mode,
:math:`D(s) = \kappa L^2 s^{4-4/L}(2(\sigma-s)^2+\sigma_\varepsilon^2)` (derived in
:mod:`derivations.aligned_balanced`), has a local maximum before the mode is learned.  Here
the stationarity condition is *derived* by differentiating :math:`D`, its roots are found by
``solve``, the maximum is identified by the sign of :math:`D''`, the existence condition is
the discriminant, and :math:`s^* < \sigma` is proven — all for symbolic depth :math:`L\ge 2`.

Results:

* :math:`D'(s) = 4\kappa L\,s^{3-4/L}\,Q(s)` with
  :math:`Q(s) = (3L-2)s^2 - (5L-4)\sigma s + (L-1)(2\sigma^2+\sigma_\varepsilon^2)`;
* :math:`s^* = \dfrac{(5L-4)\sigma - \sqrt{L^2\sigma^2 - 4(3L-2)(L-1)\sigma_\varepsilon^2}}{2(3L-2)}`
  (the smaller root: :math:`D'' < 0` there), the larger root is a local minimum;
* an interior strict maximum exists iff
  :math:`\sigma_\varepsilon < \dfrac{L\sigma}{2\sqrt{(3L-2)(L-1)}}` (at equality the two roots
  merge into an inflection point);
* :math:`0 < s^* < \sigma`; without label noise :math:`s^* = \frac{2(L-1)}{3L-2}\sigma`;
* :math:`L = 1`: :math:`D = \kappa(2(\sigma-s)^2+\sigma_\varepsilon^2)` is a convex parabola,
  minimal at :math:`s=\sigma`, with no interior maximum (the root :math:`s=0` of :math:`Q`
  is cancelled by the factor :math:`s^{-1}`).

:math:`D` is unbounded as :math:`s\to\infty`: "the maximiser" is the local maximum on
:math:`(0, \sigma)`.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from derivations.aligned_balanced import aligned_diffusion
from derivations.conventions import L, kappa, s, sigma, sigma_eps
from derivations.result import DerivationResult, Finding, Step

__all__ = ["diffusion_peak", "diffusion_peak_claim", "peak_threshold", "stationarity_polynomial"]

_ell = sp.Symbol("ell", integer=True, nonnegative=True)  # L = ell + 2 >= 2


@cache
def stationarity_polynomial() -> sp.Expr:
    r"""The quadratic :math:`Q(s)` with :math:`D'(s) = 4\kappa L s^{3-4/L}Q(s)`.

    Derived: :math:`D'(s)` divided by :math:`4\kappa L s^{3-4/L}` and simplified; the
    division is exact (checked in :func:`diffusion_peak_claim`).
    """
    derivative = sp.diff(aligned_diffusion(), s)
    return sp.expand(sp.simplify(derivative / (4 * kappa * L * s ** (3 - 4 / L))))


@cache
def _roots() -> tuple[sp.Expr, sp.Expr]:
    quadratic = stationarity_polynomial()
    roots = sp.solve(sp.Eq(quadratic, 0), s)
    if len(roots) != 2:
        raise AssertionError(f"expected two roots, got {roots}")
    # discriminate by value at a reference point (L=2, sigma=1, sigma_eps=0): smaller first
    ref = {L: 2, sigma: 1, sigma_eps: 0}
    roots = sorted(roots, key=lambda r: float(r.subs(ref)))
    return roots[0], roots[1]


def diffusion_peak() -> sp.Expr:
    r"""The maximiser :math:`s^*` of the aligned-balanced diffusion (paper Eq. 9), symbolic
    :math:`L\ge2`: the smaller root of :math:`Q(s)=0`."""
    return _roots()[0]


@cache
def peak_threshold() -> sp.Expr:
    r"""The label-noise threshold of paper Eq. 10: an interior maximum exists iff
    :math:`\sigma_\varepsilon` is below it.  Derived as the positive root in
    :math:`\sigma_\varepsilon` of the discriminant of :math:`Q`."""
    disc = sp.discriminant(stationarity_polynomial(), s)
    roots = [
        r
        for r in sp.solve(sp.Eq(disc, 0), sigma_eps)
        if sp.simplify(r.subs(L, _ell + 2)).is_positive
    ]
    if len(roots) != 1:
        raise AssertionError(f"expected one nonnegative threshold, got {roots}")
    return sp.simplify(roots[0])


def _positive_for_depth_at_least_two(expr: sp.Expr) -> bool | None:
    """Sign of ``expr`` after ``L = ell + 2`` with ``ell >= 0`` (so SymPy sees L >= 2)."""
    return sp.simplify(expr.subs(L, _ell + 2)).is_positive


def diffusion_peak_claim() -> DerivationResult:
    r"""C8 [Eqs. 8-10]: peak of the modewise diffusion, existence condition, :math:`s^*<\sigma`.

    Statements compared with: :math:`s^*` as in the module docstring, threshold
    :math:`L\sigma/(2\sqrt{(3L-2)(L-1)})`, :math:`s^*<\sigma`, and
    :math:`s^*|_{\sigma_\varepsilon=0} = 2(L-1)\sigma/(3L-2)`.
    """
    diffusion = aligned_diffusion()
    quadratic = stationarity_polynomial()
    derivative = sp.diff(diffusion, s)
    factor_exact = sp.simplify(derivative - 4 * kappa * L * s ** (3 - 4 / L) * quadratic) == 0
    low, high = _roots()
    disc = sp.discriminant(quadratic, s)
    root_disc = sp.Symbol("R", nonnegative=True)  # stands for sqrt(discriminant)
    # D'' at a root equals 4 kappa L s^(3-4/L) Q'(root); Q'(low) = -sqrt(disc), Q'(high) = +sqrt(disc)
    q_prime = sp.diff(quadratic, s)
    slope_low = sp.simplify(q_prime.subs(s, low) + sp.sqrt(disc))
    slope_high = sp.simplify(q_prime.subs(s, high) - sp.sqrt(disc))
    # D'' = 4 kappa L [(3 - 4/L) s^(2-4/L) Q + s^(3-4/L) Q'], so at a root of Q the sign of
    # D'' is the sign of Q'.
    second = sp.diff(diffusion, s, 2) - 4 * kappa * L * (
        (3 - 4 / L) * s ** (2 - 4 / L) * quadratic + s ** (3 - 4 / L) * q_prime
    )
    second_ok = sp.simplify(second) == 0
    roots_ok = all(sp.simplify(quadratic.subs(s, r)) == 0 for r in (low, high))
    is_max = slope_low == 0 and slope_high == 0 and second_ok and roots_ok
    # s* < sigma: sigma - s* = (L sigma + sqrt(disc)) / (2(3L-2)) > 0
    gap = sp.simplify((sigma - low).subs(sp.sqrt(disc), root_disc))
    gap_positive = _positive_for_depth_at_least_two(gap)
    # s* > 0: product and sum of the roots are positive
    coeffs = sp.Poly(quadratic, s).all_coeffs()
    product_roots = sp.simplify(coeffs[2] / coeffs[0])
    sum_roots = sp.simplify(-coeffs[1] / coeffs[0])
    roots_positive = bool(
        _positive_for_depth_at_least_two(product_roots)
        and _positive_for_depth_at_least_two(sum_roots)
    )
    threshold = peak_threshold()
    stated = {
        "diffusion_peak": (
            (5 * L - 4) * sigma
            - sp.sqrt(L**2 * sigma**2 - 4 * (3 * L - 2) * (L - 1) * sigma_eps**2)
        )
        / (2 * (3 * L - 2)),
        "peak_threshold": L * sigma / (2 * sp.sqrt((3 * L - 2) * (L - 1))),
        "no_label_noise": 2 * (L - 1) * sigma / (3 * L - 2),
    }
    derived = {
        "diffusion_peak": low,
        "peak_threshold": threshold,
        "no_label_noise": sp.simplify(low.subs(sigma_eps, 0)),
        "other_critical_point": high,
        "stationarity_polynomial": quadratic,
        "discriminant": sp.factor(disc),
    }
    holds = (
        factor_exact
        and is_max
        and bool(gap_positive)
        and roots_positive
        and all(sp.simplify(derived[k] - stated[k]) == 0 for k in stated)
    )
    depth_one = sp.simplify(diffusion.subs(L, 1))
    (depth_one_critical,) = sp.solve(sp.diff(depth_one, s), s)
    findings = (
        "D(s) is unbounded as s -> infinity: s* is the local (interior) maximum on (0, sigma); "
        "the larger root of Q, (5L-4)sigma/(2(3L-2)) + sqrt(disc)/(2(3L-2)), is a local minimum "
        "(equal to sigma without label noise).",
        "The maximum is strict iff sigma_eps < L sigma / (2 sqrt((3L-2)(L-1))); at equality the "
        "two critical points merge (inflection), so the paper's 'discriminant non-negative' "
        "should be strict for a maximum.",
        Finding(
            "L = 1: D = ",
            depth_one,
            " has the single critical point s = ",
            depth_one_critical,
            " (a minimum) - no interior maximum; Q's root s = 0 is spurious (cancelled by s^(-1)).",
        ),
    )
    steps = (
        Step(
            "differentiate D(s)", sp.Symbol("D'(s)"), 4 * kappa * L * s ** (3 - 4 / L) * quadratic
        ),
        Step("solve Q(s) = 0: smaller root", sp.Symbol("s^*"), low),
        Step("discriminant of Q", sp.Symbol("Delta_Q"), sp.factor(disc)),
        Step("existence threshold", sp.Symbol("sigma_eps^*"), threshold),
        Step("gap to sigma", sigma - sp.Symbol("s^*"), gap),
    )
    return DerivationResult(
        claim="C8",
        derived=derived,
        stated=stated,
        holds=holds,
        steps=steps,
        cases=("symbolic depth L >= 2",),
        findings=findings,
    )
