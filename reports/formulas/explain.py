"""Why a formula differs from the derived result, in three findings a user can act on.

* A known convention (DESIGN.md §3, :data:`derivations.conventions.CONVENTION_RESCALINGS`)
  under which the formula equals the derived result: each convention rescales the derived
  result's components by kind, and may bring its own symbols (``eta``, ``m``).
* The depths ``L`` at which the formula agrees with the derived result at every probe point:
  a formula written for one depth.
* The simplest point where the two differ, found by hypothesis's shrinking (derandomized, so
  the same formula always gets the same counterexample).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sympy as sp

from derivations.conventions import CONVENTION_RESCALINGS, PARAMETERS
from reports.engine.quantity import Quantity
from reports.formulas.evaluation import differs, evaluate

__all__ = ["agreeing_depths", "convention_match", "smallest_counterexample"]


def convention_match(
    parsed: sp.Expr,
    components: Mapping[str, sp.Expr],
    points: Sequence[dict[str, float]],
    symbols: Mapping[str, sp.Symbol],
) -> str | None:
    """The name of the first convention under which ``parsed`` equals the derived result
    (given by its ``components``): symbolically, or at every probe point (a convention's own
    symbols set to fixed values there).  A convention under which the two differ at a probe
    point, both sides finite there, is passed over without simplifying (it cannot match)."""
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
            local: Mapping[str, sp.Symbol] = dict(symbols) | {str(sym): sym for sym in extra}
        else:
            local = symbols
        probe = [p | {str(sym): 0.37 + 0.11 * i for i, sym in enumerate(extra)} for p in points]
        if _apart_at_a_point(parsed, rescaled, probe, local):
            continue  # not equal, so simplify (seconds) could not show it equal
        if sp.simplify(parsed - rescaled) == 0 or all(
            differs(parsed, rescaled, point, local) is False for point in probe
        ):
            return rescaling.name
    return None


def _apart_at_a_point(
    left: sp.Expr,
    right: sp.Expr,
    points: Sequence[dict[str, float]],
    symbols: Mapping[str, sp.Symbol],
) -> bool:
    """Whether both sides are finite reals at one of ``points`` and differ there far beyond
    round-off (:func:`~reports.formulas.evaluation.differs`): then they are not the same
    expression.  A side that is not a finite real there proves nothing (it may be a
    removable singularity of an equal expression)."""
    for point in points:
        if evaluate(left, point, symbols) is None or evaluate(right, point, symbols) is None:
            continue
        if differs(left, right, point, symbols):
            return True
    return False


def agreeing_depths(
    left: sp.Expr,
    right: sp.Expr,
    quantity: Quantity,
    points: Sequence[dict[str, float]],
    symbols: Mapping[str, sp.Symbol],
) -> tuple[int, ...]:
    """Depths at which ``left`` and ``right`` agree at every probe point (moved to that
    depth; points outside the quantity's constraint there are skipped).  A depth where the
    derived ``right`` vanishes at every such point is left out: agreeing there says nothing
    (the Itô drift, a factor ``L - 1``, at ``L = 1``)."""
    low, high = quantity.depth_range
    agreeing = []
    zero = sp.Integer(0)
    for depth in range(low, high + 1):
        moved = [point | {"L": depth} for point in points]
        moved = [p for p in moved if quantity.constraint is None or quantity.constraint(p)]
        if not moved or all(differs(right, zero, p, symbols) is False for p in moved):
            continue
        if all(differs(left, right, p, symbols) is False for p in moved):
            agreeing.append(depth)
    return tuple(agreeing)


def smallest_counterexample(
    parsed: sp.Expr,
    derived: sp.Expr,
    quantity: Quantity,
    symbols: Mapping[str, sp.Symbol],
    fallback: dict[str, float] | None,
    fixed: Mapping[str, float],
) -> dict[str, float] | None:
    """The simplest point where the two differ, by hypothesis's shrinking (deterministic);
    ``fallback`` if hypothesis finds none."""
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

    def exact(point: dict[str, float]) -> bool:
        return bool(differs(parsed, derived, point, symbols))

    screen = _float_screen(parsed, derived, symbols)

    def screened(point: dict[str, float]) -> bool:
        return screen(point) or exact(point)

    def search(condition: Any) -> dict[str, float] | None:
        try:
            return find(
                strategy,
                condition,
                settings=settings(
                    derandomize=True,
                    database=None,
                    max_examples=200,
                    deadline=None,
                    # no "explain" phase: it re-runs the comparison hundreds of times to
                    # annotate a failure report that find() never shows
                    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
                    suppress_health_check=list(HealthCheck),
                ),
            )
        except NoSuchExample:
            return fallback

    found = search(screened)
    if found is None or found is fallback or exact(found):
        return found
    return search(exact)  # the float screen misled the search (cancellation): exactly again


#: Relative gap of two float64 values that the float screen takes as a difference: far
#: beyond the round-off of a well-conditioned evaluation (about 1e-15).
_FLOAT_GAP = 1e-6
#: The screen's conditioning test: the continuous parameters moved by this relative amount
#: may move each side by at most :data:`_NUDGE_CHANGE` (relative), a condition number below
#: about 1e3, so that float64's error (condition number times 1e-16) stays far below the gap.
_NUDGE = 1e-7
_NUDGE_CHANGE = 1e-4


def _float_screen(
    parsed: sp.Expr, derived: sp.Expr, symbols: Mapping[str, sp.Symbol]
) -> Callable[[dict[str, float]], bool]:
    """A fast first look for the counterexample search: ``True`` where both sides evaluate in
    float64 to finite values more than :data:`_FLOAT_GAP` apart (relative), ``False`` where
    it cannot tell (the exact :func:`~reports.formulas.evaluation.differs` decides then).

    An ill-conditioned side can make float64 wrong by more than that: a point where moving
    the continuous parameters by :data:`_NUDGE` moves a side by more than
    :data:`_NUDGE_CHANGE` is left to the exact evaluation; and a point found with the screen
    is confirmed exactly, the search redone exactly if it is not.  Sides
    with sums or products (carried out per depth) are never screened.
    """
    if parsed.has(sp.Sum, sp.Product) or derived.has(sp.Sum, sp.Product):
        return lambda point: False
    names = sorted(symbols)
    arguments = [symbols[name] for name in names]
    try:
        left = sp.lambdify(arguments, parsed, modules="math")
        right = sp.lambdify(arguments, derived, modules="math")
    except Exception:  # a function the math module lacks: no screen
        return lambda point: False

    continuous = [not PARAMETERS[name].integer if name in PARAMETERS else False for name in names]

    def values_at(point: dict[str, float], nudge: float) -> tuple[float, float] | None:
        values = [
            float(point[name]) * (nudge if moved else 1.0)
            for name, moved in zip(names, continuous, strict=True)
        ]
        try:
            mine, theirs = float(left(*values)), float(right(*values))
        except (ArithmeticError, ValueError, TypeError):
            return None
        return (mine, theirs) if math.isfinite(mine) and math.isfinite(theirs) else None

    def steady(at: float, nudged: float) -> bool:
        return abs(at - nudged) <= _NUDGE_CHANGE * (abs(at) + abs(nudged))

    def apart(point: dict[str, float]) -> bool:
        here, there = values_at(point, 1.0), values_at(point, 1.0 + _NUDGE)
        if here is None or there is None:
            return False
        (mine, theirs), (mine_nudged, theirs_nudged) = here, there
        if not (steady(mine, mine_nudged) and steady(theirs, theirs_nudged)):
            return False  # ill-conditioned here: float64 may be far off
        return abs(mine - theirs) > _FLOAT_GAP * (abs(mine) + abs(theirs))

    return apart
