r"""An order term, ``+ O(\kappa^2)``, and a side of a relation that may carry one.

A theorist writes ``\mu = L s^{2-2/L}(\sigma - s) + O(\kappa)`` to claim the formula to
first order in :math:`\kappa`, and nothing beyond.  The order term is read apart from the
expression (:class:`Side`), never as SymPy's :class:`~sympy.series.order.Order`, which would
silently absorb the terms it dominates; a step that carries one compares the two sides'
series in that variable to that order (:mod:`reports.formulas.step_comparison`).

The accepted terms: ``O(p^n)`` (``\mathcal{O}``; also ``O(p)``) with ``p`` one letter and
``n`` a positive integer, for :math:`p \to 0`: the coefficients of :math:`p^0, \dots,
p^{n-1}` are compared; ``O(1/p^n)`` (``O(p^{-n})``), for :math:`p \to \infty`: the same in
:math:`1/p`; ``o(p^n)`` compares the coefficients through :math:`p^n`.  An order term must be
a term of the whole side (``a + b + O(\kappa^2)``), once per side.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from derivations.conventions import to_latex
from dlnverify.errors import FormulaError

__all__ = ["MAX_ORDER", "OrderTerm", "Side", "order_term", "without_order"]

#: Highest power of an order term: a series to this order is cheap, and a derivation never
#: needs more.
MAX_ORDER = 12


_ORDINALS = {1: "first", 2: "second", 3: "third"}


@dataclass(frozen=True)
class OrderTerm:
    r"""An order term ``O(p^n)``, ``O(1/p^n)`` or ``o(p^n)``.

    Attributes
    ----------
    variable : sympy.Symbol
        The small (or, :attr:`at_infinity`, large) variable :math:`p`.
    power : int
        :math:`n \ge 1`.
    at_infinity : bool
        ``O(1/p^n)``: the series is in :math:`1/p` at :math:`p \to \infty`.
    little : bool
        ``o(p^n)`` rather than ``O(p^n)``.
    """

    variable: sp.Symbol
    power: int
    at_infinity: bool = False
    little: bool = False

    @property
    def compared(self) -> int:
        """How many leading coefficients of the series are compared (``O(p^n)``: ``n``;
        ``o(p^n)``: ``n + 1``)."""
        return self.power + 1 if self.little else self.power

    def text(self) -> str:
        """The term as SymPy syntax: ``O(kappa**2)``, ``O(1/N)``, ``o(kappa)``."""
        name = str(self.variable)
        power = name if self.power == 1 else f"{name}**{self.power}"
        argument = f"1/{power}" if self.at_infinity else power
        return f"{'o' if self.little else 'O'}({argument})"

    def latex(self) -> str:
        """The term as LaTeX."""
        power = sp.latex(self.variable**self.power)
        argument = rf"\frac{{1}}{{{power}}}" if self.at_infinity else power
        return rf"{'o' if self.little else 'O'}\left({argument}\right)"

    def __str__(self) -> str:
        return self.text()

    def agreement(self) -> str:
        """What agreeing to this order means, in words: ``to first order in kappa``, ``at
        order kappa^0``, ``through (1/N)^2``."""
        name = f"1/{self.variable}" if self.at_infinity else str(self.variable)
        highest = self.compared - 1
        if highest == 0:
            return f"at order {name}^0"
        if highest in _ORDINALS and not self.at_infinity:
            return f"to {_ORDINALS[highest]} order in {name}"
        return f"through ({name})^{highest}" if self.at_infinity else f"through {name}^{highest}"

    def truncation(self, expr: sp.Expr) -> sp.Expr:
        r"""The terms of ``expr``'s series in :attr:`variable` that this order term keeps
        (below :math:`p^n`; ``o``: through :math:`p^n`), as an expression without an order
        term; in powers of :math:`1/p` at infinity."""
        if not self.at_infinity:
            return sp.series(expr, self.variable, 0, self.compared).removeO()
        small = sp.Dummy("q", positive=True)
        series = sp.series(expr.xreplace({self.variable: 1 / small}), small, 0, self.compared)
        return series.removeO().xreplace({small: 1 / self.variable})


def order_term(argument: sp.Expr, *, little: bool) -> OrderTerm:
    """The order term whose argument is ``argument`` (``kappa**2``, ``1/N``); a one-line
    :class:`FormulaError` for any other argument."""
    base, exponent = argument.as_base_exp()
    if isinstance(base, sp.Symbol) and isinstance(exponent, sp.Integer) and exponent != 0:
        power = abs(int(exponent))
        if power > MAX_ORDER:
            raise FormulaError(f"order term of order {power}: at most {MAX_ORDER} is accepted")
        return OrderTerm(base, power, at_infinity=exponent < 0, little=little)
    raise FormulaError(
        f"the order term {'o' if little else 'O'}({sp.sstr(argument)}) is not a power of one"
        " letter: write O(\\kappa^2), O(\\epsilon) or O(1/N)"
    )


@dataclass(frozen=True)
class Side:
    """One side of a relation in a chain: the expression and its order term, if any.

    Attributes
    ----------
    expr : sympy.Expr
        The side without its order term.
    order : OrderTerm or None
        The order term written on this side.
    renamed : tuple of (str, str)
        Letters of a ``check`` formula read as a declared parameter, as written and the
        parameter's name (a mode subscript: ``("s_{a}", "s")``).
    """

    expr: sp.Expr
    order: OrderTerm | None = None
    renamed: tuple[tuple[str, str], ...] = ()

    def text(self) -> str:
        """The side as SymPy syntax, with its order term."""
        shown = sp.sstr(self.expr)
        if self.order is None:
            return shown
        return self.order.text() if self.expr == 0 else f"{shown} + {self.order.text()}"

    def latex(self) -> str:
        """The side as LaTeX, with its order term."""
        shown = to_latex(self.expr)
        if self.order is None:
            return shown
        return self.order.latex() if self.expr == 0 else f"{shown} + {self.order.latex()}"


def without_order(side: Side) -> sp.Expr:
    """The expression of ``side``, which must have no order term (a one-line
    :class:`FormulaError` otherwise: the caller takes an expression only)."""
    if side.order is not None:
        raise FormulaError(
            f"an order term ({side.order}) is read by check, which compares the series to that"
            " order; an expression alone cannot carry one"
        )
    return side.expr
