r"""Parse a user's formula, in SymPy syntax or LaTeX, into a SymPy expression, safely.

``dlnverify check QUANTITY FORMULA`` compares a formula typed by a user with a derived
quantity (DESIGN.md §7), so the text comes from outside and must never reach ``eval``,
``exec``, :func:`sympy.sympify`, :func:`sympy.parsing.sympy_parser.parse_expr` or
:mod:`sympy.parsing.latex` (the first three evaluate Python; SymPy's own docstring warns).
Instead it is read by one of two whitelisting parsers:
:func:`~reports.formulas.sympy_syntax.from_sympy_syntax` (an :mod:`ast` tree checked node by
node) or :func:`~reports.formulas.latex_syntax.from_latex` (a hand-written scanner and a
small ``lark`` grammar).  Both build from the exact symbols of
:mod:`derivations.conventions`, so their assumptions (``positive``, ``integer``) carry over
to the comparison, and both hold the text to the limits of :mod:`reports.formulas.guards`
(length, nesting, numbers, exponents, roots, finiteness); each refusal is a one-line
:class:`~dlnverify.errors.FormulaError` naming the problem.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import TypeVar

import sympy as sp

from dlnverify.errors import FormulaError, InvalidParameter
from reports.formulas.latex_syntax import formula_side_from_latex, from_latex, side_from_latex
from reports.formulas.letters import LetterKey, Letters
from reports.formulas.order_term import Side
from reports.formulas.sympy_syntax import (
    NotSympySyntax,
    formula_side_from_sympy_syntax,
    from_sympy_syntax,
    side_from_sympy_syntax,
)

__all__ = ["dispatched", "looks_like_latex", "parse_formula", "parse_formula_side", "parse_side"]

_Read = TypeVar("_Read")


def looks_like_latex(text: str) -> bool:
    r"""Whether ``text`` is LaTeX rather than SymPy syntax: it has a backslash or a brace."""
    return any(char in text for char in "\\{}")


def parse_formula(
    text: str, *, syntax: str = "auto", allowed: Iterable[str] | None = None
) -> sp.Expr:
    r"""Parse a user formula into a SymPy expression over the declared symbols.

    Parameters
    ----------
    text : str
        The formula, in SymPy syntax or LaTeX.
    syntax : {"auto", "sympy", "latex"}
        ``"auto"`` reads text with a backslash or a brace (:func:`looks_like_latex`) as LaTeX
        and everything else as SymPy syntax; if that is not Python-expression syntax or uses
        unknown names (``2 s``, ``L^2 s^2``, ``s_0``), it tries LaTeX and reports the
        SymPy-syntax error if that fails too.
    allowed : iterable of str, optional
        Names of the declared parameters the formula may use; default all of them.

    Returns
    -------
    sympy.Expr

    Raises
    ------
    FormulaError
        If the text is refused; the message is one line and names the problem.
    InvalidParameter
        On an unknown ``syntax`` or an undeclared name in ``allowed``.

    Examples
    --------
    >>> parse_formula(r"\kappa L^2 s^{4-\frac{4}{L}}")
    L**2*kappa*s**(4 - 4/L)
    """
    return dispatched(
        text,
        syntax,
        partial(from_sympy_syntax, allowed=allowed),
        partial(from_latex, allowed=allowed),
    )


def parse_formula_side(
    text: str,
    *,
    syntax: str = "auto",
    allowed: Iterable[str] | None = None,
    modes: Mapping[LetterKey, str] | None = None,
) -> Side:
    r"""Parse a ``check`` formula, with its order term if it has one.

    As :func:`parse_formula`; a term ``+ O(\kappa^2)`` (``\mathcal{O}``, ``o``; SymPy
    syntax ``O(kappa**2)``) of the whole formula is returned apart, and ``modes`` maps
    letters read as a declared parameter (``("s", "a")`` to ``"s"``: a mode subscript).

    Examples
    --------
    >>> side = parse_formula_side(r"\sigma + O(\kappa^2)")
    >>> side.expr, side.order
    (sigma, OrderTerm(variable=kappa, power=2, at_infinity=False, little=False))
    """
    return dispatched(
        text,
        syntax,
        partial(formula_side_from_sympy_syntax, allowed=allowed, modes=modes),
        partial(formula_side_from_latex, allowed=allowed, modes=modes),
    )


def dispatched(
    text: str,
    syntax: str,
    sympy_reader: Callable[[str], _Read],
    latex_reader: Callable[[str], _Read],
) -> _Read:
    """``text`` read by the reader ``syntax`` names; ``"auto"`` as :func:`parse_formula`
    describes it."""
    if syntax == "sympy":
        return sympy_reader(text)
    if syntax == "latex":
        return latex_reader(text)
    if syntax != "auto":
        raise InvalidParameter(
            f"Got syntax={syntax!r}, but syntax must be 'auto', 'sympy' or 'latex'."
        )
    if isinstance(text, str) and looks_like_latex(text):
        return latex_reader(text)
    try:
        return sympy_reader(text)
    except NotSympySyntax as failure:
        try:
            return latex_reader(text)
        except FormulaError:
            raise FormulaError(str(failure)) from None


def parse_side(text: str, *, letters: Letters, syntax: str = "auto") -> Side:
    r"""Parse one side of a relation in a derivation chain (``dlnverify check-steps``).

    As :func:`parse_formula`, with the chain language
    (:func:`~reports.formulas.latex_syntax.side_from_latex`,
    :func:`~reports.formulas.sympy_syntax.side_from_sympy_syntax`): free letters of
    ``letters``, sums, products, integrals, derivatives and an order term.

    Examples
    --------
    >>> parse_side(r"\sum_{l=1}^{L} l", letters=Letters()).expr
    Sum(l, (l, 1, L))
    """
    return dispatched(
        text,
        syntax,
        partial(side_from_sympy_syntax, letters=letters),
        partial(side_from_latex, letters=letters),
    )
