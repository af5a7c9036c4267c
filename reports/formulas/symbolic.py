"""The symbolic comparison of a formula with the derived result: is their difference zero?

SymPy simplifies the difference (two routes, the shorter result kept).  Zero is
:attr:`~reports.formulas.result.Symbolic.EQUAL`; so is a difference that vanishes once
logarithms are expanded, provided the two sides are real and equal at every probe point
(expanding ``log(a/b)`` into ``log a - log b`` is valid only where the arguments are
positive).  Otherwise the difference is :attr:`~reports.formulas.result.Symbolic.DIFFERENT`
if it is non-zero, beyond round-off, at an exactly evaluated probe point
(:func:`reports.formulas.evaluation.differs`), and
:attr:`~reports.formulas.result.Symbolic.UNDECIDED` if it vanishes at every one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sympy as sp

from reports.formulas.evaluation import differs
from reports.formulas.result import Symbolic

__all__ = ["SymbolicComparison", "compare_symbolically", "simplified"]


@dataclass(frozen=True)
class SymbolicComparison:
    """Outcome of :func:`compare_symbolically`.

    Attributes
    ----------
    outcome : Symbolic
        Equal, different or undecided.
    difference : sympy.Expr
        ``formula - derived``, simplified (0 when equal).
    witness : dict or None
        A probe point where the two differ (when different).
    """

    outcome: Symbolic
    difference: sp.Expr
    witness: dict[str, float] | None = None


def simplified(expr: sp.Expr) -> sp.Expr:
    """The shorter (by operation count) of ``simplify(expr)`` and, unless that is 0, of
    ``simplify`` after expanding and merging powers."""
    candidates = [sp.simplify(expr)]
    if candidates[0] != 0:
        candidates.append(sp.simplify(sp.powsimp(sp.expand(expr), force=True)))
    return min(candidates, key=sp.count_ops)


def compare_symbolically(
    formula: sp.Expr,
    derived: sp.Expr,
    points: Sequence[dict[str, float]],
    symbols: Mapping[str, sp.Symbol],
) -> SymbolicComparison:
    """Compare ``formula`` with ``derived`` symbolically, ``points`` deciding what SymPy
    cannot (see the module docstring)."""
    difference = simplified(formula - derived)
    if difference == 0:
        return SymbolicComparison(Symbolic.EQUAL, difference)
    # logarithms combined differently (log(a/b) against log a - log b): expanding them is
    # valid where every argument is positive, so it counts only if the two sides are also
    # real and equal at every probe point (a complex value there leaves it undecided)
    gap = formula - derived
    if (
        gap.has(sp.log)
        and sp.simplify(sp.expand_log(gap, force=True)) == 0
        and all(differs(formula, derived, point, symbols) is False for point in points)
    ):
        return SymbolicComparison(Symbolic.EQUAL, sp.Integer(0))
    for point in points:
        if differs(formula, derived, point, symbols):
            return SymbolicComparison(Symbolic.DIFFERENT, difference, point)
    return SymbolicComparison(Symbolic.UNDECIDED, difference)
