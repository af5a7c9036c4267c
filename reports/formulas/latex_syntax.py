r"""Formulas in LaTeX, parsed by a small grammar and built into SymPy by hand.

The text is tokenized by the hand-written scanner of :mod:`reports.formulas._latex_grammar`
and parsed by its ``lark`` grammar, never by :mod:`sympy.parsing.latex`; the tree is then
built into SymPy here, through the limits of :mod:`reports.formulas.guards`.  Single letters
must be declared parameters (``s L t T B m``; ``e`` is Euler's number); Greek letters
(``\sigma`` or the character ``σ``) and subscripts map through each parameter's declared
LaTeX (``\sigma_{\varepsilon}``, ``\sigma_\epsilon`` -> ``sigma_eps``; ``s_0``, ``s_{0}`` ->
``s0``).  A run of several letters without a backslash (``sigma``, ``Ls``, ``exp``) is
refused rather than read as a product of letters, because that reading is almost never what
was meant; write ``\sigma``, ``L s``, ``\exp``.  A number directly after another factor
(``s 2``, ``(a+b)2``) is refused for the same reason; write ``2 s`` or use ``\cdot``.

:func:`side_from_latex` reads one side of a relation in a derivation chain: there, any other
single letter is a free symbol (:class:`~reports.formulas.letters.Letters`), and the chain
constructs of the grammar are built as unevaluated SymPy objects (:class:`~sympy.Sum`,
:class:`~sympy.Product`, :class:`~sympy.Integral`, :class:`~sympy.Derivative`), so that what
is echoed is what was written.  A bound variable (the index of a sum or product, the variable
of an integral) stands for its own symbol inside its body and may not also appear free in the
same side; the bounds of a sum or product must be integers (or :math:`\pm\infty`);
``\infty`` appears only as a limit; derivatives have order at most
:data:`MAX_DERIVATIVE_ORDER`; an order term (:mod:`reports.formulas.order_term`) must be a
term of the whole side.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import lark
import sympy as sp

from derivations.conventions import PARAMETERS
from dlnverify.errors import FormulaError
from reports.formulas._latex_grammar import LATEX_PARSER, canonical_subscript, tokenize_latex
from reports.formulas.guards import (
    ALLOWED_FUNCTIONS,
    MAX_NODES,
    MAX_TREE_DEPTH,
    GuardedArithmetic,
    SumTerms,
    allowed_symbols,
    checked_bound,
    checked_text,
    exact_decimal,
    excerpt,
    finished,
    within_limits,
)
from reports.formulas.letters import PARAMETER_LETTERS, LetterKey, Letters
from reports.formulas.order_term import OrderTerm, Side, order_term, without_order

__all__ = [
    "MAX_DERIVATIVE_ORDER",
    "finished_side",
    "formula_side_from_latex",
    "from_latex",
    "side_from_latex",
]

#: Highest order of the derivatives of one expression in a chain, all together
#: (``\frac{d^4}{ds^4}``, or ``\frac{d}{ds}`` and ``\frac{d^3}{ds^3}``): each order
#: multiplies the size of the expression SymPy builds.
MAX_DERIVATIVE_ORDER = 4

_LATEX_NAMES = PARAMETER_LETTERS


def _latex_spelling(key: tuple[str, str | None]) -> str:
    r"""A ``(base, subscript)`` key written back as LaTeX (``\sigma_{\epsilon}``), for
    messages."""
    base, sub = key
    text = base if len(base) == 1 else "\\" + base
    if sub is not None:
        text += "_{" + (sub if len(sub) == 1 or sub.isdigit() else "\\" + sub) + "}"
    return text


class _LatexBuilder:
    """Turns the lark tree of :mod:`reports.formulas._latex_grammar` into a SymPy expression."""

    def __init__(
        self,
        symbols: Mapping[str, sp.Symbol],
        letters: Letters | None = None,
        modes: Mapping[LetterKey, str] | None = None,
    ) -> None:
        self.symbols = symbols
        #: a chain's free letters (``None``: a ``check`` formula, declared letters only)
        self.letters = letters
        #: letters read as a declared parameter of a ``check`` formula (``s_a`` as ``s``)
        self.modes: Mapping[LetterKey, str] = modes or {}
        #: the letters so read, as written, and the parameter each was read as
        self.renamed: dict[str, str] = {}
        #: the terms of the sums and products of a ``check`` formula
        self.sums = SumTerms()
        self.arithmetic = GuardedArithmetic()
        #: bound variables in scope, innermost last, and what binds each (``\sum``)
        self.bound: list[tuple[LetterKey, sp.Symbol]] = []
        self.binders: dict[LetterKey, str] = {}
        #: letters read as free symbols
        self.free: set[LetterKey] = set()
        #: inside the limits of a sum, product or integral (where ``\infty`` may stand)
        self.in_limits = 0
        #: the order of all derivatives built so far
        self.derivatives = 0

    def refuse_symbol(self, key: tuple[str, str | None]) -> FormulaError:
        spelled = _latex_spelling(key)
        allowed = ", ".join(PARAMETERS[name].latex for name in self.symbols)
        name = _LATEX_NAMES.get(key)
        what = (
            f"{spelled} ({name}) is not allowed here"
            if name
            else f"{spelled} is not a declared parameter"
        )
        return FormulaError(f"{what}; allowed symbols: {allowed or '(none)'}, \\pi, e")

    def symbol(self, base: lark.Token, sub: str | None) -> sp.Expr:
        if base.type == "LETTER" and len(base.value) > 1:
            word = base.value
            if word in PARAMETERS:
                hint = f"write {PARAMETERS[word].latex}"
            elif word in ALLOWED_FUNCTIONS:
                hint = f"write \\{word}"
            else:
                hint = "separate single-letter factors with spaces or \\cdot"
            raise FormulaError(
                f"multi-letter name {excerpt(word)} at column {base.column} in LaTeX: {hint}"
            )
        key = (base.value, sub)
        for bound_key, bound_symbol in reversed(self.bound):
            if bound_key == key:
                return bound_symbol
        if key == ("e", None):
            return sp.E
        if self.letters is not None:
            self.free.add(key)
            return self.letters.symbol(key)
        if key in self.binders:
            raise FormulaError(
                f"{_latex_spelling(key)} is the variable of {self.binders[key]} and may appear"
                " only inside it"
            )
        name = _LATEX_NAMES.get(key)
        if (name is None or name not in self.symbols) and key in self.modes:
            name = self.modes[key]
            self.renamed[_latex_spelling(key)] = name
        if name is None or name not in self.symbols:
            raise self.refuse_symbol(key)
        return self.symbols[name]

    def infinity(self, token: lark.Token) -> sp.Expr:
        if not self.in_limits:
            raise FormulaError(
                f"\\infty at column {token.column} outside the limits of a sum, product or integral"
            )
        return sp.oo

    def variable(self, tree: lark.Tree, what: str) -> LetterKey:
        """The letter of a ``var`` node that a sum, product, integral or derivative binds
        or differentiates by."""
        children: Any = tree.children
        base = children[0].children[0]
        sub = self.subscript(children[1].children[1]) if len(children) > 1 else None
        if (base.type == "LETTER" and len(base.value) > 1) or (base.value, sub) == ("e", None):
            raise FormulaError(
                f"{excerpt(base.value)} at column {base.column} cannot be the variable of"
                f" {what}: use one letter other than e"
            )
        return base.value, sub

    def bind(
        self, key: LetterKey, symbol: sp.Symbol, binder: str, body: Any, depth: int
    ) -> sp.Expr:
        """``body`` built with the letter ``key`` bound to ``symbol`` by ``binder``."""
        self.bound.append((key, symbol))
        try:
            return self.build(body, depth)
        finally:
            self.bound.pop()
            self.binders.setdefault(key, binder)

    def limit(self, node: lark.Tree | lark.Token, depth: int, arg: bool) -> sp.Expr:
        """A limit of a sum, product or integral (``\\infty`` allowed)."""
        self.in_limits += 1
        try:
            if arg:
                assert isinstance(node, lark.Tree)
                return self.arg(node, "limit", depth)
            return self.build(node, depth)
        finally:
            self.in_limits -= 1

    def bigop(self, children: Any, depth: int) -> sp.Expr:
        kind = children[0].value
        if children[1].type == "UNDERSCORE":
            var, lower, upper = children[3], children[5], children[8]
        else:
            upper, var, lower = children[2], children[5], children[7]
        command = "\\" + kind
        key = self.variable(var, command)
        low = self.limit(lower, depth, arg=False)
        high = self.limit(upper, depth, arg=True)
        symbol = Letters.bound(key, integer=True)
        operator = sp.Sum if kind == "sum" else sp.Product
        if self.letters is not None:
            checked_bound(low, "lower", command)
            checked_bound(high, "upper", command)
            body = self.bind(key, symbol, command, children[9], depth)
            return within_limits(operator(body, (symbol, low, high)))
        name = _LATEX_NAMES.get(key)
        own = name is not None and (PARAMETERS[name].chain_letter or name in self.symbols)
        if own or key in self.modes:
            raise FormulaError(
                f"{_latex_spelling(key)} cannot be the variable of {command}: it is a parameter;"
                " use a new letter (d, l, k)"
            )
        terms = self.sums.enter(low, high, command)
        try:
            body = self.bind(key, symbol, command, children[9], depth)
        finally:
            self.sums.leave(terms)
        return within_limits(operator(body, (symbol, low, high)))

    def integral(self, children: Any, depth: int) -> sp.Expr:
        rest = list(children[1:])
        limits = (
            rest.pop(0) if isinstance(rest[0], lark.Tree) and rest[0].data == "limits" else None
        )
        if limits is None:
            raise FormulaError(
                f"\\int at column {children[0].column} has no limits: an indefinite integral is"
                " defined only up to a constant; write \\int_a^b"
            )
        at = next(i for i, item in enumerate(rest) if isinstance(item, lark.Token))
        var = rest[at + 1]
        body = rest[0] if at == 1 else rest[2]
        key = self.variable(var, "\\int")
        parts: Any = limits.children
        lower, upper = (
            (parts[1], parts[3]) if parts[0].type == "UNDERSCORE" else (parts[3], parts[1])
        )
        low = self.limit(lower, depth, arg=True)
        high = self.limit(upper, depth, arg=True)
        symbol = Letters.bound(key, integer=False)
        integrand = self.bind(key, symbol, "\\int", body, depth)
        return within_limits(sp.Integral(integrand, (symbol, low, high)))

    def order_of(self, node: lark.Tree | None, depth: int) -> int:
        """The order written as ``^n`` (1 without one)."""
        if node is None:
            return 1
        value = self.arg(node.children[1], "order", depth)  # type: ignore[arg-type]
        if not (isinstance(value, sp.Integer) and 1 <= value <= MAX_DERIVATIVE_ORDER):
            raise FormulaError(
                f"derivative of order {sp.sstr(value)}: orders 1 to {MAX_DERIVATIVE_ORDER}"
                " are accepted"
            )
        return int(value)

    def derivative(self, children: Any, depth: int) -> sp.Expr:
        operator = children[0]
        numerator = self.order_of(
            children[1] if isinstance(children[1], lark.Tree) else None, depth
        )
        variables = []
        for dvar in (c for c in children if isinstance(c, lark.Tree) and c.data == "dvar"):
            parts: Any = dvar.children
            if parts[0].value != operator.value:
                raise FormulaError(f"derivative at column {operator.column} mixes d and \\partial")
            key = self.variable(parts[1], "a derivative")
            order = self.order_of(parts[2] if len(parts) > 2 else None, depth)
            variables.append((self.symbol_of(key), order))
        total = sum(order for _, order in variables)
        if total != numerator:
            raise FormulaError(
                f"derivative at column {operator.column}: the numerator has order {numerator}"
                f" but the denominator {total}"
            )
        if operator.value == "d" and len({symbol for symbol, _ in variables}) > 1:
            raise FormulaError(
                f"derivative at column {operator.column} in several variables: write \\partial"
            )
        self.differentiate(total)
        body = self.build(children[-1], depth)
        return within_limits(sp.Derivative(body, *variables))

    def differentiate(self, order: int) -> None:
        """Count ``order`` more derivatives; at most :data:`MAX_DERIVATIVE_ORDER` in all."""
        self.derivatives += order
        if self.derivatives > MAX_DERIVATIVE_ORDER:
            raise FormulaError(
                f"derivatives of order {self.derivatives} in one expression: at most"
                f" {MAX_DERIVATIVE_ORDER} in all are accepted"
            )

    def partial(self, children: Any, depth: int) -> sp.Expr:
        tokens = [t for t in children[2].children if t.type not in {"LBRACE", "RBRACE"}]
        token = tokens[0]
        if len(tokens) != 1 or token.type not in {"LETTER", "GREEK"}:
            raise FormulaError(
                f"\\partial at column {children[0].column}: write one letter as its"
                " subscript, e.g. \\partial_x"
            )
        key = self.variable(lark.Tree("var", [lark.Tree("base", [token])]), "\\partial")
        order = self.order_of(children[3] if len(children) == 5 else None, depth)
        self.differentiate(order)
        body = self.build(children[-1], depth)
        return within_limits(sp.Derivative(body, (self.symbol_of(key), order)))

    def symbol_of(self, key: LetterKey) -> sp.Expr:
        """The symbol a letter stands for here (a bound variable, or a free letter)."""
        base = lark.Token("LETTER" if len(key[0]) == 1 else "GREEK", key[0])
        value = self.symbol(base, key[1])
        if not isinstance(value, sp.Symbol):  # pragma: no cover - variable() refuses e
            raise FormulaError(f"cannot differentiate by {sp.sstr(value)}")
        return value

    def number(self, token: lark.Token, where: str | None = None) -> sp.Expr:
        if where is not None and (len(token.value) > 1):
            raise FormulaError(
                f"ambiguous {where} {excerpt(token.value)} at column {token.column}: LaTeX takes "
                f"one character here; write {{{token.value}}} in braces"
            )
        return exact_decimal(token.value)

    def arg(self, tree: lark.Tree, where: str, depth: int) -> sp.Expr:
        children: Any = tree.children
        if len(children) == 3:
            return self.build(children[1], depth + 1)
        token = children[0]
        assert isinstance(token, lark.Token)
        if token.type == "NUMBER":
            return self.number(token, where)
        if token.type == "CONST":
            return sp.pi if token.value == "pi" else sp.E
        if token.type == "INFTY":
            return self.infinity(token)
        if token.type == "LETTER" and len(token.value) > 1:
            raise FormulaError(
                f"ambiguous {where} {excerpt(token.value)} at column {token.column}: LaTeX "
                f"takes one letter here; write {{{token.value}}} in braces"
            )
        return self.symbol(token, None)

    def symexpr(self, tree: lark.Tree, depth: int) -> sp.Expr:
        parts: Any = tree.children
        base_token = parts[0].children[0]
        sub = None
        sup: sp.Expr | None = None
        for part in parts[1:]:
            if part.data == "sub":
                sub = self.subscript(part.children[1])
            else:
                sup = self.arg(part.children[1], "exponent", depth)
        value = self.symbol(base_token, sub)
        return value if sup is None else self.arithmetic.power(value, sup)

    def subscript(self, tree: lark.Tree) -> str:
        children: Any = tree.children
        tokens = [tok for tok in children if tok.type not in {"LBRACE", "RBRACE"}]
        if len(tokens) != 1:
            text = " ".join(tok.value for tok in tokens)
            raise FormulaError(f"unknown subscript {excerpt(text)}")
        return canonical_subscript(tokens[0].value)

    def build(self, node: lark.Tree | lark.Token, depth: int) -> sp.Expr:
        if depth > MAX_TREE_DEPTH:
            raise FormulaError(f"formula nested too deeply (more than {MAX_TREE_DEPTH} levels)")
        if isinstance(node, lark.Token):  # pragma: no cover - the grammar wraps every token
            raise FormulaError(f"unexpected {excerpt(node.value)} at column {node.column}")
        rule = node.data
        children: Any = node.children  # lark types children loosely; the grammar fixes them
        down = depth + 1
        if rule == "start":
            return self.build(children[0], down)
        if rule == "sum":
            terms = [self.build(children[0], down)]
            for op, child in zip(children[1::2], children[2::2], strict=True):
                value = self.build(child, down)
                terms.append(value if op.type == "PLUS" else -value)
            return self.arithmetic.sum(terms)
        if rule == "product":
            factors = [self.build(children[0], down)]
            previous = children[0]
            rest = iter(children[1:])
            for item in rest:
                if isinstance(item, lark.Token):  # MUL or DIV, then its operand
                    previous = next(rest)
                    value = self.build(previous, down)
                    inverse = item.type == "DIV"
                    factors.append(
                        self.arithmetic.power(value, sp.Integer(-1)) if inverse else value
                    )
                else:
                    first = _first_token(item)
                    if first.type == "NUMBER":
                        raise FormulaError(
                            f"number {excerpt(first.value)} at column {first.column} directly "
                            "follows another factor: put numbers first, or use \\cdot"
                        )
                    if self.letters is not None and _applied(previous, item.children[0]):
                        raise FormulaError(
                            f"a letter applied to a letter in parentheses at column"
                            f" {first.column} (like f(x)): a chain has no function names, so"
                            " this would read as a product; write the function's formula, or"
                            " f \\cdot (x) for a product"
                        )
                    previous = item.children[0]
                    factors.append(self.build(previous, down))
            return self.arithmetic.product(factors)
        if rule == "neg":
            return -self.build(children[1], down)
        if rule == "pos":
            return self.build(children[1], down)
        if rule == "pow":
            base = self.build(children[0], down)
            return self.arithmetic.power(base, self.arg(children[2], "exponent", down))
        if rule == "symexpr":
            return self.symexpr(node, down)
        if rule == "number":
            return self.number(children[0])
        if rule == "const":
            return sp.pi if children[0].value == "pi" else sp.E
        if rule == "group":
            return self.build(children[1], down)
        if rule == "abs":
            return within_limits(sp.Abs(self.build(children[1], down)))
        if rule == "frac":
            numerator = self.arg(children[1], "fraction argument", down)
            denominator = self.arg(children[2], "fraction argument", down)
            return self.arithmetic.quotient(numerator, denominator)
        if rule == "sqrt":
            radicand = self.arg(children[-1], "square-root argument", down)
            if len(children) == 2:
                return self.arithmetic.power(radicand, sp.Rational(1, 2))
            index = self.build(children[2], down)
            return self.arithmetic.power(radicand, self.arithmetic.power(index, sp.Integer(-1)))
        if rule == "call":
            return self.arithmetic.call(children[0].value, [self.build(children[1], down)])
        if rule == "infinity":
            return self.infinity(children[0])
        if rule == "bigop":
            return self.bigop(children, down)
        if rule == "integral":
            return self.integral(children, down)
        if rule == "derivative":
            return self.derivative(children, down)
        if rule == "partial":
            return self.partial(children, down)
        if rule == "order":
            raise FormulaError(
                f"order term at column {children[0].column} inside an expression: an order"
                " term must be a term of the whole side, e.g. ... + O(\\kappa^2)"
            )
        if rule == "funcarg":
            if len(children) == 1:
                return self.build(children[0], down)
            first = children[0]
            value = (
                self.number(first)
                if first.type == "NUMBER"
                else self.build(lark.Tree("const", [first]), down)
            )
            if len(children) == 3:
                value = self.arithmetic.power(value, self.arg(children[2], "exponent", down))
            return value
        raise AssertionError(f"unhandled grammar rule {rule!r}")  # pragma: no cover


def _side(builder: _LatexBuilder, tree: lark.Tree) -> Side:
    """The side the tree of a chain expression stands for: its terms, with an order term
    (``O(...)``, ``- O(...)``) taken apart."""
    top: Any = tree.children[0]
    items: list[tuple[str, Any]]
    if isinstance(top, lark.Tree) and top.data == "sum":
        parts: Any = top.children
        items = [("PLUS", parts[0])]
        items += [(op.type, child) for op, child in zip(parts[1::2], parts[2::2], strict=True)]
    else:
        items = [("PLUS", top)]
    terms: list[sp.Expr] = []
    orders: list[OrderTerm] = []
    for sign, node in items:
        inner: Any = node
        while isinstance(inner, lark.Tree) and inner.data in {"neg", "pos"}:
            inner = inner.children[1]
        if isinstance(inner, lark.Tree) and inner.data == "order":
            group: Any = inner.children[1]
            argument = builder.build(group.children[1], 2)
            marker: Any = inner.children[0]
            orders.append(order_term(argument, little=marker.value == "o"))
            continue
        value = builder.build(node, 1)
        terms.append(value if sign == "PLUS" else -value)
    if len(orders) > 1:
        raise FormulaError("more than one order term on one side; keep the lowest order only")
    return Side(builder.arithmetic.sum(terms), orders[0] if orders else None)


def finished_side(expr: sp.Expr) -> sp.Expr:
    """``expr`` after checking that it is a SymPy expression with no ``nan`` or complex
    infinity, and infinity only as a limit of a sum, product or integral."""
    if not isinstance(expr, sp.Expr):
        raise FormulaError(f"formula does not denote a number (got {type(expr).__name__})")
    if expr.has(sp.zoo, sp.nan):
        raise FormulaError("formula is undefined or infinite (a division by zero?)")
    operators = (sp.Sum, sp.Product, sp.Integral)
    bodies = expr.replace(lambda e: isinstance(e, operators), lambda e: e.function)
    if bodies.has(sp.oo, sp.S.NegativeInfinity):
        raise FormulaError("formula is infinite")
    return expr


def _applied(factor: Any, following: Any) -> bool:
    """Whether ``factor following`` looks like a function applied to its argument: a letter
    (no exponent) and then a parenthesised letter, ``f(x)``, ``\\mu_a(s)``."""

    def bare_letter(node: Any) -> bool:
        return (
            isinstance(node, lark.Tree)
            and node.data == "symexpr"
            and all(part.data != "sup" for part in node.children[1:])
        )

    if not (isinstance(following, lark.Tree) and following.data == "group"):
        return False
    parts: Any = following.children
    return bare_letter(factor) and parts[0].type == "LPAR" and bare_letter(parts[1])


def _first_token(tree: lark.Tree | lark.Token) -> lark.Token:
    """The leftmost token of ``tree``."""
    while isinstance(tree, lark.Tree):
        tree = tree.children[0]
    return tree


def _tree_size_and_depth(tree: lark.Tree) -> tuple[int, int]:
    """Number of nodes (tokens included) and depth of ``tree``, without recursion."""
    size = deepest = 0
    stack: list[tuple[lark.Tree | lark.Token, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        size += 1
        deepest = max(deepest, depth)
        if isinstance(node, lark.Tree):
            stack.extend((child, depth + 1) for child in node.children)
    return size, deepest


def formula_side_from_latex(
    text: str,
    *,
    allowed: Iterable[str] | None = None,
    modes: Mapping[LetterKey, str] | None = None,
) -> Side:
    r"""Parse a ``check`` formula written in LaTeX, with its order term if it has one.

    As :func:`from_latex`; an order term ``+ O(\kappa^2)`` (``\mathcal{O}``, ``o``) must be
    a term of the whole formula and is returned apart (:class:`Side`); ``modes`` maps
    letters that stand for a declared parameter (a mode subscript: ``("s", "a")`` to
    ``"s"``), and :attr:`Side.renamed` lists those read so.

    Raises
    ------
    FormulaError
        As :func:`from_latex`; also a misplaced or malformed order term.
    """
    symbols = allowed_symbols(allowed)
    tree = _tree(checked_text(text), chain=False)
    builder = _LatexBuilder(symbols, modes=modes)
    side = _side(builder, tree)
    return Side(finished(side.expr), side.order, tuple(builder.renamed.items()))


def from_latex(text: str, *, allowed: Iterable[str] | None = None) -> sp.Expr:
    r"""Parse a formula written in LaTeX.

    The accepted subset is listed in :mod:`reports.formulas._latex_grammar`; for example
    ``\kappa L^{2} s^{4-\frac{4}{L}}\left(2(\sigma-s)^2+\sigma_{\varepsilon}^2\right)``.

    Parameters
    ----------
    text : str
        The formula (math-mode content, without ``$``).
    allowed : iterable of str, optional
        Names of the declared parameters the formula may use; default all of them.

    Returns
    -------
    sympy.Expr
        Built from the declared symbols, with exact rational numbers.

    Raises
    ------
    FormulaError
        On an unknown command, a multi-letter name, an undeclared symbol, a syntax error,
        unbalanced brackets, or a guard.
    InvalidParameter
        If ``allowed`` names an undeclared parameter.
    """
    return without_order(formula_side_from_latex(text, allowed=allowed))


def side_from_latex(text: str, *, letters: Letters) -> Side:
    r"""Parse one side of a relation in a derivation chain, written in LaTeX.

    As :func:`from_latex`, with the chain language of
    :mod:`reports.formulas._latex_grammar`: any single letter other than ``e`` that is not a
    declared parameter is a free symbol of ``letters``; sums, products, integrals and
    derivatives stay unevaluated; an order term is returned apart (module docstring).

    Raises
    ------
    FormulaError
        As :func:`from_latex`; also a bound variable that appears free in the same side, a
        non-integer bound of a sum, ``\infty`` outside limits, an indefinite integral, a
        derivative of too high an order, a misplaced or malformed order term.
    """
    tree = _tree(checked_text(text), chain=True)
    builder = _LatexBuilder({}, letters)
    side = _side(builder, tree)
    clash = sorted(builder.free & set(builder.binders))
    if clash:
        key = clash[0]
        raise FormulaError(
            f"{_latex_spelling(key)} is the variable of {builder.binders[key]} and also appears"
            " outside it in the same expression; rename one of them"
        )
    return Side(finished_side(side.expr), side.order)


def _tree(text: str, *, chain: bool) -> lark.Tree:
    """The checked parse tree of ``text`` (size, depth, syntax)."""
    tokens = tokenize_latex(text, chain=chain)
    if len(tokens) > MAX_NODES:
        raise FormulaError(f"formula too large: more than {MAX_NODES} tokens")
    if not tokens:
        raise FormulaError("empty formula")
    try:
        tree = LATEX_PARSER.parse(tokens)
    except lark.exceptions.UnexpectedToken as error:
        token = error.token
        if token.type == "$END":
            raise FormulaError("LaTeX formula ends too early (a missing argument?)") from None
        raise FormulaError(
            f"LaTeX syntax error at column {token.column}: unexpected {excerpt(str(token))}"
        ) from None
    except lark.exceptions.LarkError as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise FormulaError(f"LaTeX syntax error: {message}") from None
    size, depth = _tree_size_and_depth(tree)
    if size > 4 * MAX_NODES:
        raise FormulaError(f"formula too large: {size} parse-tree nodes")
    if depth > MAX_TREE_DEPTH:
        raise FormulaError(f"formula nested too deeply (more than {MAX_TREE_DEPTH} levels)")
    return tree
