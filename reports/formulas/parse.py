r"""Parse a user's formula (SymPy syntax or LaTeX) into a SymPy expression, safely.

``dlnverify check QUANTITY FORMULA`` compares a formula typed by a user with a derived
quantity (DESIGN.md §7), so the text comes from outside and must never reach ``eval``,
``exec``, :func:`sympy.sympify`, :func:`sympy.parsing.sympy_parser.parse_expr` or
:mod:`sympy.parsing.latex` (the first three evaluate Python; SymPy's own docstring warns).
Instead:

* **SymPy syntax** (``kappa*L**2*s**(4-4/L)*(2*(sigma-s)**2+sigma_eps**2)``; ``^`` is read as
  ``**``) is parsed by :func:`ast.parse` and the tree is walked against a whitelist: binary
  ``+ - * / **``, unary ``+ -``, integer and decimal literals (made exact rationals from their
  text), the declared parameter names (Unicode Greek letters read as their names: ``κ`` is
  ``kappa``, ``σ_ε`` is ``sigma_eps``), the constants ``pi`` and ``E``, and calls of
  :data:`ALLOWED_FUNCTIONS` with one positional argument.  Anything else (attributes,
  subscripts, lambdas, comprehensions, keywords, strings, conditionals, comparisons, ...) is
  refused before any SymPy object is built.
* **LaTeX** is tokenized by a hand-written scanner and parsed by a small ``lark`` grammar
  (:mod:`reports.formulas._latex_grammar`); the tree is then built by hand into SymPy.  Single letters
  must be declared parameters (``s L t T B m``; ``e`` is Euler's number); Greek letters
  (``\sigma`` or the character ``σ``) and
  subscripts map through each parameter's declared LaTeX (``\sigma_{\varepsilon}``,
  ``\sigma_\epsilon`` -> ``sigma_eps``; ``s_0``, ``s_{0}`` -> ``s0``).  A run of several
  letters without a backslash (``sigma``, ``Ls``, ``exp``) is refused rather than read as a
  product of letters, because that reading is almost never what was meant; write ``\sigma``,
  ``L s``, ``\exp``.  A number directly after another factor (``s 2``, ``(a+b)2``) is
  refused for the same reason; write ``2 s`` or use ``\cdot``.

Symbols are the exact objects of :mod:`derivations.conventions`, so their assumptions
(``positive``, ``integer``) carry over to the comparison.

The limits every formula is held to (length, nesting, numbers, exponents, roots, finiteness)
are those of :mod:`reports.formulas.guards`; each refusal is a one-line
:class:`~dlnverify.errors.FormulaError` naming the problem.
"""

from __future__ import annotations

import ast
import types
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import lark
import sympy as sp

from derivations.conventions import PARAMETERS
from dlnverify.errors import FormulaError, InvalidParameter
from reports.formulas._latex_grammar import (
    LATEX_PARSER,
    UNICODE_GREEK,
    canonical_subscript,
    tokenize_latex,
)
from reports.formulas.guards import (
    ALLOWED_FUNCTIONS,
    MAX_DEPTH,
    MAX_DIGITS,
    MAX_EXPONENT,
    MAX_LENGTH,
    MAX_NODES,
    MAX_NUMBER_BITS,
    MAX_TREE_DEPTH,
    GuardedArithmetic,
    allowed_symbols,
    checked_text,
    exact_decimal,
    excerpt,
    finished,
    within_limits,
)

__all__ = [
    "ALLOWED_FUNCTIONS",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "MAX_NODES",
    "MAX_NUMBER_BITS",
    "from_latex",
    "from_sympy_syntax",
    "looks_like_latex",
    "parse_formula",
]

_CONSTANTS: Mapping[str, sp.Expr] = types.MappingProxyType({"E": sp.E, "pi": sp.pi})
#: A Unicode Greek character in a SymPy-syntax name reads as the letter's name (``σ_ε`` is
#: ``sigma_eps``: epsilon is spelled ``eps`` in the declared names).
_PY_GREEK = {char: "eps" if name == "epsilon" else name for char, name in UNICODE_GREEK.items()}


def _allowed_listing(symbols: Mapping[str, sp.Symbol]) -> str:
    return (
        f"parameters: {', '.join(symbols) or '(none)'}; constants: E, pi; functions: "
        f"{', '.join(sorted(ALLOWED_FUNCTIONS))}"
    )


# --------------------------------------------------------------------------- SymPy syntax

_PY_ALLOWED_NODES = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.Constant,
    ast.Name,
    ast.Call,
    ast.Load,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.Pow,
    ast.UAdd,
    ast.USub,
)
_PY_CONSTRUCTS = {
    "Attribute": "attribute access ('.')",
    "Subscript": "subscripts ('[...]')",
    "Lambda": "lambda expressions",
    "IfExp": "conditional expressions ('if ... else')",
    "ListComp": "comprehensions",
    "SetComp": "comprehensions",
    "DictComp": "comprehensions",
    "GeneratorExp": "comprehensions",
    "comprehension": "comprehensions",
    "keyword": "keyword arguments",
    "Starred": "starred arguments",
    "Compare": "comparisons",
    "BoolOp": "boolean operators",
    "Not": "'not'",
    "Invert": "'~'",
    "List": "lists",
    "Tuple": "tuples (',')",
    "Set": "sets",
    "Dict": "dicts",
    "JoinedStr": "f-strings",
    "FormattedValue": "f-strings",
    "NamedExpr": "assignment expressions (':=')",
    "Await": "'await'",
    "Yield": "'yield'",
    "YieldFrom": "'yield'",
    "FloorDiv": "operator '//'",
    "Mod": "operator '%'",
    "MatMult": "operator '@'",
    "BitAnd": "operator '&'",
    "BitOr": "operator '|'",
    "BitXor": "operator '^'",
    "LShift": "operator '<<'",
    "RShift": "operator '>>'",
    "Slice": "slices",
}


class _SyntaxFailure(FormulaError):
    """Not Python syntax, or unknown names (``parse_formula`` then tries LaTeX, ``s_0``)."""


def _py_parse(text: str) -> ast.Expression:
    source = text.replace("^", "**")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source, mode="eval")
    except SyntaxError as error:
        where = f" at column {error.offset}" if error.offset else ""
        raise _SyntaxFailure(f"invalid SymPy-syntax formula{where}: {error.msg}") from None
    except (ValueError, RecursionError, MemoryError) as error:
        raise _SyntaxFailure(f"invalid SymPy-syntax formula: {error}") from None


def _py_transliterate(tree: ast.Expression, symbols: Mapping[str, sp.Symbol]) -> None:
    """Rename, in place, every name written with Unicode Greek letters that spells a known
    name (``κ`` -> ``kappa``, ``σ_ε`` -> ``sigma_eps``, ``π`` -> ``pi``); other names are
    left as typed, so that an error quotes the user's spelling."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not node.id.isascii():
            spelled = "".join(_PY_GREEK.get(char, char) for char in node.id)
            if spelled in symbols or spelled in _CONSTANTS or spelled in ALLOWED_FUNCTIONS:
                node.id = spelled


def _py_scan(tree: ast.Expression, symbols: Mapping[str, sp.Symbol]) -> None:
    """Refuse every construct outside the whitelist, before anything is built.

    Disallowed constructs are reported first, then unknown names, then non-numeric
    constants, so that ``open('f')`` is refused for ``open`` rather than for ``'f'``.
    """
    nodes = 0
    unknown: list[str] = []
    bad_constant: str | None = None
    for node in ast.walk(tree):
        if isinstance(node, ast.expr):
            nodes += 1
            if nodes > MAX_NODES:
                raise FormulaError(f"formula too large: more than {MAX_NODES} syntax-tree nodes")
        if not isinstance(node, _PY_ALLOWED_NODES):
            name = type(node).__name__
            what = _PY_CONSTRUCTS.get(name, f"the Python construct {name}")
            raise FormulaError(f"{what} not allowed in a formula")
        if isinstance(node, ast.Constant) and bad_constant is None:
            kind = type(node.value)
            if kind is str or kind is bytes:
                bad_constant = "string literals not allowed in a formula"
            elif kind is not int and kind is not float:
                bad_constant = f"constant {excerpt(repr(node.value))} not allowed; only numbers"
        elif isinstance(node, ast.Name):
            if node.id.startswith("__") or node.id.endswith("__"):
                raise FormulaError(f"dunder name {node.id!r} not allowed in a formula")
            known = node.id in symbols or node.id in _CONSTANTS
            if not known and node.id not in ALLOWED_FUNCTIONS and node.id not in unknown:
                unknown.append(node.id)
    if unknown:
        names = ", ".join(excerpt(name) for name in unknown[:5])
        hint = " (Euler's number is E)" if "e" in unknown else ""
        raise _SyntaxFailure(f"unknown name(s) {names}{hint}; allowed {_allowed_listing(symbols)}")
    if bad_constant is not None:
        raise FormulaError(bad_constant)


def _py_literal(node: ast.Constant, source: str) -> sp.Rational:
    if type(node.value) is int:
        if node.value.bit_length() > 333:  # about 100 decimal digits
            raise FormulaError(f"integer literal too long; at most {MAX_DIGITS} digits")
        return sp.Integer(node.value)
    segment = ast.get_source_segment(source, node)
    if segment is None:  # pragma: no cover - positions are always present for parsed text
        raise FormulaError("cannot locate a number in the formula")
    return exact_decimal(segment)


def _py_chain(node: ast.expr, ops: tuple[type, ...]) -> list[tuple[ast.operator, ast.expr]]:
    """Flatten a left-associated chain ``a op b op c`` into ``[(None, a), (op, b), ...]``."""
    items: list[tuple[ast.operator, ast.expr]] = []
    while isinstance(node, ast.BinOp) and isinstance(node.op, ops):
        items.append((node.op, node.right))
        node = node.left
    items.append((ast.Add() if ops[0] is ast.Add else ast.Mult(), node))
    return items[::-1]


class _PythonBuilder:
    """Rebuilds a whitelisted :mod:`ast` tree (see :func:`_py_scan`) as a SymPy expression."""

    def __init__(self, symbols: Mapping[str, sp.Symbol], source: str) -> None:
        self.symbols = symbols
        self.source = source
        self.arithmetic = GuardedArithmetic()

    def build(self, node: ast.expr, depth: int) -> sp.Expr:
        if depth > MAX_TREE_DEPTH:
            raise FormulaError(f"formula nested too deeply (more than {MAX_TREE_DEPTH} levels)")
        arithmetic, down = self.arithmetic, depth + 1
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
            terms = [
                self.build(child, down) if isinstance(op, ast.Add) else -self.build(child, down)
                for op, child in _py_chain(node, (ast.Add, ast.Sub))
            ]
            return arithmetic.sum(terms)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.Div):
            factors = []
            for op, child in _py_chain(node, (ast.Mult, ast.Div)):
                value = self.build(child, down)
                inverse = isinstance(op, ast.Div)
                factors.append(arithmetic.power(value, sp.Integer(-1)) if inverse else value)
            return arithmetic.product(factors)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            return arithmetic.power(self.build(node.left, down), self.build(node.right, down))
        if isinstance(node, ast.UnaryOp):
            operand = self.build(node.operand, down)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.Constant):
            return _py_literal(node, self.source)
        if isinstance(node, ast.Name):
            if node.id in self.symbols:
                return self.symbols[node.id]
            if node.id in _CONSTANTS:
                return _CONSTANTS[node.id]
            raise FormulaError(f"function {node.id} used without an argument: write {node.id}(...)")
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in ALLOWED_FUNCTIONS:
                called = node.func.id if isinstance(node.func, ast.Name) else "an expression"
                raise FormulaError(
                    f"{called} cannot be called; allowed functions: "
                    f"{', '.join(sorted(ALLOWED_FUNCTIONS))}"
                )
            return arithmetic.call(node.func.id, [self.build(arg, down) for arg in node.args])
        raise FormulaError(f"{type(node).__name__} not allowed in a formula")  # pragma: no cover


def from_sympy_syntax(text: str, *, allowed: Iterable[str] | None = None) -> sp.Expr:
    r"""Parse a formula written in SymPy (Python-expression) syntax.

    ``^`` is accepted for ``**``.  The text is parsed with :func:`ast.parse` (which builds a
    tree and runs nothing) and rebuilt node by node from a whitelist; see the module
    docstring for what is accepted.

    Parameters
    ----------
    text : str
        The formula, e.g. ``"kappa*L**2*s**(4-4/L)*(2*(sigma-s)**2+sigma_eps**2)"``.
    allowed : iterable of str, optional
        Names of the declared parameters (:data:`derivations.conventions.PARAMETERS`) the
        formula may use; default all of them.

    Returns
    -------
    sympy.Expr
        Built from the declared symbols, with exact rational numbers.

    Raises
    ------
    FormulaError
        On invalid syntax, any construct or name outside the whitelist, or a guard.
    InvalidParameter
        If ``allowed`` names an undeclared parameter.
    """
    symbols = allowed_symbols(allowed)
    text = checked_text(text)
    tree = _py_parse(text)
    _py_transliterate(tree, symbols)
    _py_scan(tree, symbols)
    return finished(_PythonBuilder(symbols, text.replace("^", "**")).build(tree.body, 0))


# --------------------------------------------------------------------------- LaTeX


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
    while isinstance(tree, lark.Tree):
        tree = tree.children[0]
    return tree


def _tree_size_and_depth(tree: lark.Tree) -> tuple[int, int]:
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


# --------------------------------------------------------------------------- front door


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
    if syntax == "sympy":
        return from_sympy_syntax(text, allowed=allowed)
    if syntax == "latex":
        return from_latex(text, allowed=allowed)
    if syntax != "auto":
        raise InvalidParameter(
            f"Got syntax={syntax!r}, but syntax must be 'auto', 'sympy' or 'latex'."
        )
    if isinstance(text, str) and looks_like_latex(text):
        return from_latex(text, allowed=allowed)
    try:
        return from_sympy_syntax(text, allowed=allowed)
    except _SyntaxFailure as failure:
        try:
            return from_latex(text, allowed=allowed)
        except FormulaError:
            raise FormulaError(str(failure)) from None
