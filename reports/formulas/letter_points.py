r"""Points at which the two sides of a step are compared: exact rational values of its
symbols, each in its domain.

A step of a derivation chain that SymPy cannot prove is compared at sampled points
(:mod:`reports.formulas.step_comparison`); a point where the two sides differ refutes it.  So
that a counterexample can be checked by hand, the first two points are simple (small
fractions such as 1/2, 3/2, 2/3 and small integers, all different, never 0 or 1, which hide
factors and powers; a real letter is 1/2 at the first and -3/2 at the second); the others
are drawn from a seeded generator, real values rounded to three
significant digits (exact rationals such as 1.37 = 137/100).

Domains, from each symbol's assumptions:

* a declared parameter (:data:`derivations.conventions.PARAMETERS`) its typical range, the
  depth ``L`` cycling through 3, 2, 4, 5, 1, 6 as in ``check``
  (:mod:`reports.formulas.points`);
* a free letter (:class:`~reports.formulas.letters.Domain`): positive in (0.05, 2];
  non-negative in [0, 2]; real in [-2, 2]; a natural number 1 to 6; an integer -3 to 6.

Two real symbols never get the same value (a closed form may have a removable singularity
there, e.g. :math:`(a^2 - b^2)/(a - b)`).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import sympy as sp

from derivations.conventions import PARAMETERS

__all__ = ["point_text", "sample_points"]

_DECLARED = {p.symbol: p for p in PARAMETERS.values()}
_DEPTHS = (3, 2, 4, 5, 1, 6)
_SIMPLE_POSITIVE = tuple(
    sp.Rational(v)
    for v in ("1/2", "3/2", "2/3", "5/4", "3/5", "7/4", "4/3", "5/2", "2/5", "9/4", "3/4")
)
_SIMPLE_REAL = tuple(sp.Rational(v) for v in ("1/2", "-3/2", "2/3", "-5/4", "3/5", "-7/4", "4/3"))
_SIMPLE_INTEGERS = (3, 2, 4, 5, 6, 7, 8)


def _ordered(symbols: Iterable[sp.Symbol]) -> list[sp.Symbol]:
    return sorted(set(symbols), key=lambda symbol: (symbol.name, str(symbol.assumptions0)))


def _simple(symbol: sp.Symbol, used: set[sp.Rational]) -> sp.Rational:
    """The first simple value in the symbol's domain not used yet."""
    parameter = _DECLARED.get(symbol)
    if symbol.is_integer:
        candidates: Iterable[sp.Rational] = [sp.Integer(v) for v in _SIMPLE_INTEGERS]
    elif symbol.is_nonnegative:
        candidates = _SIMPLE_POSITIVE
    else:
        candidates = _SIMPLE_REAL
    if parameter is not None and not symbol.is_integer:
        low, high = parameter.typical
        inside = [
            value
            for value in (*_SIMPLE_POSITIVE, *(sp.Rational(1, n) for n in (4, 5, 10, 20, 50, 100)))
            if low <= value <= high
        ]
        candidates = inside or [sp.Rational(str(round((low + high) / 2, 3)))]
    candidates = list(candidates)
    fresh = [value for value in candidates if value not in used]
    return fresh[0] if fresh else candidates[0]


def _drawn(symbol: sp.Symbol, rng: np.random.Generator, index: int) -> sp.Rational:
    """A random value in the symbol's domain (module docstring)."""
    parameter = _DECLARED.get(symbol)
    if parameter is not None:
        low, high = parameter.typical
        if parameter.name == "L":
            return sp.Integer(_DEPTHS[index % len(_DEPTHS)])
        if parameter.integer:
            return sp.Integer(int(rng.integers(int(low), int(high) + 1)))
        return sp.Rational(f"{rng.uniform(max(low, 1e-3), high):.3g}")
    if symbol.is_integer:
        low, high = (1, 6) if symbol.is_positive else (0, 6) if symbol.is_nonnegative else (-3, 6)
        return sp.Integer(int(rng.integers(low, high + 1)))
    if symbol.is_positive:
        return sp.Rational(f"{rng.uniform(0.05, 2.0):.3g}")
    if symbol.is_nonnegative:
        return sp.Rational(f"{rng.uniform(0.0, 2.0):.3g}")
    value = rng.uniform(-2.0, 2.0)
    return sp.Rational(f"{value if abs(value) > 0.01 else 0.5:.3g}")


def sample_points(
    symbols: Iterable[sp.Symbol], rng: np.random.Generator, count: int
) -> list[dict[sp.Symbol, sp.Rational]]:
    """Up to ``count`` different points over ``symbols``: the simple points first, then drawn
    ones (module docstring); a drawn point where two real symbols coincide, or that repeats
    an earlier one, is drawn again (up to 20 times).  No symbols: the one empty point."""
    ordered = _ordered(symbols)
    if not ordered:
        return [{}][:count]
    points: list[dict[sp.Symbol, sp.Rational]] = []
    for _simple_point in range(2):  # the second one also simple, negative where it may be
        used: set[sp.Rational] = set()
        point: dict[sp.Symbol, sp.Rational] = {}
        for symbol in ordered:
            earlier = {p[symbol] for p in points}
            point[symbol] = _simple(symbol, used | earlier)
            used.add(point[symbol])
        if point not in points:
            points.append(point)
    index = 1
    while len(points) < count and index < 20 * count:
        for _attempt in range(20):
            point = {symbol: _drawn(symbol, rng, index) for symbol in ordered}
            reals = [value for symbol, value in point.items() if not symbol.is_integer]
            if len(set(reals)) == len(reals) and point not in points:
                points.append(point)
                break
        index += 1
    return points[:count]


def point_text(point: dict[sp.Symbol, sp.Rational]) -> str:
    """``x = 1/2, y = 3/2``."""
    return ", ".join(f"{symbol} = {value}" for symbol, value in point.items())
