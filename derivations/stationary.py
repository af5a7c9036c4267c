r"""Stationary law of one mode on the aligned-balanced manifold (C10-C12, paper Sec. 5, App F).

The mode amplitude follows the scalar Itô SDE :math:`ds = \mu\,dt + \sqrt{D}\,dW_t` with the C7
coefficients of :mod:`derivations.aligned_balanced` (never retyped here):
:math:`\mu = g + \mu_\text{Itô}`, :math:`g = L s^{2-2/L}(\sigma - s)`,
:math:`D = \kappa L^2 s^{4-4/L}(\sigma_\varepsilon^2 + 2(\sigma - s)^2)`.  Its Fokker-Planck
equation is :math:`\partial_t p = -\partial_s(\mu p) + \tfrac12\partial_s^2(D p)`, with
probability current :math:`J = \mu p - \tfrac12 (D p)'`.  Domain: :math:`s > 0` for
:math:`L \ge 2` (balanced amplitudes :math:`s^{1/L}`); for :math:`L = 1` the amplitude is the
entry of a linear map, so the domain is the whole line (the formulas below hold there too).

C10 (Prop 5.1, 5.2, Eq. 16): ``dsolve`` of :math:`J = 0` gives
:math:`p \propto D^{-1}\exp\int 2\mu/D\,ds`.  Derived, not assumed:
:math:`\mu_\text{Itô} = (L-1)D/(2Ls)`, so the Itô part contributes the factor
:math:`s^{1-1/L}` and :math:`p \propto s^{1-1/L}D^{-1}\exp\int 2g/D\,ds`, where
:math:`2g/D = 2(\sigma-s)/(\kappa L s^{2-2/L}(\sigma_\varepsilon^2 + 2(\sigma-s)^2))`.
Closed forms of the exponent integral: :math:`L = 1, 2` for every :math:`\sigma_\varepsilon`
(logarithms and an arctangent), :math:`L = 3, 4` at :math:`\sigma_\varepsilon = 0`; for
:math:`L = 3, 4` with label noise and for symbolic :math:`L` it stays an integral (SymPy's
``integrate`` does not finish on the sextic / quartic denominators).  Normalisability from
the local power exponents :math:`\lim s\,(\log p)'` at :math:`0^+` and :math:`\infty`: at
:math:`\infty` always; at :math:`0^+` always for :math:`L \ge 3` (super-polynomial decay) and
:math:`L = 1`, and for :math:`L = 2` iff :math:`\kappa(\sigma_\varepsilon^2 + 2\sigma^2) <
2\sigma`.

C11 (Prop 5.2(i)): without label noise :math:`p \sim |\sigma - s|^{\beta}` with
:math:`\beta = \lim_{s\to\sigma}(s - \sigma)(\log p)' = -(2 + 1/(\kappa L\sigma^{2-2/L}))
< -1`: not normalisable, the mass collapses to :math:`\sigma`.  The collapse rate
:math:`\lambda = -\tfrac{d}{dt}E\log|\sigma - s_t|` is derived twice: Itô's formula on the
linearised SDE (geometric Brownian motion), and the generator of :math:`\log|\sigma - s|` on
the full SDE in the limit :math:`s\to\sigma`; both give
:math:`\lambda = L\sigma^{2-2/L}(1 + \kappa L\sigma^{2-2/L})`.

C12 (Prop 5.2(ii), Eqs. 17-18): with label noise, first order in :math:`\kappa`:
(a) Ornstein-Uhlenbeck linearisation with the Itô drift as a constant shift, (b) Laplace
expansion of the exact zero-current density (:math:`s = \sigma + \sqrt\kappa y`), (c) the
stationarity identities :math:`E\mu = 0`, :math:`E[2(s-\sigma)\mu + D] = 0`.  All give the
variance :math:`\kappa L\sigma^{2-2/L}\sigma_\varepsilon^2/2`.  For the mean, (a) gives
:math:`\sigma + \kappa(L-1)\sigma^{1-2/L}\sigma_\varepsilon^2/2` (the zero of the drift),
while (b) and (c) agree on :math:`\sigma - \kappa(L-1)\sigma^{1-2/L}\sigma_\varepsilon^2/2`:
the drift's curvature :math:`g''(\sigma)` acting on the variance outweighs the Itô shift, and
the mean lies *below* :math:`\sigma`.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from derivations._validation import integer_among
from derivations.aligned_balanced import (
    aligned_diffusion,
    aligned_drift,
    aligned_gradient_drift,
    aligned_ito_drift,
)
from derivations.conventions import L, kappa, s, sigma, sigma_eps
from derivations.result import DerivationResult, Finding, Step
from dlnverify.errors import InvalidParameter

__all__ = [
    "DENSITY_DEPTHS",
    "collapse_rate",
    "collapse_rate_components",
    "dirac_limit_claim",
    "drift_zero_mean",
    "exponent_integral",
    "label_noise_moments_claim",
    "local_exponents",
    "singularity_exponent",
    "stated_stationary",
    "stationary_density",
    "stationary_density_claim",
    "stationary_mean",
    "stationary_mode",
    "stationary_variance",
]

#: Concrete depths at which the claims are proven case by case.
DENSITY_DEPTHS = (1, 2, 3, 4)

_p = sp.Function("p")
_mu = sp.Function("mu")
_D = sp.Function("D")
_u = sp.Symbol("u", real=True)  # shifted amplitude s - sigma
_w = sp.Symbol("w", positive=True)  # s = w**L
_rho = sp.Symbol("rho", positive=True)  # sigma = rho**L
_y = sp.Symbol("y", real=True)  # rescaled amplitude (s - sigma) / sqrt(kappa)
_e = sp.Symbol("epsilon", positive=True)  # sqrt(kappa)
_A = sp.Symbol("A", positive=True)  # Gaussian precision
_x = sp.Symbol("x", real=True)  # s - sigma in the linearised SDE
_eps_pos = sp.Symbol("sigma_eps", positive=True)  # label noise present


def _joined(values: list) -> tuple:
    """Pieces of a :class:`Finding` for a list of expressions: the one expression, or
    ``"[", v_1, ", ", v_2, ..., "]"``."""
    if len(values) == 1:
        return (values[0],)
    pieces: list = ["["]
    for i, value in enumerate(values):
        pieces += [", "] * bool(i) + [value]
    return (*pieces, "]")


def _depth_iv(depth: int | None) -> int | None:
    if depth is None:
        return None
    return integer_among(
        depth,
        "depth",
        DENSITY_DEPTHS,
        f"depth must be None (symbolic L) or one of {DENSITY_DEPTHS}",
    )


def _at(expr: sp.Expr, depth: int | None) -> sp.Expr:
    return expr if depth is None else expr.subs(L, depth)


def stated_stationary() -> dict[str, sp.Expr]:
    r"""The statements compared with (DESIGN.md C10-C12; paper Eqs. 16-18, App F), typed in.

    The paper's formulas were lost in extraction; the mean and variance are App F's described
    method (zero of the linearised drift; OU variance :math:`D(\sigma)/(2|\mu'(\sigma)|)`)
    carried out, "mean slightly above :math:`\sigma`".

    ``"density"``: :math:`D^{-1}\exp\int_\sigma^s 2\mu/D`; ``"singularity_exponent"``:
    :math:`-(2 + 1/(\kappa L\sigma^{2-2/L}))`; ``"mean"``:
    :math:`\sigma + \kappa(L-1)\sigma^{1-2/L}\sigma_\varepsilon^2/2`; ``"variance"``:
    :math:`\kappa L\sigma^{2-2/L}\sigma_\varepsilon^2/2`.
    """
    ratio = sp.simplify(2 * aligned_drift() / aligned_diffusion()).subs(s, _u + sigma)
    return {
        "density": sp.exp(sp.Integral(ratio, (_u, 0, s - sigma))) / aligned_diffusion(),
        "singularity_exponent": -(2 + 1 / (kappa * L * sigma ** (2 - 2 / L))),
        "mean": sigma + kappa * (L - 1) * sigma ** (1 - 2 / L) * sigma_eps**2 / 2,
        "variance": kappa * L * sigma ** (2 - 2 / L) * sigma_eps**2 / 2,
    }


# --- C10 -----------------------------------------------------------------------------------


@cache
def _zero_current_general() -> tuple[sp.Expr, sp.Expr]:
    r"""``dsolve`` of :math:`\mu p - \tfrac12 (D p)' = 0` for undefined :math:`\mu, D`.

    Returns the current and the solution's right-hand side (with constant ``C1``).
    """
    current = _mu(s) * _p(s) - sp.diff(_D(s) * _p(s), s) / 2
    solution = sp.dsolve(current, _p(s))
    return current, solution.rhs


@cache
def _ito_factor() -> tuple[sp.Expr, sp.Expr]:
    r""":math:`\mu_\text{Itô}/D` and :math:`\exp\int 2\mu_\text{Itô}/D\,ds` (symbolic L)."""
    ratio = sp.simplify(aligned_ito_drift() / aligned_diffusion())
    factor = sp.powsimp(sp.exp(sp.integrate(2 * ratio, s)), force=True)
    return ratio, sp.simplify(factor)


def _gradient_ratio(depth: int | None = None) -> sp.Expr:
    r""":math:`2g/D` (the gradient part of the exponent's integrand)."""
    return sp.simplify(_at(2 * aligned_gradient_drift() / aligned_diffusion(), depth))


@cache
def exponent_integral(depth: int | None = None, *, label_noise: bool = True) -> sp.Expr:
    r"""An antiderivative of :math:`2g/D` in :math:`s` (the exponent without the Itô part).

    ``label_noise=False`` sets :math:`\sigma_\varepsilon = 0`.  Closed forms: depths 1, 2
    (partial fractions in :math:`u = s - \sigma`); depths 3, 4 without label noise
    (substitution :math:`s = w^L`, :math:`\sigma = \rho^L`, partial fractions, logarithms of
    negative arguments replaced by those of their negatives, a constant).  Otherwise (depths 3,
    4 with label noise; symbolic :math:`L`) the unevaluated
    :math:`\int_\sigma^s 2g/D` (with noise) or :math:`\int_{\sigma/2}^s` (without).
    """
    depth = _depth_iv(depth)
    ratio = _gradient_ratio(depth)
    noise = sigma_eps if label_noise else sp.Integer(0)
    ratio = ratio.subs(sigma_eps, _eps_pos if label_noise else 0)
    if depth in (1, 2):
        shifted = sp.apart(sp.factor(ratio.subs(s, _u + sigma)), _u)
        # term by term, constants pulled out: SymPy 1.14's integrate returns 0 for
        # -(2 sigma u + e^2)/(c (e^2 + 2 u^2)) as a whole (caught by the derivative check)
        antiderivative = sp.Integer(0)
        for term in sp.Add.make_args(sp.expand(shifted)):
            constant, variable = term.as_independent(_u, as_Add=False)
            antiderivative += constant * sp.integrate(variable, _u)
        result = antiderivative.subs(_u, s - sigma)
    elif depth in (3, 4) and not label_noise:
        rational = sp.factor(
            sp.simplify(ratio.subs({s: _w**depth, sigma: _rho**depth}) * sp.diff(_w**depth, _w))
        )
        antiderivative = sp.integrate(sp.apart(rational, _w), _w)
        antiderivative = antiderivative.replace(
            sp.log,
            lambda a: (
                sp.log(sp.expand(-a))
                if sp.expand(a).could_extract_minus_sign()
                or sp.expand(a - _w + _rho) == 0
                or sp.expand(a - _w**2 + _rho**2) == 0
                else sp.log(a)
            ),
        )
        result = antiderivative.subs(
            {_w: s ** sp.Rational(1, depth), _rho: sigma ** sp.Rational(1, depth)}
        )
    else:
        lower = sigma if label_noise else sigma / 2
        return sp.Integral(ratio.subs(s, _u).subs(_eps_pos, noise), (_u, lower, s))
    return result.subs(_eps_pos, noise)


def stationary_density(depth: int | None = None) -> sp.Expr:
    r"""The derived unnormalised zero-current density
    :math:`s^{1-1/L}D^{-1}\exp(\text{exponent\_integral})` (``depth=None``: symbolic L)."""
    depth = _depth_iv(depth)
    _, ito = _ito_factor()
    diffusion = _at(aligned_diffusion(), depth)
    return _at(ito, depth) * sp.exp(exponent_integral(depth)) / diffusion


def local_exponents(depth: int, *, label_noise: bool = True) -> dict[str, sp.Expr]:
    r"""Local power exponents :math:`\lim s(\log p)'` of the density at ``depth``.

    Keys ``"zero"`` (:math:`s\to0^+`), ``"infinity"`` (:math:`s\to\infty`), and for depth 1
    ``"minus_infinity"``.  :math:`p` is integrable at :math:`0^+` iff the first is
    :math:`> -1`, at :math:`\pm\infty` iff the others are :math:`< -1` (``oo``/``-oo``: faster
    than any power).
    """
    concrete = _depth_iv(depth)
    if concrete is None:
        raise InvalidParameter("Got depth=None, but local_exponents needs a concrete depth.")
    depth = concrete
    noise = _eps_pos if label_noise else sp.Integer(0)
    log_slope = (2 * aligned_drift() - sp.diff(aligned_diffusion(), s)) / aligned_diffusion()
    log_slope = sp.simplify(log_slope.subs(L, depth).subs(sigma_eps, noise))
    real = sp.Symbol("z", real=True)
    local = sp.simplify(real * log_slope.subs(s, real))
    exponents = {
        "zero": sp.limit(local, real, 0, "+"),
        "infinity": sp.limit(local, real, sp.oo),
    }
    if depth == 1:
        exponents["minus_infinity"] = sp.limit(local, real, -sp.oo)
    return {key: value.subs(_eps_pos, sigma_eps) for key, value in exponents.items()}


def stationary_density_claim(stated: dict[str, sp.Expr] | None = None) -> DerivationResult:
    r"""C10 [Prop 5.1, 5.2, Eq. 16]: zero-current stationary density of a mode.

    Parameters
    ----------
    stated : dict, optional
        Overrides of :func:`stated_stationary` (key ``"density"``), e.g. a perturbed
        statement, to show it is rejected by the same comparison.

    The comparisons: the ``dsolve`` solution equals :math:`C D^{-1}\exp\int 2\mu/D`; the
    derived density (every depth 1-4 and symbolic L) has zero current, and its logarithmic
    derivative equals the stated density's (so they agree up to normalisation); each closed
    exponent integral differentiates back to :math:`2g/D`.
    """
    statements = stated_stationary() | dict(stated or {})
    current, general = _zero_current_general()
    constant = next(iter(general.free_symbols - {s}))
    general_form = constant * sp.exp(sp.Integral(2 * _mu(s) / _D(s), s)) / _D(s)
    # both solve the same first-order linear ODE: equal log-derivatives
    general_gap = sp.simplify(
        sp.diff(sp.log(general), s).doit() - sp.diff(sp.log(general_form), s).doit()
    )
    ratio, ito = _ito_factor()
    ito_gap = sp.simplify(ratio - (L - 1) / (2 * L * s))
    drift, diffusion = aligned_drift(), aligned_diffusion()

    def log_slope(depth: int | None) -> sp.Expr:
        """(log p)' of the derived density, built from its three factors."""
        log_density = (
            sp.log(_at(ito, depth)) + exponent_integral(depth) - sp.log(_at(diffusion, depth))
        )
        return sp.diff(log_density, s).doit()

    def reduce(expr: sp.Expr) -> sp.Expr:
        return sp.cancel(sp.together(sp.powsimp(sp.expand(expr), force=True)))

    def zero_current(depth: int | None) -> sp.Expr:
        """J / p = mu - D'/2 - D (log p)'/2."""
        mu_d, d_d = _at(drift, depth), _at(diffusion, depth)
        return reduce(mu_d - sp.diff(d_d, s) / 2 - d_d * log_slope(depth) / 2)

    depths: tuple[int | None, ...] = (*DENSITY_DEPTHS, None)
    densities = {depth: stationary_density(depth) for depth in depths}
    currents = {depth: zero_current(depth) for depth in depths}
    stated_slope = sp.diff(sp.expand_log(sp.log(statements["density"]), force=True), s).doit()
    stated_gaps = {depth: reduce(log_slope(depth) - _at(stated_slope, depth)) for depth in depths}
    closed = {
        (depth, noise): exponent_integral(depth, label_noise=noise)
        for depth in DENSITY_DEPTHS
        for noise in (True, False)
    }
    closed_gaps = {
        key: sp.cancel(
            sp.together(
                sp.diff(value, s) - _gradient_ratio(key[0]).subs(sigma_eps, sigma_eps * int(key[1]))
            )
        )
        for key, value in closed.items()
        if not value.has(sp.Integral)
    }
    exponents = {depth: local_exponents(depth) for depth in DENSITY_DEPTHS}
    zero_two = exponents[2]["zero"]
    kappa_bound = sp.solve(sp.Eq(zero_two, -1), kappa)
    holds = (
        general_gap == 0
        and ito_gap == 0
        and all(value == 0 for value in currents.values())
        and all(value == 0 for value in stated_gaps.values())
        and all(value == 0 for value in closed_gaps.values())
    )
    derived = {
        "density": densities[None],
        **{f"density_L{depth}": densities[depth] for depth in DENSITY_DEPTHS},
        "ito_factor": ito,
        **{
            f"exponent_L{depth}{'' if noise else '_no_label_noise'}": value
            for (depth, noise), value in closed.items()
        },
        **{
            f"local_exponent_{where}_L{depth}": value
            for depth in DENSITY_DEPTHS
            for where, value in exponents[depth].items()
        },
        "kappa_bound_L2": kappa_bound[0] if len(kappa_bound) == 1 else kappa_bound,
    }
    findings = (
        "The Itô drift is (L-1) D / (2 L s); it contributes the factor s^(1-1/L), so "
        "p ~ s^(1-1/L) D^-1 exp(int 2 g / D), g the gradient drift.",
        Finding(
            "Normalisability: at s -> oo always (local exponents ",
            *_joined([exponents[d]["infinity"] for d in DENSITY_DEPTHS]),
            " for L = 1..4); at s -> 0+ always for L >= 3 (faster than any power) and for L = 1"
            " (domain the real line), but for L = 2 only when kappa < ",
            *_joined(kappa_bound),
            " (local exponent ",
            zero_two,
            " must exceed -1).",
        ),
    )
    steps = (
        Step("zero probability current", current, 0),
        Step("dsolve", _p(s), general),
        Step("Itô drift over diffusion", aligned_ito_drift() / aligned_diffusion(), ratio),
        Step("exp int 2 mu_Ito / D", sp.Symbol("F_Ito"), ito),
        Step("gradient part of the exponent integrand", sp.Symbol("2g/D"), _gradient_ratio()),
        *(
            Step(
                f"exponent integral, L = {depth}", sp.Symbol(f"Phi_{depth}"), closed[(depth, True)]
            )
            for depth in (1, 2)
        ),
        Step("derived density, symbolic L", _p(s), densities[None]),
        Step("zero current of the derived density (J/p)", sp.Symbol("J/p"), currents[None]),
        Step("local exponent at 0+, L = 2", sp.Symbol("beta_0"), zero_two),
    )
    return DerivationResult(
        claim="C10",
        derived=derived,
        stated=statements,
        holds=holds,
        steps=steps,
        cases=(
            "undefined mu, D (dsolve)",
            "symbolic L (density with the exponent integral unevaluated)",
            "L = 1, 2 closed-form exponent, any sigma_eps",
            "L = 3, 4 closed-form exponent at sigma_eps = 0 only; integral otherwise",
            "normalisability at L = 1, 2, 3, 4",
        ),
        findings=findings,
    )


# --- C11 -----------------------------------------------------------------------------------


@cache
def singularity_exponent(depth: int | None = None) -> sp.Expr:
    r""":math:`\beta` with :math:`p \sim |\sigma - s|^\beta` at :math:`s\to\sigma`,
    :math:`\sigma_\varepsilon = 0`: :math:`\lim_{s\to\sigma}(s - \sigma)(\log p)'`, with
    :math:`(\log p)' = (2\mu - D')/D` (the zero-current ODE)."""
    depth = _depth_iv(depth)
    log_slope = (2 * aligned_drift() - sp.diff(aligned_diffusion(), s)) / aligned_diffusion()
    local = sp.factor(sp.simplify(_at(log_slope, depth).subs(sigma_eps, 0) * (s - sigma)))
    return sp.simplify(sp.limit(local, s, sigma))


@cache
def _linearised_rate() -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    r"""Itô on :math:`\log|x|`, :math:`x = s - \sigma`, for the linearised SDE
    :math:`dx = a x\,dt + b x\,dW` (:math:`a = \mu'(\sigma)`, :math:`b^2 = D''(\sigma)/2`)."""
    drift = aligned_drift().subs(sigma_eps, 0)
    diffusion = aligned_diffusion().subs(sigma_eps, 0)
    slope = sp.simplify(sp.diff(drift, s).subs(s, sigma))
    noise_sq = sp.simplify(sp.diff(diffusion, s, 2).subs(s, sigma) / 2)
    # Itô: d log x = dx / x - (dx)^2 / (2 x^2): rate = a - b^2 / 2
    log_x = sp.log(_x)
    ito_rate = sp.diff(log_x, _x) * slope * _x + sp.diff(log_x, _x, 2) * noise_sq * _x**2 / 2
    return slope, noise_sq, sp.simplify(-ito_rate)


@cache
def collapse_rate() -> sp.Expr:
    r"""The derived :math:`\lambda = -\tfrac{d}{dt}E\log|\sigma - s_t|` without label noise
    (Itô's formula on the linearised SDE near :math:`\sigma`)."""
    return sp.factor(_linearised_rate()[2])


def collapse_rate_components() -> dict[str, sp.Expr]:
    r""":func:`collapse_rate` split by origin, for the convention rescalings (DESIGN.md §3).

    ``gradient_drift``: :math:`-a = -\mu'(\sigma)`, all of it from the gradient drift (without
    label noise the Itô drift is :math:`\propto (\sigma - s)^2`, its slope at :math:`\sigma`
    vanishes); ``diffusion``: :math:`b^2/2 = D''(\sigma)/4`, the noise's part, rescaled by a
    convention as :math:`D` is."""
    slope, noise_sq, rate = _linearised_rate()
    parts = {"gradient_drift": sp.simplify(-slope), "diffusion": sp.simplify(noise_sq / 2)}
    assert sp.simplify(sum(parts.values()) - rate) == 0
    return parts


def dirac_limit_claim(stated: dict[str, sp.Expr] | None = None) -> DerivationResult:
    r"""C11 [Prop 5.2(i)]: without label noise the density is not normalisable at
    :math:`\sigma` (exponent :math:`\le -1`), so the stationary law is a Dirac mass.

    Parameters
    ----------
    stated : dict, optional
        Overrides of :func:`stated_stationary` (key ``"singularity_exponent"``).

    The comparisons: the exponent (symbolic L and each depth 1-4) equals the stated one and is
    :math:`< -1` (proven for positive :math:`\kappa, \sigma`); at depths 1-4 the closed-form
    density at :math:`\sigma_\varepsilon = 0` is checked to behave as :math:`|\sigma-s|^\beta`
    (the limit of :math:`p\,|\sigma - s|^{-\beta}` is finite and non-zero from below); the
    collapse rate from the linearised SDE equals the limit of the generator of
    :math:`\log|s - \sigma|` on the full SDE.
    """
    statements = stated_stationary() | dict(stated or {})
    exponent = singularity_exponent()
    gap = sp.simplify(exponent - statements["singularity_exponent"])
    below = sp.simplify(exponent + 1)
    below_proven = bool(below.is_negative)
    depth_gaps, finite_limits = {}, {}
    for depth in DENSITY_DEPTHS:
        beta = singularity_exponent(depth)
        depth_gaps[depth] = sp.simplify(beta - statements["singularity_exponent"].subs(L, depth))
        exponent_closed = exponent_integral(depth, label_noise=False)
        density = (
            _at(_ito_factor()[1], depth)
            * sp.exp(exponent_closed)
            / aligned_diffusion().subs({L: depth, sigma_eps: 0})
        )
        scaled = sp.simplify(sp.expand_log(sp.log(density * (sigma - s) ** (-beta)), force=True))
        value = sp.limit(scaled, s, sigma, "-")
        finite_limits[depth] = bool(value.is_finite) if not value.has(sp.Limit) else False
    # the generator of log|s - sigma| on the full SDE, s -> sigma
    drift = aligned_drift().subs(sigma_eps, 0)
    diffusion = aligned_diffusion().subs(sigma_eps, 0)
    generator = drift / (s - sigma) - diffusion / (2 * (s - sigma) ** 2)
    generator_rate = -sp.limit(sp.simplify(generator), s, sigma)
    rate = collapse_rate()
    rate_gap = sp.simplify(rate - generator_rate)
    slope, noise_sq, _ = _linearised_rate()
    holds = (
        gap == 0
        and below_proven
        and all(value == 0 for value in depth_gaps.values())
        and all(finite_limits.values())
        and rate_gap == 0
    )
    derived = {
        "singularity_exponent": exponent,
        **{
            f"singularity_exponent_L{depth}": singularity_exponent(depth)
            for depth in DENSITY_DEPTHS
        },
        "collapse_rate": rate,
    }
    findings = (
        Finding(
            "Singularity exponent ",
            exponent,
            ": the D^-1 prefactor gives -2 and the gradient part of the exponent"
            " -1/(kappa L sigma^(2-2/L)); the Itô factor s^(1-1/L) is regular at sigma. Since it"
            " is < -2 the density is not integrable at sigma for every kappa.",
        ),
        Finding(
            "Collapse rate lambda = -d/dt E log|sigma - s_t| = ",
            rate,
            ": mu'(sigma) = ",
            slope,
            " plus the Itô term D''(sigma)/4 = ",
            sp.simplify(noise_sq / 2),
            "; noise speeds up the collapse in the log scale.",
        ),
    )
    steps = (
        Step(
            "log-derivative (2 mu - D')/D times (s - sigma), s -> sigma",
            sp.Symbol("beta"),
            exponent,
        ),
        Step("beta + 1", sp.Symbol("beta + 1"), below),
        Step("linearised drift slope mu'(sigma)", sp.Symbol("a"), slope),
        Step("linearised noise b^2 = D''(sigma)/2", sp.Symbol("b^2"), noise_sq),
        Step("Itô on log|x|: lambda = -(a - b^2/2)", sp.Symbol("lambda"), rate),
        Step(
            "generator of log|s - sigma|, s -> sigma", sp.Symbol("lambda_generator"), generator_rate
        ),
    )
    return DerivationResult(
        claim="C11",
        derived=derived,
        stated=statements,
        holds=holds,
        steps=steps,
        cases=("symbolic L", "L = 1, 2, 3, 4 (closed-form density at sigma_eps = 0)"),
        findings=findings,
    )


# --- C12 -----------------------------------------------------------------------------------


def _coefficients_at_sigma() -> dict[str, sp.Expr]:
    g = aligned_gradient_drift()
    return {
        "g1": sp.simplify(sp.diff(g, s).subs(s, sigma)),
        "g2": sp.simplify(sp.diff(g, s, 2).subs(s, sigma)),
        "ito": sp.simplify(aligned_ito_drift().subs(s, sigma)),
        "D": sp.simplify(aligned_diffusion().subs(s, sigma)),
    }


@cache
def _ou_moments() -> tuple[sp.Expr, sp.Expr]:
    r"""(a) OU: :math:`\mu \approx g'(\sigma)(s - \sigma) + \mu_\text{Itô}(\sigma)`,
    :math:`D \approx D(\sigma)`; stationary OU mean and variance."""
    c = _coefficients_at_sigma()
    mean = sigma - c["ito"] / c["g1"]
    variance = -c["D"] / (2 * c["g1"])
    return sp.simplify(mean), sp.simplify(variance)


def drift_zero_mean() -> sp.Expr:
    r"""Route (a): the OU / linearised-drift mean :math:`\sigma - \mu_\text{Itô}(\sigma)/g'(\sigma)`
    (the first-order zero of the drift; App F's "mean slightly above :math:`\sigma`")."""
    return _ou_moments()[0]


@cache
def _laplace_moments() -> tuple[sp.Expr, sp.Expr]:
    r"""(b) Laplace expansion of the exact zero-current density.

    :math:`\log p(\sigma + \epsilon y) - \log p(\sigma) = \sum_{k\ge1} (\epsilon y)^k
    q^{(k-1)}(\sigma)/k!`, :math:`q = (\log p)' = (2\mu - D')/D`, :math:`\kappa = \epsilon^2`;
    the :math:`y^2` term at :math:`\epsilon^0` is :math:`-Ay^2/2`; the rest is expanded to
    :math:`\epsilon^2` and integrated against :math:`e^{-Ay^2/2}` (``integrate``).
    Returns the mean and variance to first order in :math:`\kappa`.
    """
    q = (2 * aligned_drift() - sp.diff(aligned_diffusion(), s)) / aligned_diffusion()
    q = q.subs(sigma_eps, _eps_pos).subs(kappa, _e**2)
    order = 5  # terms (e y)^k, k <= 4, reach e^2 after the 1/e^2 of q
    derivatives = [q]
    for _ in range(order - 1):
        derivatives.append(sp.diff(derivatives[-1], s))
    log_ratio = sum(
        (_e * _y) ** k / sp.factorial(k) * sp.simplify(derivatives[k - 1].subs(s, sigma))
        for k in range(1, order)
    )
    log_ratio = sp.expand(sp.simplify(log_ratio))
    leading = log_ratio.coeff(_e, 0)
    precision = sp.simplify(-2 * leading / _y**2)
    rest = sp.expand(log_ratio - leading)
    weight = sp.series(sp.exp(rest), _e, 0, 3).removeO()
    weight = sp.expand(weight)

    def gaussian(power: int) -> sp.Expr:
        return sp.integrate(_y**power * sp.exp(-_A * _y**2 / 2), (_y, -sp.oo, sp.oo))

    def moment(power: int) -> sp.Expr:
        poly = sp.Poly(sp.expand(weight * _y**power), _y)
        total = sum(
            coeff * gaussian(monomial[0])
            for monomial, coeff in zip(poly.monoms(), poly.coeffs(), strict=False)
        )
        return total.subs(_A, precision)

    norm, first, second = moment(0), moment(1), moment(2)
    mean_shift = sp.series(_e * first / norm, _e, 0, 3).removeO()
    variance = sp.series(_e**2 * (second / norm - (first / norm) ** 2), _e, 0, 3).removeO()
    back = {_e: sp.sqrt(kappa), _eps_pos: sigma_eps}
    mean = sigma + sp.simplify(sp.expand(mean_shift).coeff(_e, 2)) * kappa
    variance = sp.simplify(sp.expand(variance).coeff(_e, 2)) * kappa
    return sp.simplify(mean.subs(back)), sp.simplify(variance.subs(back))


@cache
def _identity_moments() -> tuple[sp.Expr, sp.Expr]:
    r"""(c) Stationarity: :math:`E\mu(s) = 0` and :math:`E[2(s-\sigma)\mu + D] = 0`, Taylor at
    :math:`\sigma` with :math:`E(s-\sigma) = \kappa m_1`, :math:`E(s-\sigma)^2 = \kappa v_1`,
    higher central moments :math:`O(\kappa^2)`; first order in :math:`\kappa`."""
    c = _coefficients_at_sigma()
    m1, v1 = sp.symbols("m_1 v_1")
    first = sp.expand(c["g1"] * m1 * kappa + c["g2"] / 2 * v1 * kappa + c["ito"])
    second = sp.expand(2 * c["g1"] * v1 * kappa + c["D"])
    solution = sp.solve([first, second], [m1, v1], dict=True)[0]
    return (
        sp.simplify(sigma + kappa * solution[m1]),
        sp.simplify(kappa * solution[v1]),
    )


def stationary_mean() -> sp.Expr:
    r"""The derived stationary mean to first order in :math:`\kappa`.

    Computed by route (c), the stationarity identities (under a second), which
    :func:`label_noise_moments_claim` proves equal to route (b), the Laplace expansion of
    the exact density (several seconds)."""
    mean = _identity_moments()[0]
    return sigma + sp.factor_terms(sp.expand(sp.powsimp(sp.expand(mean - sigma))))


@cache
def stationary_mode() -> sp.Expr:
    r"""The derived mode (maximiser) of the stationary density to first order in
    :math:`\kappa`: the zero of :math:`q = (\log p)' = (2\mu - D')/D` linearised at
    :math:`\sigma`, :math:`\sigma - q(\sigma)/q'(\sigma)`, expanded in :math:`\kappa`."""
    log_slope = (2 * aligned_drift() - sp.diff(aligned_diffusion(), s)) / aligned_diffusion()
    q0 = sp.simplify(log_slope.subs(s, sigma))
    q1 = sp.simplify(sp.diff(log_slope, s).subs(s, sigma))
    mode_shift = sp.series(sp.simplify(-q0 / q1).subs(kappa, _e**2), _e, 0, 3).removeO()
    return sigma + sp.simplify(sp.expand(mode_shift).coeff(_e, 2)) * kappa


def stationary_variance() -> sp.Expr:
    r"""The derived stationary variance to first order in :math:`\kappa` (route (c), proven
    equal to route (b) by :func:`label_noise_moments_claim`)."""
    return _identity_moments()[1]


def label_noise_moments_claim(stated: dict[str, sp.Expr] | None = None) -> DerivationResult:
    r"""C12 [Prop 5.2(ii), Eqs. 17-18]: with label noise, mean and variance to first order in
    :math:`\kappa`, three ways (module docstring).

    Parameters
    ----------
    stated : dict, optional
        Overrides of :func:`stated_stationary` (keys ``"mean"``, ``"variance"``).

    ``holds`` requires the derived (exact-density) mean and variance to equal the stated ones.
    The paper's mean (the zero of the linearised drift, above :math:`\sigma`) differs from the
    mean of the exact density (below :math:`\sigma`): a finding, and ``holds`` is ``False``
    for the paper's statement.
    """
    statements = stated_stationary() | dict(stated or {})
    ou_mean, ou_variance = _ou_moments()
    laplace_mean, laplace_variance = _laplace_moments()
    identity_mean, identity_variance = _identity_moments()
    variance_gaps = (
        sp.simplify(laplace_variance - ou_variance),
        sp.simplify(laplace_variance - identity_variance),
    )
    mean_gap_bc = sp.simplify(laplace_mean - identity_mean)
    mean_gap_ab = sp.factor(sp.simplify(laplace_mean - ou_mean))
    stated_mean_gap = sp.factor(sp.simplify(laplace_mean - statements["mean"]))
    stated_variance_gap = sp.simplify(laplace_variance - statements["variance"])
    c = _coefficients_at_sigma()
    mode = stationary_mode()
    holds = (
        all(gap == 0 for gap in variance_gaps)
        and mean_gap_bc == 0
        and stated_mean_gap == 0
        and stated_variance_gap == 0
    )
    derived = {
        "mean": laplace_mean,
        "variance": laplace_variance,
        "mean_ou_linearisation": ou_mean,
        "variance_ou_linearisation": ou_variance,
        "mean_stationarity_identity": identity_mean,
        "mode": sp.simplify(mode),
    }
    findings = (
        Finding(
            "Mean of the stationary density to first order in kappa: ",
            laplace_mean,
            " (Laplace expansion of the exact zero-current density; the identity E mu(s) = 0"
            " gives the same). It lies BELOW sigma. The OU linearisation with the Itô drift as a"
            " constant shift gives ",
            ou_mean,
            ", ABOVE sigma: that is the zero of the drift, not the mean. The difference ",
            mean_gap_ab,
            " comes from the drift's curvature g''(sigma) = ",
            c["g2"],
            " acting on the O(kappa) variance, which is as large as the Itô shift and of"
            " opposite sign (twice it). Quadrature of the exact density and Euler-Maruyama runs"
            " support the exact-density mean.",
        ),
        Finding("The mode of the density is ", sp.simplify(mode), ", also below sigma."),
        Finding("Variance to first order: ", laplace_variance, ", the same by all three routes."),
        "At L = 1 the mean shift vanishes (the density is symmetric about sigma).",
    )
    steps = (
        Step("(a) OU: stationary mean sigma - mu_Ito(sigma)/g'(sigma)", sp.Symbol("m_a"), ou_mean),
        Step("(a) OU: variance -D(sigma)/(2 g'(sigma))", sp.Symbol("v_a"), ou_variance),
        Step("(b) Laplace, s = sigma + sqrt(kappa) y: mean", sp.Symbol("m_b"), laplace_mean),
        Step("(b) Laplace: variance", sp.Symbol("v_b"), laplace_variance),
        Step("(c) E mu = 0, E[2 x mu + D] = 0: mean", sp.Symbol("m_c"), identity_mean),
        Step("(b) - (a)", sp.Symbol("m_b - m_a"), mean_gap_ab),
        Step("derived minus stated mean", sp.Symbol("m_b - m_stated"), stated_mean_gap),
    )
    return DerivationResult(
        claim="C12",
        derived=derived,
        stated=statements,
        holds=holds,
        steps=steps,
        cases=("symbolic L, sigma_eps > 0, first order in kappa",),
        findings=findings,
    )
