r"""Saddle-to-saddle plateaus of gradient flow from small initialisation (C15, seed 002).

From a small initialisation, gradient flow on a deep linear network passes near a sequence of
saddles, one per number :math:`k` of learned modes (seed 002, Fig. 1; DESIGN.md C15).  The
saddle with :math:`k` learned modes is the aligned point

.. math:: W_l = R_l \operatorname{diag}(a_{l,1}, \dots, a_{l,k}, 0, \dots, 0) R_{l-1}^\top,
   \qquad a_{l,b} = \sigma_b^{1/L}\ (b \le k),

:math:`R_0 = V`, :math:`R_L = U` (teacher :math:`W^* = U\operatorname{diag}(\sigma)V^\top`),
:math:`R_l` orthogonal, i.e. mode amplitudes :math:`s_b = \sigma_b` for :math:`b \le k` and
:math:`0` otherwise.  The statement checked (DESIGN.md C15):

.. math:: L_k = \tfrac12\sum_{b=k+1}^{r}\sigma_b^2 + \tfrac12\operatorname{tr}\Sigma_\varepsilon,
   \qquad \operatorname{rank} W = k .

For any widths the statement follows from C1 (:math:`L = \tfrac12\|\Delta\|_F^2 +
\tfrac12\operatorname{tr}\Sigma_\varepsilon`, gradient :math:`-A_l^\top\Delta B_l^\top`): at
the saddle :math:`\Delta = \sum_{b>k}\sigma_b u_b v_b^\top`, whose norm is
:math:`\sum_{b>k}\sigma_b^2`, and every gradient vanishes because the partial products only
see the learned directions (:math:`A_l^\top\Delta = 0` for :math:`l < L`,
:math:`\Delta B_l^\top = 0` for :math:`l > 1`).  That argument is not re-proven symbolically
for symbolic sizes here; what is proven is the following, derived, not typed in, at concrete
widths (:data:`PLATEAU_CASES`: depths 2 and 3,
:math:`n = m = 3`, a hidden layer wider than the input included) and every :math:`k = 0..3`,
with symbolic singular values (:math:`\sigma_b = \rho_b^L`, :math:`\rho_b > 0` symbols, so the
layer entries are polynomials), a general symmetric :math:`\Sigma_\varepsilon` and exact
rational orthogonal bases (Cayley transforms) for :math:`U, V` and the hidden :math:`R_l`:

(a) the population loss at the saddle is the Wick expectation
    :math:`\mathbb{E}\tfrac12\|W^*x + \varepsilon - Wx\|^2`
    (:func:`derivations.gradient.population_loss`), compared with :math:`L_k` after
    :math:`\rho_b = \sigma_b^{1/L}` and :math:`\Sigma_{\varepsilon,mm} =
    \operatorname{tr}\Sigma_\varepsilon - \sum_{i<m}\Sigma_{\varepsilon,ii}`;
(b) the point is critical: every entry of the gradient of the Wick-expected loss of a network
    of free weight symbols vanishes there; and :math:`U^\top W V =
    \operatorname{diag}(\sigma_1, \dots, \sigma_k, 0, \dots)`, so :math:`\operatorname{rank}W
    = k`;
(c) for :math:`k < r` it is a saddle, not a minimum: along the escape path that switches on
    mode :math:`k+1` in every layer (:math:`a_{l,k+1} = \tau`) the derived loss is
    :math:`L_k - \sigma_{k+1}\tau^L + \tau^{2L}/2 < L_k` for small :math:`\tau > 0`.
    The Hessian's inertia at concrete rational :math:`\sigma` (:func:`hessian_inertia`,
    exact characteristic polynomial; Descartes' rule of signs is exact for a real-rooted
    polynomial) shows which saddles are *strict*.  At :math:`\rho = (3, 2, 1)`: at depth 2
    every :math:`k < r` has negative eigenvalues (:math:`(r-k)^2` of them for :math:`n = m = h
    = 3`: 9, 4, 1); at depth 3 **no** saddle has a negative eigenvalue -- the origin has a zero
    Hessian, and at :math:`k = 1, 2` (largest modes learned) the Hessian is positive
    semi-definite: these saddles are non-strict, escaped only at order :math:`\tau^L`.  The
    counts are reported in the claim's findings.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from itertools import pairwise

import sympy as sp
from sympy.polys.matrices import DomainMatrix
from sympy.polys.rings import PolyElement

from derivations._validation import integer_among
from derivations.gradient import population_loss
from derivations.result import DerivationResult, Step
from derivations.symbolic_network import (
    check_shapes,
    end_to_end,
    label_noise_covariance,
    ring_matrix,
    weight_matrices,
)
from dlnverify.errors import InvalidParameter

__all__ = [
    "PLATEAU_CASES",
    "arithmetic_plateau_gaps",
    "arithmetic_plateau_loss",
    "escape_path_loss",
    "hessian_inertia",
    "label_noise_trace",
    "n_learned",
    "plateau_claim",
    "plateau_loss",
    "plateau_losses",
    "plateau_rank",
    "saddle_point",
    "singular_value_symbols",
    "stated_plateau",
]

#: Widths :math:`(h_0, \dots, h_L)` proven: depths 2 and 3, :math:`n = m = 3`, a wider hidden.
PLATEAU_CASES: tuple[tuple[int, ...], ...] = ((3, 3, 3), (3, 4, 3), (3, 3, 3, 3))

#: Number :math:`k` of learned modes at a saddle (statement index).
n_learned = sp.Symbol("k", integer=True, nonnegative=True)
#: :math:`\operatorname{tr}\Sigma_\varepsilon`.
label_noise_trace = sp.Symbol("tr_Sigma_eps", nonnegative=True)

_rank_symbol = sp.Symbol("r", integer=True, positive=True)
_index = sp.Symbol("b", integer=True, positive=True)
_sigma_base = sp.IndexedBase("sigma")
_tau = sp.Symbol("tau", positive=True)
#: Cayley parameters of the exact rational orthogonal bases (any non-special values do).
_CAYLEY = (
    (sp.Rational(1, 2), sp.Rational(-1, 3), sp.Rational(2, 5)),
    (sp.Rational(1, 3), sp.Rational(1, 4), sp.Rational(-1, 2)),
    (sp.Rational(-2, 3), sp.Rational(1, 5), sp.Rational(1, 3)),
    (sp.Rational(1, 4), sp.Rational(2, 3), sp.Rational(-1, 5)),
)
#: Concrete layer amplitudes :math:`\rho_b` (:math:`\sigma_b = \rho_b^L`) of the inertia cases.
_INERTIA_RHO = (sp.Integer(3), sp.Integer(2), sp.Integer(1))


def singular_value_symbols(rank: int) -> tuple[sp.Symbol, ...]:
    r"""Positive symbols :math:`\sigma_1, \dots, \sigma_r` of the derived plateau losses."""
    if not isinstance(rank, int) or isinstance(rank, bool) or rank < 1:
        raise InvalidParameter(f"Got rank={rank!r}, but rank must be an integer >= 1.")
    return tuple(sp.Symbol(f"sigma_{b}", positive=True) for b in range(1, rank + 1))


def _rho_symbols(rank: int) -> tuple[sp.Symbol, ...]:
    return tuple(sp.Symbol(f"rho_{b}", positive=True) for b in range(1, rank + 1))


def stated_plateau() -> dict[str, sp.Expr]:
    r"""The statement compared with (DESIGN.md C15), typed in.

    ``"loss"``: :math:`\tfrac12\sum_{b=k+1}^{r}\sigma_b^2 + \tfrac12\operatorname{tr}
    \Sigma_\varepsilon` (``sigma`` an ``IndexedBase``, :data:`n_learned` :math:`= k`,
    :data:`label_noise_trace`); ``"rank"``: :math:`k`.
    """
    loss = (
        sp.Sum(_sigma_base[_index] ** 2, (_index, n_learned + 1, _rank_symbol)) / 2
        + label_noise_trace / 2
    )
    return {"loss": loss, "rank": n_learned}


def _cayley(size: int, which: int) -> sp.Matrix:
    r"""An exact rational orthogonal matrix :math:`(I - S)(I + S)^{-1}`, :math:`S` skew."""
    params = _CAYLEY[which % len(_CAYLEY)]
    skew = sp.zeros(size, size)
    position = 0
    for i in range(size):
        for j in range(i + 1, size):
            value = params[position % len(params)] / (1 + position // len(params))
            skew[i, j], skew[j, i] = value, -value
            position += 1
    eye = sp.eye(size)
    return (eye - skew) * (eye + skew).inv()


def _depth_widths(widths: Sequence[int]) -> tuple[int, ...]:
    (case,) = check_shapes([widths])
    if len(case) < 2:
        raise InvalidParameter(f"Got widths={widths!r}, but a network needs depth >= 1.")
    return case


def _k_iv(k: int, rank: int) -> int:
    return integer_among(k, "k", range(rank + 1), f"k must be an integer in [0, {rank}]")


def _bases(widths: tuple[int, ...]) -> tuple[sp.Matrix, ...]:
    """:math:`R_0 = V, R_1, \\dots, R_L = U`, exact rational orthogonal."""
    return tuple(_cayley(h, l) for l, h in enumerate(widths))


def _teacher(widths: tuple[int, ...]) -> tuple[sp.Matrix, tuple[sp.Symbol, ...]]:
    r""":math:`W^* = U\operatorname{diag}(\rho^L)V^\top` and the symbols :math:`\rho_b`."""
    depth, rank = len(widths) - 1, min(widths[0], widths[-1])
    rho = _rho_symbols(rank)
    bases = _bases(widths)
    core = sp.zeros(widths[-1], widths[0])
    for b in range(rank):
        core[b, b] = rho[b] ** depth
    return bases[-1] * core * bases[0].T, rho


def saddle_point(widths: Sequence[int], k: int) -> tuple[sp.Matrix, ...]:
    r"""The aligned point with the first ``k`` modes learned, layers :math:`W_1, \dots, W_L`.

    :math:`W_l = R_l D_l R_{l-1}^\top`, :math:`D_l` the :math:`h_l \times h_{l-1}` matrix with
    :math:`(D_l)_{bb} = \rho_b` for :math:`b \le k` and zeros elsewhere (balanced:
    :math:`\rho_b^L = \sigma_b`); exact rational orthogonal :math:`R_l`, the teacher's bases at
    both ends.  Needs every hidden width :math:`\ge \min(n, m)`.
    """
    widths = _depth_widths(widths)
    rank = min(widths[0], widths[-1])
    if min(widths) < rank:
        raise InvalidParameter(
            f"Got widths={widths!r}, but every hidden width must be >= min(n, m) = {rank}."
        )
    k = _k_iv(k, rank)
    rho = _rho_symbols(rank)
    bases = _bases(widths)
    layers = []
    for l in range(1, len(widths)):
        core = sp.zeros(widths[l], widths[l - 1])
        for b in range(k):
            core[b, b] = rho[b]
        layers.append(bases[l] * core * bases[l - 1].T)
    return tuple(layers)


def _in_sigma(expr: sp.Expr, widths: tuple[int, ...]) -> sp.Expr:
    r"""Express a derived loss in :math:`\sigma_b` and :math:`\operatorname{tr}\Sigma_\varepsilon`."""
    depth, m = len(widths) - 1, widths[-1]
    rank = min(widths[0], m)
    cov = label_noise_covariance(m)
    others = sum((cov[i, i] for i in range(m - 1)), sp.Integer(0))
    replacements = {
        rho: sigma ** sp.Rational(1, depth)
        for rho, sigma in zip(_rho_symbols(rank), singular_value_symbols(rank), strict=True)
    }
    replacements[cov[m - 1, m - 1]] = label_noise_trace - others
    return sp.expand(expr.subs(replacements))


@cache
def plateau_loss(widths: tuple[int, ...], k: int) -> sp.Expr:
    r"""Derived population loss at :func:`saddle_point` ``(widths, k)``.

    The Wick expectation of :math:`\tfrac12\|W^*x + \varepsilon - Wx\|^2` with a general
    symmetric :math:`\Sigma_\varepsilon` for free weights (:func:`_free_loss`), evaluated at
    the saddle, written in :func:`singular_value_symbols` and :data:`label_noise_trace`.
    """
    widths = _depth_widths(widths)
    return _in_sigma(_loss_at(widths, saddle_point(widths, k)), widths)


def plateau_rank(widths: tuple[int, ...], k: int) -> tuple[int, sp.Matrix]:
    r"""Rank of the end-to-end map at the saddle and :math:`U^\top W V` (in :math:`\sigma_b`).

    :math:`U, V` are orthogonal, so :math:`\operatorname{rank}W = \operatorname{rank}U^\top W V`.
    """
    widths = _depth_widths(widths)
    bases = _bases(widths)
    rank = min(widths[0], widths[-1])
    ring, *_ = sp.ring(_rho_symbols(rank), sp.QQ)
    layers = [ring_matrix(sp.expand(W), ring) for W in saddle_point(widths, k)]
    product = end_to_end(layers)  # exact polynomial arithmetic over QQ[rho]
    rotated = ring_matrix(bases[-1].T, ring) * product * ring_matrix(bases[0], ring)
    core = sp.Matrix(rotated.to_Matrix()).applyfunc(lambda e: _in_sigma(e.as_expr(), widths))
    # U, V invertible: rank W = rank U^T W V (a diagonal matrix of positive symbols and zeros)
    return int(core.rank()), core


def plateau_losses(
    singular_values: Sequence[float], label_noise_trace_value: float, *, depth: int = 2
) -> tuple[float, ...]:
    r"""Derived plateau losses :math:`L_0, \dots, L_r` at numeric parameters.

    The loss of :func:`plateau_loss` at widths :math:`(r, \dots, r)` (``depth`` layers,
    :math:`r` = ``len(singular_values)``, square teacher of full rank :math:`r`), with the
    symbols replaced by ``singular_values`` and ``label_noise_trace_value``.  The loss depends
    on the teacher only through :math:`\|\Delta\|_F^2`, so the values hold for any teacher
    with these non-zero singular values.
    """
    values = [float(v) for v in singular_values]
    if not values or any(not v > 0 or v == float("inf") for v in values):
        raise InvalidParameter(
            f"Got singular_values={values!r}, but they must be finite, > 0, at least one."
        )
    trace = float(label_noise_trace_value)
    if not trace >= 0 or trace == float("inf"):
        raise InvalidParameter(
            f"Got label_noise_trace_value={label_noise_trace_value!r}, but it must be finite >= 0."
        )
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 1:
        raise InvalidParameter(f"Got depth={depth!r}, but depth must be an integer >= 1.")
    rank = len(values)
    widths = (rank,) * (depth + 1)
    point = dict(zip(singular_value_symbols(rank), values, strict=True))
    point[label_noise_trace] = trace
    return tuple(float(plateau_loss(widths, k).subs(point)) for k in range(rank + 1))


@cache
def _free_loss(widths: tuple[int, ...]) -> tuple[PolyElement, tuple[PolyElement, ...]]:
    r"""Wick-expected loss of a network of free weight symbols, as an element of the ring
    :math:`\mathbb{Q}[\text{weights}, \rho, \Sigma_\varepsilon]`, and the weight generators."""
    teacher, _ = _teacher(widths)
    weights = weight_matrices(widths)
    symbols = [e for W in weights for e in W]
    loss = population_loss(weights, teacher, label_noise_covariance(widths[-1]))
    others = sorted(loss.free_symbols - set(symbols), key=str)
    ring, *generators = sp.ring([*symbols, *others, _tau], sp.QQ)
    return ring.from_expr(loss), tuple(generators[: len(symbols)])


def _loss_at(widths: tuple[int, ...], layers: Sequence[sp.Matrix]) -> sp.Expr:
    """The loss of :func:`_free_loss` with the weights replaced by ``layers``' entries."""
    loss, generators = _free_loss(widths)
    entries = [e for W in layers for e in W]
    point = [
        (g, loss.ring.from_expr(sp.expand(e))) for g, e in zip(generators, entries, strict=True)
    ]
    return loss.compose(point).as_expr()


def _saddle_values(widths: tuple[int, ...], k: int) -> list[tuple[PolyElement, PolyElement]]:
    """Substitution pairs (weight generator, saddle entry) in the ring of :func:`_free_loss`."""
    loss, generators = _free_loss(widths)
    entries = [e for W in saddle_point(widths, k) for e in W]
    return [
        (g, loss.ring.from_expr(sp.expand(e))) for g, e in zip(generators, entries, strict=True)
    ]


def _gradient_at_saddle(widths: tuple[int, ...], k: int) -> list[sp.Expr]:
    """Every entry of the derived gradient, evaluated at the saddle (expanded)."""
    loss, generators = _free_loss(widths)
    point = _saddle_values(widths, k)
    return [loss.diff(g).compose(point).as_expr() for g in generators]


def escape_path_loss(widths: tuple[int, ...], k: int) -> sp.Expr:
    r"""Derived loss minus :math:`L_k` along the path :math:`a_{l,k+1} = \tau` (every layer).

    The Wick-expected loss of the saddle with mode :math:`k+1` switched on with amplitude
    :math:`\tau` in each layer, minus the saddle's loss, in :math:`\sigma_b` and :math:`\tau`.
    """
    widths = _depth_widths(widths)
    rank = min(widths[0], widths[-1])
    k = _k_iv(k, rank - 1)
    bases = _bases(widths)
    layers = []
    for l, W in enumerate(saddle_point(widths, k), start=1):
        bump = sp.zeros(widths[l], widths[l - 1])
        bump[k, k] = _tau
        layers.append(W + bases[l] * bump * bases[l - 1].T)
    return sp.expand(_in_sigma(_loss_at(widths, layers), widths) - plateau_loss(widths, k))


@cache
def hessian_inertia(widths: tuple[int, ...], k: int) -> tuple[int, int, int]:
    r"""(negative, zero, positive) eigenvalue counts of the Hessian at the saddle.

    At :math:`\rho = (3, 2, 1)` (:math:`\sigma_b = \rho_b^L`), :math:`\Sigma_\varepsilon = 0`
    (it does not enter the Hessian): the Hessian of the Wick-expected loss is an exact rational
    symmetric matrix; its characteristic polynomial has only real roots, so Descartes' rule of
    signs counts the positive (sign changes of :math:`p(x)`) and negative (of :math:`p(-x)`)
    eigenvalues exactly, and the multiplicity of the root 0 is the lowest non-vanishing degree.
    """
    widths = _depth_widths(widths)
    loss, generators = _free_loss(widths)
    ring = loss.ring
    rank = min(widths[0], widths[-1])
    concrete = [
        (ring.from_expr(rho), ring(value))
        for rho, value in zip(_rho_symbols(rank), _INERTIA_RHO, strict=False)
    ]
    concrete += [
        (ring.from_expr(e), ring.zero)
        for e in set(label_noise_covariance(widths[-1]))
        if e in ring.symbols
    ]
    point = [(g, value.compose(concrete)) for g, value in _saddle_values(widths, k)]
    gradient = [loss.compose(concrete).diff(g) for g in generators]
    hessian = [
        [sp.Rational(d.diff(g).compose(point).as_expr()) for g in generators] for d in gradient
    ]
    size = len(generators)
    charpoly = DomainMatrix.from_list_sympy(size, size, hessian).charpoly()
    coefficients = [sp.Rational(c) for c in charpoly]  # highest degree first

    def sign_changes(values: list[sp.Rational]) -> int:
        signs = [v > 0 for v in values if v != 0]
        return sum(1 for a, b in pairwise(signs) if a != b)

    degree = len(coefficients) - 1
    zeros = next(i for i, c in enumerate(reversed(coefficients)) if c != 0)
    positive = sign_changes(coefficients)
    negative = sign_changes([c * (-1) ** (degree - i) for i, c in enumerate(coefficients)])
    if negative + zeros + positive != degree:
        raise AssertionError(f"inertia does not add up for widths {widths}, k = {k}")
    return negative, zeros, positive


def _stated_loss_at(statement: sp.Expr, rank: int, k: int) -> sp.Expr:
    """The stated loss at concrete ``rank`` and ``k``, in :func:`singular_value_symbols`."""
    sigmas = singular_value_symbols(rank)
    value = sp.expand(statement.subs({n_learned: k, _rank_symbol: rank}).doit())

    def symbol_of(indexed: sp.Indexed) -> sp.Symbol:
        b = int(indexed.indices[0])
        return sigmas[b - 1] if 1 <= b <= rank else sp.Symbol(f"sigma_{b}", positive=True)

    return sp.expand(value.replace(lambda e: isinstance(e, sp.Indexed), symbol_of))


def plateau_claim(
    stated: dict[str, sp.Expr] | None = None,
    *,
    shapes: Sequence[Sequence[int]] = PLATEAU_CASES,
) -> DerivationResult:
    r"""C15 [seed 002]: plateau losses and ranks of the saddles visited from small init.

    Parameters
    ----------
    stated : dict, optional
        Statements overriding :func:`stated_plateau` (keys ``"loss"``, ``"rank"``), e.g. to
        show that a perturbed statement is rejected by the same comparison.
    shapes : sequence of sequences of int
        The widths :math:`(h_0, \dots, h_L)` to prove; default :data:`PLATEAU_CASES`.

    Returns
    -------
    DerivationResult
        ``claim="C15"``; ``derived``/``stated`` map ``(widths, k)`` to a dict with
        ``"loss"`` and ``"rank"``.  ``holds`` requires, for every case and
        :math:`k = 0..r`: derived loss = stated loss, gradient zero, rank = stated rank
        (with :math:`U^\top W V = \operatorname{diag}(\sigma_1..\sigma_k, 0..)`), and for
        :math:`k < r` the escape path lowering the loss at order :math:`\tau^L`.
    """
    statements = stated_plateau() | dict(stated or {})
    cases = check_shapes(shapes)
    derived, compared = {}, {}
    holds = True
    steps: list[Step] = []
    inertia = {}
    for widths in cases:
        widths = _depth_widths(widths)
        depth, rank = len(widths) - 1, min(widths[0], widths[-1])
        sigmas = singular_value_symbols(rank)
        # the point is the aligned one only if every basis is exactly orthogonal
        holds &= all((R.T * R - sp.eye(R.rows)).is_zero_matrix for R in _bases(widths))
        for k in range(rank + 1):
            loss = plateau_loss(widths, k)
            stated_loss = _stated_loss_at(statements["loss"], rank, k)
            stated_rank = sp.sympify(statements["rank"]).subs(n_learned, k)
            gradient = _gradient_at_saddle(widths, k)
            found_rank, core = plateau_rank(widths, k)
            expected_core = sp.diag(*[sigmas[b] if b < k else 0 for b in range(rank)])
            ok = (
                sp.expand(loss - stated_loss) == 0
                and all(g == 0 for g in gradient)
                and found_rank == stated_rank
                and sp.expand(core[:rank, :rank] - expected_core) == sp.zeros(rank, rank)
                and all(e == 0 for e in core[rank:, :])
                and all(e == 0 for e in core[:, rank:])
            )
            if k < rank:
                path = escape_path_loss(widths, k)
                lowest = sp.Poly(path, _tau).terms()[-1]  # lowest power of tau
                (power,), coefficient = lowest
                ok = ok and power == depth and bool(coefficient.is_negative)
                if widths == cases[0] or depth > 2:
                    steps.append(
                        Step(f"escape path, widths {widths}, k = {k}", sp.Symbol("dL"), path)
                    )
            if depth <= 3 and widths[1] == rank:
                inertia[(widths, k)] = hessian_inertia(widths, k)
            holds &= bool(ok)
            derived[(widths, k)] = {"loss": loss, "rank": found_rank}
            compared[(widths, k)] = {"loss": stated_loss, "rank": stated_rank}
            steps.append(
                Step(
                    f"Wick-expected loss at the saddle, widths {widths}, k = {k}",
                    sp.Symbol(f"L_{k}"),
                    loss,
                )
            )
        steps.append(
            Step(
                f"gradient of the Wick-expected loss at every saddle, widths {widths}",
                sp.Symbol("max_abs_grad"),
                sp.Integer(0) if holds else sp.Symbol("nonzero"),
            )
        )
    findings = _inertia_findings(inertia)
    return DerivationResult(
        claim="C15",
        derived=derived,
        stated=compared,
        holds=bool(holds),
        steps=tuple(steps),
        cases=tuple(f"widths {widths}, k = 0..{min(widths[0], widths[-1])}" for widths in cases),
        findings=findings,
    )


def _inertia_findings(inertia: dict) -> tuple[str, ...]:
    """One sentence per depth: which saddles are strict, with the Hessian's inertia."""
    by_depth: dict[int, list[str]] = {}
    strict: dict[int, list[bool]] = {}
    for (widths, k), (neg, zero, pos) in inertia.items():
        if k >= min(widths[0], widths[-1]):
            continue  # the global minimum, not a saddle
        depth = len(widths) - 1
        by_depth.setdefault(depth, []).append(f"k = {k}: {neg}/{zero}/{pos}")
        strict.setdefault(depth, []).append(neg > 0)
    findings = []
    for depth, parts in by_depth.items():
        if all(strict[depth]):
            kind = "every saddle is strict (negative Hessian directions)"
        elif not any(strict[depth]):
            kind = (
                "no saddle is strict: the Hessian has no negative eigenvalue, so gradient "
                "descent escapes only at order tau^L along the next mode"
            )
        else:
            kind = "some saddles are strict, others are not"
        findings.append(
            f"Depth {depth} (n = m = h = 3, sigma_b = rho_b^L, rho = (3, 2, 1)): {kind}; "
            f"Hessian inertia negative/zero/positive: {'; '.join(parts)}."
        )
    return tuple(findings)


@cache
def arithmetic_plateau_loss() -> sp.Expr:
    r"""The loss on the plateau with :math:`k` learned modes for a teacher of rank :math:`r`
    whose singular values form the arithmetic progression :math:`\sigma_b = (r + 1 - b)\sigma`
    (the paper's App. H: :math:`3, 2, 1` is :math:`r = 3`, :math:`\sigma = 1`), with
    :math:`m` outputs and label noise :math:`\sigma_\varepsilon^2 I_m`:
    :func:`stated_plateau`'s loss (proven at the saddles by :func:`plateau_claim`) with those
    values, summed by ``summation``:

    .. math:: L_k = \frac{\sigma^2}{12}(r-k)(r-k+1)(2r-2k+1) + \frac m2\sigma_\varepsilon^2.

    Compared with the derived saddle losses by :func:`arithmetic_plateau_gaps`.
    """
    from derivations.conventions import m_out, sigma, sigma_eps

    loss = stated_plateau()["loss"].xreplace(
        {_sigma_base[_index]: (_rank_symbol + 1 - _index) * sigma}
    )
    loss = loss.xreplace({label_noise_trace: m_out * sigma_eps**2})
    return sp.factor_terms(sp.expand(loss.doit()))


def arithmetic_plateau_gaps(ranks: Sequence[int] = (1, 2, 3)) -> float:
    r"""The largest absolute difference between :func:`arithmetic_plateau_loss` and the
    derived saddle losses :func:`plateau_losses` (depth 2, widths :math:`r`) at
    :math:`\sigma = 3/2`, :math:`m = 5`, :math:`\sigma_\varepsilon = 1/3`, every
    :math:`k = 0..r` of every rank in ``ranks`` (0 up to float round-off)."""
    from derivations.conventions import m_out, sigma, sigma_eps

    value, outputs, noise = sp.Rational(3, 2), 5, sp.Rational(1, 3)
    worst = 0.0
    for rank in ranks:
        derived = plateau_losses(
            [float((rank + 1 - b) * value) for b in range(1, rank + 1)],
            float(outputs * noise**2),
            depth=2,
        )
        for k, loss in enumerate(derived):
            closed = arithmetic_plateau_loss().subs(
                {_rank_symbol: rank, n_learned: k, sigma: value, m_out: outputs, sigma_eps: noise}
            )
            worst = max(worst, abs(float(closed) - loss))
    return worst
