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
"""

from __future__ import annotations

import types
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
    allowed_symbols,
    checked_text,
    exact_decimal,
    excerpt,
    finished,
    within_limits,
)

__all__ = ["from_latex"]


def _latex_key(latex: str) -> tuple[str, str | None]:
    r"""``(base, subscript)`` of a declared parameter's LaTeX (``\sigma_{\varepsilon}``)."""
    tokens = [tok for tok in tokenize_latex(latex) if tok.type not in {"LBRACE", "RBRACE"}]
    base = tokens[0].value
    if len(tokens) == 1:
        return base, None
    if len(tokens) == 3 and tokens[1].type == "UNDERSCORE":
        return base, canonical_subscript(tokens[2].value)
    raise AssertionError(f"declared LaTeX {latex!r} is not a (sub)scripted letter")


#: Declared parameters by their LaTeX spelling: (base letter, canonical subscript) -> name.
_LATEX_NAMES: Mapping[tuple[str, str | None], str] = types.MappingProxyType(
    {_latex_key(p.latex): name for name, p in PARAMETERS.items()}
)


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

    def __init__(self, symbols: Mapping[str, sp.Symbol]) -> None:
        self.symbols = symbols
        self.arithmetic = GuardedArithmetic()

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
        if key == ("e", None):
            return sp.E
        name = _LATEX_NAMES.get(key)
        if name is None or name not in self.symbols:
            raise self.refuse_symbol(key)
        return self.symbols[name]

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
            rest = iter(children[1:])
            for item in rest:
                if isinstance(item, lark.Token):  # MUL or DIV, then its operand
                    value = self.build(next(rest), down)
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
                    factors.append(self.build(item.children[0], down))
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
    symbols = allowed_symbols(allowed)
    text = checked_text(text)
    tokens = tokenize_latex(text)
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
    return finished(_LatexBuilder(symbols).build(tree, 0))
