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
  standard normals (Isserlis for a diagonal covariance),
  :func:`derivations.output_noise.noise_second_moments`.

The gap :math:`\Delta` enters the noise only as a parameter of the law of :math:`N`, so the
diffusion and Itô identities are proven for an *independent* symbolic :math:`\Delta` (a
strictly stronger polynomial identity that specialises to :math:`\Delta = W^* - W`); the
gradient drift, which differentiates the loss, uses :math:`\Delta = W^* - W` itself.

The network algebra (partial products, the NTK operator) lives in
:mod:`derivations.symbolic_network` and the noise moments in :mod:`derivations.output_noise`;
this module holds the mode-amplitude building blocks (:func:`symbolic_mode_setup`,
:func:`mode_amplitude`, :func:`mode_jacobian`, :func:`mode_hessian`,
:func:`second_order_amplitude`) that :mod:`derivations.isotropic`,
:mod:`derivations.aligned_balanced` and :mod:`derivations.invariance` reuse, so that the
aligned-manifold results are specialisations of the same general matrix formulas.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product

import sympy as sp

from derivations.conventions import kappa
from derivations.gradient import population_loss
from derivations.output_noise import (
    expect_bilinear,
    expect_quadratic,
    is_zero_polynomial,
    layer_noise,
    noise_sandwich,
    noise_second_moments,
    noise_symbols,
)
from derivations.result import DerivationResult, Step
from derivations.symbolic_network import (
    chain,
    check_shapes,
    commutation_matrix,
    end_to_end,
    ntk_operator,
    partial_products,
    symbolic_matrix,
    vec,
    weight_matrices,
)

__all__ = [
    "DEFAULT_SHAPES",
    "mode_amplitude",
    "mode_hessian",
    "mode_jacobian",
    "modewise_diffusion_claim",
    "modewise_drift_claim",
    "modewise_hessian_claim",
    "modewise_jacobian_claim",
    "second_order_amplitude",
    "symbolic_mode_setup",
]

#: Widths ``(h_0 = n, h_1, ..., h_L = m)`` at which the general identities are proven:
#: one layer rectangular, two layers with a wide hidden layer and with ``m != n``, three
#: layers square.
DEFAULT_SHAPES: tuple[tuple[int, ...], ...] = ((3, 2), (2, 3, 2), (3, 2, 2), (2, 2, 2, 2))


# --------------------------------------------------------------------------------------------
# the mode amplitude and its derivatives
# --------------------------------------------------------------------------------------------


def symbolic_mode_setup(widths: Sequence[int], n_modes: int = 1):
    r"""The symbols of the modewise claims at one shape.

    Parameters
    ----------
    widths : sequence of int
        :math:`(h_0 = n, \dots, h_L = m)`.
    n_modes : int
        How many pairs of generic mode vectors :math:`u_a, v_a` to make.

    Returns
    -------
    tuple
        ``(weights, us, vs, delta, label_sqrt)``: the list of weights
        ``weight_matrices(widths, index_base=0)`` (entries ``w{l}_{i}_{j}``, 0-based), lists
        of generic (neither unit nor orthogonal) columns :math:`u_a` (``u{a}_{i}_0``, length
        :math:`m`) and :math:`v_a` (``v{a}_{i}_0``, length :math:`n`), the gap
        :math:`\Delta` (``D_{i}_{j}``, :math:`m\times n`) and the label-noise root :math:`S`
        (``S_{i}_{j}``, :math:`m\times m`; :math:`\Sigma_\varepsilon = SS^\top`).
    """
    weights = list(weight_matrices(widths, index_base=0))
    n, m = widths[0], widths[-1]
    us = [symbolic_matrix(f"u{a}", m, 1) for a in range(n_modes)]
    vs = [symbolic_matrix(f"v{a}", n, 1) for a in range(n_modes)]
    delta = symbolic_matrix("D", m, n)
    label_sqrt = symbolic_matrix("S", m, m)
    return weights, us, vs, delta, label_sqrt


def mode_amplitude(weights: Sequence[sp.Matrix], u: sp.Matrix, v: sp.Matrix) -> sp.Expr:
    r"""The mode amplitude :math:`s = u^\top W_L \cdots W_1 v` (not expanded)."""
    return (u.T * end_to_end(weights) * v)[0, 0]


def _gradient_of(expr: sp.Expr, matrix: sp.Matrix) -> sp.Matrix:
    """Entrywise derivative of ``expr`` with respect to a matrix of symbols."""
    return sp.Matrix(matrix.rows, matrix.cols, [sp.diff(expr, e) for e in matrix])


def mode_jacobian(weights: Sequence[sp.Matrix], u: sp.Matrix, v: sp.Matrix) -> list[sp.Matrix]:
    r"""Derived :math:`\partial s/\partial W_l`, :math:`l = 1, \dots, L`: the expanded
    :func:`mode_amplitude` differentiated entry by entry (matrices shaped like the
    :math:`W_l`)."""
    amp = sp.expand(mode_amplitude(weights, u, v))
    return [_gradient_of(amp, w) for w in weights]


def mode_hessian(weights: Sequence[sp.Matrix], u: sp.Matrix, v: sp.Matrix) -> sp.Matrix:
    r"""Derived Hessian of :func:`mode_amplitude` in the stacked column-major coordinates
    :math:`\theta = (\operatorname{vec}W_1, \dots, \operatorname{vec}W_L)`."""
    params = list(sp.Matrix.vstack(*[vec(w) for w in weights]))
    return sp.hessian(sp.expand(mode_amplitude(weights, u, v)), params)


def second_order_amplitude(
    weights: Sequence[sp.Matrix], xis: Sequence[sp.Matrix], u: sp.Matrix, v: sp.Matrix
) -> sp.Expr:
    r"""The second-order term of the mode amplitude under layer perturbations :math:`\xi_l`,

    .. math:: \sum_{l<k} u^\top A_k \xi_k M_{kl} \xi_l B_l v, \qquad
              M_{kl} = W_{k-1}\cdots W_{l+1},

    the coefficient of :math:`t^2` in :math:`u^\top (W_L + t\xi_L)\cdots(W_1 + t\xi_1)v`,
    written from the partial products (not expanded)."""
    a, b = partial_products(weights)
    depth = len(weights)
    second = sp.Integer(0)
    for l in range(1, depth + 1):
        for k in range(l + 1, depth + 1):
            middle = chain(weights, l + 1, k - 1)
            second += (u.T * a[k - 1] * xis[k - 1] * middle * xis[l - 1] * b[l - 1] * v)[0, 0]
    return second


def _layer_slices(weights) -> list[slice]:
    out, start = [], 0
    for w in weights:
        out.append(slice(start, start + w.rows * w.cols))
        start += w.rows * w.cols
    return out


# --------------------------------------------------------------------------------------------
# exact comparisons and difference steps
# --------------------------------------------------------------------------------------------


def _matrices_equal(left: sp.Matrix, right: sp.Matrix) -> bool:
    return left.shape == right.shape and all(is_zero_polynomial(e) for e in left - right)


def _difference_step(description: str, lhs: str, difference: sp.Expr | sp.Matrix) -> Step:
    """A step ``lhs = difference`` where ``difference`` is reduced by
    :func:`~derivations.output_noise.is_zero_polynomial`: printed as ``0`` when SymPy proved
    it zero, in full otherwise."""
    if isinstance(difference, sp.MatrixBase):
        reduced = difference.applyfunc(lambda e: sp.Integer(0) if is_zero_polynomial(e) else e)
    else:
        reduced = sp.Integer(0) if is_zero_polynomial(difference) else difference
    return Step(description, sp.Symbol(lhs), reduced)


def _proven_zero(step: Step) -> bool:
    """Whether a :func:`_difference_step` was reduced to zero."""
    rhs = step.rhs
    return all(e == 0 for e in rhs) if isinstance(rhs, sp.MatrixBase) else rhs == 0


def _case(widths: Sequence[int]) -> str:
    return "widths=(" + ", ".join(str(h) for h in widths) + ")"


def _result(claim, shapes, steps, holds, derived, stated, findings=()) -> DerivationResult:
    """The :class:`DerivationResult` of a modewise claim proven at every shape in ``shapes``."""
    return DerivationResult(
        claim=claim,
        derived=derived,
        stated=stated,
        holds=holds,
        steps=tuple(steps),
        cases=tuple(_case(w) for w in shapes),
        findings=tuple(findings),
    )


# --------------------------------------------------------------------------------------------
# C5: Jacobian and diffusion
# --------------------------------------------------------------------------------------------


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
    shapes = check_shapes(shapes, int_entries=True)
    steps, holds = [], True
    derived = stated = None
    for widths in shapes:
        weights, (u,), (v,), _, _ = symbolic_mode_setup(widths)
        derived = mode_jacobian(weights, u, v)
        a_list, b_list = partial_products(weights)
        stated = [a.T * u * v.T * b.T for a, b in zip(a_list, b_list, strict=True)]
        ok = all(_matrices_equal(d, st) for d, st in zip(derived, stated, strict=True))
        holds &= ok
        steps.append(Step(f"d s_a / d W_1 at {_case(widths)}", sp.Symbol("J_{a,1}"), derived[0]))
    return _result("C5", shapes, steps, holds, derived, stated)


def _pair_matrix(entry) -> sp.Matrix:
    """Row matrix ``[D_aa, D_ab]`` for modes a = 0, b = 1 (the other entries follow by
    relabelling the symbols)."""
    return sp.Matrix([[entry(0, 0), entry(0, 1)]])


def _kronecker_covariance_block(a_l, b_l, a_k, b_k, delta, label_cov) -> sp.Matrix:
    r"""Paper Prop. 3.2 (a *statement*, here only compared with): the block
    :math:`\Sigma_{lk}` with the commutation matrix of :math:`h_k\times h_{k-1}` matrices."""
    commutation = commutation_matrix(a_k.cols, b_k.rows)  # of h_k x h_{k-1} matrices
    first = sp.kronecker_product(b_l * b_k.T, a_l.T * (delta * delta.T + label_cov) * a_k)
    second = sp.kronecker_product(b_l * delta.T * a_k, a_l.T * delta * b_k.T) * commutation
    return first + second


def _diffusion_case(widths: tuple[int, ...]) -> tuple[sp.Matrix, dict[str, sp.Matrix]]:
    """Derived ``[D_aa, D_ab]`` and the three stated forms at one shape."""
    weights, us, vs, delta, label_sqrt = symbolic_mode_setup(widths, n_modes=2)
    m, n = widths[-1], widths[0]
    label_cov = label_sqrt * label_sqrt.T
    moments = noise_second_moments(delta, label_sqrt)
    noise = noise_symbols(m, n)
    a_list, b_list = partial_products(weights)
    xis = layer_noise(weights, noise)
    jac = [mode_jacobian(weights, u, v) for u, v in zip(us, vs, strict=True)]
    first_order = [
        sp.Add(*[(vec(j).T * vec(x))[0, 0] for j, x in zip(jac_a, xis, strict=True)])
        for jac_a in jac
    ]
    derived = _pair_matrix(
        lambda a, b: kappa * expect_bilinear(first_order[a], first_order[b], noise, moments)
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
    ntk_expect = _pair_matrix(lambda a, b: kappa * expect_bilinear(lin[a], lin[b], noise, moments))
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

_DIFFUSION_FINDINGS = (
    "The NTK relation D_ab = kappa E[(u_a^T Theta(N) v_a)(u_b^T Theta(N) v_b)] holds "
    "also with label noise (N = Delta(xx^T - I) + eps x^T), and closes to "
    "kappa u_a^T Theta((Delta Delta^T + Sigma_eps) K_b + Delta K_b^T Delta) v_a with "
    "K_b = Theta(u_b v_b^T).",
)


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
    shapes = check_shapes(shapes, int_entries=True)
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
    return _result("C5", shapes, steps, holds, derived, stated, _DIFFUSION_FINDINGS)


# --------------------------------------------------------------------------------------------
# C6: Hessian, Itô drift, gradient drift
# --------------------------------------------------------------------------------------------


def modewise_hessian_claim(*, shapes: Sequence[Sequence[int]] = DEFAULT_SHAPES) -> DerivationResult:
    r"""C6 [Prop. 3.4, App. D, Eq. 25]: Hessian of the multilinear mode amplitude.

    Derived as the Hessian of :math:`s_a` in the stacked column-major coordinates
    :math:`(\operatorname{vec}W_1, \dots, \operatorname{vec}W_L)`.  Compared with: the
    diagonal blocks :math:`H_{ll}` vanish, and for :math:`l < k` the block :math:`H_{lk}` is
    the bilinear form

    .. math:: \operatorname{vec}(Y_l)^\top H_{lk}\operatorname{vec}(X_k)
              = u_a^\top A_k X_k W_{k-1}\cdots W_{l+1} Y_l B_l v_a .
    """
    shapes = check_shapes(shapes, int_entries=True)
    steps, holds = [], True
    for widths in shapes:
        weights, (u,), (v,), _, _ = symbolic_mode_setup(widths)
        hess = mode_hessian(weights, u, v)
        slices = _layer_slices(weights)
        a_list, b_list = partial_products(weights)
        depth = len(weights)
        for l in range(1, depth + 1):
            if not all(e == 0 for e in hess[slices[l - 1], slices[l - 1]]):
                holds = False
            for k in range(l + 1, depth + 1):
                y = symbolic_matrix("Y", *weights[l - 1].shape)
                x = symbolic_matrix("X", *weights[k - 1].shape)
                block = hess[slices[l - 1], slices[k - 1]]
                derived_form = (vec(y).T * block * vec(x))[0, 0]
                middle = chain(weights, l + 1, k - 1)
                stated_form = (u.T * a_list[k - 1] * x * middle * y * b_list[l - 1] * v)[0, 0]
                holds &= is_zero_polynomial(derived_form - stated_form)
        steps.append(Step(f"Hessian of s_a at {_case(widths)}", sp.Symbol("H"), hess))
    return _result(
        "C6",
        shapes,
        steps,
        holds,
        derived="Hessian with zero diagonal blocks (see steps)",
        stated="H_ll = 0; H_lk(Y_l, X_k) = u^T A_k X_k W_{k-1}...W_{l+1} Y_l B_l v",
    )


def _ito_closed_form(weights, u, v, delta, label_cov) -> sp.Expr:
    r"""Statement: :math:`\kappa\sum_{l<k} u^\top A_kA_k^\top[(\Delta\Delta^\top+\Sigma_\varepsilon)
    A_l M_{kl}^\top B_k + \operatorname{tr}(B_k^\top M_{kl}A_l^\top\Delta)\,\Delta]B_l^\top B_l v`."""
    a_list, b_list = partial_products(weights)
    depth = len(weights)
    total = sp.Integer(0)
    for l in range(1, depth + 1):
        for k in range(l + 1, depth + 1):
            a_k, b_k, a_l, b_l = a_list[k - 1], b_list[k - 1], a_list[l - 1], b_list[l - 1]
            middle = chain(weights, l + 1, k - 1)
            inner = (delta * delta.T + label_cov) * a_l * middle.T * b_k + (
                b_k.T * middle * a_l.T * delta
            ).trace() * delta
            total += (u.T * a_k * a_k.T * inner * b_l.T * b_l * v)[0, 0]
    return kappa * total


_DRIFT_FINDINGS = (
    "E[N X N] = (Delta Delta^T + Sigma_eps) X^T + tr(X Delta) Delta closes the Itô "
    "drift: mu_a = kappa sum_{l<k} u_a^T A_k A_k^T [(Delta Delta^T + Sigma_eps) A_l "
    "M_kl^T B_k + tr(B_k^T M_kl A_l^T Delta) Delta] B_l^T B_l v_a.",
)


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
    shapes = check_shapes(shapes, int_entries=True)
    steps, holds = [], True
    derived: dict[str, sp.Expr] = {}
    stated: dict[str, sp.Expr] = {}
    for widths in shapes:
        weights, (u,), (v,), delta, label_sqrt = symbolic_mode_setup(widths)
        m, n = widths[-1], widths[0]
        label_cov = label_sqrt * label_sqrt.T
        depth = len(weights)
        # gradient drift from the Wick-expected loss
        teacher = symbolic_matrix("Wstar", m, n)
        gap = teacher - end_to_end(weights)
        loss = population_loss(weights, teacher, label_cov)
        jac = mode_jacobian(weights, u, v)
        grad_drift = -sp.Add(
            *[
                (vec(j).T * vec(_gradient_of(loss, w)))[0, 0]
                for j, w in zip(jac, weights, strict=True)
            ]
        )
        grad_stated = (u.T * ntk_operator(weights, gap) * v)[0, 0]
        # Itô drift via Hessian and Sigma
        moments = noise_second_moments(delta, label_sqrt)
        noise = noise_symbols(m, n)
        xis = layer_noise(weights, noise)
        xi_vec = sp.Matrix.vstack(*[vec(e) for e in xis])
        coeff = xi_vec.jacobian(list(vec(noise)))
        sigma_full = coeff * moments * coeff.T
        hess = mode_hessian(weights, u, v)
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
        second = sp.expand(mode_amplitude(shifted, u, v)).coeff(t, 2)
        ito_taylor = kappa * expect_quadratic(second, noise, moments)
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
    return _result("C6", shapes, steps, holds, derived, stated, _DRIFT_FINDINGS)
