r"""Modewise Jacobian, diffusion, Hessian and Itô drift of a mode amplitude (C5, C6).

The paper's Prop. 3.3 (App. C) and Prop. 3.4 (App. D) project the anisotropic Langevin SDE
:math:`d\theta = -\nabla L\,dt + \sqrt{\kappa\Sigma}\,dW_t` (paper Eq. 1) onto a mode amplitude
:math:`s_a = u_a^\top W_L \cdots W_1 v_a`.  Everything here is derived at concrete, small,
possibly rectangular widths with fully symbolic weights, and compared with the statements as
exact polynomial identities:

* the Jacobian is obtained by *differentiating* :math:`s_a` entry by entry;
* the Hessian by differentiating twice;
* every Gaussian expectation is *taken*, never typed in: the one-sample noise is
  :math:`\xi_l = -A_l^\top N B_l^\top` with
  :math:`N = \Delta(xx^\top - I) + \varepsilon x^\top`, :math:`x \sim N(0, I_n)`,
  :math:`\varepsilon = S z`, :math:`z \sim N(0, I_m)` (so :math:`\Sigma_\varepsilon = SS^\top`),
  and the second moments :math:`\mathbb E[N_{ij}N_{kl}]` come from the moments of independent
  standard normals (Isserlis for a diagonal covariance), :func:`noise_second_moments`.

The gap :math:`\Delta` enters the noise only as a parameter of the law of :math:`N`, so the
diffusion and Itô identities are proven for an *independent* symbolic :math:`\Delta` (a
strictly stronger polynomial identity that specialises to :math:`\Delta = W^* - W`); the
gradient drift, which differentiates the loss, uses :math:`\Delta = W^* - W` itself.

This module also holds the small symbolic building blocks (partial products, the NTK operator,
the noise moments) that :mod:`derivations.aligned_balanced`, :mod:`derivations.isotropic` and
:mod:`derivations.invariance` reuse, so that the aligned-manifold results are specialisations
of the same general matrix formulas.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product

import sympy as sp

from derivations.conventions import kappa
from derivations.result import DerivationResult, Step
from dlnverify.errors import InvalidParameter

__all__ = [
    "DEFAULT_SHAPES",
    "independent_gaussian_expectation",
    "layer_partial_products",
    "modewise_diffusion_claim",
    "modewise_drift_claim",
    "modewise_hessian_claim",
    "modewise_jacobian_claim",
    "noise_sandwich",
    "noise_second_moments",
    "ntk_operator",
    "symbolic_matrix",
    "vec",
]

#: Widths ``(h_0 = n, h_1, ..., h_L = m)`` at which the general identities are proven:
#: one layer rectangular, two layers with a wide hidden layer and with ``m != n``, three
#: layers square.
DEFAULT_SHAPES: tuple[tuple[int, ...], ...] = ((3, 2), (2, 3, 2), (3, 2, 2), (2, 2, 2, 2))


# --------------------------------------------------------------------------------------------
# building blocks
# --------------------------------------------------------------------------------------------


def vec(matrix: sp.Matrix) -> sp.Matrix:
    r"""Column-major vectorisation :math:`\operatorname{vec} X` (DESIGN.md §3)."""
    return matrix.T.reshape(matrix.rows * matrix.cols, 1)


def symbolic_matrix(name: str, rows: int, cols: int) -> sp.Matrix:
    """A ``rows x cols`` matrix of independent real symbols ``name_i_j``."""
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{name}_{i}_{j}", real=True))


def _shape_iv(widths: Sequence[int]) -> tuple[int, ...]:
    widths = tuple(widths)
    if len(widths) < 2 or not all(isinstance(h, int) and h >= 1 for h in widths):
        raise InvalidParameter(
            f"Got widths={widths!r}, but widths must be a tuple (h_0, ..., h_L) of at least "
            "two integers >= 1."
        )
    return widths


def _shapes_iv(shapes: Sequence[Sequence[int]]) -> tuple[tuple[int, ...], ...]:
    shapes = tuple(_shape_iv(w) for w in shapes)
    if not shapes:
        raise InvalidParameter("Got shapes=(), but at least one widths tuple is required.")
    return shapes


def _symbolic_weights(widths: Sequence[int], name: str = "w") -> list[sp.Matrix]:
    return [
        symbolic_matrix(f"{name}{l + 1}", widths[l + 1], widths[l]) for l in range(len(widths) - 1)
    ]


def _chain(weights: Sequence[sp.Matrix], first: int, last: int, dim: int) -> sp.Matrix:
    r""":math:`W_{last} \cdots W_{first}` (1-based, inclusive); the identity of size ``dim``
    when ``first > last`` (the empty product)."""
    out = sp.eye(dim)
    for l in range(first, last + 1):
        out = weights[l - 1] * out
    return out


def layer_partial_products(
    weights: Sequence[sp.Matrix],
) -> tuple[list[sp.Matrix], list[sp.Matrix]]:
    r"""Partial products :math:`A_l = W_L\cdots W_{l+1}`, :math:`B_l = W_{l-1}\cdots W_1`.

    Returns two lists indexed ``0 .. L-1`` for layers ``l = 1 .. L`` (paper Prop. 3.1); an
    empty product is the identity.
    """
    depth = len(weights)
    m = weights[-1].rows
    a_list = [_chain(weights, l + 1, depth, weights[l - 1].rows) for l in range(1, depth + 1)]
    b_list = [_chain(weights, 1, l - 1, weights[0].cols) for l in range(1, depth + 1)]
    assert all(a.rows == m for a in a_list)
    return a_list, b_list


def ntk_operator(weights: Sequence[sp.Matrix], matrix: sp.Matrix) -> sp.Matrix:
    r"""The NTK operator of a DLN with whitened inputs (paper Prop. 3.3),

    .. math:: \Theta(M) = \sum_{l=1}^L A_l A_l^\top M B_l^\top B_l,

    the image under :math:`\sum_l A_l(\cdot)B_l` of the layerwise gradient
    :math:`A_l^\top M B_l^\top`.
    """
    a_list, b_list = layer_partial_products(weights)
    return sp.Add(*[a * a.T * matrix * b.T * b for a, b in zip(a_list, b_list, strict=True)])


def _double_factorial(k: int) -> int:
    return 1 if k <= 0 else k * _double_factorial(k - 2)


def independent_gaussian_expectation(expr: sp.Expr, variances: dict[sp.Symbol, sp.Expr]) -> sp.Expr:
    r"""Expectation of a polynomial in independent centred Gaussians.

    Each monomial :math:`\prod_i g_i^{k_i}` is replaced by
    :math:`\prod_i \mathbb E[g_i^{k_i}]` with :math:`\mathbb E[g^{k}] = 0` for odd :math:`k`
    and :math:`v^{k/2}(k-1)!!` for even :math:`k` (variance :math:`v`) — Isserlis' theorem
    for a diagonal covariance.  Correlated Gaussians are written as linear maps of these.
    """
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


def _noise_symbols(m: int, n: int) -> sp.Matrix:
    return symbolic_matrix("_nu", m, n)


def _ring(*exprs: sp.Expr, first: Sequence[sp.Symbol] = (), domain=sp.QQ):
    """A polynomial ring over ``domain`` in ``first`` followed by the other free symbols."""
    others: set[sp.Symbol] = set()
    for e in exprs:
        others |= sp.sympify(e).free_symbols
    gens = [*first, *sorted(others - set(first), key=str)]
    return sp.ring(gens, domain)[0] if gens else None


def _expect_quadratic(expr: sp.Expr, noise: sp.Matrix, moments: sp.Matrix) -> sp.Expr:
    r""":math:`\mathbb E` of an expression of degree <= 2 in the entries of a symbolic
    :math:`N`, replacing :math:`N_pN_q` by its second moment (and linear terms by 0).

    Works in a sparse polynomial ring over :math:`\mathbb Q` (exact, and far faster than
    expanding expression trees)."""
    gens = list(vec(noise))
    ring = _ring(expr, *moments, first=gens)
    try:
        poly = ring.from_expr(expr)
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
    """Slow path of :func:`_expect_quadratic` for coefficients that are not polynomials
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


def _expect_bilinear(first: sp.Expr, second: sp.Expr, noise: sp.Matrix, moments: sp.Matrix):
    r""":math:`\mathbb E[fg]` for two forms :math:`f, g` linear in the entries of a symbolic
    :math:`N`: :math:`\sum_{pq} \partial_p f\,\partial_q g\,\mathbb E[N_pN_q]`."""
    gens = list(vec(noise))
    df = [sp.diff(first, g) for g in gens]
    dg = [sp.diff(second, g) for g in gens]
    return sp.Add(*[df[p] * dg[q] * moments[p, q] for p, q in product(range(len(gens)), repeat=2)])


def _is_zero(expr: sp.Expr) -> bool:
    """Exact test that a polynomial expression (over QQ) is zero, in a sparse ring."""
    expr = sp.sympify(expr)
    if expr == 0:
        return True
    # Integer coefficients are far cheaper than rationals: try ZZ first.
    for domain in (sp.ZZ, sp.QQ):
        ring = _ring(expr, domain=domain)
        if ring is None:
            return False
        try:
            return ring.from_expr(expr) == 0
        except (sp.CoercionFailed, ValueError):
            continue
    return False


def _matrices_equal(left: sp.Matrix, right: sp.Matrix) -> bool:
    return left.shape == right.shape and all(_is_zero(e) for e in left - right)


def _difference_step(description: str, lhs: str, difference: sp.Expr | sp.Matrix) -> Step:
    """A step ``lhs = difference`` where ``difference`` is reduced by :func:`_is_zero`:
    printed as ``0`` when SymPy proved it zero, in full otherwise."""
    if isinstance(difference, sp.MatrixBase):
        reduced = difference.applyfunc(lambda e: sp.Integer(0) if _is_zero(e) else e)
    else:
        reduced = sp.Integer(0) if _is_zero(difference) else difference
    return Step(description, sp.Symbol(lhs), reduced)


def _proven_zero(step: Step) -> bool:
    """Whether a :func:`_difference_step` was reduced to zero."""
    rhs = step.rhs
    return all(e == 0 for e in rhs) if isinstance(rhs, sp.MatrixBase) else rhs == 0


def _case(widths: Sequence[int]) -> str:
    return "widths=(" + ", ".join(str(h) for h in widths) + ")"


def _setup(widths: Sequence[int], n_modes: int = 1):
    """Symbolic weights, generic vectors u_a, v_a, gap, label-noise root and moments."""
    weights = _symbolic_weights(widths)
    n, m = widths[0], widths[-1]
    us = [symbolic_matrix(f"u{a}", m, 1) for a in range(n_modes)]
    vs = [symbolic_matrix(f"v{a}", n, 1) for a in range(n_modes)]
    delta = symbolic_matrix("D", m, n)
    label_sqrt = symbolic_matrix("S", m, m)
    return weights, us, vs, delta, label_sqrt


# --------------------------------------------------------------------------------------------
# C5: Jacobian and diffusion
# --------------------------------------------------------------------------------------------


def _mode_amplitude(weights, u, v) -> sp.Expr:
    return (u.T * _chain(weights, 1, len(weights), weights[0].cols) * v)[0, 0]


def _jacobian_blocks(weights, u, v) -> list[sp.Matrix]:
    r"""Derived :math:`\partial s/\partial W_l`, entry by entry."""
    amp = sp.expand(_mode_amplitude(weights, u, v))
    return [w.applyfunc(lambda e: sp.diff(amp, e)) for w in weights]


def modewise_jacobian_claim(
    *, shapes: Sequence[Sequence[int]] = DEFAULT_SHAPES
) -> DerivationResult:
    r"""C5 [Prop. 3.3, App. C]: the modewise Jacobian.

    Derived by differentiating :math:`s_a = u_a^\top W_L\cdots W_1 v_a` with respect to
    every entry of every :math:`W_l` (symbolic weights and vectors), compared with

    .. math:: J_{a,l} = \nabla_{W_l} s_a = A_l^\top u_a v_a^\top B_l^\top .

    Parameters
    ----------
    shapes : sequence of tuple of int
        Widths ``(h_0, ..., h_L)`` at which the identity is proven.
    """
    shapes = _shapes_iv(shapes)
    steps, holds = [], True
    derived = stated = None
    for widths in shapes:
        weights, (u,), (v,), _, _ = _setup(widths)
        derived = _jacobian_blocks(weights, u, v)
        a_list, b_list = layer_partial_products(weights)
        stated = [a.T * u * v.T * b.T for a, b in zip(a_list, b_list, strict=True)]
        ok = all(_matrices_equal(d, st) for d, st in zip(derived, stated, strict=True))
        holds &= ok
        steps.append(Step(f"d s_a / d W_1 at {_case(widths)}", sp.Symbol("J_{a,1}"), derived[0]))
    return DerivationResult(
        claim="C5",
        derived=derived,
        stated=stated,
        holds=holds,
        steps=tuple(steps),
        cases=tuple(_case(w) for w in shapes),
    )


def _pair_matrix(entry) -> sp.Matrix:
    """Row matrix ``[D_aa, D_ab]`` for modes a = 0, b = 1 (the other entries follow by
    relabelling the symbols)."""
    return sp.Matrix([[entry(0, 0), entry(0, 1)]])


def _kronecker_covariance_block(a_l, b_l, a_k, b_k, delta, label_cov) -> sp.Matrix:
    r"""Paper Prop. 3.2 (a *statement*, here only compared with): the block
    :math:`\Sigma_{lk}` with the commutation matrix of :math:`h_k\times h_{k-1}` matrices."""
    rows, cols = a_k.cols, b_k.rows  # h_k, h_{k-1}
    commutation = sp.zeros(rows * cols, rows * cols)
    for i, j in product(range(rows), range(cols)):
        # K vec(Y) = vec(Y^T): Y_ij sits at i + j*rows in vec Y, at j + i*cols in vec Y^T.
        commutation[j + i * cols, i + j * rows] = 1
    first = sp.kronecker_product(b_l * b_k.T, a_l.T * (delta * delta.T + label_cov) * a_k)
    second = sp.kronecker_product(b_l * delta.T * a_k, a_l.T * delta * b_k.T) * commutation
    return first + second


def _diffusion_case(widths: tuple[int, ...]) -> tuple[sp.Matrix, dict[str, sp.Matrix]]:
    """Derived ``[D_aa, D_ab]`` and the three stated forms at one shape."""
    weights, us, vs, delta, label_sqrt = _setup(widths, n_modes=2)
    m, n = widths[-1], widths[0]
    label_cov = label_sqrt * label_sqrt.T
    moments = noise_second_moments(delta, label_sqrt)
    noise = _noise_symbols(m, n)
    a_list, b_list = layer_partial_products(weights)
    xis = [-a.T * noise * b.T for a, b in zip(a_list, b_list, strict=True)]
    jac = [_jacobian_blocks(weights, u, v) for u, v in zip(us, vs, strict=True)]
    first_order = [
        sp.Add(*[(vec(j).T * vec(x))[0, 0] for j, x in zip(jac_a, xis, strict=True)])
        for jac_a in jac
    ]
    derived = _pair_matrix(
        lambda a, b: kappa * _expect_bilinear(first_order[a], first_order[b], noise, moments)
    )
    # statement 1: Kronecker form with Prop. 3.2, block by block
    depth = len(weights)
    kron_form = _pair_matrix(
        lambda a, b: (
            kappa
            * sp.Add(
                *[
                    (
                        vec(jac[a][l]).T
                        * _kronecker_covariance_block(
                            a_list[l], b_list[l], a_list[k], b_list[k], delta, label_cov
                        )
                        * vec(jac[b][k])
                    )[0, 0]
                    for l, k in product(range(depth), range(depth))
                ]
            )
        ),
    )
    # statement 2: NTK expectation form
    theta_n = ntk_operator(weights, noise)
    lin = [(u.T * theta_n * v)[0, 0] for u, v in zip(us, vs, strict=True)]
    ntk_expect = _pair_matrix(lambda a, b: kappa * _expect_bilinear(lin[a], lin[b], noise, moments))
    # statement 3: closed NTK form
    k_img = [ntk_operator(weights, u * v.T) for u, v in zip(us, vs, strict=True)]
    ntk_closed = _pair_matrix(
        lambda a, b: (
            kappa
            * (
                us[a].T
                * ntk_operator(
                    weights,
                    (delta * delta.T + label_cov) * k_img[b] + delta * k_img[b].T * delta,
                )
                * vs[a]
            )[0, 0]
        ),
    )
    stated = {"kronecker": kron_form, "ntk_expectation": ntk_expect, "ntk_closed": ntk_closed}
    return derived, stated


#: The three statements of C5's diffusion, and their superscripts in the derivation steps.
_DIFFUSION_FORMS = {"kronecker": "Kron", "ntk_expectation": "NTK,E", "ntk_closed": "NTK"}


def modewise_diffusion_claim(
    *, shapes: Sequence[Sequence[int]] = DEFAULT_SHAPES
) -> DerivationResult:
    r"""C5 [Prop. 3.3, App. C]: mode and cross-mode diffusion, and their NTK form.

    Derived as :math:`\kappa` times the covariance of the first-order increments
    :math:`\langle J_a, \xi\rangle = \sum_l \langle J_{a,l}, \xi_l\rangle` and
    :math:`\langle J_b, \xi\rangle`, with :math:`\xi_l = -A_l^\top N B_l^\top` and the Gaussian
    expectation taken from the moments of :math:`x` and :math:`\varepsilon`.  Compared with
    three statements, all of which must agree:

    * the Kronecker form :math:`\kappa\,\langle J_a, \Sigma J_b\rangle` with
      :math:`\Sigma_{lk}` of Prop. 3.2 (commutation matrix included);
    * the NTK expectation form, since :math:`\langle J_a,\xi\rangle = -u_a^\top\Theta(N)v_a`,

      .. math:: D_{ab} = \kappa\,\mathbb E\bigl[(u_a^\top\Theta(N)v_a)(u_b^\top\Theta(N)v_b)\bigr];

    * the closed NTK form obtained from it with :math:`K_b = \Theta(u_b v_b^\top)`,

      .. math:: D_{ab} = \kappa\, u_a^\top \Theta\bigl((\Delta\Delta^\top + \Sigma_\varepsilon)K_b
                + \Delta K_b^\top \Delta\bigr) v_a .

    The paper states the NTK relation without label noise; with :math:`N` including
    :math:`\varepsilon x^\top` the same expectation form holds with label noise.
    """
    shapes = _shapes_iv(shapes)
    steps = []
    derived = stated = None
    for widths in shapes:
        derived, stated = _diffusion_case(widths)
        for name, label in _DIFFUSION_FORMS.items():
            steps.append(
                _difference_step(
                    f"derived kappa Cov(<J_a, xi>, <J_b, xi>) minus the {name} form at"
                    f" {_case(widths)}",
                    rf"D_{{ab}} - D_{{ab}}^{{\mathrm{{{label}}}}}",
                    derived - stated[name],
                )
            )
    holds = all(_proven_zero(step) for step in steps)
    return DerivationResult(
        claim="C5",
        derived=derived,
        stated=stated,
        holds=holds,
        steps=tuple(steps),
        cases=tuple(_case(w) for w in shapes),
        findings=(
            "The NTK relation D_ab = kappa E[(u_a^T Theta(N) v_a)(u_b^T Theta(N) v_b)] holds "
            "also with label noise (N = Delta(xx^T - I) + eps x^T), and closes to "
            "kappa u_a^T Theta((Delta Delta^T + Sigma_eps) K_b + Delta K_b^T Delta) v_a with "
            "K_b = Theta(u_b v_b^T).",
        ),
    )


# --------------------------------------------------------------------------------------------
# C6: Hessian, Itô drift, gradient drift
# --------------------------------------------------------------------------------------------


def _gradient_of(expr: sp.Expr, matrix: sp.Matrix) -> sp.Matrix:
    """Entrywise derivative of ``expr`` with respect to a matrix of symbols."""
    return sp.Matrix(matrix.rows, matrix.cols, [sp.diff(expr, e) for e in matrix])


def _layer_slices(weights) -> list[slice]:
    out, start = [], 0
    for w in weights:
        out.append(slice(start, start + w.rows * w.cols))
        start += w.rows * w.cols
    return out


def _hessian(weights, u, v) -> sp.Matrix:
    params = list(sp.Matrix.vstack(*[vec(w) for w in weights]))
    return sp.hessian(sp.expand(_mode_amplitude(weights, u, v)), params)


def modewise_hessian_claim(*, shapes: Sequence[Sequence[int]] = DEFAULT_SHAPES) -> DerivationResult:
    r"""C6 [Prop. 3.4, App. D, Eq. 25]: Hessian of the multilinear mode amplitude.

    Derived as the Hessian of :math:`s_a` in the stacked column-major coordinates
    :math:`(\operatorname{vec}W_1, \dots, \operatorname{vec}W_L)`.  Compared with: the
    diagonal blocks :math:`H_{ll}` vanish, and for :math:`l < k` the block :math:`H_{lk}` is
    the bilinear form

    .. math:: \operatorname{vec}(Y_l)^\top H_{lk}\operatorname{vec}(X_k)
              = u_a^\top A_k X_k W_{k-1}\cdots W_{l+1} Y_l B_l v_a .
    """
    shapes = _shapes_iv(shapes)
    steps, holds = [], True
    for widths in shapes:
        weights, (u,), (v,), _, _ = _setup(widths)
        hess = _hessian(weights, u, v)
        slices = _layer_slices(weights)
        a_list, b_list = layer_partial_products(weights)
        depth = len(weights)
        for l in range(1, depth + 1):
            if not all(e == 0 for e in hess[slices[l - 1], slices[l - 1]]):
                holds = False
            for k in range(l + 1, depth + 1):
                y = symbolic_matrix("Y", *weights[l - 1].shape)
                x = symbolic_matrix("X", *weights[k - 1].shape)
                block = hess[slices[l - 1], slices[k - 1]]
                derived_form = (vec(y).T * block * vec(x))[0, 0]
                middle = _chain(weights, l + 1, k - 1, weights[l - 1].rows)
                stated_form = (u.T * a_list[k - 1] * x * middle * y * b_list[l - 1] * v)[0, 0]
                holds &= _is_zero(derived_form - stated_form)
        steps.append(Step(f"Hessian of s_a at {_case(widths)}", sp.Symbol("H"), hess))
    return DerivationResult(
        claim="C6",
        derived="Hessian with zero diagonal blocks (see steps)",
        stated="H_ll = 0; H_lk(Y_l, X_k) = u^T A_k X_k W_{k-1}...W_{l+1} Y_l B_l v",
        holds=holds,
        steps=tuple(steps),
        cases=tuple(_case(w) for w in shapes),
    )


def _ito_closed_form(weights, u, v, delta, label_cov) -> sp.Expr:
    r"""Statement: :math:`\kappa\sum_{l<k} u^\top A_kA_k^\top[(\Delta\Delta^\top+\Sigma_\varepsilon)
    A_l M_{kl}^\top B_k + \operatorname{tr}(B_k^\top M_{kl}A_l^\top\Delta)\,\Delta]B_l^\top B_l v`."""
    a_list, b_list = layer_partial_products(weights)
    depth = len(weights)
    total = sp.Integer(0)
    for l in range(1, depth + 1):
        for k in range(l + 1, depth + 1):
            a_k, b_k, a_l, b_l = a_list[k - 1], b_list[k - 1], a_list[l - 1], b_list[l - 1]
            middle = _chain(weights, l + 1, k - 1, weights[l - 1].rows)
            inner = (delta * delta.T + label_cov) * a_l * middle.T * b_k + (
                b_k.T * middle * a_l.T * delta
            ).trace() * delta
            total += (u.T * a_k * a_k.T * inner * b_l.T * b_l * v)[0, 0]
    return kappa * total


def modewise_drift_claim(*, shapes: Sequence[Sequence[int]] = DEFAULT_SHAPES) -> DerivationResult:
    r"""C6 [Prop. 3.4, App. D, Eq. 27]: gradient drift and Itô drift of a mode amplitude.

    Itô's formula for :math:`s_a(\theta)` under :math:`d\theta=-\nabla L\,dt+\sqrt{\kappa\Sigma}\,dW`
    gives the drift :math:`-\langle J_a, \nabla L\rangle + \tfrac12\kappa\langle H, \Sigma\rangle`.

    *Gradient drift*: the population loss
    :math:`L = \tfrac12\mathbb E\|\Delta x + \varepsilon\|^2` is differentiated (Gaussian
    expectation taken, :math:`\Delta = W^*-W` with symbolic :math:`W^*`) and contracted with
    the Jacobian; compared with :math:`u_a^\top\Theta(\Delta)v_a`.

    *Itô drift*: :math:`\tfrac12\kappa\sum_{l\ne k}\langle H_{lk},\Sigma_{lk}\rangle` with the
    derived Hessian and :math:`\Sigma = \mathbb E[\operatorname{vec}\xi\operatorname{vec}\xi^\top]`
    (diagonal blocks of :math:`H` contribute nothing).  Compared with

    * :math:`\kappa\,\mathbb E[\text{coefficient of } t^2 \text{ in } s_a(\theta + t\xi)]`, and
    * the closed form (with :math:`M_{kl} = W_{k-1}\cdots W_{l+1}`, derived from
      :math:`\mathbb E[NXN] = (\Delta\Delta^\top+\Sigma_\varepsilon)X^\top +
      \operatorname{tr}(X\Delta)\Delta`)

      .. math:: \mu^{\text{Itô}}_a = \kappa\sum_{l<k} u_a^\top A_kA_k^\top
         \bigl[(\Delta\Delta^\top+\Sigma_\varepsilon) A_l M_{kl}^\top B_k
         + \operatorname{tr}(B_k^\top M_{kl} A_l^\top\Delta)\,\Delta\bigr] B_l^\top B_l v_a .
    """
    shapes = _shapes_iv(shapes)
    steps, holds = [], True
    derived: dict[str, sp.Expr] = {}
    stated: dict[str, sp.Expr] = {}
    for widths in shapes:
        weights, (u,), (v,), delta, label_sqrt = _setup(widths)
        m, n = widths[-1], widths[0]
        label_cov = label_sqrt * label_sqrt.T
        depth = len(weights)
        a_list, b_list = layer_partial_products(weights)
        # gradient drift from the Wick-expected loss
        teacher = symbolic_matrix("Wstar", m, n)
        x = sp.Matrix(sp.symbols(f"_x0:{n}", real=True))
        z = sp.Matrix(sp.symbols(f"_z0:{m}", real=True))
        gap = teacher - _chain(weights, 1, depth, n)
        resid = gap * x + label_sqrt * z
        loss = independent_gaussian_expectation(
            (resid.T * resid)[0, 0] / 2, {g: sp.Integer(1) for g in (*x, *z)}
        )
        jac = _jacobian_blocks(weights, u, v)
        grad_drift = -sp.Add(
            *[
                (vec(j).T * vec(_gradient_of(loss, w)))[0, 0]
                for j, w in zip(jac, weights, strict=True)
            ]
        )
        grad_stated = (u.T * ntk_operator(weights, gap) * v)[0, 0]
        # Itô drift via Hessian and Sigma
        moments = noise_second_moments(delta, label_sqrt)
        noise = _noise_symbols(m, n)
        xis = [-a.T * noise * b.T for a, b in zip(a_list, b_list, strict=True)]
        xi_vec = sp.Matrix.vstack(*[vec(e) for e in xis])
        coeff = xi_vec.jacobian(list(vec(noise)))
        sigma_full = coeff * moments * coeff.T
        hess = _hessian(weights, u, v)
        slices = _layer_slices(weights)
        ito = sp.Integer(0)
        for l, k in product(range(depth), range(depth)):
            if l != k:
                h_block, s_block = hess[slices[l], slices[k]], sigma_full[slices[l], slices[k]]
                ito += sp.Add(*[h_block[i] * s_block[i] for i in range(len(h_block))])
        ito = kappa * ito / 2
        # statement (i): kappa E[t^2 coefficient of s(theta + t xi)]
        t = sp.Symbol("_t")
        shifted = [w + t * e for w, e in zip(weights, xis, strict=True)]
        second = sp.expand(_mode_amplitude(shifted, u, v)).coeff(t, 2)
        ito_taylor = kappa * _expect_quadratic(second, noise, moments)
        # statement (ii): closed form
        ito_closed = _ito_closed_form(weights, u, v, delta, label_cov)
        # the Gaussian identity behind the closed form, derived from the moments
        probe = symbolic_matrix("X", n, m)
        sandwich = noise_sandwich(probe, moments, m, n)
        holds &= _matrices_equal(
            sandwich, (delta * delta.T + label_cov) * probe.T + (probe * delta).trace() * delta
        )
        derived = {"gradient_drift": grad_drift, "ito_drift": ito}
        stated = {"gradient_drift": grad_stated, "ito_drift": ito_closed}
        steps += [
            _difference_step(
                f"gradient drift -<J_a, grad L> minus u_a^T Theta(Delta) v_a at {_case(widths)}",
                r"\mu^{\mathrm{grad}}_a - u_a^\top\Theta(\Delta)v_a",
                grad_drift - grad_stated,
            ),
            _difference_step(
                f"1/2 kappa sum_(l != k) <H_lk, Sigma_lk> minus kappa E[[t^2] s_a(theta + t xi)]"
                f" at {_case(widths)}",
                r"\mu^{\mathrm{Ito}}_a - \kappa\,\mathbb{E}[t^2]s_a(\theta + t\xi)",
                ito - ito_taylor,
            ),
            _difference_step(
                f"1/2 kappa sum_(l != k) <H_lk, Sigma_lk> minus the closed form at {_case(widths)}",
                r"\mu^{\mathrm{Ito}}_a - \mu^{\mathrm{closed}}_a",
                ito - ito_closed,
            ),
        ]
    holds &= all(_proven_zero(step) for step in steps)
    return DerivationResult(
        claim="C6",
        derived=derived,
        stated=stated,
        holds=holds,
        steps=tuple(steps),
        cases=tuple(_case(w) for w in shapes),
        findings=(
            "E[N X N] = (Delta Delta^T + Sigma_eps) X^T + tr(X Delta) Delta closes the Itô "
            "drift: mu_a = kappa sum_{l<k} u_a^T A_k A_k^T [(Delta Delta^T + Sigma_eps) A_l "
            "M_kl^T B_k + tr(B_k^T M_kl A_l^T Delta) Delta] B_l^T B_l v_a.",
        ),
    )
