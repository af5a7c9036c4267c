r"""Gaussian output noise: the law of the one-sample noise and its moments (DESIGN.md §4, §6).

One sample of the teacher-student regression has input :math:`x \sim N(0, I_n)` and label
noise :math:`\varepsilon = S z`, :math:`z \sim N(0, I_m)` independent of :math:`x` (so
:math:`\Sigma_\varepsilon = SS^\top`).  With the gap :math:`\Delta = W^* - W` the per-sample
gradient of layer :math:`l` minus its mean is the one-sample gradient noise

.. math:: \xi_l = -A_l^\top N B_l^\top, \qquad
          N = \Delta(xx^\top - I) + \varepsilon x^\top ,

(:func:`layer_noise`), so every moment of the noise is a moment of the :math:`m \times n`
matrix :math:`N`.  Its second moments :math:`\mathbb E[N_{ij}N_{kl}]`
(:func:`noise_second_moments`) are *taken*, never typed in: :math:`N` is written as a
polynomial in the independent standard normals :math:`x_i, z_j`, and the expectation of
every monomial comes from Isserlis' theorem for a diagonal covariance,
:math:`\mathbb E[g^{k}] = (k-1)!!` for even :math:`k` and 0 for odd :math:`k`
(:func:`independent_gaussian_expectation`).

The gap :math:`\Delta` enters only as a parameter of the law of :math:`N`; a derivation may
keep it an independent symbolic matrix.  Expectations of expressions of degree :math:`\le 2`
in the entries of :math:`N` are then contracted against the second moments: the entries of
:math:`N` are replaced by the symbols of :func:`noise_symbols` and
:func:`expect_quadratic` / :func:`expect_bilinear` replace :math:`N_pN_q` by
:math:`\mathbb E[N_pN_q]` (and linear terms by 0).  These exact polynomial computations, and
the zero test :func:`is_zero_polynomial`, run in sparse polynomial rings over
:math:`\mathbb Q`.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product
from typing import Any

import sympy as sp

from derivations.symbolic_network import partial_products, symbolic_matrix, vec

__all__ = [
    "expanded",
    "expect_bilinear",
    "expect_quadratic",
    "independent_gaussian_expectation",
    "is_zero_polynomial",
    "layer_noise",
    "noise_sandwich",
    "noise_second_moments",
    "noise_symbols",
    "ring_element",
]


def _double_factorial(k: int) -> int:
    return 1 if k <= 0 else k * _double_factorial(k - 2)


def independent_gaussian_expectation(expr: sp.Expr, variances: dict[sp.Symbol, sp.Expr]) -> sp.Expr:
    r"""Expectation of a polynomial in independent centred Gaussians.

    Each monomial :math:`\prod_i g_i^{k_i}` is replaced by
    :math:`\prod_i \mathbb E[g_i^{k_i}]` with :math:`\mathbb E[g^{k}] = 0` for odd :math:`k`
    and :math:`v^{k/2}(k-1)!!` for even :math:`k` (variance :math:`v`) — Isserlis' theorem
    for a diagonal covariance.  Correlated Gaussians are written as linear maps of these.

    Expanded in a sparse polynomial ring over :math:`\mathbb Q` (exact, and far faster than
    expanding expression trees); coefficients that are not polynomials take a slower
    :class:`sympy.Poly` path.
    """
    gens = list(variances)
    ring = _ring(expr, *variances.values(), first=gens)
    try:
        poly = ring_element(expr, ring)
        spreads = [ring_element(variances[g], ring) for g in gens]
    except (sp.CoercionFailed, ValueError):
        return _independent_gaussian_expectation_general(expr, variances)
    n_gens = len(gens)
    total = ring.zero
    for monom, coeff in poly.terms():
        powers = monom[:n_gens]
        if any(k % 2 for k in powers):
            continue
        term = ring({(0,) * n_gens + monom[n_gens:]: coeff})
        for spread, k in zip(spreads, powers, strict=True):
            if k:
                term *= spread ** (k // 2) * _double_factorial(k - 1)
        total += term
    return total.as_expr()


def _independent_gaussian_expectation_general(
    expr: sp.Expr, variances: dict[sp.Symbol, sp.Expr]
) -> sp.Expr:
    """Slow path of :func:`independent_gaussian_expectation` for coefficients that are not
    polynomials."""
    gens = list(variances)
    poly = sp.Poly(sp.expand(expr), *gens)
    total = sp.Integer(0)
    for powers, coeff in poly.terms():
        factor = sp.Integer(1)
        for g, k in zip(gens, powers, strict=True):
            if k % 2:
                factor = sp.Integer(0)
                break
            factor *= variances[g] ** (k // 2) * _double_factorial(k - 1)
        total += coeff * factor
    return total


def noise_second_moments(delta: sp.Matrix, label_sqrt: sp.Matrix) -> sp.Matrix:
    r"""The :math:`mn \times mn` matrix :math:`\mathbb E[\operatorname{vec}N\,\operatorname{vec}N^\top]`.

    :math:`N = \Delta(xx^\top - I) + S z x^\top` with :math:`x \sim N(0, I_n)`,
    :math:`z \sim N(0, I_m)` independent, so that :math:`\varepsilon = Sz` has covariance
    :math:`\Sigma_\varepsilon = SS^\top` and :math:`\xi_l = -A_l^\top N B_l^\top` is the
    one-sample gradient noise of layer :math:`l` (DESIGN.md §3, §6).  Each entry is a
    Gaussian expectation taken by :func:`independent_gaussian_expectation`.
    """
    m, n = delta.shape
    x = sp.Matrix(sp.symbols(f"_x0:{n}", real=True))
    z = sp.Matrix(sp.symbols(f"_z0:{m}", real=True))
    noise = delta * (x * x.T - sp.eye(n)) + label_sqrt * z * x.T
    flat = list(vec(noise))
    variances = {g: sp.Integer(1) for g in (*x, *z)}
    size = m * n
    moments = sp.zeros(size, size)
    for p in range(size):
        for q in range(p, size):
            moments[p, q] = moments[q, p] = independent_gaussian_expectation(
                flat[p] * flat[q], variances
            )
    return moments


def noise_sandwich(matrix: sp.Matrix, moments: sp.Matrix, m: int, n: int) -> sp.Matrix:
    r""":math:`\mathbb E[N X N]` for an :math:`n\times m` matrix :math:`X`, contracted from the
    second moments: :math:`(\mathbb E[NXN])_{ab} = \sum_{jk} X_{jk}\,\mathbb E[N_{aj}N_{kb}]`."""

    def idx(i: int, j: int) -> int:  # column-major position of N_ij in vec N
        return i + j * m

    return sp.Matrix(
        m,
        n,
        lambda a, b: sp.Add(
            *[matrix[j, k] * moments[idx(a, j), idx(k, b)] for j, k in product(range(n), range(m))]
        ),
    )


def noise_symbols(m: int, n: int) -> sp.Matrix:
    r"""The :math:`m \times n` matrix of symbols ``_nu_{i}_{j}`` that stands for :math:`N` in
    :func:`expect_quadratic` and :func:`expect_bilinear` (its ``vec`` indexes the moments)."""
    return symbolic_matrix("_nu", m, n)


def layer_noise(weights: Sequence[sp.Matrix], noise: sp.Matrix) -> list[sp.Matrix]:
    r"""The one-sample gradient noise :math:`\xi_l = -A_l^\top N B_l^\top` of every layer
    :math:`l = 1, \dots, L` (a list indexed ``0 .. L-1``), for a given :math:`N`."""
    a_list, b_list = partial_products(weights)
    return [-a.T * noise * b.T for a, b in zip(a_list, b_list, strict=True)]


def ring_element(expr: sp.Expr, ring: Any) -> Any:
    """``ring.from_expr(expr)``, each distinct subexpression converted once.

    SymPy's conversion walks the expression tree, adding and multiplying ring elements for
    ``Add``, ``Mul`` and non-negative integer ``Pow``; an expression built by matrix products
    repeats its subtrees many times, and each repeat would be expanded again.  The same walk
    with a memo of converted subtrees gives the same element.  Leaves and anything else are
    SymPy's own conversion (``CoercionFailed`` / ``ValueError`` for what is not a
    polynomial over the ring's domain)."""
    memo: dict[sp.Expr, Any] = {}

    def convert(node: sp.Expr) -> Any:
        found = memo.get(node)
        if found is not None:
            return found
        if node.is_Add:
            out = ring.zero
            for term in node.args:
                out += convert(term)
        elif node.is_Mul:
            out = ring.one
            for factor in node.args:
                out *= convert(factor)
        elif node.is_Pow and node.exp.is_Integer and node.exp >= 0:
            out = convert(node.base) ** int(node.exp)
        else:
            out = ring.from_expr(node)
        memo[node] = out
        return out

    return convert(sp.sympify(expr))


def _ring(*exprs: sp.Expr, first: Sequence[sp.Symbol] = (), domain=sp.QQ):
    """A polynomial ring over ``domain`` in ``first`` followed by the other free symbols."""
    others: set[sp.Symbol] = set()
    for e in exprs:
        others |= sp.sympify(e).free_symbols
    gens = [*first, *sorted(others - set(first), key=str)]
    return sp.ring(gens, domain)[0] if gens else None


def expect_quadratic(expr: sp.Expr, noise: sp.Matrix, moments: sp.Matrix) -> sp.Expr:
    r""":math:`\mathbb E` of an expression of degree <= 2 in the entries of a symbolic
    :math:`N`, replacing :math:`N_pN_q` by its second moment (and linear terms by 0).

    Parameters
    ----------
    expr : sympy.Expr
        A polynomial of degree at most 2 in the entries of ``noise``.
    noise : sympy.Matrix
        The symbols standing for :math:`N` (:func:`noise_symbols`).
    moments : sympy.Matrix
        :math:`\mathbb E[\operatorname{vec}N\,\operatorname{vec}N^\top]`
        (:func:`noise_second_moments`).

    Works in a sparse polynomial ring over :math:`\mathbb Q` (exact, and far faster than
    expanding expression trees); coefficients that are not polynomials (rational functions
    of rotation parameters) take a slower :class:`sympy.Poly` path.
    """
    gens = list(vec(noise))
    ring = _ring(expr, *moments, first=gens)
    try:
        poly = ring_element(expr, ring)
    except (sp.CoercionFailed, ValueError):
        return _expect_quadratic_general(expr, gens, moments)
    n_gens = len(gens)
    cache: dict[tuple[int, int], object] = {}
    total = ring.zero
    for monom, coeff in poly.terms():
        idx = [p for p, k in enumerate(monom[:n_gens]) for _ in range(k)]
        if len(idx) == 1:
            continue
        if len(idx) > 2:
            raise AssertionError("expected a polynomial of degree <= 2 in the noise")
        rest = ring({(0,) * n_gens + monom[n_gens:]: coeff})
        if idx:
            key = (idx[0], idx[1])
            if key not in cache:
                cache[key] = ring.from_expr(moments[key])
            rest = rest * cache[key]
        total += rest
    return total.as_expr()


def _expect_quadratic_general(expr: sp.Expr, gens: list, moments: sp.Matrix) -> sp.Expr:
    """Slow path of :func:`expect_quadratic` for coefficients that are not polynomials
    (rational functions of rotation parameters)."""
    poly = sp.Poly(expr, *gens)
    total = sp.Integer(0)
    for monom, coeff in poly.terms():
        idx = [p for p, k in enumerate(monom) for _ in range(k)]
        if len(idx) > 2:
            raise AssertionError("expected a polynomial of degree <= 2 in the noise")
        if len(idx) == 0:
            total += coeff
        elif len(idx) == 2:
            total += coeff * moments[idx[0], idx[1]]
    return total


def expect_bilinear(
    first: sp.Expr, second: sp.Expr, noise: sp.Matrix, moments: sp.Matrix
) -> sp.Expr:
    r""":math:`\mathbb E[fg]` for two forms :math:`f, g` linear in the entries of a symbolic
    :math:`N`: :math:`\sum_{pq} \partial_p f\,\partial_q g\,\mathbb E[N_pN_q]` (``noise`` and
    ``moments`` as in :func:`expect_quadratic`)."""
    gens = list(vec(noise))
    df = [sp.diff(first, g) for g in gens]
    dg = [sp.diff(second, g) for g in gens]
    return sp.Add(*[df[p] * dg[q] * moments[p, q] for p, q in product(range(len(gens)), repeat=2)])


def expanded(expr: sp.Expr) -> sp.Expr:
    r"""``sympy.expand(expr)``, computed in a sparse polynomial ring over :math:`\mathbb Q`
    when ``expr`` is a polynomial in its free symbols (the same expression, far faster on
    large products of sums); otherwise by :func:`sympy.expand` itself."""
    expr = sp.sympify(expr)
    ring = _ring(expr)
    if ring is None:
        return expr
    try:
        return ring_element(expr, ring).as_expr()
    except (sp.CoercionFailed, ValueError):
        return sp.expand(expr)


def is_zero_polynomial(expr: sp.Expr) -> bool:
    """Exact test that a polynomial expression (over QQ) is zero, in a sparse ring.

    Returns ``False`` also when ``expr`` is not a polynomial over QQ in its free symbols
    (the test is then inconclusive, and a claim resting on it does not hold).
    """
    expr = sp.sympify(expr)
    if expr == 0:
        return True
    # Integer coefficients are far cheaper than rationals: try ZZ first.
    for domain in (sp.ZZ, sp.QQ):
        ring = _ring(expr, domain=domain)
        if ring is None:
            return False
        try:
            return ring_element(expr, ring) == 0
        except (sp.CoercionFailed, ValueError):
            continue
    return False
