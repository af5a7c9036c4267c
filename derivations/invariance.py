r"""Are balance (A1) and alignment (A2) invariant under the SGD diffusion? (C14)

Beyond the paper (seed 003): Prop. 3.5 assumes (A1) :math:`W_{l+1}^\top W_{l+1} = W_lW_l^\top`
and (A2) zero cross-mode amplitudes "for all times"; the paper notes (A1) is preserved by
gradient flow.  Here the drift of the layer imbalance
:math:`G_l = W_{l+1}^\top W_{l+1} - W_lW_l^\top` and of the cross-mode amplitudes
:math:`s_{ab} = u_a^\top W v_b` under :math:`d\theta = -\nabla L\,dt + \sqrt{\kappa\Sigma}\,dW`
are derived.  For a polynomial :math:`f(\theta)` of degree :math:`\le 2` in each layer
direction used here, Itô's formula gives the drift

.. math:: \frac{d}{dt}f(\theta - t\nabla L)\Big|_{t=0}
          + \kappa\,\mathbb E\bigl[[t^2]\,f(\theta + t\xi)\bigr],

(gradient part + noise part; for :math:`G_l` the noise part is
:math:`\kappa(\mathbb E[\xi_{l+1}^\top\xi_{l+1}] - \mathbb E[\xi_l\xi_l^\top])`).

Results:

* gradient part of the drift of :math:`G_l`: exactly zero at any weights
  (:math:`W_{l+1}^\top\nabla_{l+1}L = \nabla_lL\,W_l^\top = -A_l^\top\Delta B_{l+1}^\top`);
* noise part on the aligned-balanced manifold (square widths, coordinates :math:`c` of the
  :math:`R_l` basis, amplitudes :math:`s_c\ge0`, gaps :math:`D_c`, :math:`0^0 = 1`): diagonal,

  .. math:: \kappa\Bigl[s_c^{2l/L}\sum_{i\ne c}s_i^{2(L-l-1)/L}(D_i^2+\sigma_\varepsilon^2)
            - s_c^{2(L-l)/L}(D_c^2+\sigma_\varepsilon^2)\sum_{j\ne c}s_j^{2(l-1)/L}\Bigr],

  not zero in general (the self terms cancel; a single coordinate keeps its balance);
* cross-mode amplitudes: drift exactly zero on the manifold (gradient and Itô parts), but
  diffusion :math:`\kappa\bigl(\sum_l s_a^{2(L-l)/L}s_b^{2(l-1)/L}\bigr)^2
  \bigl((\sigma_a-s_a)^2+\sigma_\varepsilon^2\bigr) > 0`.

So (A1) is not invariant, not even in expectation; (A2) is invariant in expectation to first
order (zero drift) but not pathwise: the noise pushes the state off the manifold.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import sympy as sp

from derivations.aligned_balanced import balanced_product, generic_summation
from derivations.conventions import L, kappa, s, s_b, sigma, sigma_b, sigma_eps
from derivations.gradient import population_loss
from derivations.modewise import second_order_amplitude
from derivations.output_noise import (
    expect_quadratic,
    is_zero_polynomial,
    layer_noise,
    noise_second_moments,
    noise_symbols,
)
from derivations.result import DerivationResult, Finding, Math, Step
from derivations.symbolic_network import (
    check_shapes,
    end_to_end,
    ntk_operator,
    symbolic_matrix,
    weight_matrices,
)
from dlnverify.errors import InvalidParameter

__all__ = [
    "CROSS_MODE_DRIFT_DEPTHS",
    "assumption_invariance_claim",
    "cross_mode_diffusion",
    "cross_mode_drift",
    "cross_mode_dynamics",
    "imbalance_gradient_drift_claim",
    "imbalance_noise_drift",
    "imbalance_noise_drift_stated",
    "mode_imbalance_drift",
    "mode_imbalance_drift_gaps",
]

_SHAPES: tuple[tuple[int, ...], ...] = ((2, 3, 2), (3, 2, 2, 2))


def _iv(depth: int, n_coords: int, minimum_depth: int) -> None:
    if not isinstance(depth, int) or depth < minimum_depth:
        raise InvalidParameter(
            f"Got depth={depth!r}, but depth must be an integer >= {minimum_depth}."
        )
    if not isinstance(n_coords, int) or n_coords < 1:
        raise InvalidParameter(f"Got n_coords={n_coords!r}, but n_coords must be an integer >= 1.")


def _population_gradients(weights, teacher) -> list[sp.Matrix]:
    """Gradients of the Wick-expected population loss 1/2 E||(W* - W)x + eps||^2,
    :math:`\varepsilon = Sz` with a symbolic root ``S``."""
    m = weights[-1].rows
    label = symbolic_matrix("S", m, m)
    loss = population_loss(weights, teacher, label * label.T)
    return [w.applyfunc(lambda e: sp.diff(loss, e)) for w in weights]


def imbalance_gradient_drift_claim(
    *, shapes: Sequence[Sequence[int]] = _SHAPES
) -> DerivationResult:
    r"""C14: the gradient part of the drift of :math:`G_l` vanishes at any weights.

    Derived: :math:`\frac{d}{dt}G_l(\theta - t\nabla L)|_0 = -(g_{l+1}^\top W_{l+1} +
    W_{l+1}^\top g_{l+1}) + g_lW_l^\top + W_lg_l^\top` with :math:`g_l` obtained by
    differentiating the Gaussian-expected loss (symbolic weights and teacher).  Stated: 0.
    """
    shapes = check_shapes(shapes, int_entries=True)
    holds = True
    steps = []
    for widths in shapes:
        if len(widths) < 3:
            raise InvalidParameter(f"Got widths={widths!r}, but the imbalance needs depth >= 2.")
        weights = list(weight_matrices(widths, index_base=0))
        teacher = symbolic_matrix("Wstar", widths[-1], widths[0])
        grads = _population_gradients(weights, teacher)
        t = sp.Symbol("_t")
        for l in range(1, len(weights)):
            moved = [w - t * g for w, g in zip(weights, grads, strict=True)]
            imbalance = moved[l].T * moved[l] - moved[l - 1] * moved[l - 1].T
            first = sp.Matrix(
                imbalance.rows, imbalance.cols, [sp.diff(e, t).subs(t, 0) for e in imbalance]
            )
            holds &= all(is_zero_polynomial(e) for e in first)
        steps.append(Step(f"d/dt G_l(theta - t grad L) at widths={widths}", sp.Symbol("dG"), first))
    return DerivationResult(
        claim="C14",
        derived="gradient part of dG_l/dt (see steps)",
        stated=sp.Integer(0),
        holds=holds,
        steps=tuple(steps),
        cases=tuple(f"widths={tuple(w)}" for w in shapes),
    )


def _diagonal_network(depth: int, n_coords: int):
    roots = tuple(sp.Symbol(f"t_{c}", nonnegative=True) for c in range(1, n_coords + 1))
    sings = tuple(sp.Symbol(f"sigma_{c}", nonnegative=True) for c in range(1, n_coords + 1))
    weights = [sp.diag(*roots) for _ in range(depth)]
    gap = sp.diag(*sings) - end_to_end(weights)
    moments = noise_second_moments(gap, sigma_eps * sp.eye(n_coords))
    noise = noise_symbols(n_coords, n_coords)
    xis = layer_noise(weights, noise)
    return roots, sings, weights, gap, moments, noise, xis


@cache
def imbalance_noise_drift(*, depth: int, n_coords: int) -> tuple[sp.Matrix, ...]:
    r"""Noise part :math:`\kappa\,\mathbb E[[t^2]G_l(\theta+t\xi)]` of the drift of every
    :math:`G_l`, :math:`l = 1..L-1`, on the aligned-balanced manifold in the :math:`R_l`
    basis, derived from matrices (identity bases, balanced diagonal weights
    :math:`a_{l,c} = t_c = s_c^{1/L}`, teacher :math:`\operatorname{diag}(\sigma_c)`)."""
    _iv(depth, n_coords, 2)
    _, _, _, _, moments, noise, xis = _diagonal_network(depth, n_coords)
    out = []
    for l in range(1, depth):
        second = xis[l].T * xis[l] - xis[l - 1] * xis[l - 1].T
        out.append(
            second.applyfunc(lambda e: sp.expand(kappa * expect_quadratic(e, noise, moments)))
        )
    return tuple(out)


def imbalance_noise_drift_stated(*, depth: int, n_coords: int) -> tuple[sp.Matrix, ...]:
    """The general formula of the module docstring at a concrete depth, in the roots
    ``t_c = s_c^(1/L)`` (a statement, compared with :func:`imbalance_noise_drift`)."""
    _iv(depth, n_coords, 2)
    roots = tuple(sp.Symbol(f"t_{c}", nonnegative=True) for c in range(1, n_coords + 1))
    sings = tuple(sp.Symbol(f"sigma_{c}", nonnegative=True) for c in range(1, n_coords + 1))
    gaps = [sings[c] - roots[c] ** depth for c in range(n_coords)]
    out = []
    for l in range(1, depth):
        entries = []
        for c in range(n_coords):
            up = sum(
                (
                    roots[i] ** (2 * (depth - l - 1)) * (gaps[i] ** 2 + sigma_eps**2)
                    for i in range(n_coords)
                    if i != c
                ),
                sp.Integer(0),
            )
            down = sum(
                (roots[j] ** (2 * (l - 1)) for j in range(n_coords) if j != c), sp.Integer(0)
            )
            entries.append(
                kappa
                * (
                    roots[c] ** (2 * l) * up
                    - roots[c] ** (2 * (depth - l)) * (gaps[c] ** 2 + sigma_eps**2) * down
                )
            )
        out.append(sp.diag(*entries))
    return tuple(out)


@cache
def cross_mode_dynamics(*, depth: int, n_modes: int = 2) -> dict[str, sp.Expr]:
    r"""Drift and diffusion of the cross-mode amplitude :math:`s_{12} = u_1^\top Wv_2` on the
    aligned-balanced manifold, derived from matrices.

    Gradient part :math:`u_1^\top\Theta(\Delta)v_2`; Itô part
    :math:`\kappa\sum_{l<k}\mathbb E[u_1^\top A_k\xi_kM_{kl}\xi_lB_lv_2]`; diffusion
    :math:`\kappa\,\mathbb E[(u_1^\top\Theta(N)v_2)^2]`.  Returned with the stated diffusion
    :math:`\kappa(\sum_l t_1^{2(L-l)}t_2^{2(l-1)})^2((\sigma_1-t_1^L)^2+\sigma_\varepsilon^2)`.
    """
    _iv(depth, n_modes, 1)
    if n_modes < 2:
        raise InvalidParameter(f"Got n_modes={n_modes}, but a cross mode needs n_modes >= 2.")
    roots, sings, weights, gap, moments, noise, xis = _diagonal_network(depth, n_modes)
    e1, e2 = sp.eye(n_modes)[:, 0], sp.eye(n_modes)[:, 1]
    gradient = sp.expand((e1.T * ntk_operator(weights, gap) * e2)[0, 0])
    second = second_order_amplitude(weights, xis, e1, e2)
    ito = sp.expand(kappa * expect_quadratic(second, noise, moments))
    lin = (e1.T * ntk_operator(weights, noise) * e2)[0, 0]
    diffusion = sp.expand(kappa * expect_quadratic(lin * lin, noise, moments))
    eigen = sum(
        (roots[0] ** (2 * (depth - l)) * roots[1] ** (2 * (l - 1)) for l in range(1, depth + 1)),
        sp.Integer(0),
    )
    stated = sp.expand(kappa * eigen**2 * ((sings[0] - roots[0] ** depth) ** 2 + sigma_eps**2))
    return {
        "gradient_drift": gradient,
        "ito_drift": ito,
        "diffusion": diffusion,
        "diffusion_stated": stated,
    }


_LAYER = sp.Symbol("l", integer=True, positive=True)


@cache
def cross_mode_diffusion(depth: int | None = None) -> sp.Expr:
    r"""Diffusion of the cross-mode amplitude :math:`s_{ab} = u_a^\top W v_b` on the
    aligned-balanced manifold, mode :math:`a` of amplitude :math:`s` (teacher :math:`\sigma`),
    mode :math:`b` of amplitude :math:`s_b`, in the conventions' symbols.

    On the manifold the NTK operator maps :math:`N` to
    :math:`u_a^\top\Theta(N)v_b = c_{ab}N_{ab}` with

    .. math:: c_{ab} = \sum_{l=1}^L (A_lA_l^\top)_{aa}(B_l^\top B_l)_{bb}
              = \sum_{l=1}^L s^{2(L-l)/L}s_b^{2(l-1)/L}

    (products of :math:`s^{1/L}`, :math:`s_b^{1/L}` over layer ranges, summed by
    ``summation``), so the diffusion is :math:`\kappa c_{ab}^2\,\mathbb E[N_{ab}^2]`, the
    second moment a Gaussian expectation (:func:`derivations.output_noise.
    noise_second_moments`).  For symbolic :math:`L` the sum is geometric in
    :math:`q = (s_b/s)^{2/L}`; SymPy's closed form holds for :math:`q \ne 1`, i.e.
    :math:`s_b \ne s` (at :math:`s_b = s`, :math:`c_{ab} = Ls^{2-2/L}`, the limit).  It does
    not involve :math:`\sigma_b`.

    Parameters
    ----------
    depth : int, optional
        A concrete depth: the sum over layers is carried out term by term (valid at
        :math:`s_b = s` too).
    """
    term = sp.powsimp(
        balanced_product(s, _LAYER + 1, L) ** 2 * balanced_product(s_b, 1, _LAYER - 1) ** 2,
        force=True,
    )
    if depth is None:
        eigenvalue = sp.simplify(generic_summation(term, (_LAYER, 1, L)))
    else:
        _iv(depth, 2, 1)
        eigenvalue = sp.Add(*(term.subs({L: depth, _LAYER: l}) for l in range(1, depth + 1)))
    d_a, d_b = sp.symbols("D_a D_b", real=True)
    moments = noise_second_moments(sp.diag(d_a, d_b), sigma_eps * sp.eye(2))
    # column-major vec of a 2 x 2 matrix: N_11, N_21, N_12, N_22; N_ab = N_12 is entry 2
    second_moment = moments[2, 2]
    if second_moment.has(d_b):
        raise AssertionError(f"E[N_ab^2] depends on the gap of mode b: {second_moment}")
    return kappa * eigenvalue**2 * second_moment.subs(d_a, sigma - s)


def _cross_mode_diffusion_agrees(depth: int) -> bool:
    """The depth-general :func:`cross_mode_diffusion` equals the matrix derivation of
    :func:`cross_mode_dynamics` at ``depth`` (two modes, roots ``t_c = s_c^(1/L)``)."""
    roots = sp.symbols("t_1 t_2", positive=True)
    matrix = cross_mode_dynamics(depth=depth, n_modes=2)["diffusion"]
    matrix = matrix.subs(
        {sp.Symbol(f"t_{c}", nonnegative=True): roots[c - 1] for c in (1, 2)}
        | {sp.Symbol("sigma_1", nonnegative=True): sigma}
    )
    general = (
        cross_mode_diffusion().subs(L, depth).subs({s: roots[0] ** depth, s_b: roots[1] ** depth})
    )
    return sp.cancel(sp.powsimp(general - matrix, force=True)) == 0


#: Depths at which :func:`cross_mode_drift` derives the drift for its depth-free form.
CROSS_MODE_DRIFT_DEPTHS = (1, 2, 3, 4, 5, 6)


@cache
def cross_mode_drift(depth: int | None = None) -> sp.Expr:
    r"""Drift (gradient part plus Itô part) of the cross-mode amplitude
    :math:`s_{ab} = u_a^\top W v_b` on the aligned-balanced manifold, mode :math:`a`
    (:math:`s`, :math:`\sigma`), mode :math:`b` (:math:`s_b`, :math:`\sigma_b`), in the
    conventions' symbols: the matrix derivation :func:`cross_mode_dynamics` at ``depth``.

    ``depth=None``: the value the derivation gives at every depth of
    :data:`CROSS_MODE_DRIFT_DEPTHS` (it must be the same expression, free of the depth, or
    an ``AssertionError`` is raised).  It is 0: :math:`\Delta` is diagonal in the teacher's
    bases, so the gradient part :math:`c_{ab}\Delta_{ab}` vanishes, and the output-noise
    moments :math:`\mathbb E[N_{ac}N_{cb}]` behind the Itô part vanish for :math:`a \ne b`.
    """
    if depth is not None:
        parts = cross_mode_dynamics(depth=depth, n_modes=2)
        names = {
            sp.Symbol("t_1", nonnegative=True): s ** (1 / sp.Integer(depth)),
            sp.Symbol("t_2", nonnegative=True): s_b ** (1 / sp.Integer(depth)),
            sp.Symbol("sigma_1", nonnegative=True): sigma,
            sp.Symbol("sigma_2", nonnegative=True): sigma_b,
        }
        return sp.simplify((parts["gradient_drift"] + parts["ito_drift"]).subs(names))
    values = {cross_mode_drift(d) for d in CROSS_MODE_DRIFT_DEPTHS}
    if len(values) != 1:
        raise AssertionError(f"the cross-mode drift depends on the depth: {values}")
    return values.pop()


def _layer_imbalance_terms() -> tuple[tuple[sp.Expr, sp.Expr], tuple[sp.Expr, sp.Expr]]:
    r"""The two terms of the noise drift of :math:`(G_l)_{aa}` (module docstring) for a
    network of two coordinates, mode :math:`a` = (:math:`s`, :math:`\sigma`) and mode
    :math:`b` = (:math:`s_b`, :math:`\sigma_b`), at layer :data:`_LAYER`, without
    :math:`\kappa`, each as (layer factor, noise factor): the gain from mode :math:`b`'s noise
    and the loss from mode :math:`a`'s."""
    gain = balanced_product(s, 1, _LAYER) ** 2 * balanced_product(s_b, _LAYER + 2, L) ** 2
    loss = balanced_product(s, _LAYER + 1, L) ** 2 * balanced_product(s_b, 1, _LAYER - 1) ** 2
    return (
        (sp.powsimp(gain, force=True), (sigma_b - s_b) ** 2 + sigma_eps**2),
        (sp.powsimp(loss, force=True), (sigma - s) ** 2 + sigma_eps**2),
    )


@cache
def mode_imbalance_drift(depth: int | None = None) -> sp.Expr:
    r"""Drift of the end-to-end imbalance :math:`a_{L,a}^2 - a_{1,a}^2 = \sum_{l=1}^{L-1}
    (G_l)_{aa}` of mode :math:`a` (amplitude :math:`s`, teacher :math:`\sigma`) on the
    aligned-balanced manifold of a network of width 2 with a second mode :math:`b`
    (:math:`s_b`, :math:`\sigma_b`): the gradient part is zero
    (:func:`imbalance_gradient_drift_claim`), the noise part of each layer is the diagonal
    entry of the module docstring (proven against the matrices by
    :func:`assumption_invariance_claim`), its layer factors summed over :math:`l` by
    ``summation``:

    .. math:: \kappa\bigl((\sigma_b - s_b)^2 - (\sigma - s)^2\bigr)
              \sum_{l=1}^{L-1} s^{2l/L}s_b^{2(L-1-l)/L}

    (the two layer sums are equal and the label noise cancels).  For symbolic :math:`L` a
    closed form valid for :math:`s_b \ne s`; a concrete ``depth`` (:math:`\ge 2`) sums term
    by term.  Compared with the matrix derivation by :func:`mode_imbalance_drift_gaps`.
    """
    (gain, gain_noise), (loss, loss_noise) = _layer_imbalance_terms()
    if depth is None:
        gains = sp.simplify(generic_summation(gain, (_LAYER, 1, L - 1)))
        losses = sp.simplify(generic_summation(loss, (_LAYER, 1, L - 1)))
        return kappa * (gains * gain_noise - losses * loss_noise)
    _iv(depth, 2, 2)
    return kappa * sp.Add(
        *(
            (gain * gain_noise - loss * loss_noise).subs({L: depth, _LAYER: l})
            for l in range(1, depth)
        )
    )


def mode_imbalance_drift_gaps(depths: Sequence[int] = (2, 3, 4)) -> dict[int, sp.Expr]:
    r""":func:`mode_imbalance_drift` (the closed form for symbolic :math:`L`, at each depth)
    minus the sum over layers of the :math:`(1, 1)` entries of
    :func:`imbalance_noise_drift` (two coordinates), keyed by depth: all zero when the
    closed form is the matrices' drift."""
    gaps = {}
    for depth in depths:
        roots = {
            sp.Symbol("t_1", nonnegative=True): s ** sp.Rational(1, depth),
            sp.Symbol("t_2", nonnegative=True): s_b ** sp.Rational(1, depth),
            sp.Symbol("sigma_1", nonnegative=True): sigma,
            sp.Symbol("sigma_2", nonnegative=True): sigma_b,
        }
        summed = sp.Add(*(g[0, 0] for g in imbalance_noise_drift(depth=depth, n_coords=2)))
        gaps[depth] = sp.simplify(summed.subs(roots) - mode_imbalance_drift().subs(L, depth))
    return gaps


def assumption_invariance_claim(
    *, depths: Sequence[int] = (2, 3, 4), n_coords: int = 2
) -> DerivationResult:
    r"""C14 [beyond the paper]: invariance of (A1) balance and (A2) alignment.

    Combines :func:`imbalance_gradient_drift_claim` (zero), :func:`imbalance_noise_drift` against
    :func:`imbalance_noise_drift_stated`, and :func:`cross_mode_dynamics` (zero drift,
    stated diffusion), at every depth in ``depths``.
    """
    holds = imbalance_gradient_drift_claim().holds
    steps = []
    nonzero_imbalance = False
    for depth in depths:
        derived = imbalance_noise_drift(depth=depth, n_coords=n_coords)
        stated = imbalance_noise_drift_stated(depth=depth, n_coords=n_coords)
        for d_mat, s_mat in zip(derived, stated, strict=True):
            holds &= all(sp.expand(e) == 0 for e in d_mat - s_mat)
            nonzero_imbalance |= any(sp.expand(e) != 0 for e in d_mat)
        cross = cross_mode_dynamics(depth=depth, n_modes=n_coords)
        holds &= cross["gradient_drift"] == 0 and cross["ito_drift"] == 0
        holds &= sp.expand(cross["diffusion"] - cross["diffusion_stated"]) == 0
        holds &= _cross_mode_diffusion_agrees(depth)
        steps.append(Step(f"noise drift of G_1, depth {depth}", sp.Symbol("dG_1"), derived[0]))
    steps.append(
        Step(
            "diffusion of s_ab, symbolic L (layer sum in closed form, s_b != s; equal to the "
            f"matrix derivation at depths {tuple(depths)})",
            sp.Symbol("D_ab"),
            cross_mode_diffusion(),
        )
    )
    single = imbalance_noise_drift(depth=3, n_coords=1)
    holds &= all(m == sp.zeros(1, 1) for m in single)
    return DerivationResult(
        claim="C14",
        derived={
            "imbalance_gradient_drift_claim": sp.Integer(0),
            "imbalance_noise_drift": imbalance_noise_drift(depth=2, n_coords=n_coords)[0],
            "cross_mode_drift": sp.Integer(0),
            "cross_mode_diffusion": cross_mode_dynamics(depth=2, n_modes=n_coords)["diffusion"],
        },
        stated={
            "imbalance_gradient_drift_claim": sp.Integer(0),
            "imbalance_noise_drift": imbalance_noise_drift_stated(depth=2, n_coords=n_coords)[0],
            "cross_mode_drift": sp.Integer(0),
            "cross_mode_diffusion": cross_mode_dynamics(depth=2, n_modes=n_coords)[
                "diffusion_stated"
            ],
        },
        holds=bool(holds and nonzero_imbalance),
        steps=tuple(steps),
        cases=(*(f"depth={d}, n_coords={n_coords}" for d in depths), "depth=3, n_coords=1"),
        findings=(
            Finding(
                "(A1) balance is NOT invariant, not even in expectation: the gradient part of the "
                "imbalance drift is exactly zero, but the noise part ",
                Math(
                    r"\kappa\bigl(E[\xi_{l+1}^\top \xi_{l+1}] - E[\xi_l \xi_l^\top]\bigr)",
                    "kappa(E[xi_{l+1}^T xi_{l+1}] - E[xi_l xi_l^T])",
                ),
                " is, per R_l-coordinate c, ",
                Math(
                    r"\kappa\Bigl[s_c^{2l/L} \sum_{i \ne c} s_i^{2(L-l-1)/L}"
                    r"\bigl(D_i^2+\sigma_{\varepsilon}^2\bigr) - s_c^{2(L-l)/L}"
                    r"\bigl(D_c^2+\sigma_{\varepsilon}^2\bigr) \sum_{j \ne c} s_j^{2(l-1)/L}\Bigr]",
                    "kappa[s_c^(2l/L) sum_{i!=c} s_i^(2(L-l-1)/L)(D_i^2+sigma_eps^2) - "
                    "s_c^(2(L-l)/L)(D_c^2+sigma_eps^2) sum_{j!=c} s_j^(2(l-1)/L)]",
                    display=True,
                ),
                " (0^0 = 1); e.g. L = 2, two coordinates: ",
                Math(r"\kappa s_1 (D_2^2 - D_1^2)", "kappa s_1 (D_2^2 - D_1^2)"),
                ". Zero for a single coordinate (width-1 network).",
            ),
            "Unlearned or extra coordinates (s_i = 0) still feed the last/first layer "
            "(exponent 0), so even one learned mode in a wider network loses balance.",
            Finding(
                "(A2) alignment: the cross-mode amplitude has zero drift on the manifold "
                "(gradient and Itô parts both vanish), so it is invariant in expectation to first"
                " order, but its diffusion ",
                Math(
                    r"\kappa \Bigl(\sum_l s_a^{2(L-l)/L} s_b^{2(l-1)/L}\Bigr)^2"
                    r" \bigl((\sigma_a-s_a)^2 + \sigma_{\varepsilon}^2\bigr)",
                    "kappa (sum_l s_a^(2(L-l)/L) s_b^(2(l-1)/L))^2 ((sigma_a-s_a)^2 + sigma_eps^2)",
                ),
                " is positive: not invariant pathwise, E[s_ab^2] grows.",
            ),
        ),
    )
