r"""Formulas in SymPy syntax, parsed against a whitelist: user text is never evaluated.

SymPy syntax is a Python expression (``kappa*L**2*s**(4-4/L)*(2*(sigma-s)**2+sigma_eps**2)``;
``^`` is read as ``**``).  It is parsed by :func:`ast.parse`, which builds a tree and runs
nothing, never by ``eval``, ``exec``, :func:`sympy.sympify` or
:func:`sympy.parsing.sympy_parser.parse_expr` (all three evaluate Python; SymPy's own
docstring warns).  The tree is walked against a whitelist: binary ``+ - * / **``, unary
``+ -``, integer and decimal literals (made exact rationals from their text), the declared
parameter names (Unicode Greek letters read as their names: ``κ`` is ``kappa``, ``σ_ε`` is
``sigma_eps``), the constants ``pi`` and ``E``, and calls of
:data:`~reports.formulas.guards.ALLOWED_FUNCTIONS` with one positional argument.  Anything
else (attributes, subscripts, lambdas, comprehensions, keywords, strings, conditionals,
comparisons, ...) is refused before any SymPy object is built; what is built goes through
the limits of :mod:`reports.formulas.guards`.

:func:`side_from_sympy_syntax` reads one side of a relation in a derivation chain: any name
that spells one letter with an optional subscript (``x``, ``x_1``, ``sigma_a``, ``alpha``)
is a free symbol (:class:`~reports.formulas.letters.Letters`; ``E`` stays Euler's number and
``e`` is refused), and the chain operators are the calls ``Sum(body, (l, 1, L))``,
``Product(body, (l, 1, L))``, ``Integral(body, (u, a, b))`` (limits may be ``oo``,
``-oo``), ``Derivative(body, x)`` or ``diff(body, x)`` (also ``(x, 2)`` and several
variables), and an order term ``O(kappa**2)`` (``o(...)``) as a term of the whole side,
with the same rules as in LaTeX (:mod:`reports.formulas.latex_syntax`).  Tuples are accepted
only as the limits of those calls.
"""

from __future__ import annotations

import ast
import re
import types
import unicodedata
import warnings
from collections.abc import Iterable, Mapping

import sympy as sp

from dlnverify.errors import FormulaError
from reports.formulas._latex_grammar import SUPERSCRIPTS, UNICODE_GREEK, superscript_exponent
from reports.formulas.guards import (
    ALLOWED_FUNCTIONS,
    MAX_DIGITS,
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
from reports.formulas.latex_syntax import MAX_DERIVATIVE_ORDER, finished_side
from reports.formulas.letters import DECLARED_LETTERS, LetterKey, Letters, name_key
from reports.formulas.order_term import OrderTerm, Side, order_term, without_order

__all__ = [
    "NotSympySyntax",
    "formula_side_from_sympy_syntax",
    "from_sympy_syntax",
    "side_from_sympy_syntax",
]

#: The calls of the chain language: sums, products, integrals, derivatives, order terms.
_CHAIN_CALLS = frozenset({"Sum", "Product", "Integral", "Derivative", "diff", "O", "o"})

_CONSTANTS: Mapping[str, sp.Expr] = types.MappingProxyType({"E": sp.E, "pi": sp.pi})
#: A Unicode Greek character in a SymPy-syntax name reads as the letter's name (``σ_ε`` is
#: ``sigma_eps``: epsilon is spelled ``eps`` in the declared names).
_GREEK = {char: "eps" if name == "epsilon" else name for char, name in UNICODE_GREEK.items()}


def _allowed_listing(symbols: Mapping[str, sp.Symbol]) -> str:
    """The names a formula may use, for the message refusing an unknown one."""
    return (
        f"parameters: {', '.join(symbols) or '(none)'}; constants: E, pi; functions: "
        f"{', '.join(sorted(ALLOWED_FUNCTIONS))}"
    )


#: The :mod:`ast` node classes a formula may contain.
_ALLOWED_NODES = (
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
#: Refused constructs by :mod:`ast` class name, as the refusal names them.
_CONSTRUCTS = {
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


class NotSympySyntax(FormulaError):
    """A refusal because the text is not Python syntax or uses unknown names: it may be
    LaTeX (``2 s``, ``s_0``), which :func:`reports.formulas.parse.parse_formula` then tries."""


_SUPERSCRIPT_RUN = re.compile(f"[{''.join(SUPERSCRIPTS)}]+")


def _as_written(text: str) -> str:
    """``text`` if Python will read it as written: no ``#`` (Python drops the rest of the line
    as a comment) and no compatibility character (``ｓ``, ``𝑠``), which Python folds into
    another one (NFKC) before reading; a one-line :class:`FormulaError` naming it otherwise.
    The Greek variants and superscripts the parser reads itself are accepted."""
    for column, char in enumerate(text, 1):
        if char == "#":
            raise FormulaError(
                f"'#' at column {column}: a formula has no comments (Python would ignore the"
                " rest of the text); remove the note"
            )
        if ord(char) < 128 or char in UNICODE_GREEK or char in SUPERSCRIPTS:
            continue
        folded = unicodedata.normalize("NFKC", char)
        if folded != char:
            name = unicodedata.name(char, f"U+{ord(char):04X}")
            raise FormulaError(
                f"character {char!r} ({name}) at column {column} would be read as {folded!r};"
                f" write {folded!r}"
            )
    return text


def _superscripts_as_powers(text: str) -> str:
    """Unicode superscripts as the power they stand for (``s²`` is ``s**(2)``)."""
    return _SUPERSCRIPT_RUN.sub(
        lambda run: f"**({superscript_exponent(run.group(), run.start())})", text
    )


def _parse(text: str) -> ast.Expression:
    """The :mod:`ast` tree of ``text`` (``^`` read as ``**``); nothing is run."""
    source = text.replace("^", "**")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source, mode="eval")
    except SyntaxError as error:
        where = f" at column {error.offset}" if error.offset else ""
        raise NotSympySyntax(f"invalid SymPy-syntax formula{where}: {error.msg}") from None
    except (ValueError, RecursionError, MemoryError) as error:
        raise NotSympySyntax(f"invalid SymPy-syntax formula: {error}") from None


def _transliterate(
    tree: ast.Expression,
    symbols: Mapping[str, sp.Symbol],
    modes: Mapping[LetterKey, str] | None = None,
) -> None:
    """Rename, in place, every name written with Unicode Greek letters that spells a known
    name (``κ`` -> ``kappa``, ``σ_ε`` -> ``sigma_eps``, ``π`` -> ``pi``); other names are
    left as typed, so that an error quotes the user's spelling."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not node.id.isascii():
            spelled = "".join(_GREEK.get(char, char) for char in node.id)
            known = spelled in symbols or spelled in _CONSTANTS or spelled in ALLOWED_FUNCTIONS
            if known or (modes and name_key(spelled) in modes):
                node.id = spelled


def _chain_name(name: str) -> bool:
    """Whether a chain may use ``name``: an operator, ``oo``, or one letter (not ``e``)."""
    return name in _CHAIN_CALLS or name == "oo" or (name != "e" and name_key(name) is not None)


def _formula_name(name: str, modes: Mapping[LetterKey, str]) -> bool:
    """Whether a ``check`` formula may use ``name`` beyond the parameters, constants and
    functions: a call of the chain language (an order term, ``Sum`` or ``Product``; the
    others are refused by name when built), or a letter ``modes`` reads as a parameter."""
    return name in _CHAIN_CALLS or name_key(name) in modes


def _sum_variables(tree: ast.Expression) -> set[str]:
    """The names written as the variable of a ``Sum`` or ``Product`` (``d`` in
    ``Sum(..., (d, 1, L - 1))``): the only new names a ``check`` formula may use, and only
    inside their sum (the builder holds them to that)."""
    names = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"Sum", "Product"}
            and len(node.args) == 2
            and isinstance(node.args[1], ast.Tuple)
            and node.args[1].elts
            and isinstance(node.args[1].elts[0], ast.Name)
            and name_key(node.args[1].elts[0].id) is not None
        ):
            names.add(node.args[1].elts[0].id)
    return names


def _scan(
    tree: ast.Expression,
    symbols: Mapping[str, sp.Symbol],
    *,
    chain: bool = False,
    modes: Mapping[LetterKey, str] | None = None,
) -> None:
    """Refuse every construct outside the whitelist, before anything is built (``chain``:
    also the names and tuples of the chain language; ``modes``: a ``check`` formula, with
    order terms and the letters ``modes`` reads as parameters).

    Disallowed constructs are reported first, then unknown names, then non-numeric
    constants, so that ``open('f')`` is refused for ``open`` rather than for ``'f'``.
    """
    nodes = 0
    unknown: list[str] = []
    bad_constant: str | None = None
    formula = modes is not None
    allowed_nodes = (*_ALLOWED_NODES, ast.Tuple) if chain or formula else _ALLOWED_NODES
    bound = _sum_variables(tree) if formula else set()
    for node in ast.walk(tree):
        if isinstance(node, ast.expr):
            nodes += 1
            if nodes > MAX_NODES:
                raise FormulaError(f"formula too large: more than {MAX_NODES} syntax-tree nodes")
        if not isinstance(node, allowed_nodes):
            name = type(node).__name__
            what = _CONSTRUCTS.get(name, f"the Python construct {name}")
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
            known = known or (chain and _chain_name(node.id))
            known = known or (modes is not None and _formula_name(node.id, modes))
            known = known or node.id in bound
            if not known and node.id not in ALLOWED_FUNCTIONS and node.id not in unknown:
                unknown.append(node.id)
    if unknown:
        names = ", ".join(excerpt(name) for name in unknown[:5])
        hint = " (Euler's number is E)" if "e" in unknown else ""
        listing = (
            "in a chain a name is one letter with an optional subscript (x, x_1, sigma_a), a"
            f" parameter ({', '.join(symbols)}), E, pi, a function, Sum, Product, Integral,"
            " Derivative, diff or O"
            if chain
            else f"allowed {_allowed_listing(symbols)}"
        )
        raise NotSympySyntax(f"unknown name(s) {names}{hint}; {listing}")
    if bad_constant is not None:
        raise FormulaError(bad_constant)


def _literal(node: ast.Constant, source: str) -> sp.Rational:
    """The exact value of a number literal: an integer as is, a decimal from its source
    text (``0.1`` is ``1/10``, never the float nearest to it)."""
    if type(node.value) is int:
        if node.value.bit_length() > 333:  # about 100 decimal digits
            raise FormulaError(f"integer literal too long; at most {MAX_DIGITS} digits")
        return sp.Integer(node.value)
    segment = ast.get_source_segment(source, node)
    if segment is None:  # pragma: no cover - positions are always present for parsed text
        raise FormulaError("cannot locate a number in the formula")
    return exact_decimal(segment)


def _chain(node: ast.expr, ops: tuple[type, ...]) -> list[tuple[ast.operator, ast.expr]]:
    """Flatten a left-associated chain ``a op b op c`` into ``[(+, a), (op, b), ...]``
    (the first operand carries ``+`` in a sum, ``*`` in a product)."""
    items: list[tuple[ast.operator, ast.expr]] = []
    while isinstance(node, ast.BinOp) and isinstance(node.op, ops):
        items.append((node.op, node.right))
        node = node.left
    items.append((ast.Add() if ops[0] is ast.Add else ast.Mult(), node))
    return items[::-1]


class _PythonBuilder:
    """Rebuilds a whitelisted :mod:`ast` tree (see :func:`_scan`) as a SymPy expression."""

    def __init__(
        self,
        symbols: Mapping[str, sp.Symbol],
        source: str,
        letters: Letters | None = None,
        modes: Mapping[LetterKey, str] | None = None,
    ) -> None:
        self.symbols = symbols
        self.source = source
        #: a chain's free letters (``None``: a ``check`` formula)
        self.letters = letters
        #: letters read as a declared parameter of a ``check`` formula (``s_a`` as ``s``)
        self.modes: Mapping[LetterKey, str] = modes or {}
        #: the letters so read, as written, and the parameter each was read as
        self.renamed: dict[str, str] = {}
        #: the terms of the sums and products of a ``check`` formula
        self.sums = SumTerms()
        self.arithmetic = GuardedArithmetic()
        self.bound: list[tuple[str, sp.Symbol]] = []
        self.binders: dict[str, str] = {}
        self.free: set[str] = set()
        self.in_limits = 0
        self.derivatives = 0

    def build(self, node: ast.expr, depth: int) -> sp.Expr:
        if depth > MAX_TREE_DEPTH:
            raise FormulaError(f"formula nested too deeply (more than {MAX_TREE_DEPTH} levels)")
        arithmetic, down = self.arithmetic, depth + 1
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
            terms = [
                self.build(child, down) if isinstance(op, ast.Add) else -self.build(child, down)
                for op, child in _chain(node, (ast.Add, ast.Sub))
            ]
            return arithmetic.sum(terms)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.Div):
            factors = []
            for op, child in _chain(node, (ast.Mult, ast.Div)):
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
            return _literal(node, self.source)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id in {"O", "o"}:
                raise FormulaError(
                    "order term inside an expression: an order term must be a term of the"
                    " whole side, e.g. ... + O(kappa**2)"
                )
            chain_call = isinstance(node.func, ast.Name) and node.func.id in _CHAIN_CALLS
            if self.letters is not None and chain_call:
                return self.chain_call(node, down)
            if chain_call:
                return self.formula_call(node, down)
            if not isinstance(node.func, ast.Name) or node.func.id not in ALLOWED_FUNCTIONS:
                raise FormulaError(_not_callable(node.func, self.symbols, self.source))
            return arithmetic.call(node.func.id, [self.build(arg, down) for arg in node.args])
        if isinstance(node, ast.Tuple):
            raise FormulaError("tuples (',') not allowed in a formula except as limits")
        raise FormulaError(f"{type(node).__name__} not allowed in a formula")  # pragma: no cover

    def name(self, node: ast.Name) -> sp.Expr:
        """A name: a bound variable, a declared parameter, a constant, a chain's letter."""
        for bound_name, bound_symbol in reversed(self.bound):
            if bound_name == node.id:
                return bound_symbol
        if node.id in self.symbols and self.letters is None:
            return self.symbols[node.id]
        if self.letters is None and node.id in self.binders:
            raise FormulaError(
                f"{node.id} is the variable of {self.binders[node.id]} and may appear only"
                " inside it"
            )
        key = name_key(node.id)
        if self.letters is None and key in self.modes:
            self.renamed[node.id] = self.modes[key]  # type: ignore[index]
            return self.symbols[self.modes[key]]  # type: ignore[index]
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        if self.letters is not None and node.id not in _CHAIN_CALLS:
            if node.id == "oo":
                if not self.in_limits:
                    raise FormulaError("oo outside the limits of a sum, product or integral")
                return sp.oo
            key = self.letter(node.id)
            if key is not None:
                self.free.add(node.id)
                return self.letters.symbol(key)
        raise FormulaError(f"function {node.id} used without an argument: write {node.id}(...)")

    def letter(self, name: str) -> LetterKey | None:
        """The letter ``name`` spells (a declared name such as ``sigma_eps`` or ``s0``
        through its LaTeX letter)."""
        if name in self.symbols:
            return next(key for key, declared in DECLARED_LETTERS.items() if declared == name)
        return name_key(name)

    def variable(self, node: ast.expr, what: str) -> tuple[str, LetterKey]:
        """The name and letter of the variable of a sum, product, integral or derivative."""
        key = self.letter(node.id) if isinstance(node, ast.Name) else None
        if key is None or not isinstance(node, ast.Name) or node.id in {"e", "E", "pi", "oo"}:
            shown = ast.get_source_segment(self.source, node) or "?"
            raise FormulaError(f"{shown!r} cannot be the variable of {what}: use one letter")
        return node.id, key

    def limits(self, node: ast.expr, what: str) -> tuple[str, LetterKey, sp.Expr, sp.Expr]:
        """``(variable, lower, upper)`` of a sum, product or integral."""
        if not (isinstance(node, ast.Tuple) and len(node.elts) == 3):
            raise FormulaError(f"{what} takes its limits as a tuple (variable, lower, upper)")
        name, key = self.variable(node.elts[0], what)
        self.in_limits += 1
        try:
            low, high = (self.build(bound, 1) for bound in node.elts[1:])
        finally:
            self.in_limits -= 1
        return name, key, low, high

    def bind(self, name: str, symbol: sp.Symbol, binder: str, body: ast.expr) -> sp.Expr:
        self.bound.append((name, symbol))
        try:
            return self.build(body, 1)
        finally:
            self.bound.pop()
            self.binders.setdefault(name, binder)

    def formula_call(self, node: ast.Call, depth: int) -> sp.Expr:
        """``Sum`` and ``Product`` in a ``check`` formula: bounds integers or affine in
        ``L`` (:func:`~reports.formulas.guards.checked_formula_range`), the variable a new
        letter, used only inside; the other chain calls are refused."""
        func = node.func.id  # type: ignore[attr-defined]
        if func not in {"Sum", "Product"}:
            raise FormulaError(
                f"{func} is not accepted in a check formula (only Sum and Product);"
                " check a derivation with check-steps"
            )
        if len(node.args) != 2 or node.keywords:
            raise FormulaError(f"{func} takes (expression, (variable, lower, upper))")
        name, key, low, high = self.limits(node.args[1], func)
        if name in self.symbols or key in self.modes or name in _CONSTANTS:
            raise FormulaError(
                f"{name} cannot be the variable of {func}: it is a parameter; use a new letter"
                " (d, l, k)"
            )
        terms = self.sums.enter(low, high, func)
        try:
            body = self.bind(name, Letters.bound(key, integer=True), func, node.args[0])
        finally:
            self.sums.leave(terms)
        operator = sp.Sum if func == "Sum" else sp.Product
        return within_limits(operator(body, (Letters.bound(key, integer=True), low, high)))

    def chain_call(self, node: ast.Call, depth: int) -> sp.Expr:
        """``Sum``, ``Product``, ``Integral``, ``Derivative``/``diff``; ``O`` is refused here
        (an order term is a term of the whole side, :func:`side_from_sympy_syntax`)."""
        func = node.func.id  # type: ignore[attr-defined]
        args = node.args
        if len(args) < 2 or node.keywords:
            raise FormulaError(f"{func} takes an expression and its variable(s)")
        if func in {"Sum", "Product", "Integral"}:
            if len(args) != 2:
                raise FormulaError(f"{func} takes (expression, (variable, lower, upper))")
            name, key, low, high = self.limits(args[1], func)
            integer = func != "Integral"
            if integer:
                checked_bound(low, "lower", func)
                checked_bound(high, "upper", func)
            symbol = Letters.bound(key, integer=integer)
            body = self.bind(name, symbol, func, args[0])
            operator = {"Sum": sp.Sum, "Product": sp.Product, "Integral": sp.Integral}[func]
            return within_limits(operator(body, (symbol, low, high)))
        variables = [self.derivative_variable(arg, func) for arg in args[1:]]
        self.derivatives += sum(order for _, order in variables)
        if self.derivatives > MAX_DERIVATIVE_ORDER:
            raise FormulaError(
                f"derivatives of order {self.derivatives} in one expression: at most"
                f" {MAX_DERIVATIVE_ORDER} in all are accepted"
            )
        return within_limits(sp.Derivative(self.build(args[0], depth), *variables))

    def derivative_variable(self, node: ast.expr, func: str) -> tuple[sp.Symbol, int]:
        """``x`` or ``(x, n)`` in a derivative."""
        order = 1
        if isinstance(node, ast.Tuple) and len(node.elts) == 2:
            count = node.elts[1]
            if not (isinstance(count, ast.Constant) and type(count.value) is int):
                raise FormulaError(f"the order in {func}(..., (x, n)) must be an integer")
            order = count.value
            node = node.elts[0]
        name, _key = self.variable(node, func)
        if not 1 <= order <= MAX_DERIVATIVE_ORDER:
            raise FormulaError(
                f"derivative of order {order}: orders 1 to {MAX_DERIVATIVE_ORDER} are accepted"
            )
        symbol = self.name(ast.Name(id=name))
        assert isinstance(symbol, sp.Symbol)
        return symbol, order


def _not_callable(func: ast.expr, symbols: Mapping[str, sp.Symbol], source: str) -> str:
    """The error for a call of something that is not a function, with the fix when the call
    is a product written without ``*`` (``2(sigma - s)``, ``s(1 - s)``)."""
    functions = f"allowed functions: {', '.join(sorted(ALLOWED_FUNCTIONS))}"
    if isinstance(func, ast.Name) and func.id not in symbols:
        return f"{func.id} cannot be called; {functions}"
    written = ast.get_source_segment(source, func) or "..."
    if not isinstance(func, ast.Name | ast.Constant):
        written = f"({written})"
    return f"{written} cannot be called: write {written}*(...) for a product; {functions}"


def side_from_sympy_syntax(text: str, *, letters: Letters) -> Side:
    r"""Parse one side of a relation in a derivation chain, written in SymPy syntax.

    As :func:`from_sympy_syntax`, with the chain language of the module docstring.

    Raises
    ------
    NotSympySyntax
        On text that is not Python syntax or uses unknown names (it may be LaTeX).
    FormulaError
        As :func:`from_sympy_syntax`; also what the chain language refuses (a bound variable
        used outside its body, a non-integer bound of a sum, ``oo`` outside limits, a
        misplaced or malformed order term).
    """
    symbols = allowed_symbols(None)
    text = _superscripts_as_powers(_as_written(checked_text(text)))
    tree = _parse(text)
    _transliterate(tree, symbols)
    _scan(tree, symbols, chain=True)
    builder = _PythonBuilder(symbols, text.replace("^", "**"), letters)
    side = _side(builder, tree)
    clash = sorted(builder.free & set(builder.binders))
    if clash:
        raise FormulaError(
            f"{clash[0]} is the variable of {builder.binders[clash[0]]} and also appears outside"
            " it in the same expression; rename one of them"
        )
    return Side(finished_side(side.expr), side.order)


def _side(builder: _PythonBuilder, tree: ast.Expression) -> Side:
    """The side ``tree`` stands for: its terms, with an order term (``O(...)``,
    ``- O(...)``) taken apart."""
    terms: list[sp.Expr] = []
    orders: list[OrderTerm] = []
    for op, child in _chain(tree.body, (ast.Add, ast.Sub)):
        inner = child
        while isinstance(inner, ast.UnaryOp):
            inner = inner.operand
        if (
            isinstance(inner, ast.Call)
            and isinstance(inner.func, ast.Name)
            and inner.func.id in {"O", "o"}
        ):
            if len(inner.args) != 1 or inner.keywords:
                raise FormulaError(f"{inner.func.id}(...) takes one argument, e.g. O(kappa**2)")
            argument = builder.build(inner.args[0], 1)
            orders.append(order_term(argument, little=inner.func.id == "o"))
            continue
        value = builder.build(child, 1)
        terms.append(value if isinstance(op, ast.Add) else -value)
    if len(orders) > 1:
        raise FormulaError("more than one order term on one side; keep the lowest order only")
    return Side(builder.arithmetic.sum(terms), orders[0] if orders else None)


def formula_side_from_sympy_syntax(
    text: str,
    *,
    allowed: Iterable[str] | None = None,
    modes: Mapping[LetterKey, str] | None = None,
) -> Side:
    r"""Parse a ``check`` formula written in SymPy syntax, with its order term if it has one.

    As :func:`from_sympy_syntax`; an order term ``+ O(kappa**2)`` (``o(...)``) must be a
    term of the whole formula and is returned apart (:class:`Side`); ``modes`` maps letters
    that stand for a declared parameter (a mode subscript: ``("s", "a")`` to ``"s"``), and
    :attr:`Side.renamed` lists those read so.

    Raises
    ------
    NotSympySyntax, FormulaError
        As :func:`from_sympy_syntax`; also a misplaced or malformed order term.
    """
    symbols = allowed_symbols(allowed)
    modes = modes or {}
    text = _superscripts_as_powers(_as_written(checked_text(text)))
    tree = _parse(text)
    _transliterate(tree, symbols, modes)
    _scan(tree, symbols, modes=modes)
    builder = _PythonBuilder(symbols, text.replace("^", "**"), modes=modes)
    side = _side(builder, tree)
    return Side(finished(side.expr), side.order, tuple(builder.renamed.items()))


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
    return without_order(formula_side_from_sympy_syntax(text, allowed=allowed))
