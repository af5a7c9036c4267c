"""A formula's exact value at a parameter point, and whether two formulas differ there.

An expression is compiled once (:func:`sympy.lambdify` to mpmath) and evaluated with 40
significant digits from the point's values as written (``0.1`` is one tenth, not the float
nearest to it).  Two values differ when their gap exceeds ``1e-12`` of their combined size:
far beyond the round-off of either evaluation, so a "differs" is a proof that the
expressions are not equal at that point.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import mpmath
import sympy as sp

__all__ = ["as_float", "differs", "evaluate"]

#: Digits used when evaluating a difference exactly enough to call it non-zero.
_DIGITS = 40
#: A difference larger than this, relative to the size of the two sides, is not round-off.
_RELATIVE_GAP = 1e-12

#: A compiled expression: the parameter names in argument order, and the mpmath function.
_Compiled = tuple[list[str], Callable[..., Any]]
_COMPILED: dict[tuple[sp.Expr, tuple[str, ...]], _Compiled] = {}


def _compiled(expr: sp.Expr, symbols: Mapping[str, sp.Symbol]) -> _Compiled:
    """``expr`` as an mpmath function of the named parameters.

    Safe: ``expr`` is a tree the whitelisting parser built (or a derived expression), so
    the code SymPy's printer generates from it holds only arithmetic and whitelisted
    functions — never user text.
    """
    names = sorted(symbols)
    function = sp.lambdify([symbols[name] for name in names], expr, modules="mpmath")
    return names, function


def _cached_compile(expr: sp.Expr, symbols: Mapping[str, sp.Symbol]) -> _Compiled:
    """:func:`_compiled`, once per expression and set of parameter names."""
    key = (expr, tuple(sorted(symbols)))
    if key not in _COMPILED:
        _COMPILED[key] = _compiled(expr, symbols)
    return _COMPILED[key]


def evaluate(
    expr: sp.Expr, point: Mapping[str, float], symbols: Mapping[str, sp.Symbol]
) -> mpmath.mpf | None:
    """``expr`` at ``point`` with 40 digits; ``None`` if not a finite real."""
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


def as_float(value: mpmath.mpf | None) -> float:
    """A value of :func:`evaluate` as a float, ``nan`` where it is not a finite real (a
    value of 0 stays 0)."""
    return math.nan if value is None else float(value)


def differs(
    formula: sp.Expr,
    reference: sp.Expr,
    point: Mapping[str, float],
    symbols: Mapping[str, sp.Symbol],
) -> bool | None:
    """Do ``formula`` and ``reference`` (the derived result) differ at ``point``?

    ``None`` (no verdict) where the reference is not a finite real; ``True`` where it is and
    the formula is not (a complex value, a division by zero): the quantity is real there.
    """
    mine, theirs = evaluate(formula, point, symbols), evaluate(reference, point, symbols)
    if theirs is None:
        return None
    if mine is None:
        return True
    scale = abs(mine) + abs(theirs) + mpmath.mpf(10) ** (-_DIGITS + 10)
    return bool(abs(mine - theirs) > _RELATIVE_GAP * scale)
