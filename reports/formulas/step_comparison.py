r"""Comparing the two sides of one step of a derivation chain: prove, or sample, or refute.

Three comparisons, by what the relation claims (:mod:`reports.formulas.chain`):

* :func:`compare_identity` (``=``): the two sides, their sums, products, integrals and
  derivatives carried out (``doit``), differ by something SymPy simplifies to 0
  (:func:`reports.formulas.symbolic.simplified`; also after expanding logarithms, which is
  valid where their arguments are positive, provided every sampled point agrees): *proven*.
  Otherwise both are evaluated at the sampled points (:mod:`reports.formulas.letter_points`):
  the first point where both are finite reals and differ by more than ``1e-12`` of their size
  (40 significant digits; an integral left unevaluated is integrated numerically and must
  give the same value at 40 and 50 digits) *refutes* the step, else it is *equal at N sampled
  points, not proven*.  A refuted identity whose sides differ by a simple factor (2, 1/2,
  -1, -2, -1/2, 4, 1/4) or by a factor of a known convention
  (:data:`derivations.conventions.CONVENTION_RESCALINGS`, both ways) names it.
* :func:`compare_proportional` (``\propto``): the ratio of the two sides is a non-zero
  factor free of the step's *variables*: proven if SymPy simplifies the ratio to an
  expression without them (or their logarithmic derivatives to the same), refuted if the
  ratio takes two different values at two sampled points that differ only in the variables.
* :func:`compare_series` (a step with an order term ``O(p^n)``): the series of the
  difference in ``p`` (at 0, or in ``1/p`` at infinity) has no term below ``p^n``
  (``o(p^n)``: through ``p^n``); the first non-zero coefficient refutes the step where it is
  non-zero at a sampled point, and is named.

Each function runs without a time limit of its own: the caller bounds it
(:mod:`reports.formulas.time_limit`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from derivations.conventions import CONVENTION_RESCALINGS, to_latex
from reports.formulas.chain_result import StepVerdict
from reports.formulas.letter_points import point_text, sample_points
from reports.formulas.order_term import OrderTerm
from reports.formulas.symbolic import simplified
from reports.formulas.time_limit import TimeLimitReached, time_limit

__all__ = [
    "Comparison",
    "compare_identity",
    "compare_proportional",
    "compare_series",
    "evaluated",
]

#: Significant digits of the values compared at a point.
_DIGITS = 40
#: A gap larger than this, relative to the size of the two values, is not round-off.
_RELATIVE_GAP = 1e-12
#: What SymPy may have to carry out term by term, or integrate numerically, at a point.
_SUMMED = (sp.Sum, sp.Product, sp.Integral)
#: Simple factors named when the two sides of a refuted identity differ by one.
_SIMPLE_FACTORS = tuple(sp.Rational(f) for f in ("2", "1/2", "-1", "-2", "-1/2", "4", "1/4"))


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing two sides.

    Attributes
    ----------
    verdict : StepVerdict
        Proven, sampled, refuted or undecided.
    message : str
        Why, in one sentence.
    points : int
        Sampled points at which both sides were finite and compared.
    factor : str or None
        A named factor between the two sides (see the module docstring).
    counterexample : dict or None
        The evidence of a refutation, as JSON-ready values.
    """

    verdict: StepVerdict
    message: str
    points: int = 0
    factor: str | None = None
    counterexample: dict[str, Any] | None = None


def evaluated(expr: sp.Expr) -> sp.Expr:
    """``expr`` with its sums, products, integrals and derivatives carried out where SymPy
    can (the rest stays unevaluated and is computed numerically at points)."""
    if not expr.has(sp.Sum, sp.Product, sp.Integral, sp.Derivative):
        return expr
    return expr.doit()


def _number(value: sp.Expr) -> sp.Float | None:
    """A numeric SymPy value as a real Float, ``None`` if it is not a finite real."""
    if not value.is_number or value.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        return None
    real, imaginary = value.as_real_imag()
    if not (real.is_Number and imaginary.is_Number):
        return None
    if abs(imaginary) > sp.Float(10) ** (-_DIGITS + 8) * (1 + abs(real)):
        return None
    return sp.Float(real, _DIGITS)


def _value(expr: sp.Expr, point: dict[sp.Symbol, sp.Rational]) -> sp.Float | None:
    """``expr`` at ``point`` with 40 digits; ``None`` where it is not a finite real, or is
    an integral or infinite sum whose numeric value is not stable to 25 digits."""
    try:
        substituted = expr.xreplace(point)
        value = _number(substituted.evalf(_DIGITS))
        if value is None or not substituted.has(sp.Integral, sp.Sum, sp.Product):
            return value
        again = _number(substituted.evalf(_DIGITS + 10))
    except (ArithmeticError, ValueError, TypeError, NotImplementedError, RecursionError):
        return None
    if again is None or abs(value - again) > sp.Float(10) ** -25 * (1 + abs(value)):
        return None
    return value


def _differ(first: sp.Float, second: sp.Float) -> bool:
    scale = abs(first) + abs(second) + sp.Float(10) ** (-_DIGITS + 10)
    return bool(abs(first - second) > _RELATIVE_GAP * scale)


def _shown(point: dict[sp.Symbol, sp.Rational]) -> dict[str, str]:
    return {str(symbol): str(value) for symbol, value in point.items()}


def _points(exprs: Sequence[sp.Expr], rng: np.random.Generator, count: int) -> list[Any]:
    symbols: set[sp.Symbol] = set()
    for expr in exprs:
        symbols |= {s for s in expr.free_symbols if isinstance(s, sp.Symbol)}
    return sample_points(symbols, rng, count)


def _differentiated(expr: sp.Expr) -> sp.Expr:
    """``expr`` with its derivatives carried out (a derivative cannot be evaluated at a point;
    sums, products and integrals can, numerically)."""
    if not expr.has(sp.Derivative):
        return expr
    return expr.replace(lambda e: isinstance(e, sp.Derivative), lambda e: e.doit())


def _factor_values(
    factor: sp.Expr, points: Sequence[dict[sp.Symbol, sp.Rational]]
) -> list[sp.Float] | None:
    """``factor`` at each point (``None`` if it has a symbol the points do not give, or is
    not a finite real at one)."""
    values = []
    for point in points:
        if factor.free_symbols - set(point):
            return None
        value = _number(factor.xreplace(point).evalf(_DIGITS))
        if value is None:
            return None
        values.append(value)
    return values


def _conventions_matching(matches: Callable[[sp.Expr], bool]) -> tuple[sp.Expr, str] | None:
    """The factor of the known conventions that ``matches`` (or else the inverse of one),
    and their names: ``(1/2, "half_variance_rate (diffusion)")``."""
    for inverted in (False, True):
        found: sp.Expr | None = None
        kinds: dict[str, list[str]] = {}
        for rescaling in CONVENTION_RESCALINGS:
            for kind, factor in rescaling.factors.items():
                candidate = 1 / factor if inverted else factor
                if matches(candidate):
                    found = candidate if found is None else found
                    kinds.setdefault(rescaling.name, []).append(kind.replace("_", " "))
        if found is not None:
            names = " or ".join(f"{name} ({', '.join(k)})" for name, k in kinds.items())
            return found, names + (", inverted" if inverted else "")
    return None


def _named_factor(
    usable: Sequence[tuple[dict[sp.Symbol, sp.Rational], sp.Float, sp.Float]],
) -> str | None:
    """The factor left/right where it is, at every sampled point, a simple number or the
    factor (or inverse factor) of known conventions: ``"left = 1/2 × right, the factor of
    the convention half_variance_rate (diffusion), at every sampled point"``."""
    pairs = [(point, a / b) for point, a, b in usable if not b.is_zero]
    if not pairs:
        return None
    points = [point for point, _ in pairs]
    ratios = [ratio for _, ratio in pairs]

    def matches(candidate: sp.Expr) -> bool:
        values = _factor_values(candidate, points)
        return values is not None and all(
            not _differ(ratio, value) for ratio, value in zip(ratios, values, strict=True)
        )

    simple = next((factor for factor in _SIMPLE_FACTORS if matches(factor)), None)
    conventions = _conventions_matching(matches)
    if simple is None and conventions is None:
        return None
    shown = simple if simple is not None else conventions[0]  # type: ignore[index]
    text = f"left = {sp.sstr(shown)} × right"
    if conventions is not None:
        text += f", the factor of the convention {conventions[1]}"
    return text + ", at every sampled point"


def _refutation(
    left: sp.Expr, right: sp.Expr, points: Sequence[dict[sp.Symbol, sp.Rational]]
) -> tuple[Comparison | None, int]:
    """The refutation of ``left = right`` at the first point where both are finite reals
    and differ (``None`` if there is none), and how many points had both finite."""
    values = [(p, _value(left, p), _value(right, p)) for p in points]
    usable = [(p, a, b) for p, a, b in values if a is not None and b is not None]
    wrong = next(((p, a, b) for p, a, b in usable if _differ(a, b)), None)
    if wrong is None:
        return None, len(usable)
    point, first, second = wrong
    factor = _named_factor(usable)
    message = f"the two sides differ at {point_text(point)}" if point else "the two sides differ"
    if factor is not None:
        message += f" ({factor})"
    return (
        Comparison(
            StepVerdict.REFUTED,
            message,
            len(usable),
            factor,
            {"point": _shown(point), "left": float(first), "right": float(second)},
        ),
        len(usable),
    )


def compare_identity(
    left: sp.Expr,
    right: sp.Expr,
    *,
    rng: np.random.Generator,
    n_points: int,
    symbolic_seconds: float | None = None,
) -> Comparison:
    """Is ``left = right`` an identity? (module docstring)

    Closed forms (no sum, product or integral) are compared at the sampled points first, so
    that a wrong step is refuted before SymPy spends time on a proof.  The proof (sums,
    products, integrals and derivatives carried out, then simplified) gets at most
    ``symbolic_seconds``; when it runs out, the sides as written are compared at the points.
    """
    if left - right == 0:
        return Comparison(StepVerdict.PROVEN, "the two sides are the same expression")
    raw_left, raw_right = _differentiated(left), _differentiated(right)
    points = _points([raw_left, raw_right], rng, n_points)
    closed = not (left.has(*_SUMMED) or right.has(*_SUMMED))
    if closed:
        refuted, _usable = _refutation(raw_left, raw_right, points)
        if refuted is not None:
            return refuted
    note = ""
    try:
        with time_limit(symbolic_seconds) as share:
            done_left, done_right = evaluated(left), evaluated(right)
            if simplified(done_left - done_right) == 0:
                return Comparison(StepVerdict.PROVEN, "SymPy simplifies the difference to 0")
    except TimeLimitReached as reached:
        if share is None or reached.limit is not share:
            raise  # the step's own limit: not this share's
        done_left, done_right = raw_left, raw_right
        note = f" (SymPy's proof ran out of its {symbolic_seconds:g} s)"
    refuted, usable = _refutation(done_left, done_right, points)
    if refuted is not None:
        return refuted
    if not usable:
        return Comparison(
            StepVerdict.UNDECIDED,
            f"SymPy could not decide{note}, and no sampled point has both sides finite and real",
        )
    gap = done_left - done_right
    if not note and gap.has(sp.log) and simplified(sp.expand_log(gap, force=True)) == 0:
        return Comparison(
            StepVerdict.PROVEN,
            "equal once logarithms are expanded (valid where their arguments are positive),"
            f" and at {usable} sampled points",
            usable,
        )
    return Comparison(
        StepVerdict.SAMPLED,
        f"SymPy could not simplify the difference to 0{note}; equal at {usable} sampled"
        " points, not proven",
        usable,
    )


def compare_proportional(
    left: sp.Expr,
    right: sp.Expr,
    variables: set[sp.Symbol] | None,
    *,
    rng: np.random.Generator,
    n_points: int,
) -> Comparison:
    """Is ``left \\propto right``, by a non-zero factor free of ``variables`` (``None``:
    every letter of the two sides)? (module docstring)"""
    left, right = evaluated(left), evaluated(right)
    letters = left.free_symbols | right.free_symbols
    involved = letters if variables is None else letters & variables
    names = ", ".join(sorted(map(str, involved))) or "the variables"
    hint = (
        " (every letter of the step counts as a variable: name the variables in the"
        " left-hand side, p(s) \\propto ..., or with % dlnverify: variables s)"
        if variables is None
        else ""
    )
    if right == 0 or left == 0:
        return Comparison(
            StepVerdict.REFUTED, "a side is 0: proportionality needs a non-zero factor"
        )
    ratio = simplified(left / right)
    if ratio != 0 and not ratio.has(sp.zoo, sp.nan) and not ratio.free_symbols & involved:
        return Comparison(
            StepVerdict.PROVEN,
            f"the ratio left/right is free of {names}",
            factor=f"left = {sp.sstr(ratio)} × right",
        )
    if involved and all(
        simplified(
            sp.diff(sp.expand_log(sp.log(left), force=True), v)
            - sp.diff(sp.expand_log(sp.log(right), force=True), v)
        )
        == 0
        for v in involved
    ):
        return Comparison(
            StepVerdict.PROVEN,
            f"the logarithmic derivatives in {names} are equal (the ratio is free of {names})",
            factor=f"left = {sp.sstr(ratio)} × right",
        )
    points = _points([left, right], rng, n_points)
    compared = 0
    for base in points[:2]:
        reference = _ratio(left, right, base)
        if reference is None:
            continue
        for other in points:
            moved = base | {v: value for v, value in other.items() if v in involved}
            if moved == base:
                continue
            value = _ratio(left, right, moved)
            if value is None:
                continue
            compared += 1
            if _differ(reference, value):
                return Comparison(
                    StepVerdict.REFUTED,
                    f"the ratio left/right depends on {names}{hint}",
                    compared,
                    counterexample={
                        "points": [_shown(base), _shown(moved)],
                        "ratios": [float(reference), float(value)],
                    },
                )
    if not compared:
        return Comparison(
            StepVerdict.UNDECIDED,
            "SymPy could not decide, and no two sampled points have both ratios finite",
        )
    return Comparison(
        StepVerdict.SAMPLED,
        f"SymPy could not show the ratio free of {names}; the same at {compared} pairs of"
        " sampled points, not proven",
        compared,
    )


def _ratio(left: sp.Expr, right: sp.Expr, point: dict[sp.Symbol, sp.Rational]) -> sp.Float | None:
    first, second = _value(left, point), _value(right, point)
    if first is None or second is None or second.is_zero:
        return None
    return first / second


def _coefficients(expr: sp.Expr, variable: sp.Symbol, count: int) -> dict[sp.Expr, sp.Expr] | None:
    """The coefficients of the series of ``expr`` in ``variable`` at 0, below
    ``variable**count``, by power; ``None`` if SymPy cannot expand it into powers."""
    try:
        expansion = sp.series(expr, variable, 0, count).removeO()
    except (ArithmeticError, ValueError, TypeError, NotImplementedError):
        return None
    collected = sp.collect(sp.expand(expansion), variable, evaluate=False)
    coefficients: dict[sp.Expr, sp.Expr] = {}
    for term, coefficient in collected.items():
        power = sp.Integer(0) if term == 1 else term.as_base_exp()[1]
        base = sp.Integer(1) if term == 1 else term.as_base_exp()[0]
        if (term != 1 and base != variable) or coefficient.has(variable) or not power.is_number:
            return None
        coefficients[power] = coefficients.get(power, sp.Integer(0)) + coefficient
    return coefficients


def compare_series(
    left: sp.Expr,
    right: sp.Expr,
    order: OrderTerm,
    *,
    rng: np.random.Generator,
    n_points: int,
) -> Comparison:
    """Do ``left`` and ``right`` agree to the order of ``order``? (module docstring)"""
    left, right = evaluated(left), evaluated(right)
    variable = order.variable
    small = sp.Dummy("q", positive=True) if order.at_infinity else variable
    shown_variable = f"1/{variable}" if order.at_infinity else str(variable)

    def expanded(expr: sp.Expr) -> sp.Expr:
        return expr.xreplace({variable: 1 / small}) if order.at_infinity else expr

    count = order.compared
    stated = (
        f"through {shown_variable}^{count - 1}" if count > 1 else f"at order {shown_variable}^0"
    )
    coefficients = _coefficients(expanded(left - right), small, count)
    if coefficients is None:
        return Comparison(
            StepVerdict.UNDECIDED,
            f"SymPy cannot expand the difference of the two sides in powers of {shown_variable}",
        )
    nonzero = [(p, c) for p, c in sorted(coefficients.items()) if simplified(c) != 0]
    if not nonzero:
        return Comparison(
            StepVerdict.PROVEN,
            f"the series in {shown_variable} agree {stated}; {order} and beyond not compared",
        )
    points = _points([c for _, c in nonzero], rng, n_points)
    sampled = 0
    for power, coefficient in nonzero:
        for point in points:
            value = _value(coefficient, point)
            if value is None:
                continue
            sampled += 1
            if _differ(value, sp.Float(0)):
                sides = []
                for side in (left, right):
                    found = _coefficients(expanded(side), small, count)
                    number = None if found is None else _value(found.get(power, sp.S.Zero), point)
                    sides.append(float(number) if number is not None else float("nan"))
                term = f"{shown_variable}^{power}"
                where = f" at {point_text(point)}" if point else ""
                return Comparison(
                    StepVerdict.REFUTED,
                    f"the series in {shown_variable} differ at order {term}, which {order}"
                    f" claims equal: left - right has the term ({to_latex(coefficient)}) {term}"
                    f" (LaTeX), non-zero{where}",
                    sampled,
                    counterexample={
                        "point": _shown(point),
                        "order": term,
                        "left": sides[0],
                        "right": sides[1],
                    },
                )
    return Comparison(
        StepVerdict.SAMPLED,
        f"SymPy could not simplify every coefficient {stated} to 0; each vanishes at the"
        " sampled points, not proven",
        sampled,
    )
