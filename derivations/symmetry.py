r"""C2 [Sec. 3, remark after Prop. 3.1]: the :math:`GL(h_l)` symmetry of a deep linear network.

For an invertible :math:`G \in GL(h_l)` acting on a hidden layer,

.. math:: \varphi_G:\ W_{l+1} \mapsto W_{l+1}G^{-1},\quad W_l \mapsto G W_l
   \quad(\text{other layers fixed}),

leaves :math:`W = W_L\cdots W_1`, hence the loss, unchanged, and the gradient derived in C1
transforms covariantly,

.. math:: \nabla_{W_{l+1}}L(\varphi_G\theta) = \nabla_{W_{l+1}}L(\theta)\,G^\top,\qquad
   \nabla_{W_l}L(\varphi_G\theta) = G^{-\top}\,\nabla_{W_l}L(\theta),

other blocks unchanged.  The gradient map is thus conjugated by an invertible linear map, so
:math:`\varphi_G` maps the critical set (and each level set of the loss) onto itself.

Derived by substitution in the polynomials of :func:`derivations.gradient.gradient_polynomials`
with a generic symbolic :math:`G`.  Fractions are avoided exactly: :math:`G^{-1} =
c\,\operatorname{adj}G` with a new symbol :math:`c` standing for :math:`1/\det G`; a polynomial
:math:`P = \sum_k p_k c^k` vanishes at :math:`c = 1/\det G` iff
:math:`\sum_k p_k (\det G)^{D-k} = 0` (:math:`D` its degree in :math:`c`), a polynomial
identity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp
from sympy.polys.matrices import DomainMatrix
from sympy.polys.rings import PolyElement, PolyRing

from derivations.gradient import gradient_polynomials
from derivations.result import DerivationResult, Step
from derivations.symbolic_network import check_shapes, check_widths, end_to_end
from dlnverify.errors import InvalidParameter

__all__ = [
    "SYMMETRY_CASES",
    "SymmetryCheck",
    "symmetry_check",
    "symmetry_claim",
]

#: Default (widths, hidden layer l) pairs for C2: square and wide hidden layers, depth 2 and 3.
SYMMETRY_CASES: tuple[tuple[tuple[int, ...], int], ...] = (
    ((2, 2, 2), 1),
    ((2, 3, 2), 1),
    ((3, 2, 2), 1),
    ((2, 2, 2, 2), 1),
    ((2, 2, 2, 2), 2),
)


@dataclass(frozen=True)
class SymmetryCheck:
    r"""Outcome of substituting :math:`\varphi_G` into the C1 loss and gradient.

    Attributes
    ----------
    widths : tuple[int, ...]
        :math:`(h_0, \dots, h_L)`.
    layer : int
        The hidden layer :math:`l` (:math:`1 \le l \le L-1`) that :math:`G` acts on.
    end_to_end_invariant : bool
        :math:`W(\varphi_G\theta) = W(\theta)`.
    loss_invariant : bool
        :math:`L(\varphi_G\theta) = L(\theta)`.
    gradient_law_holds : bool
        The covariant law of the module docstring, for every layer.
    """

    widths: tuple[int, ...]
    layer: int
    end_to_end_invariant: bool
    loss_invariant: bool
    gradient_law_holds: bool


def _adjugate(G: sp.Matrix) -> sp.Matrix:
    return G.adjugate()


def _clear_inverse(P: PolyElement, c_index: int, det: PolyElement) -> PolyElement:
    r""":math:`\sum_k p_k\det^{D-k}` for :math:`P = \sum_k p_k c^k`: zero iff :math:`P(c = 1/\det) = 0`."""
    R = P.ring
    groups: dict[int, dict[tuple[int, ...], object]] = {}
    for mon, coeff in P.items():
        k = mon[c_index]
        groups.setdefault(k, {})[(*mon[:c_index], 0, *mon[c_index + 1 :])] = coeff
    if not groups:
        return R.zero
    top = max(groups)
    return sum((R(terms) * det ** (top - k) for k, terms in groups.items()), R.zero)


def _dm(rows: list[list[PolyElement]], R: PolyRing) -> DomainMatrix:
    return DomainMatrix(rows, (len(rows), len(rows[0])), R.to_domain())


def symmetry_check(
    widths: Sequence[int],
    layer: int,
    *,
    right_factor: str = "inverse",
    gradient_law: str = "covariant",
) -> SymmetryCheck:
    r"""Substitute :math:`\varphi_G` into the derived loss and gradient and test the laws.

    Parameters
    ----------
    widths : sequence of int
        :math:`(h_0, \dots, h_L)` with :math:`L \ge 2`.
    layer : int
        Hidden layer :math:`l`, :math:`1 \le l \le L - 1`; :math:`G` is
        :math:`h_l \times h_l` with free entries ``g_{a}_{b}``.
    right_factor : {"inverse", "transpose"}
        :math:`W_{l+1} \mapsto W_{l+1}G^{-1}` (the symmetry) or :math:`W_{l+1}G^\top` (a
        perturbation that must break it).
    gradient_law : {"covariant", "contravariant"}
        The law tested: ``"covariant"`` is the module docstring's; ``"contravariant"``
        (:math:`\nabla_{l+1} \mapsto \nabla_{l+1}G^{-1}`, :math:`\nabla_l \mapsto G\nabla_l`,
        the transformation of the weights themselves) is a perturbation that must fail.
    """
    h = check_widths(widths)
    L = len(h) - 1
    if int(layer) != layer or not 1 <= layer <= L - 1:
        raise InvalidParameter(
            f"Got {layer=}, but layer must be a hidden layer, an integer in [1, {L - 1}]."
        )
    if right_factor not in ("inverse", "transpose"):
        raise InvalidParameter(f"Got {right_factor=}, but it must be 'inverse' or 'transpose'.")
    if gradient_law not in ("covariant", "contravariant"):
        raise InvalidParameter(
            f"Got {gradient_law=}, but it must be 'covariant' or 'contravariant'."
        )
    gp = gradient_polynomials(h, label_noise=True)
    size = h[layer]
    G = sp.Matrix(size, size, lambda a, b: sp.Symbol(f"g_{a + 1}_{b + 1}", real=True))
    c = sp.Symbol("c_invdet", real=True)
    R0 = gp.engine.ring
    R = PolyRing((*R0.symbols, *G, c), sp.QQ, R0.order)
    c_index = R.symbols.index(c)

    def el(expr: sp.Expr) -> PolyElement:
        return R.from_expr(expr)

    def lift(p: PolyElement) -> PolyElement:
        return p.set_ring(R)

    Gr = [[el(G[a, b]) for b in range(size)] for a in range(size)]
    adj = _adjugate(G)
    det = el(G.det())
    Ginv = [[el(adj[a, b]) * R.gens[c_index] for b in range(size)] for a in range(size)]
    Gt = [[Gr[b][a] for b in range(size)] for a in range(size)]
    right = Ginv if right_factor == "inverse" else Gt
    W_up, W_lo = gp.weights[layer], gp.weights[layer - 1]  # W_{l+1}, W_l (0-based lists)
    up = _dm([[el(W_up[i, j]) for j in range(W_up.cols)] for i in range(W_up.rows)], R)
    lo = _dm([[el(W_lo[i, j]) for j in range(W_lo.cols)] for i in range(W_lo.rows)], R)
    new_up = (up * _dm(right, R)).to_list()
    new_lo = (_dm(Gr, R) * lo).to_list()
    images = [
        (R.gens[R.symbols.index(W_up[i, j])], new_up[i][j])
        for i in range(W_up.rows)
        for j in range(W_up.cols)
    ] + [
        (R.gens[R.symbols.index(W_lo[i, j])], new_lo[i][j])
        for i in range(W_lo.rows)
        for j in range(W_lo.cols)
    ]

    def transformed(p: PolyElement) -> PolyElement:
        return lift(p).compose(images)

    def vanishes(p: PolyElement) -> bool:
        return not _clear_inverse(p, c_index, det)

    # end-to-end map
    Ws = [_dm([[el(W[i, j]) for j in range(W.cols)] for i in range(W.rows)], R) for W in gp.weights]
    W_before = end_to_end(Ws).to_list_flat()
    e2e_ok = all(vanishes(w.compose(images) - w) for w in W_before)
    # loss
    loss_ok = vanishes(transformed(gp.population_loss) - lift(gp.population_loss))
    # gradient law
    if gradient_law == "covariant":
        up_map, lo_map = Gt, [[Ginv[b][a] for b in range(size)] for a in range(size)]
    else:
        up_map, lo_map = Ginv, Gr
    law_ok = True
    for idx, grad in enumerate(gp.population_gradient):
        rows = [[lift(e) for e in row] for row in grad.to_list()]
        new = _dm([[transformed(e) for e in row] for row in grad.to_list()], R)
        old = _dm(rows, R)
        if idx == layer:  # W_{l+1}
            expected = old * _dm(up_map, R)
        elif idx == layer - 1:  # W_l
            expected = _dm(lo_map, R) * old
        else:
            expected = old
        law_ok &= all(vanishes(e) for e in (new - expected).to_list_flat())
    return SymmetryCheck(h, int(layer), bool(e2e_ok), bool(loss_ok), bool(law_ok))


def symmetry_claim(
    *, cases: Sequence[tuple[Sequence[int], int]] = SYMMETRY_CASES
) -> DerivationResult:
    r"""C2 [Sec. 3]: loss and critical set are invariant under :math:`GL(h_l)` acting on a hidden layer.

    For each ``(widths, l)`` with a generic symbolic :math:`G` (entries free symbols,
    :math:`\det G \ne 0`) and general symmetric :math:`\Sigma_\varepsilon`, proves exactly:

    1. :math:`W(\varphi_G\theta) = W(\theta)`;
    2. :math:`L(\varphi_G\theta) = L(\theta)` for the Wick-derived population loss (C1);
    3. the covariant gradient law
       :math:`\nabla_{W_{l+1}}L\circ\varphi_G = (\nabla_{W_{l+1}}L)\,G^\top`,
       :math:`\nabla_{W_l}L\circ\varphi_G = G^{-\top}\nabla_{W_l}L`, other blocks equal.

    Since :math:`X \mapsto XG^\top` and :math:`X \mapsto G^{-\top}X` are invertible,
    :math:`\nabla L(\theta) = 0 \iff \nabla L(\varphi_G\theta) = 0`: the zero set of the
    gradient is mapped onto itself (and so is every level set of the loss).

    Parameters
    ----------
    cases : sequence of (widths, layer)
        Default :data:`SYMMETRY_CASES`.

    Returns
    -------
    DerivationResult
        ``claim="C2"``; ``derived[(widths, l)]`` is the :class:`SymmetryCheck`.
    """
    try:
        parsed = [(tuple(w), int(l)) for w, l in cases]
    except (TypeError, ValueError) as e:
        raise InvalidParameter(
            f"Got {cases=}, but cases must be a sequence of (widths, layer) pairs."
        ) from e
    check_shapes([w for w, _ in parsed])
    derived = {}
    holds = True
    for widths, layer in parsed:
        chk = symmetry_check(widths, layer)
        derived[tuple(widths), layer] = chk
        holds &= chk.end_to_end_invariant and chk.loss_invariant and chk.gradient_law_holds
    n_sym = sp.Symbol("h_l", integer=True, positive=True)
    G = sp.MatrixSymbol("G", n_sym, n_sym)
    gl = sp.Symbol(r"\nabla_{W_l}L")
    gu = sp.Symbol(r"\nabla_{W_{l+1}}L")
    steps = (
        Step(
            "end-to-end map under W_{l+1} -> W_{l+1} G^{-1}, W_l -> G W_l (proven per case)",
            sp.MatrixSymbol("W_{l+1}", 1, n_sym) * G.I * G * sp.MatrixSymbol("W_l", n_sym, 1),
            sp.MatrixSymbol("W_{l+1}", 1, n_sym) * sp.MatrixSymbol("W_l", n_sym, 1),
        ),
        Step(
            "loss invariance (Wick-derived loss, proven per case)",
            sp.Symbol("L(varphi_G theta)"),
            sp.Symbol("L(theta)"),
        ),
        Step(
            "gradient of W_{l+1} at the transformed point (proven per case)",
            sp.Function(r"\nabla_{W_{l+1}}L")(sp.Symbol(r"\varphi_G\theta")),
            gu * sp.Symbol("G^T"),
        ),
        Step(
            "gradient of W_l at the transformed point (proven per case)",
            sp.Function(r"\nabla_{W_l}L")(sp.Symbol(r"\varphi_G\theta")),
            sp.Symbol("G^{-T}") * gl,
        ),
    )
    return DerivationResult(
        claim="C2",
        derived=derived,
        stated={
            "loss": "L(varphi_G theta) = L(theta)",
            "gradient": "grad_{l+1} -> grad_{l+1} G^T, grad_l -> G^{-T} grad_l",
        },
        holds=bool(holds),
        steps=steps,
        cases=tuple(
            f"widths={w}, G acting on hidden layer {l} (generic {w[l]}x{w[l]})" for w, l in parsed
        ),
        findings=(
            "The paper states invariance of the loss and of the zero set; the derivation "
            "sharpens it: the gradient transforms covariantly (grad_{l+1} G^T, G^{-T} grad_l), "
            "not like the weights, so the flow is not equivariant unless G is orthogonal.",
        ),
    )
