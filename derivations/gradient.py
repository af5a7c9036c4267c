r"""C1 [Prop. 3.1]: the population gradient and the layer Jacobian of a deep linear network.

Derived, not typed in: the per-sample loss :math:`\ell = \tfrac12\|W^*x + \varepsilon - Wx\|^2`
of a network of explicit entry symbols is averaged over :math:`x \sim N(0, I_n)`,
:math:`\varepsilon \sim N(0, \Sigma_\varepsilon)` by the Wick engine
(:mod:`derivations.wick`), then differentiated entry by entry.  The result is compared with
the paper's statement

.. math:: \nabla_{W_l} L = -A_l^\top \Delta B_l^\top, \qquad
   \frac{\partial \operatorname{vec} W}{\partial \operatorname{vec} W_l}
   = B_l^\top \otimes A_l,

exactly, at concrete depths and widths (rectangular and hidden-wider-than-input included).
The general-depth statement is proven with SymPy's matrix calculus on matrix symbols of
symbolic sizes (see :func:`population_gradient_claim`).

The ring-level objects built here (:class:`GradientPolynomials`) are reused by C2
(:mod:`derivations.symmetry`) and C3 (:mod:`derivations.noise_covariance`), so the
gradient those claims use is the one derived here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp
from sympy.polys.matrices import DomainMatrix
from sympy.polys.rings import PolyElement

from derivations.result import DerivationResult, Step
from derivations.symbolic_network import (
    check_shapes,
    check_widths,
    end_to_end,
    gap_matrix,
    kronecker,
    label_noise_covariance,
    layer_parameters,
    partial_products,
    ring_matrix,
    teacher_matrix,
    vec,
    weight_matrices,
)
from derivations.wick import GaussianVector, WickEngine, gaussian_expectation
from dlnverify.errors import InvalidParameter

__all__ = [
    "GRADIENT_CASES",
    "GradientPolynomials",
    "gradient_polynomials",
    "population_gradient_claim",
    "population_loss",
]

#: Default shapes for C1: depth 1-3, square, rectangular, hidden wider than the input.
GRADIENT_CASES: tuple[tuple[int, ...], ...] = (
    (2, 3),
    (3, 2, 2),
    (2, 3, 2),
    (2, 3, 2, 3),
    (3, 3, 3, 3),
)


@dataclass(frozen=True)
class GradientPolynomials:
    r"""Per-sample and population loss and gradients of a symbolic DLN, as ring elements.

    Attributes
    ----------
    widths : tuple[int, ...]
        :math:`(h_0, \dots, h_L)`.
    engine : WickEngine
        The engine whose ring holds every polynomial below; Gaussian variables
        :math:`x_1..x_n` and (with label noise) :math:`\varepsilon_1..\varepsilon_m`;
        parameters :math:`\theta`, :math:`W^*`, :math:`\Delta`, :math:`\Sigma_\varepsilon`.
    weights : tuple of sympy.Matrix
        :math:`W_1, \dots, W_L` (entry symbols).
    teacher : sympy.Matrix
        :math:`W^*` (free entries).
    gap : sympy.Matrix
        Free symbols :math:`\Delta_{ij}`, used only as a change of coordinates.
    label_noise_cov : sympy.Matrix
        :math:`\Sigma_\varepsilon` (general symmetric, or zero without label noise).
    x, eps : tuple of sympy.Symbol
        The Gaussian variables (``eps`` empty without label noise).
    per_sample_loss, population_loss : PolyElement
        :math:`\ell` and :math:`L = \mathbb{E}\ell` (Wick).
    per_sample_gradient, population_gradient : tuple of DomainMatrix
        :math:`\partial\ell/\partial W_l` and :math:`\partial L/\partial W_l`, each
        :math:`h_l \times h_{l-1}`, obtained by differentiating entry by entry.
    """

    widths: tuple[int, ...]
    engine: WickEngine
    weights: tuple[sp.Matrix, ...]
    teacher: sp.Matrix
    gap: sp.Matrix
    label_noise_cov: sp.Matrix
    x: tuple[sp.Symbol, ...]
    eps: tuple[sp.Symbol, ...]
    per_sample_loss: PolyElement
    population_loss: PolyElement
    per_sample_gradient: tuple[DomainMatrix, ...]
    population_gradient: tuple[DomainMatrix, ...]

    def ring_matrix(self, M: sp.Matrix) -> DomainMatrix:
        """A SymPy matrix (polynomial entries) as a matrix over the engine's ring."""
        return ring_matrix(M, self.engine.ring)

    def ring_weights(self) -> tuple[DomainMatrix, ...]:
        """:math:`W_1, \\dots, W_L` over the ring."""
        return tuple(self.ring_matrix(W) for W in self.weights)

    def stacked(self, layers: Sequence[DomainMatrix]) -> list[PolyElement]:
        r"""Column-major ``vec`` of each layer, stacked :math:`l = 1..L` (DESIGN.md §3)."""
        return [e for G in layers for e in vec(G).to_list_flat()]


def gradient_polynomials(widths: Sequence[int], *, label_noise: bool = True) -> GradientPolynomials:
    r"""Derive :math:`\ell`, :math:`L = \mathbb{E}\ell` and their layer gradients for a symbolic DLN.

    .. math:: \ell = \tfrac12\|W^*x + \varepsilon - W_L\cdots W_1 x\|^2,\qquad
       L = \mathbb{E}_{x,\varepsilon}\,\ell,\qquad
       (\nabla_{W_l}\ell)_{ij} = \partial\ell / \partial (W_l)_{ij}.

    Parameters
    ----------
    widths : sequence of int
        :math:`(h_0 = n, \dots, h_L = m)`, :math:`L \ge 1`.
    label_noise : bool
        With a general symmetric :math:`\Sigma_\varepsilon` (``True``) or none (``False``).

    Returns
    -------
    GradientPolynomials
    """
    h = check_widths(widths)
    n, m = h[0], h[-1]
    weights = weight_matrices(h)
    teacher = teacher_matrix((m, n))
    gap = gap_matrix((m, n))
    x = tuple(sp.Symbol(f"x_{i + 1}", real=True) for i in range(n))
    eps = tuple(sp.Symbol(f"eps_{i + 1}", real=True) for i in range(m)) if label_noise else ()
    cov = label_noise_covariance(m) if label_noise else sp.zeros(m, m)
    vectors = [GaussianVector(x)]
    if label_noise:
        vectors.append(GaussianVector(eps, sp.ImmutableMatrix(cov)))
    params = [*layer_parameters(weights), *teacher, *gap]
    engine = WickEngine(vectors, params)
    R = engine.ring
    Ws = tuple(ring_matrix(W, R) for W in weights)
    X = ring_matrix(sp.Matrix(x), R)
    residual = ring_matrix(teacher, R) * X - end_to_end(Ws) * X
    if label_noise:
        residual = residual + ring_matrix(sp.Matrix(eps), R)
    loss = sum((r**2 for r in residual.to_list_flat()), R.zero) / 2
    pop = engine.expectation(loss)

    def grads(p: PolyElement) -> tuple[DomainMatrix, ...]:
        out = []
        for W in weights:
            rows = [
                [p.diff(engine.generator(W[i, j])) for j in range(W.cols)] for i in range(W.rows)
            ]
            out.append(DomainMatrix(rows, W.shape, R.to_domain()))
        return tuple(out)

    return GradientPolynomials(
        widths=h,
        engine=engine,
        weights=weights,
        teacher=teacher,
        gap=gap,
        label_noise_cov=cov,
        x=x,
        eps=eps,
        per_sample_loss=loss,
        population_loss=pop,
        per_sample_gradient=grads(loss),
        population_gradient=grads(pop),
    )


def population_loss(
    weights: Sequence[sp.Matrix], teacher: sp.Matrix, label_noise_cov: sp.Matrix | None = None
) -> sp.Expr:
    r"""Population loss :math:`L = \mathbb{E}\,\tfrac12\|W^*x + \varepsilon - Wx\|^2` by Wick.

    Parameters
    ----------
    weights : sequence of sympy.Matrix
        :math:`W_1, \dots, W_L` (any polynomial entries).
    teacher : sympy.Matrix
        :math:`W^*`, :math:`m \times n`.
    label_noise_cov : sympy.Matrix, optional
        :math:`\Sigma_\varepsilon` (:math:`m \times m`); ``None`` for no label noise.

    Returns
    -------
    sympy.Expr
        The expanded expectation (equal to :math:`\tfrac12\operatorname{tr}\Delta\Delta^\top
        + \tfrac12\operatorname{tr}\Sigma_\varepsilon`, which the C1 claim proves).
    """
    teacher = sp.Matrix(teacher)
    m, n = teacher.shape
    W = end_to_end([sp.Matrix(Wl) for Wl in weights])
    if W.shape != (m, n):
        raise InvalidParameter(
            f"Got an end-to-end map of shape {W.shape}, but the teacher is {(m, n)}; they must agree."
        )
    x = sp.Matrix([sp.Dummy(f"x{i}") for i in range(n)])
    residual = (teacher - W) * x
    vectors = [GaussianVector(tuple(x))]
    if label_noise_cov is not None:
        e = sp.Matrix([sp.Dummy(f"e{i}") for i in range(m)])
        residual += e
        vectors.append(GaussianVector(tuple(e), sp.ImmutableMatrix(label_noise_cov)))
    loss = sp.expand((residual.T * residual)[0, 0] / 2)
    return gaussian_expectation(loss, vectors)


def _is_zero_matrix(M: DomainMatrix) -> bool:
    return all(not e for e in M.to_list_flat())


def _matexpr_is_zero(expr: sp.Basic) -> bool:
    """Whether a matrix expression expands to the zero matrix."""
    expanded = sp.expand(expr)
    return bool(expanded == 0 or getattr(expanded, "is_ZeroMatrix", False))


def _general_depth_steps() -> tuple[list[Step], bool]:
    r"""Matrix-calculus proof on matrix symbols of symbolic sizes (any depth).

    For any depth, :math:`W = A_l W_l B_l` with :math:`A_l, B_l` independent of
    :math:`W_l`; so the gradient of :math:`\tfrac12\operatorname{tr}(\Delta\Delta^\top)`
    and the adjoint of the Jacobian follow from the three-factor case.
    """
    m, hl, hk, n = sp.symbols("m h_l h_{l-1} n", integer=True, positive=True)
    A = sp.MatrixSymbol("A_l", m, hl)
    Wl = sp.MatrixSymbol("W_l", hl, hk)
    B = sp.MatrixSymbol("B_l", hk, n)
    T = sp.MatrixSymbol("W^*", m, n)
    G = sp.MatrixSymbol("G", m, n)
    D = T - A * Wl * B
    # Differentiate the W_l-dependent term alone: tr(Sigma_eps)/2 does not depend on W_l
    # (SymPy 1.14 returns 0 for the derivative of the whole sum, so split by linearity).
    grad = sp.diff(sp.Trace(D * D.T) / 2, Wl)
    stated = -A.T * D * B.T
    ok_grad = _matexpr_is_zero(grad - stated)
    adjoint = sp.diff(sp.Trace(G.T * A * Wl * B), Wl)
    ok_jac = _matexpr_is_zero(adjoint - A.T * G * B.T)
    steps = [
        Step(
            "general depth (matrix calculus, symbolic sizes): gradient of the population loss "
            "1/2 tr(Delta Delta^T) + 1/2 tr(Sigma_eps) through W = A_l W_l B_l",
            sp.Derivative(sp.Trace(D * D.T) / 2, Wl),
            stated,
        ),
        Step(
            "general depth: adjoint of the Jacobian, d tr(G^T A_l W_l B_l)/dW_l = A_l^T G B_l^T, "
            "i.e. d vec W / d vec W_l = B_l^T (x) A_l",
            sp.Derivative(sp.Trace(G.T * A * Wl * B), Wl),
            A.T * G * B.T,
        ),
    ]
    return steps, bool(ok_grad and ok_jac)


def _case(widths: tuple[int, ...]) -> tuple[dict, dict, bool]:
    gp = gradient_polynomials(widths, label_noise=True)
    engine, R = gp.engine, gp.engine.ring
    Ws = gp.ring_weights()
    As, Bs = partial_products(Ws)
    W = end_to_end(Ws)
    Delta = gp.ring_matrix(gp.teacher) - W
    Sig = gp.ring_matrix(gp.label_noise_cov)
    X = gp.ring_matrix(sp.Matrix(gp.x))
    E = gp.ring_matrix(sp.Matrix(gp.eps))
    residual = Delta * X + E
    ok = True
    # (a) population loss = 1/2 tr(Delta Delta^T) + 1/2 tr(Sigma_eps)
    trace_form = (
        sum((d**2 for d in Delta.to_list_flat()), R.zero)
        + sum((Sig.to_list()[i][i] for i in range(Sig.shape[0])), R.zero)
    ) / 2
    ok &= gp.population_loss == trace_form
    jacobians = []
    for l, (A, B) in enumerate(zip(As, Bs, strict=True)):
        # (b) population gradient
        ok &= _is_zero_matrix(
            gp.population_gradient[l] - (-(A.transpose() * Delta * B.transpose()))
        )
        # (c) per-sample gradient -A^T r x^T B^T
        per = -(A.transpose() * residual * X.transpose() * B.transpose())
        ok &= _is_zero_matrix(gp.per_sample_gradient[l] - per)
        # (d) Jacobian d vec W / d vec W_l
        gens = [engine.generator(s) for s in vec(gp.weights[l])]
        vW = vec(W).to_list_flat()
        jac = DomainMatrix(
            [[w.diff(g) for g in gens] for w in vW], (len(vW), len(gens)), R.to_domain()
        )
        ok &= _is_zero_matrix(jac - kronecker(B.transpose(), A))
        jacobians.append(jac)
    derived = {
        "population_loss": engine.to_expr(gp.population_loss),
        "gradient": tuple(_to_sympy(gp.population_gradient)),
        "jacobian": tuple(_to_sympy(jacobians)),
    }
    Ws_sp = gp.weights
    As_sp, Bs_sp = partial_products(Ws_sp)
    D_sp = gp.teacher - end_to_end(Ws_sp)
    stated = {
        "population_loss": (D_sp * D_sp.T).trace() / 2 + gp.label_noise_cov.trace() / 2,
        "gradient": tuple(-A.T * D_sp * B.T for A, B in zip(As_sp, Bs_sp, strict=True)),
        "jacobian": tuple(kronecker(B.T, A) for A, B in zip(As_sp, Bs_sp, strict=True)),
    }
    return derived, stated, bool(ok)


def _to_sympy(mats: Sequence[DomainMatrix]) -> list[sp.Matrix]:
    out = []
    for M in mats:
        rows = M.to_list()
        out.append(sp.Matrix([[e.as_expr() for e in row] for row in rows]))
    return out


def population_gradient_claim(
    *, shapes: Sequence[Sequence[int]] = GRADIENT_CASES
) -> DerivationResult:
    r"""C1 [Prop. 3.1]: population gradient :math:`-A_l^\top\Delta B_l^\top` and Jacobian :math:`B_l^\top\otimes A_l`.

    Derivation, at each concrete shape (entries of :math:`W_l`, :math:`W^*`,
    :math:`\Sigma_\varepsilon` all free symbols, :math:`\Sigma_\varepsilon` general symmetric):

    1. Wick: :math:`L = \mathbb{E}\,\tfrac12\|\Delta x + \varepsilon\|^2
       = \tfrac12\operatorname{tr}\Delta\Delta^\top + \tfrac12\operatorname{tr}\Sigma_\varepsilon`.
    2. Differentiating :math:`L` entry by entry:
       :math:`\nabla_{W_l}L = -A_l^\top\Delta B_l^\top` (Prop. 3.1), and the per-sample
       gradient :math:`\nabla_{W_l}\ell = -A_l^\top(\Delta x + \varepsilon)x^\top B_l^\top`.
    3. Differentiating :math:`\operatorname{vec}W` by :math:`\operatorname{vec}W_l`
       (column-major): :math:`B_l^\top \otimes A_l`; hence
       :math:`\operatorname{vec}\nabla_{W_l}L = -(B_l^\top\otimes A_l)^\top\operatorname{vec}\Delta`.

    Each identity is an exact polynomial identity (difference expanded to zero).  For general
    depth and symbolic sizes, SymPy's matrix calculus proves
    :math:`\partial_{W_l}\tfrac12\operatorname{tr}(\Delta\Delta^\top) = -A_l^\top\Delta B_l^\top`
    and :math:`\partial_{W_l}\operatorname{tr}(G^\top A_l W_l B_l) = A_l^\top G B_l^\top`
    (the adjoint form of the Jacobian), using only :math:`W = A_l W_l B_l`; the
    degree-two Wick step (:math:`\mathbb{E}xx^\top = I`) behind the trace form is proven at
    the concrete sizes only.

    Parameters
    ----------
    shapes : sequence of sequences of int
        The shapes :math:`(h_0, \dots, h_L)` to prove; default :data:`GRADIENT_CASES`.

    Returns
    -------
    DerivationResult
        ``claim="C1"``; ``derived``/``stated`` map each shape to a dict with
        ``"population_loss"``, ``"gradient"`` (one matrix per layer), ``"jacobian"``.
    """
    cases = check_shapes(shapes)
    derived, stated = {}, {}
    holds = True
    for case in cases:
        d, s, ok = _case(case)
        derived[case], stated[case] = d, s
        holds &= ok
    general_steps, general_ok = _general_depth_steps()
    holds &= general_ok
    Lsym = sp.Symbol("L")
    m, n = sp.symbols("m n", integer=True, positive=True)
    Dm = sp.MatrixSymbol("Delta", m, n)
    Sm = sp.MatrixSymbol("Sigma_varepsilon", m, m)
    steps = [
        Step(
            "Wick expectation of the per-sample loss (proven at every listed shape)",
            Lsym,
            sp.Trace(Dm * Dm.T) / 2 + sp.Trace(Sm) / 2,
        ),
        Step(
            "entrywise derivative of the Wick-expected loss (proven at every listed shape)",
            sp.Symbol(r"\nabla_{W_l} L"),
            -sp.MatrixSymbol("A_l", m, sp.Symbol("h_l")).T
            * Dm
            * sp.MatrixSymbol("B_l", sp.Symbol("h_{l-1}"), n).T,
        ),
        *general_steps,
    ]
    return DerivationResult(
        claim="C1",
        derived=derived,
        stated=stated,
        holds=bool(holds),
        steps=tuple(steps),
        cases=(
            *(f"widths={c}, general symmetric Sigma_eps" for c in cases),
            "general depth, symbolic sizes (matrix calculus)",
        ),
        findings=(),
    )
