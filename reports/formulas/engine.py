r"""The check engine: is a user's formula for a quantity right?

``check(quantity, formula)`` is a pipeline (DESIGN.md §7):

1. **prepare** — validate the quantity, time limit, seed and fixed values, and parse the
   formula, never evaluating user text (:mod:`reports.formulas.inputs`,
   :mod:`reports.formulas.parse`);
2. **compare symbolically** — the formula against the derived expression, both at the fixed
   values, with exactly evaluated probe points deciding what SymPy cannot
   (:mod:`reports.formulas.symbolic`);
3. **explain** a difference — the smallest counterexample (hypothesis), a known convention
   rescaling under which the formula is right (DESIGN.md §3), the depths at which it agrees
   (:mod:`reports.formulas.explain`);
4. **Monte Carlo** — the simulator's observable against the formula at a few probe points,
   the counterexample first;
5. **verdict**.

Verdicts
--------
* ``verified``  — SymPy proves the difference zero and the Monte Carlo check agrees; or SymPy
  cannot decide, the difference vanishes at every probed point, and the Monte Carlo check
  agrees (the result says the verdict is numeric).
* ``refuted``   — the difference is provably non-zero (it is non-zero, far beyond round-off, at
  an exactly evaluated point), or the Monte Carlo check rejects the formula.
* ``undecided`` — the time limit ran out first; or SymPy proves the formula equal to the
  derivation but the Monte Carlo check rejects it (an internal inconsistency of the tool, not
  the user's error); or SymPy cannot decide and there is no Monte Carlo check (none requested,
  or none for the quantity).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from derivations.conventions import PARAMETERS
from dlnverify.errors import InvalidParameter
from reports.claims import get_quantity
from reports.engine.quantity import Quantity
from reports.engine.quantity_cache import cached_components
from reports.engine.seed import check_seed
from reports.engine.verdict import Comparison, NumericCheck, numeric_check
from reports.formulas.chain_result import StepVerdict
from reports.formulas.depth_limit import (
    MONTE_CARLO_NOTE,
    LimitUnknown,
    depth_limit,
    derived_limits,
    is_finite,
    without_depth,
)
from reports.formulas.evaluation import as_float, carried_out, differs, evaluate
from reports.formulas.explain import agreeing_depths, convention_match, smallest_counterexample
from reports.formulas.inputs import (
    BOUNDARY_AT_ZERO,
    Inputs,
    at_fixed_values,
    fixed_depth,
    order_in_kappa,
    outside_domain,
    prepare_inputs,
    series_in_eta,
)
from reports.formulas.order_term import OrderTerm
from reports.formulas.points import probe_points
from reports.formulas.result import CheckResult, Symbolic, Verdict
from reports.formulas.step_comparison import compare_series
from reports.formulas.symbolic import SymbolicComparison, compare_symbolically, simplified
from reports.formulas.time_limit import MAX_SECONDS, TimeLimitReached, time_limit

__all__ = ["check", "scalar_quantity", "validate"]

#: Probe points drawn for the symbolic comparison and its explanation.
_PROBE_POINTS = 8


def check(
    quantity: str,
    formula: str,
    *,
    at: Mapping[str, Any] | None = None,
    syntax: str = "auto",
    timeout: float | None = 30.0,
    seed: int = 0,
    n_points: int = 2,
    monte_carlo: bool = True,
) -> CheckResult:
    r"""Check a user's formula for ``quantity`` against the derivation and the simulator.

    Parameters
    ----------
    quantity : str
        One of :func:`reports.claims.all_quantities` (``"diffusion"``, ...).
    formula : str
        SymPy syntax (``kappa*L**2*s**(4-4/L)*...``) or LaTeX; parsed, never evaluated.
    at : mapping, optional
        Parameters held at fixed values, e.g. ``{"L": 3}``: the formula is then a claim at
        those values only, compared with the derived result at them (symbolically, at the
        probe points and by Monte Carlo).  Not the variable of a quantity defined up to a
        factor (``s`` for ``stationary_density``).
    syntax : {"auto", "sympy", "latex"}
        How to read ``formula``; ``"auto"`` detects LaTeX.
    timeout : float or None
        Seconds before the check gives up with verdict ``"undecided"`` (default 30).
    seed : int
        Seed of every random draw (probe points, Monte Carlo); same seed, same result.
    n_points : int
        Parameter points of the Monte Carlo check (the counterexample is added when refuted).
    monte_carlo : bool
        Set ``False`` for the symbolic verdict alone.

    Raises
    ------
    dlnverify.errors.InvalidParameter, dlnverify.errors.FormulaError
        Unknown quantity, a timeout that is not positive, a negative seed, an ``at`` that
        is not a parameter of the quantity or lies outside its domain; unparsable or
        disallowed formula.
    """
    started = time.perf_counter()
    inputs = _prepare(quantity, formula, at, syntax, timeout, seed)
    rng = np.random.default_rng(seed)
    # shown if the time limit is reached first: the formula, and the derived result once known
    parsed: sp.Expr = inputs.written.xreplace(inputs.substitution)
    derived: sp.Expr | None = None
    try:
        with time_limit(timeout):
            parsed = carried_out(at_fixed_values(inputs.written, inputs.substitution))
            components = _derived_components(inputs)
            _check_boundary(inputs, components)
            if inputs.depth_limit:
                inputs, parsed, components = _at_infinite_depth(inputs, components)
            derived = sp.Add(*components.values())
            sides = _sides(inputs, parsed, components, derived, rng)
            if inputs.order is None and sides.left.has(sp.Sum, sp.Product):
                symbolic, series = _compare_depth_by_depth(sides)
            elif inputs.order is None:
                symbolic = _compare_symbolically(sides)
                series = _first_order_series(sides, symbolic, rng)
            else:
                symbolic, series = _compare_series(sides, inputs.order, rng)
            explanation = _explain(sides, symbolic)
            boundary_note = ""
            if monte_carlo and _on_boundary(inputs):
                numeric, boundary_note = _monte_carlo_on_boundary(sides, explanation, n_points, rng)
            elif monte_carlo:
                numeric = _monte_carlo(_order_in_kappa(sides), explanation, n_points, rng)
            else:
                numeric = None
    except _Concluded as concluded:
        return CheckResult(
            quantity,
            formula,
            concluded.verdict,
            concluded.symbolic,
            parsed=concluded.parsed,
            derived=concluded.derived,
            message=concluded.message,
            elapsed=time.perf_counter() - started,
            at=inputs.shown_at,
            reading=inputs.reading,
        )
    except TimeLimitReached:
        return CheckResult(
            quantity,
            formula,
            Verdict.UNDECIDED,
            Symbolic.UNDECIDED,
            parsed=parsed,
            derived=derived,
            message=f"time limit of {timeout:g} s reached before a verdict",
            elapsed=time.perf_counter() - started,
            at=inputs.shown_at,
            reading=inputs.reading,
        )
    verdict, message = _verdict(
        symbolic.outcome,
        numeric,
        explanation.convention,
        simulated=monte_carlo and not inputs.depth_limit and not boundary_note,
        order=inputs.order,
    )
    if series:
        message = message.removesuffix(".") + f"; {series}."
    if boundary_note:
        message = message.removesuffix(".") + f"; {boundary_note}."
    if inputs.depth_limit and monte_carlo and scalar_quantity(quantity).observable is not None:
        message = message.removesuffix(".") + f"; {MONTE_CARLO_NOTE}."
    return CheckResult(
        quantity,
        formula,
        verdict,
        symbolic.outcome,
        parsed=parsed,
        derived=derived,
        difference=symbolic.difference,
        convention=explanation.convention,
        counterexample=explanation.counterexample,
        numeric=numeric,
        message=_with_notes(message, inputs, explanation.depths),
        elapsed=time.perf_counter() - started,
        at=inputs.shown_at,
        depths=explanation.depths,
        reading=inputs.reading,
    )


def validate(
    quantity: str, formula: str, *, at: Mapping[str, Any] | None = None, syntax: str = "auto"
) -> None:
    """Raise the one-line error :func:`check` would raise for these inputs, without checking
    (to refuse a file of formulas before the first check runs)."""
    prepare_inputs(scalar_quantity(quantity), formula, at, syntax)


# --------------------------------------------------------------------------- the steps


def scalar_quantity(name: str) -> Quantity:
    """The scalar quantity ``name``; for another name, a one-line error that also lists the
    matrix quantities (:mod:`reports.formulas.matrix_quantities`)."""
    try:
        return get_quantity(name)
    except InvalidParameter as error:
        from reports.formulas.matrix_quantities import MATRIX_QUANTITIES

        if name in MATRIX_QUANTITIES:
            raise InvalidParameter(
                f"Got quantity {name!r}, a matrix quantity: check it with"
                " reports.formulas.matrix_check.check_matrix (dlnverify check does)."
            ) from None
        raise InvalidParameter(
            f"{str(error).removesuffix('.')}; matrix quantities: {', '.join(MATRIX_QUANTITIES)}."
        ) from None


def _prepare(
    quantity: str,
    formula: str,
    at: Mapping[str, Any] | None,
    syntax: str,
    timeout: float | None,
    seed: int,
) -> Inputs:
    """Validated inputs; the first error, in this order, of: the quantity, the time limit,
    the seed, the fixed values, the formula."""
    spec = scalar_quantity(quantity)
    if timeout is not None and not (timeout > 0 and math.isfinite(timeout)):
        raise InvalidParameter(f"Got {timeout=}, but the time limit must be a positive number.")
    if timeout is not None and timeout > MAX_SECONDS:
        raise InvalidParameter(
            f"Got {timeout=}, but the time limit must be at most {MAX_SECONDS:g} seconds (one day)."
        )
    check_seed(seed)
    return prepare_inputs(spec, formula, at, syntax)


def _derived_components(inputs: Inputs) -> dict[str, sp.Expr]:
    """The derived result by convention kind (at the fixed depth, if any), at the fixed
    values; derived once and kept (:mod:`reports.engine.quantity_cache`)."""
    components = cached_components(inputs.spec, fixed_depth(inputs.fixed))
    return {kind: at_fixed_values(expr, inputs.substitution) for kind, expr in components.items()}


def _on_boundary(inputs: Inputs) -> str | None:
    """The parameter held on its boundary at 0 (``s_b``, :data:`BOUNDARY_AT_ZERO`), if any."""
    return next((name for name in BOUNDARY_AT_ZERO if inputs.fixed.get(name) == 0), None)


def _check_boundary(inputs: Inputs, components: Mapping[str, sp.Expr]) -> None:
    """A one-line error if a value held on a boundary (``s_b = 0``, :data:`BOUNDARY_AT_ZERO`)
    leaves the derived result without a finite value or limit there."""
    name = _on_boundary(inputs)
    if name is None:
        return
    for kind, expr in components.items():
        if expr.has(sp.nan, sp.zoo, sp.oo, -sp.oo, sp.Limit):
            raise InvalidParameter(
                f"Got at {name}=0, but the derived {inputs.spec.name} ({kind} part) has no"
                f" finite value or limit there; hold {name} > 0."
            )


def _monte_carlo_on_boundary(
    sides: _Sides, explanation: _Explanation, n_points: int, rng: np.random.Generator
) -> tuple[NumericCheck | None, str]:
    """The Monte Carlo check with a second mode at 0 (``s_b = 0``), if the simulator can
    place it there: an observable that divides by the amplitude of that mode (a hidden
    direction read off its weights) gives no check, and the reason is returned instead."""
    name = _on_boundary(sides.inputs)
    try:
        with np.errstate(divide="raise", invalid="raise"):
            return _monte_carlo(_order_in_kappa(sides), explanation, n_points, rng), ""
    except FloatingPointError:
        return None, (
            f"Monte Carlo not run at {name} = 0: the simulated observable of"
            f" {sides.inputs.spec.name} divides by the amplitude of a mode at 0 (symbolic only)"
        )


class _Concluded(Exception):
    """A verdict reached before the comparison (at infinite depth: a formula whose limit is
    not finite, or a limit SymPy cannot take)."""

    def __init__(
        self,
        verdict: Verdict,
        symbolic: Symbolic,
        message: str,
        parsed: sp.Expr | None = None,
        derived: sp.Expr | None = None,
    ) -> None:
        super().__init__(message)
        self.verdict, self.symbolic, self.message = verdict, symbolic, message
        self.parsed, self.derived = parsed, derived


def _at_infinite_depth(
    inputs: Inputs, components: dict[str, sp.Expr]
) -> tuple[Inputs, sp.Expr, dict[str, sp.Expr]]:
    """The inputs, parsed formula and derived components in their limits ``L -> oo``
    (:mod:`reports.formulas.depth_limit`), ``L`` no longer a parameter.

    Raises
    ------
    dlnverify.errors.InvalidParameter
        The derived result has no finite limit.
    _Concluded
        Refuted: the formula's limit is not finite; undecided: SymPy cannot take a limit.
    """
    name = inputs.spec.name
    try:
        limits = derived_limits(inputs.spec, components)
        written = depth_limit(inputs.written)
    except LimitUnknown:
        raise _Concluded(
            Verdict.UNDECIDED,
            Symbolic.UNDECIDED,
            "SymPy could not take the limit L -> oo (of the derived result or of the formula)",
        ) from None
    if not is_finite(written):
        derived = sp.Add(*limits.values())
        raise _Concluded(
            Verdict.REFUTED,
            Symbolic.DIFFERENT,
            f"the formula tends to {sp.sstr(written)} as L -> oo, but the derived {name} has"
            f" the finite limit {sp.sstr(derived)}",
            written,
            derived,
        )
    spec = without_depth(inputs.spec)
    inputs = dataclasses.replace(inputs, spec=spec, written=written)
    return inputs, carried_out(at_fixed_values(written, inputs.substitution)), limits


@dataclass(frozen=True)
class _Sides:
    """What a check compares: the formula and the derived result at the fixed values, the
    forms in which they are compared, and the probe points."""

    inputs: Inputs
    symbols: dict[str, sp.Symbol]
    parsed: sp.Expr
    components: dict[str, sp.Expr]
    left: sp.Expr
    right: sp.Expr
    points: list[dict[str, float]]


def _sides(
    inputs: Inputs,
    parsed: sp.Expr,
    components: dict[str, sp.Expr],
    derived: sp.Expr,
    rng: np.random.Generator,
) -> _Sides:
    """The compared forms — the formulas, or their log-derivatives for a quantity defined
    up to a factor (the displayed ``derived`` stays the derived quantity itself) — and
    :data:`_PROBE_POINTS` probe points, drawn from ``rng``."""
    spec = inputs.spec
    left, right = spec.compared(carried_out(parsed, symbolic=True)), spec.compared(derived)
    points = probe_points(spec, rng, _PROBE_POINTS, inputs.fixed)
    if not points:
        raise outside_domain(spec, inputs.fixed)
    return _Sides(inputs, spec.symbols(), parsed, components, left, right, points)


def _compare_symbolically(sides: _Sides) -> SymbolicComparison:
    """The symbolic comparison; a formula in another convention's symbols (``eta`` where
    ``kappa`` belongs) is different without evaluation."""
    if sides.inputs.foreign:
        return SymbolicComparison(Symbolic.DIFFERENT, simplified(sides.left - sides.right))
    refuted = _refuted_at_a_point(sides)
    if refuted is not None:
        return refuted
    return compare_symbolically(sides.left, sides.right, sides.points, sides.symbols)


#: Seconds that simplifying the difference of a formula already refuted at a probe point may
#: take (within the check's own limit); past them the difference is shown as it stands.
_DIFFERENCE_SECONDS = 3.0


def _refuted_at_a_point(sides: _Sides) -> SymbolicComparison | None:
    """The outcome of :func:`~reports.formulas.symbolic.compare_symbolically` for a formula
    that differs from the derived result at a probe point, found without first simplifying
    the difference (seconds for a long expression): different, the first probe point where
    the two differ as the witness, as there; ``None`` (compare symbolically) if no point
    differs, or if the first that does is one where the formula is not a finite real (a
    removable singularity of an equal formula, which simplification would show equal) or
    where the gap is below :data:`_ROUNDOFF_FLOOR` (a side that is 0 there against
    round-off of the other).

    A difference at a point where both sides are finite reals proves that the two are not
    equal, so simplification could not show them equal: the verdict is the one it would
    give.  The difference shown is simplified as there, for at most
    :data:`_DIFFERENCE_SECONDS`, else shown unsimplified."""
    left, right, symbols = sides.left, sides.right, sides.symbols
    for point in sides.points:
        if not differs(left, right, point, symbols):
            continue
        mine, theirs = evaluate(left, point, symbols), evaluate(right, point, symbols)
        if mine is None or theirs is None or abs(mine - theirs) <= _ROUNDOFF_FLOOR:
            return None
        return SymbolicComparison(Symbolic.DIFFERENT, _shown_difference(left - right), point)
    return None


#: A gap this small between two 40-digit values may be round-off of terms that cancel (an
#: expanded polynomial that vanishes at the point): not taken as a proof of a difference.
_ROUNDOFF_FLOOR = 1e-25


def _shown_difference(gap: sp.Expr) -> sp.Expr:
    """``gap`` simplified (:func:`~reports.formulas.symbolic.simplified`) if that takes at
    most :data:`_DIFFERENCE_SECONDS`, else ``gap`` itself."""
    try:
        with time_limit(_DIFFERENCE_SECONDS) as share:
            return simplified(gap)
    except TimeLimitReached as reached:
        if share is None or reached.limit is not share:
            raise
        return gap


def _compare_depth_by_depth(sides: _Sides) -> tuple[SymbolicComparison, str]:
    r"""A formula with a sum or product whose number of terms depends on the free depth
    ``L`` (``\sum_{d=1}^{L-1}``), which SymPy does not carry out for a symbolic ``L``:
    different if it differs at a probe point; otherwise compared symbolically at every depth
    the quantity is checked at, the sums carried out there, which proves it at those depths
    only (undecided, with that said)."""
    left, right, symbols = sides.left, sides.right, sides.symbols
    difference = left - right
    for point in sides.points:
        if differs(left, right, point, symbols):
            return SymbolicComparison(Symbolic.DIFFERENT, difference, point), ""
    depth = PARAMETERS["L"].symbol
    low, high = sides.inputs.spec.depth_range
    for value in range(low, high + 1):
        at_depth = {depth: sp.Integer(value)}
        gap = carried_out(left.xreplace(at_depth)) - right.xreplace(at_depth)
        if simplified(gap) != 0:
            return SymbolicComparison(Symbolic.UNDECIDED, difference), (
                f"SymPy could not show it equal at L = {value} with the sums carried out"
            )
    return SymbolicComparison(Symbolic.UNDECIDED, difference), (
        f"SymPy proves it equal at every depth L = {low}-{high}, the sums carried out at each,"
        " not for every L (fix L with --at L=... for a proof at one depth)"
    )


def _compare_series(
    sides: _Sides, order: OrderTerm, rng: np.random.Generator
) -> tuple[SymbolicComparison, str]:
    """The formula against the derived result to the order of its order term
    (:func:`reports.formulas.step_comparison.compare_series`), and the reason when the two
    differ or SymPy cannot tell."""
    left, right = _series_sides(sides, order)
    compared = compare_series(left, right, order, rng=rng, n_points=_PROBE_POINTS)
    outcome = _SERIES_OUTCOMES[compared.verdict]
    difference = sp.Integer(0) if outcome == Symbolic.EQUAL else sides.left - sides.right
    reason = (
        ""
        if outcome == Symbolic.EQUAL
        else compared.message.replace("left - right", "formula - derived")
    )
    return SymbolicComparison(outcome, difference), reason


def _series_sides(sides: _Sides, order: OrderTerm) -> tuple[sp.Expr, sp.Expr]:
    """The two sides in the variable of ``order``: for a series in ``eta`` (a formula
    written in ``eta`` and ``B``), ``kappa = eta/B`` at fixed ``B``."""
    if order.variable == PARAMETERS["eta"].symbol:
        return series_in_eta(sides.left), series_in_eta(sides.right)
    return sides.left, sides.right


def _order_in_kappa(sides: _Sides) -> _Sides:
    """``sides`` with an order term in ``eta`` as the one in ``kappa`` that keeps the same
    terms (the compared expressions are in ``kappa``: the Monte Carlo check truncates them)."""
    order = sides.inputs.order
    if order is None or order_in_kappa(order) is order:
        return sides
    return dataclasses.replace(
        sides, inputs=dataclasses.replace(sides.inputs, order=order_in_kappa(order))
    )


#: The outcome of a series comparison as the outcome of a symbolic one.
_SERIES_OUTCOMES = {
    StepVerdict.PROVEN: Symbolic.EQUAL,
    StepVerdict.REFUTED: Symbolic.DIFFERENT,
    StepVerdict.SAMPLED: Symbolic.UNDECIDED,
    StepVerdict.UNDECIDED: Symbolic.UNDECIDED,
}


def _first_order_series(
    sides: _Sides, symbolic: SymbolicComparison, rng: np.random.Generator
) -> str:
    """For a formula without an order term that differs from a quantity derived to first
    order (:attr:`Quantity.first_order_in`): whether it agrees to that order, in words
    (empty otherwise)."""
    name = sides.inputs.spec.first_order_in
    if symbolic.outcome != Symbolic.DIFFERENT or name is None or name in sides.inputs.fixed:
        return ""
    if name == "kappa" and sides.inputs.in_eta:
        name = "eta"  # written in eta and B: the series in eta at fixed B
    first_order = OrderTerm(PARAMETERS[name].symbol, 2)
    left, right = _series_sides(sides, first_order)
    compared = compare_series(left, right, first_order, rng=rng, n_points=_PROBE_POINTS)
    quantity = sides.inputs.spec.name
    if compared.verdict == StepVerdict.PROVEN:
        return (
            f"it agrees with the derived result to first order in {name}, which is as far as"
            f" {quantity} is derived, but has terms of order {name}^2 and beyond that the"
            f" derivation does not give: drop them, or write + {first_order} to claim the first"
            " order only"
        )
    if compared.verdict == StepVerdict.REFUTED:
        return f"{quantity} is derived to first order in {name}, and {compared.message}"
    return ""


@dataclass(frozen=True)
class _Explanation:
    """Why the formula differs from the derived result (all empty when it does not):
    the convention under which it is right, the depths at which it agrees, and the
    counterexample ``{"parameters": ..., "formula": value, "derived": value}``."""

    convention: str | None = None
    depths: tuple[int, ...] = ()
    counterexample: dict[str, Any] | None = None


def _explain(sides: _Sides, symbolic: SymbolicComparison) -> _Explanation:
    """Convention, agreeing depths (for a free depth) and the smallest counterexample of a
    different formula; none of the last two for a formula in another convention's symbols."""
    if symbolic.outcome != Symbolic.DIFFERENT:
        return _Explanation()
    inputs, left, right, symbols = sides.inputs, sides.left, sides.right, sides.symbols
    convention = convention_match(sides.parsed, sides.components, sides.points, symbols)
    if inputs.order is not None:  # the series comparison names the order that differs
        return _Explanation(convention)
    depths: tuple[int, ...] = ()
    if "L" in inputs.spec.parameters and "L" not in inputs.fixed and not inputs.foreign:
        depths = agreeing_depths(left, right, inputs.spec, sides.points, symbols)
    if inputs.foreign:
        return _Explanation(convention, depths)
    found = smallest_counterexample(
        left, right, inputs.spec, symbols, symbolic.witness, inputs.fixed
    )
    if found is None:
        return _Explanation(convention, depths)
    counterexample = {
        "parameters": found,
        "formula": as_float(evaluate(left, found, symbols)),
        "derived": as_float(evaluate(right, found, symbols)),
    }
    return _Explanation(convention, depths, counterexample)


def _monte_carlo(
    sides: _Sides, explanation: _Explanation, n_points: int, rng: np.random.Generator
) -> NumericCheck | None:
    """The simulated observable against the formula at the first ``n_points`` probe points,
    the counterexample taking the first place; ``None`` without an observable or for a
    formula in another convention's symbols.  A formula with an order term is compared
    through its truncation to that order, and only where the derived result has no terms
    beyond it (the simulator measures the whole quantity)."""
    spec, order = sides.inputs.spec, sides.inputs.order
    if sides.inputs.foreign or spec.observable is None:
        return None
    formula = sides.left
    if order is not None:
        if simplified(order.truncation(sides.right) - sides.right) != 0:
            return None  # the simulator measures terms of the orders the formula leaves out
        formula = order.truncation(sides.left)
    points = sides.points[:n_points]
    if explanation.counterexample is not None:
        points = [explanation.counterexample["parameters"], *points[: max(0, n_points - 1)]]
    comparisons = []
    for point in points:
        value = evaluate(formula, point, sides.symbols)
        estimate = spec.observable(point, rng)
        comparisons.append(Comparison(dict(point), estimate, as_float(value)))
    return numeric_check(comparisons)


def _verdict(
    symbolic: Symbolic,
    numeric: NumericCheck | None,
    convention: str | None,
    *,
    simulated: bool = True,
    order: OrderTerm | None = None,
) -> tuple[Verdict, str]:
    """The verdict (see the module docstring) and its sentence; ``simulated`` says whether a
    Monte Carlo check was asked for, ``order`` is the formula's order term."""
    mc_ok = numeric is None or numeric.passed
    mc_text = (
        ""
        if numeric is None
        else (
            f"; Monte Carlo max |z| = {numeric.max_abs_z:.2f} (threshold {numeric.threshold:.2f})"
        )
    )
    if order is not None:
        mc_text += (
            "; Monte Carlo not run: the simulator measures the whole quantity, which has"
            f" terms beyond {order}"
            if numeric is None and simulated and symbolic != Symbolic.DIFFERENT
            else ""
        )
    if symbolic == Symbolic.EQUAL:
        if order is not None and mc_ok:
            return (
                Verdict.VERIFIED,
                f"agrees with the derived result {order.agreement()} (SymPy proves the series"
                f" equal); higher orders not compared{mc_text}",
            )
        if mc_ok:
            return Verdict.VERIFIED, "symbolically equal to the derived result" + mc_text
        return (
            Verdict.UNDECIDED,
            "symbolically equal to the derivation but the Monte Carlo check rejects it: an"
            " internal inconsistency between the derivation and the simulator; please report"
            + mc_text,
        )
    if symbolic == Symbolic.DIFFERENT:
        named = (
            f" It equals the derived result under the convention '{convention}'."
            if convention
            else ""
        )
        return Verdict.REFUTED, "differs from the derived result" + mc_text + "." + named
    if numeric is None:
        reason = (
            "the Monte Carlo check was not run (symbolic only)"
            if not simulated
            else "the formula states the quantity only to the order of its order term"
            if order is not None
            else "no Monte Carlo observable exists for this quantity"
        )
        return (
            Verdict.UNDECIDED,
            "SymPy could not prove the difference zero, it vanishes at every probed point, "
            f"and {reason}",
        )
    if mc_ok:
        return (
            Verdict.VERIFIED,
            "SymPy could not decide; equal at every probed point and the Monte Carlo check "
            "agrees (numeric verdict)" + mc_text,
        )
    return Verdict.REFUTED, "SymPy could not decide; the Monte Carlo check rejects it" + mc_text


def _with_notes(message: str, inputs: Inputs, depths: tuple[int, ...]) -> str:
    """``message`` with the depths at which the formula agrees (how to check it at one) and,
    for a quantity compared up to a factor, how it was compared."""
    if depths:
        shown = ", ".join(map(str, depths))
        message = message.removesuffix(".") + (
            f"; it agrees with the derived result at L = {shown} (at every probe point):"
            f" to check it at one depth, fix it (--at L={depths[0]})."
        )
    if "B" not in inputs.spec.parameters and PARAMETERS["B"].symbol in inputs.written.free_symbols:
        message = message.removesuffix(".") + (
            "; it depends on the batch size B other than through kappa = eta/B."
        )
    variable = inputs.spec.up_to_factor_in
    if variable is not None:
        message += (
            f" (compared up to a factor free of {variable}, through "
            f"d/d{variable} log; the counterexample values are log-derivatives)"
        )
    return message
