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

__all__ = ["as_float", "carried_out", "differs", "evaluate"]

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


def carried_out(expr: sp.Expr, *, symbolic: bool = False) -> sp.Expr:
    r"""``expr`` with every sum and product whose bounds are numbers carried out term by term
    (the parser bounds how many terms that makes:
    :func:`reports.formulas.guards.checked_formula_range`); ``symbolic``: also those with
    symbolic bounds where SymPy finds a closed form (:math:`\sum_{l=1}^{L} 1 = L`; the
    others stay as written)."""
    if not expr.has(sp.Sum, sp.Product):
        return expr

    def numeric(e: sp.Expr) -> bool:
        return all(bound.is_number for limit in e.limits for bound in limit[1:])

    return expr.replace(
        lambda e: isinstance(e, sp.Sum | sp.Product) and (symbolic or numeric(e)),
        lambda e: e.doit(),
    )


def _at_integers(
    expr: sp.Expr, point: Mapping[str, float], symbols: Mapping[str, sp.Symbol]
) -> sp.Expr:
    """``expr`` with its integer parameters (the depth ``L``) at their values in ``point``
    and its sums and products carried out there: a sum to ``L - 1`` has a number of terms
    only at a given depth."""
    values = {
        symbol: sp.Integer(int(point[name]))
        for name, symbol in symbols.items()
        if symbol.is_integer and name in point and float(point[name]).is_integer()
    }
    key = (expr, tuple(sorted((str(s), int(v)) for s, v in values.items())))
    if key not in _CARRIED_OUT:
        _CARRIED_OUT[key] = carried_out(expr.xreplace(values))
    return _CARRIED_OUT[key]


_CARRIED_OUT: dict[tuple[sp.Expr, tuple[tuple[str, int], ...]], sp.Expr] = {}


def evaluate(
    expr: sp.Expr, point: Mapping[str, float], symbols: Mapping[str, sp.Symbol]
) -> mpmath.mpf | None:
    """``expr`` at ``point`` with 40 digits; ``None`` if not a finite real.  Sums and
    products are carried out at the point's depth first (:func:`carried_out`)."""
    if expr.has(sp.Sum, sp.Product):
        expr = _at_integers(expr, point, symbols)
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
