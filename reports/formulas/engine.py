r"""The check engine: is a user's formula for a quantity right?

``check(quantity, formula)`` parses the formula (never evaluating user text, see
:mod:`reports.formulas.parse`), compares it with the derived expression symbolically, looks for a
known convention rescaling (DESIGN.md §3) when they differ, finds the smallest
counterexample with hypothesis, and runs the Monte Carlo observable of the simulator at a few
parameter points (and at the counterexample).

Verdicts
--------
* ``verified``  — SymPy proves the difference zero and the Monte Carlo check agrees; or SymPy
  cannot decide, the difference vanishes at every probed point, and the Monte Carlo check
  agrees (the result says the verdict is numeric).
* ``refuted``   — the difference is provably non-zero (it is non-zero, far beyond round-off, at
  an exactly evaluated point), or the Monte Carlo check rejects the formula.
* ``undecided`` — the time limit ran out first.
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from derivations.conventions import CONVENTION_RESCALINGS, PARAMETERS
from dlnverify.errors import InvalidParameter
from reports.claims import get_quantity
from reports.engine.quantity import Quantity
from reports.engine.seed import check_seed
from reports.engine.verdict import Comparison, NumericCheck, numeric_check
from reports.formulas.parse import parse_formula
from reports.formulas.result import CheckResult, Symbolic, Verdict

__all__ = ["check", "validate"]

#: Symbols that only a differently-conventioned formula uses (DESIGN.md §3): accepted by the
#: parser so that the convention can be named, never equal to a derived result without them.
_CONVENTION_SYMBOLS = ("eta", "m")
#: Digits used when evaluating a difference exactly enough to call it non-zero.
_DIGITS = 40
#: A difference larger than this, relative to the size of the two sides, is not round-off.
_RELATIVE_GAP = 1e-12


class _Timeout(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`_Timeout` after ``seconds`` (main thread only; elsewhere no limit)."""
    usable = (
        seconds is not None
        and seconds > 0
        and hasattr(signal, "SIGALRM")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def _raise(signum: int, frame: Any) -> None:
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, float(seconds))  # type: ignore[arg-type]
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _compiled(expr: sp.Expr, symbols: Mapping[str, sp.Symbol]):
    """``expr`` as an mpmath function of the named parameters.

    Safe: ``expr`` is a tree the whitelisting parser built (or a derived expression), so
    the code SymPy's printer generates from it holds only arithmetic and whitelisted
    functions — never user text.
    """
    names = sorted(symbols)
    function = sp.lambdify([symbols[name] for name in names], expr, modules="mpmath")
    return names, function


def _evaluate(expr: sp.Expr, point: Mapping[str, float], symbols: Mapping[str, sp.Symbol]):
    """``expr`` at ``point`` with :data:`_DIGITS` digits; ``None`` if not a finite real."""
    names, function = _cached_compile(expr, symbols)
    with mpmath.workdps(_DIGITS):
        try:
            value = mpmath.mpmathify(function(*(mpmath.mpf(str(point[n])) for n in names)))
        except (ZeroDivisionError, ValueError, OverflowError, TypeError):
            return None
        if not mpmath.isfinite(value):
            return None
        if isinstance(value, mpmath.mpc):
            if abs(value.imag) > abs(value.real) * mpmath.mpf(10) ** (-_DIGITS + 5):
                return None
            value = value.real
        return value


def _float_or_nan(value: Any) -> float:
    """A value of :func:`_evaluate` as a float, ``nan`` where it is not a finite real (a
    value of 0 stays 0)."""
    return math.nan if value is None else float(value)


_COMPILED: dict = {}


def _cached_compile(expr: sp.Expr, symbols: Mapping[str, sp.Symbol]):
    key = (expr, tuple(sorted(symbols)))
    if key not in _COMPILED:
        _COMPILED[key] = _compiled(expr, symbols)
    return _COMPILED[key]


def _differs(formula: sp.Expr, reference: sp.Expr, point, symbols) -> bool | None:
    """Do ``formula`` and ``reference`` (the derived result) differ at ``point``?

    ``None`` (no verdict) where the reference is not a finite real; ``True`` where it is and
    the formula is not (a complex value, a division by zero): the quantity is real there.
    """
    mine, theirs = _evaluate(formula, point, symbols), _evaluate(reference, point, symbols)
    if theirs is None:
        return None
    if mine is None:
        return True
    scale = abs(mine) + abs(theirs) + mpmath.mpf(10) ** (-_DIGITS + 10)
    return bool(abs(mine - theirs) > _RELATIVE_GAP * scale)


def _probe_points(
    quantity: Quantity, rng: np.random.Generator, count: int, fixed: Mapping[str, Any]
) -> list[dict]:
    points: list[dict] = []
    attempts = 0
    while len(points) < count and attempts < 50 * count:
        attempts += 1
        point: dict[str, Any] = {}
        for name in quantity.parameters:
            if name in fixed:
                point[name] = fixed[name]
                continue
            if name == "L":  # deterministic coverage of depths, deepest-but-cheap first
                shallow, deep = quantity.depth_range
                depths = [d for d in (3, 2, 4, 5, 1, 6) if shallow <= d <= deep] or [shallow]
                point[name] = depths[len(points) % len(depths)]
                continue
            low, high = PARAMETERS[name].typical
            if PARAMETERS[name].integer:
                point[name] = int(rng.integers(int(low), int(high) + 1))
            else:
                # three significant digits: simple rationals for exact evaluation
                point[name] = float(f"{rng.uniform(max(low, 1e-3), high):.3g}")
        if _coincidence(quantity, point, fixed):
            continue
        if quantity.constraint is None or quantity.constraint(point):
            points.append(point)
    return points


def _coincidence(quantity: Quantity, point: Mapping[str, Any], fixed: Mapping[str, Any]) -> bool:
    """Does a drawn real parameter equal another real parameter of ``point``?

    Independent continuous draws coincide only through the three-digit rounding, and such a
    point can sit on a removable singularity of a closed form (``s_b = s`` in the geometric
    sums of ``two_mode_ito_drift``): it is drawn again.  Values the user fixes may coincide
    (:func:`_at_fixed_values` takes the limit there)."""
    reals = [name for name in quantity.parameters if not PARAMETERS[name].integer]
    return any(
        point[name] == point[other]
        for name in reals
        if name not in fixed
        for other in reals
        if other != name
    )


def _simplified(expr: sp.Expr) -> sp.Expr:
    candidates = [sp.simplify(expr)]
    if candidates[0] != 0:
        candidates.append(sp.simplify(sp.powsimp(sp.expand(expr), force=True)))
    return min(candidates, key=sp.count_ops)


def _symbolic_verdict(
    parsed: sp.Expr, derived: sp.Expr, points: list[dict], symbols
) -> tuple[Symbolic, sp.Expr, dict | None]:
    difference = _simplified(parsed - derived)
    if difference == 0:
        return Symbolic.EQUAL, difference, None
    # logarithms combined differently (log(a/b) against log a - log b): expanding them is
    # valid where every argument is positive, so it counts only if the two sides are also
    # real and equal at every probe point (a complex value there leaves it undecided)
    gap = parsed - derived
    if (
        gap.has(sp.log)
        and sp.simplify(sp.expand_log(gap, force=True)) == 0
        and all(_differs(parsed, derived, point, symbols) is False for point in points)
    ):
        return Symbolic.EQUAL, sp.Integer(0), None
    for point in points:
        if _differs(parsed, derived, point, symbols):
            return Symbolic.DIFFERENT, difference, point
    return Symbolic.UNDECIDED, difference, None


def _smallest_counterexample(
    parsed: sp.Expr,
    derived: sp.Expr,
    quantity: Quantity,
    symbols,
    fallback: dict | None,
    fixed: Mapping[str, Any],
) -> dict | None:
    """The simplest point where the two differ, by hypothesis's shrinking (deterministic)."""
    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis import strategies as st
    from hypothesis.errors import NoSuchExample

    fields: dict[str, Any] = {}
    for name in quantity.parameters:
        low, high = PARAMETERS[name].typical
        if name in fixed:
            fields[name] = st.just(fixed[name])
        elif name == "L":
            fields[name] = st.integers(*quantity.depth_range)
        elif PARAMETERS[name].integer:
            fields[name] = st.integers(int(low), int(high))
        else:
            fields[name] = st.floats(max(low, 1e-3), high).map(lambda v: float(f"{v:.3g}"))
    strategy = st.fixed_dictionaries(fields)
    if quantity.constraint is not None:
        strategy = strategy.filter(quantity.constraint)

    def condition(point: dict) -> bool:
        return bool(_differs(parsed, derived, point, symbols))

    try:
        return find(
            strategy,
            condition,
            settings=settings(
                derandomize=True,
                database=None,
                max_examples=200,
                deadline=None,
                # no "explain" phase: it re-runs the comparison hundreds of times to annotate
                # a failure report that find() never shows
                phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
                suppress_health_check=list(HealthCheck),
            ),
        )
    except NoSuchExample:
        return fallback


def _convention_match(
    parsed: sp.Expr, components: Mapping[str, sp.Expr], points, symbols
) -> str | None:
    for rescaling in CONVENTION_RESCALINGS:
        if not any(kind in rescaling.factors for kind in components):
            continue
        rescaled = sp.Add(
            *(
                rescaling.factors.get(kind, sp.Integer(1)) * expr
                for kind, expr in components.items()
            )
        )
        extra = rescaled.free_symbols - set(symbols.values())
        if extra:  # e.g. eta or m: the user may keep them symbolic, or not at all
            if not (parsed.free_symbols & extra):
                continue
            local = dict(symbols) | {str(sym): sym for sym in extra}
        else:
            local = symbols
        probe = [p | {str(sym): 0.37 + 0.11 * i for i, sym in enumerate(extra)} for p in points]
        if sp.simplify(parsed - rescaled) == 0 or all(
            _differs(parsed, rescaled, point, local) is False for point in probe
        ):
            return rescaling.name
    return None


def _agreeing_depths(
    left: sp.Expr, right: sp.Expr, quantity: Quantity, points: list[dict], symbols
) -> tuple[int, ...]:
    """Depths at which ``left`` and ``right`` agree at every probe point (moved to that
    depth; points outside the quantity's constraint there are skipped)."""
    low, high = quantity.depth_range
    agreeing = []
    for depth in range(low, high + 1):
        moved = [point | {"L": depth} for point in points]
        moved = [p for p in moved if quantity.constraint is None or quantity.constraint(p)]
        if moved and all(_differs(left, right, p, symbols) is False for p in moved):
            agreeing.append(depth)
    return tuple(agreeing)


def _monte_carlo(
    parsed: sp.Expr,
    quantity: Quantity,
    points: list[dict],
    symbols,
    rng: np.random.Generator,
) -> NumericCheck | None:
    if quantity.observable is None:
        return None
    comparisons = []
    for point in points:
        value = _evaluate(parsed, point, symbols)
        estimate = quantity.observable(point, rng)
        comparisons.append(
            Comparison(dict(point), estimate, math.nan if value is None else float(value))
        )
    return numeric_check(comparisons)


def _fixed_values(spec: Quantity, at: Mapping[str, Any] | None) -> dict[str, int | float]:
    """``at`` validated: parameters of ``spec``, numbers in their domains (one-line errors)."""
    fixed: dict[str, int | float] = {}
    for name, given in (at or {}).items():
        if name not in spec.parameters:
            raise InvalidParameter(
                f"Got at {name}=..., but the parameters of {spec.name} are"
                f" {', '.join(spec.parameters)}."
            )
        if name == spec.up_to_factor_in:
            raise InvalidParameter(
                f"Got at {name}=..., but {spec.name} is compared as a function of {name}"
                f" (up to a factor free of {name}), so {name} cannot be fixed."
            )
        try:
            if isinstance(given, bool):
                raise ValueError
            value = float(given)
        except (TypeError, ValueError):
            raise InvalidParameter(f"Got at {name}={given}, but it must be a number.") from None
        parameter = PARAMETERS[name]
        symbol = parameter.symbol
        if not math.isfinite(value):
            raise InvalidParameter(f"Got at {name}={given}, but it must be finite.")
        if parameter.integer and value != int(value):
            raise InvalidParameter(f"Got at {name}={given}, but {name} is an integer.")
        if symbol.is_positive and value <= 0:
            raise InvalidParameter(f"Got at {name}={given}, but {name} must be > 0.")
        if symbol.is_nonnegative and value < 0:
            raise InvalidParameter(f"Got at {name}={given}, but {name} must be >= 0.")
        if name == "L" and not spec.depth_range[0] <= value <= spec.depth_range[1]:
            low, high = spec.depth_range
            raise InvalidParameter(
                f"Got at L={given}, but {spec.name} is checked at depths {low}-{high}."
            )
        fixed[name] = int(value) if parameter.integer else value
    return fixed


def _outside_domain(spec: Quantity, fixed: Mapping[str, int | float]) -> InvalidParameter:
    shown = ", ".join(f"{name}={value:g}" for name, value in fixed.items())
    return InvalidParameter(
        f"Got at {shown}, but {spec.name} is checked only where"
        f" {spec.domain or 'its constraint holds'}."
    )


def _inputs(
    spec: Quantity, formula: str, at: Mapping[str, Any] | None, syntax: str
) -> tuple[dict[str, int | float], dict[sp.Symbol, sp.Rational], sp.Expr]:
    """The validated fixed values, their exact substitution, and the parsed formula with the
    substitution applied; one-line errors for anything wrong (nothing is checked yet)."""
    fixed = _fixed_values(spec, at)
    if fixed and not _probe_points(spec, np.random.default_rng(0), 1, fixed):
        raise _outside_domain(spec, fixed)
    symbols = spec.symbols()
    substitution = {symbols[name]: _exact(value) for name, value in fixed.items()}
    parsed = parse_formula(formula, syntax=syntax, allowed=(*spec.parameters, *_CONVENTION_SYMBOLS))
    return fixed, substitution, parsed


def _at_fixed_values(expr: sp.Expr, substitution: Mapping[sp.Symbol, sp.Rational]) -> sp.Expr:
    """``expr`` at the fixed values, one at a time; where a value lands on a removable
    singularity of a closed form (``0/0``, e.g. ``s_b = s`` in a geometric sum over layers),
    the two-sided limit there instead (left as ``nan`` if SymPy finds none)."""
    for symbol, value in substitution.items():
        replaced = expr.xreplace({symbol: value})
        if replaced.has(sp.nan, sp.zoo):
            try:
                limit = sp.limit(expr, symbol, value, dir="+-")
            except (NotImplementedError, ValueError, TypeError, ArithmeticError):
                limit = sp.nan
            if limit.is_finite or (limit.is_finite is None and not limit.has(sp.Limit)):
                replaced = limit
        expr = replaced
    return expr


def validate(
    quantity: str, formula: str, *, at: Mapping[str, Any] | None = None, syntax: str = "auto"
) -> None:
    """Raise the one-line error :func:`check` would raise for these inputs, without checking
    (to refuse a file of formulas before the first check runs)."""
    _inputs(get_quantity(quantity), formula, at, syntax)


def _fixed_depth(fixed: Mapping[str, int | float]) -> int | None:
    """The depth ``L`` held fixed, if any."""
    return None if "L" not in fixed else int(fixed["L"])


def _exact(value: int | float) -> sp.Rational:
    """A fixed value as the exact rational it prints as (``0.1`` is ``1/10``)."""
    return sp.Rational(str(value))


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
        One of :func:`reports.engine.quantity.all_quantities` (``"diffusion"``, ...).
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
    spec = get_quantity(quantity)
    if timeout is not None and not (timeout > 0 and math.isfinite(timeout)):
        raise InvalidParameter(f"Got {timeout=}, but the time limit must be a positive number.")
    check_seed(seed)
    fixed, substitution, written = _inputs(spec, formula, at, syntax)
    symbols = spec.symbols()
    foreign = written.free_symbols - set(symbols.values())
    parsed = written.xreplace(substitution)
    rng = np.random.default_rng(seed)
    derived: sp.Expr | None = None
    try:
        with _time_limit(timeout):
            parsed = _at_fixed_values(written, substitution)
            components = {
                kind: _at_fixed_values(expr, substitution)
                for kind, expr in spec.components_at(_fixed_depth(fixed)).items()
            }
            derived = sp.Add(*components.values())
            # what is compared: the formulas, or their log-derivatives for a quantity defined
            # up to a factor (the displayed ``derived`` stays the derived quantity itself)
            left, right = spec.compared(parsed), spec.compared(derived)
            points = _probe_points(spec, rng, 8, fixed)
            if not points:
                raise _outside_domain(spec, fixed)
            if foreign:  # e.g. eta where kappa belongs: never equal, nothing to evaluate
                symbolic, difference, witness = Symbolic.DIFFERENT, _simplified(left - right), None
            else:
                symbolic, difference, witness = _symbolic_verdict(left, right, points, symbols)
            convention = counterexample = None
            mc_points = points[:n_points]
            depths: tuple[int, ...] = ()
            if symbolic == Symbolic.DIFFERENT:
                convention = _convention_match(parsed, components, points, symbols)
                if "L" in spec.parameters and "L" not in fixed and not foreign:
                    depths = _agreeing_depths(left, right, spec, points, symbols)
                found = (
                    None
                    if foreign
                    else _smallest_counterexample(left, right, spec, symbols, witness, fixed)
                )
                if found is not None:
                    counterexample = {
                        "parameters": found,
                        "formula": _float_or_nan(_evaluate(left, found, symbols)),
                        "derived": _float_or_nan(_evaluate(right, found, symbols)),
                    }
                    mc_points = [found, *mc_points[: max(0, n_points - 1)]]
            numeric = (
                _monte_carlo(left, spec, mc_points, symbols, rng)
                if monte_carlo and not foreign
                else None
            )
    except _Timeout:
        return CheckResult(
            quantity,
            formula,
            Verdict.UNDECIDED,
            Symbolic.UNDECIDED,
            parsed=parsed,
            derived=derived,
            message=f"time limit of {timeout:g} s reached before a verdict",
            elapsed=time.perf_counter() - started,
            at=fixed,
        )
    verdict, message = _verdict(symbolic, numeric, convention)
    if depths:
        shown = ", ".join(map(str, depths))
        message = message.removesuffix(".") + (
            f"; it agrees with the derived result at L = {shown} (at every probe point):"
            f" to check it at one depth, fix it (--at L={depths[0]})."
        )
    if spec.up_to_factor_in is not None:
        message += (
            f" (compared up to a factor free of {spec.up_to_factor_in}, through "
            f"d/d{spec.up_to_factor_in} log; the counterexample values are log-derivatives)"
        )
    return CheckResult(
        quantity,
        formula,
        verdict,
        symbolic,
        parsed=parsed,
        derived=derived,
        difference=difference,
        convention=convention,
        counterexample=counterexample,
        numeric=numeric,
        message=message,
        elapsed=time.perf_counter() - started,
        at=fixed,
        depths=depths,
    )


def _verdict(
    symbolic: Symbolic, numeric: NumericCheck | None, convention: str | None
) -> tuple[Verdict, str]:
    mc_ok = numeric is None or numeric.passed
    mc_text = (
        ""
        if numeric is None
        else (
            f"; Monte Carlo max |z| = {numeric.max_abs_z:.2f} (threshold {numeric.threshold:.2f})"
        )
    )
    if symbolic == Symbolic.EQUAL:
        if mc_ok:
            return Verdict.VERIFIED, "symbolically equal to the derived result" + mc_text
        return (
            Verdict.REFUTED,
            "symbolically equal to the derivation but the Monte Carlo check rejects it — "
            "derivation and simulator disagree; please report" + mc_text,
        )
    if symbolic == Symbolic.DIFFERENT:
        named = (
            f" It equals the derived result under the convention '{convention}'."
            if convention
            else ""
        )
        return Verdict.REFUTED, "differs from the derived result" + mc_text + "." + named
    if numeric is None:
        return (
            Verdict.UNDECIDED,
            "SymPy could not prove the difference zero, it vanishes at every probed point, "
            "and no Monte Carlo observable exists for this quantity",
        )
    if mc_ok:
        return (
            Verdict.VERIFIED,
            "SymPy could not decide; equal at every probed point and the Monte Carlo check "
            "agrees (numeric verdict)" + mc_text,
        )
    return Verdict.REFUTED, "SymPy could not decide; the Monte Carlo check rejects it" + mc_text
