r"""Tokenizer and ``lark`` grammar of the small LaTeX subset accepted in user formulas.

Kept apart from :mod:`reports.formulas.latex_syntax` (which turns the parse tree into SymPy) because this module only answers "is this text in the language, and what is its
tree?": it knows LaTeX spelling, not SymPy.  No user text is ever evaluated; the tokenizer is
a hand-written scanner that classifies every backslash command against fixed tables and
refuses the rest, so an unknown command (``\input``, ``\mathrm{tr}``, ``\def``) is an error,
never a product of letters.

The language (whitespace is insignificant, as in TeX math mode):

* numbers ``2``, ``0.5``, ``.5``; single letters ``s``, ``L`` (a run of several letters such
  as ``sigma`` or ``Ls`` is refused: write ``\sigma`` or ``L s``); Greek letters
  ``\sigma``, ``\kappa``, ..., also as Unicode characters ``σ``, ``κ``, ``ε``;
  constants ``\pi`` (``π``), ``e``, ``\mathrm{e}``;
* subscripts ``s_0``, ``s_{0}``, ``\sigma_\varepsilon``, ``\sigma_{\epsilon}`` on a letter,
  before or after a superscript (``\sigma^2_\varepsilon``);
* ``+ -``, explicit products ``*``, ``\cdot``, ``\times``, division ``/``, implicit products
  ``2\kappa L^2``, powers ``x^2``, ``x^{4-\frac{4}{L}}``, ``x^\kappa``;
* ``\frac{a}{b}`` (also ``\dfrac``, ``\tfrac`` and ``\frac12``), ``\sqrt{x}``, ``\sqrt[n]{x}``;
* functions ``\exp \log \ln \sin \cos \tan \sinh \cosh \tanh \arcsin \arccos \arctan``, and
  ``\operatorname{f}`` / ``\mathrm{f}`` for those and ``artanh arsinh arcosh erf erfc``, applied to a parenthesised
  group (``\exp(-2t)``, ``\exp\left(...\right)``, ``\exp{...}``) or to one factor
  (``\log s^2`` is :math:`\log(s^2)`);
* grouping ``( ) [ ] { } \{ \}`` with optional size prefixes ``\left \right \bigl \bigr``
  ..., and absolute values ``\left| x \right|``, ``\lvert x \rvert``;
* spacing ``\, \; \: \! \quad \qquad \ ~`` and ``\displaystyle`` are ignored.

In a derivation chain (``tokenize_latex(text, chain=True)``, :mod:`reports.formulas.chain`)
the language also has, and only there:

* sums and products ``\sum_{l=1}^{L} ...``, ``\prod_{l=1}^{L} ...`` (also ``^{L}_{l=1}``,
  ``\limits``, ``∑``, ``∏``); the body is the product that follows (``\sum_l a b + c`` is
  :math:`(\sum_l ab) + c`);
* integrals ``\int_a^b ... \,du`` (also ``\mathrm{d}u``, ``d\theta``, the differential
  first: ``\int_a^b du\, ...``, ``∫``), limits ``\infty`` (``∞``); the first ``d`` that
  starts a word at the integrand's bracket level is the differential;
* derivatives ``\frac{d}{ds} ...``, ``\frac{d^2}{ds^2}``, ``\frac{\partial}{\partial x}``,
  ``\frac{\partial^2}{\partial x \partial y}``, ``\partial_x ...`` (``∂``), applied to the
  product that follows; a Leibniz quotient with the function in the numerator
  (``\frac{df}{dx}``) is refused rather than read as a fraction;
* order terms ``O(...)``, ``o(...)``, ``\mathcal{O}(...)``: ``O`` or ``o`` directly before a
  parenthesis;
* ``\Gamma(...)``, the Gamma function (``\Gamma`` before a parenthesis).

Sums, products, order terms, ``\Gamma(...)`` and ``W_0(...)`` (the Lambert W function) are
also part of ``check`` formulas (:mod:`reports.formulas.latex_syntax`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from lark import Lark, Token
from lark.lexer import Lexer

from dlnverify.errors import FormulaError

__all__ = [
    "FUNCTION_COMMANDS",
    "GREEK_LETTERS",
    "LATEX_PARSER",
    "MAX_DEPTH",
    "SUPERSCRIPTS",
    "TEXT_FUNCTIONS",
    "UNICODE_GREEK",
    "canonical_subscript",
    "group_end",
    "superscript_exponent",
    "tokenize_latex",
    "top_level_positions",
]

#: Maximum nesting of brackets, braces and ``\left ... \right`` pairs.
MAX_DEPTH = 50

#: Greek letter commands, mapped to a canonical name (variant glyphs of one letter agree).
GREEK_LETTERS: dict[str, str] = {
    name: name
    for name in [
        "alpha",
        "beta",
        "gamma",
        "delta",
        "epsilon",
        "zeta",
        "eta",
        "theta",
        "iota",
        "kappa",
        "lambda",
        "mu",
        "nu",
        "xi",
        "omicron",
        "rho",
        "sigma",
        "tau",
        "upsilon",
        "phi",
        "chi",
        "psi",
        "omega",
        "Gamma",
        "Delta",
        "Theta",
        "Lambda",
        "Xi",
        "Sigma",
        "Upsilon",
        "Phi",
        "Psi",
        "Omega",
    ]
} | {"varepsilon": "epsilon", "vartheta": "theta", "varphi": "phi", "varrho": "rho"}

#: Unicode Greek characters and the letter command each one stands for (``σ`` is ``\sigma``,
#: ``ε`` and ``ϵ`` are ``\epsilon``, ``π`` is ``\pi``), built from the Unicode names of the
#: letters above, plus the variant glyphs.
UNICODE_GREEK: dict[str, str] = {
    unicodedata.lookup(
        f"GREEK {'CAPITAL' if name[0].isupper() else 'SMALL'} LETTER "
        + name.upper().replace("LAMBDA", "LAMDA")
    ): name
    for name in [*GREEK_LETTERS.values(), "pi"]
} | {
    "\N{GREEK LUNATE EPSILON SYMBOL}": "epsilon",
    "\N{GREEK THETA SYMBOL}": "theta",
    "\N{GREEK PHI SYMBOL}": "phi",
    "\N{GREEK RHO SYMBOL}": "rho",
    "\N{GREEK SMALL LETTER FINAL SIGMA}": "sigma",
    "\N{MICRO SIGN}": "mu",
}

#: Function commands and the SymPy-syntax name each one means.
FUNCTION_COMMANDS: dict[str, str] = {
    "exp": "exp",
    "log": "log",
    "ln": "log",
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "sinh": "sinh",
    "cosh": "cosh",
    "tanh": "tanh",
    "arcsin": "asin",
    "arccos": "acos",
    "arctan": "atan",
}

#: Functions written as a name in upright type (``\operatorname{artanh}``,
#: ``\mathrm{erf}``), and the SymPy-syntax name each one means.
TEXT_FUNCTIONS: dict[str, str] = FUNCTION_COMMANDS | {
    "artanh": "atanh",
    "arctanh": "atanh",
    "atanh": "atanh",
    "arsinh": "asinh",
    "arcsinh": "asinh",
    "asinh": "asinh",
    "arcosh": "acosh",
    "arccosh": "acosh",
    "acosh": "acosh",
    "erf": "erf",
    "erfc": "erfc",
    "Gamma": "Gamma",
    "LambertW": "LambertW",
}
#: The principal branch of the Lambert W function as a paper writes it, ``W_0(x)``
#: (``W_{0}``), directly before its parenthesis.
_LAMBERT_W = re.compile(
    r"_\s*(?:0|\{\s*0\s*\})(?=\s*(?:\(|\\(?:left|bigl|Bigl|biggl|Biggl|big|Big)\s*\())"
)

_SUBSCRIPT_ALIASES = {"eps": "epsilon", "varepsilon": "epsilon"}
#: Commands of the chain language only (module docstring) and the token each one makes.
_CHAIN_COMMANDS = {
    "int": ("INT", "int"),
    "infty": ("INFTY", "oo"),
}
#: Unicode operators of the chain language and the command each one stands for.
_UNICODE_OPERATORS = {
    "\N{N-ARY SUMMATION}": "sum",
    "\N{N-ARY PRODUCT}": "prod",
    "\N{INTEGRAL}": "int",
    "\N{PARTIAL DIFFERENTIAL}": "partial",
    "\N{INFINITY}": "infty",
}
_DIFFERENTIAL = r"(?:d|\\mathrm\s*\{\s*d\s*\}|\\partial(?![A-Za-z]))"
#: ``{d}``, ``{d^2}``, ``{\mathrm{d}}``, ``{\partial^2}``: the numerator of a derivative.
_DERIVATIVE_NUMERATOR = re.compile(
    r"\s*\{\s*(d(?![A-Za-z])|\\mathrm\s*\{\s*d\s*\}|\\partial(?![A-Za-z]))"
    r"\s*(?:\^\s*(?:(\d)|\{\s*(\d)\s*\}))?\s*\}"
)
#: ``{ds``, ``{\partial x``, ``{d\sigma``: the start of a derivative's denominator.
_DERIVATIVE_DENOMINATOR = re.compile(r"\s*\{\s*" + _DIFFERENTIAL + r"\s*(?:[A-Za-z]|\\[A-Za-z]+)")
#: ``{d...``: a numerator that starts with a differential (Leibniz's ``\frac{df}{dx}``).
_LEIBNIZ_NUMERATOR = re.compile(r"\s*\{\s*" + _DIFFERENTIAL)
#: What may follow ``O`` or ``o`` in an order term: an opening parenthesis.
_ORDER_OPENING = re.compile(r"\s*(?:\(|\\(?:left|bigl|Bigl|biggl|Biggl|big|Big)\s*\()")
_SPACING = {",", ";", ":", "!", " ", ">", "quad", "qquad", "displaystyle", "textstyle"}
_FRACTIONS = {"frac", "dfrac", "tfrac"}
_PRODUCTS = {"cdot", "times"}
_OPEN_SIZES = {"left", "bigl", "Bigl", "biggl", "Biggl"}
_CLOSE_SIZES = {"right", "bigr", "Bigr", "biggr", "Biggr"}
_EITHER_SIZES = {"big", "Big", "bigg", "Bigg"}
_TEXT_COMMANDS = {"mathrm", "text", "mathit", "operatorname", "textrm"}
_DELIMITERS = {
    "(": ("LPAR", "("),
    ")": ("RPAR", "("),
    "[": ("LBRACK", "["),
    "]": ("RBRACK", "["),
    r"\{": ("LCURLY", r"\{"),
    r"\}": ("RCURLY", r"\{"),
    r"\lbrace": ("LCURLY", r"\{"),
    r"\rbrace": ("RCURLY", r"\{"),
    r"\lvert": ("LABS", "|"),
    r"\rvert": ("RABS", "|"),
}
_CLOSERS = {"RPAR", "RBRACK", "RBRACE", "RCURLY", "RABS"}
_SINGLE = {
    "+": "PLUS",
    "-": "MINUS",
    "*": "MUL",
    "/": "DIV",
    "^": "CARET",
    "_": "UNDERSCORE",
    "{": "LBRACE",
    "}": "RBRACE",
}
#: Unicode superscript characters and what each stands for in an exponent (``s²`` is
#: ``s^{2}``, ``s⁻¹`` is ``s^{-1}``).
SUPERSCRIPTS: dict[str, str] = {
    "\N{SUPERSCRIPT ZERO}": "0",
    "\N{SUPERSCRIPT ONE}": "1",
    "\N{SUPERSCRIPT TWO}": "2",
    "\N{SUPERSCRIPT THREE}": "3",
    "\N{SUPERSCRIPT FOUR}": "4",
    "\N{SUPERSCRIPT FIVE}": "5",
    "\N{SUPERSCRIPT SIX}": "6",
    "\N{SUPERSCRIPT SEVEN}": "7",
    "\N{SUPERSCRIPT EIGHT}": "8",
    "\N{SUPERSCRIPT NINE}": "9",
    "\N{SUPERSCRIPT MINUS}": "-",
}
_SUPERSCRIPT_RUN = re.compile(f"[{''.join(SUPERSCRIPTS)}]+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_LETTERS = re.compile(r"[A-Za-z]+")
_COMMAND = re.compile(r"\\([A-Za-z]+|.)", re.DOTALL)
_TEXT_NAME = re.compile(r"\s*\{\s*([A-Za-z]+)\s*\}")
_SIZED_DELIMITER = re.compile(r"\s*(\\[A-Za-z]+|\\.|.)", re.DOTALL)
_MAX_DIGITS = 100

_GRAMMAR = r"""
%declare NUMBER LETTER GREEK CONST FRAC SQRT FUNC MUL DIV PLUS MINUS CARET UNDERSCORE
%declare LPAR RPAR LBRACK RBRACK LBRACE RBRACE LCURLY RCURLY LABS RABS
%declare BIGOP INT DIFF DERIV PARTIAL EQUALS INFTY ORDER

start: sum

?sum: product (PLUS product | MINUS product)*

?product: signed (MUL signed | DIV signed | implicit)*

implicit: power

?signed: MINUS signed -> neg
       | PLUS signed -> pos
       | power

?power: atom
      | atom CARET arg -> pow
      | symexpr
      | FUNC funcarg -> call
      | bigop
      | integral
      | derivative
      | partial
      | order

bigop: BIGOP UNDERSCORE LBRACE var EQUALS sum RBRACE CARET arg product
     | BIGOP CARET arg UNDERSCORE LBRACE var EQUALS sum RBRACE product

integral: INT limits? product DIFF var
        | INT limits? DIFF var product

limits: UNDERSCORE arg CARET arg
      | CARET arg UNDERSCORE arg

derivative: DERIV dorder? LBRACE dvar+ RBRACE product

dvar: DIFF var dorder?

dorder: CARET arg

partial: PARTIAL UNDERSCORE subarg dorder? product

order: ORDER group

var: base sub?

symexpr: base sub? sup?
       | base sup sub

base: LETTER | GREEK

sub: UNDERSCORE subarg

sup: CARET arg

subarg: NUMBER | LETTER | GREEK | LBRACE (NUMBER | LETTER | GREEK)+ RBRACE

?atom: NUMBER -> number
     | CONST -> const
     | group
     | frac
     | sqrt
     | FUNC group -> call
     | INFTY -> infinity

group: LPAR sum RPAR
     | LBRACK sum RBRACK
     | LBRACE sum RBRACE
     | LCURLY sum RCURLY
     | LABS sum RABS -> abs

frac: FRAC arg arg

sqrt: SQRT arg
    | SQRT LBRACK sum RBRACK arg

arg: LBRACE sum RBRACE | NUMBER | LETTER | GREEK | CONST | INFTY

funcarg: symexpr
       | NUMBER (CARET arg)?
       | CONST (CARET arg)?
       | frac
       | sqrt
"""


def canonical_subscript(text: str) -> str:
    """Canonical spelling of a subscript key (``varepsilon``, ``eps`` -> ``epsilon``)."""
    return _SUBSCRIPT_ALIASES.get(text, text)


def _show(text: str) -> str:
    """A short, one-line rendering of a piece of user text for error messages: quoted, as
    typed (a backslash stays one backslash), characters that do not print escaped."""
    short = text if len(text) <= 30 else text[:27] + "..."
    return "'" + "".join(c if c.isprintable() else repr(c)[1:-1] for c in short) + "'"


@dataclass
class _OpenIntegral:
    """An ``\\int`` whose differential has not been read yet: the bracket depth of its
    integrand, where it starts, and what the scanner reads next: ``"limits"`` (after
    ``\\int`` or a whole limit), ``"argument"`` (after ``_`` or ``^``), ``"group"`` (inside a
    braced limit) or ``"body"`` (the integrand)."""

    depth: int
    start: int
    phase: str = "limits"


class _Scanner:
    """One pass over the text, producing tokens and checking bracket balance and depth;
    ``chain`` adds the language of derivation chains (module docstring)."""

    def __init__(self, text: str, *, chain: bool = False) -> None:
        self.text = text
        self.chain = chain
        self.pos = 0
        self.tokens: list[Token] = []
        self.stack: list[tuple[str, int]] = []
        self.integrals: list[_OpenIntegral] = []
        #: bracket depth inside the denominator of a derivative, while it is being read
        self.denominator: int | None = None

    def emit(self, kind: str, value: str, start: int) -> None:
        if kind in {"LPAR", "LBRACK", "LBRACE", "LCURLY", "LABS"}:
            self.stack.append((kind, start))
            if len(self.stack) > MAX_DEPTH:
                raise FormulaError(
                    f"formula nested too deeply: more than {MAX_DEPTH} open brackets at "
                    f"column {start + 1}"
                )
        elif kind in _CLOSERS:
            opener = "L" + kind[1:]
            if not self.stack:
                raise FormulaError(
                    f"unbalanced brackets: {_show(value)} at column {start + 1} closes nothing"
                )
            open_kind, open_pos = self.stack.pop()
            if open_kind != opener:
                raise FormulaError(
                    f"unbalanced brackets: {_show(value)} at column {start + 1} does not "
                    f"match the bracket opened at column {open_pos + 1}"
                )
            if self.denominator is not None and len(self.stack) < self.denominator:
                self.denominator = None
        if self.integrals:
            self._follow_integral(kind)
        self.tokens.append(Token(kind, value, start_pos=start, line=1, column=start + 1))

    def _follow_integral(self, kind: str) -> None:
        """Move the innermost open integral's phase on past the token ``kind`` (already on
        the bracket stack)."""
        integral = self.integrals[-1]
        depth = len(self.stack)
        if integral.phase == "limits" and depth == integral.depth:
            integral.phase = "argument" if kind in {"UNDERSCORE", "CARET"} else "body"
        elif integral.phase == "argument":
            integral.phase = "group" if kind == "LBRACE" else "limits"
        elif integral.phase == "group" and depth == integral.depth:
            integral.phase = "limits"

    def _at_differential(self) -> bool:
        """Whether a ``d`` here starts a differential: directly inside a derivative's
        denominator, or at the integrand's level of an open integral (closing it)."""
        if self.denominator is not None and len(self.stack) == self.denominator:
            return True
        if self.integrals:
            integral = self.integrals[-1]
            if len(self.stack) == integral.depth and integral.phase in {"limits", "body"}:
                self.integrals.pop()
                return True
        return False

    def superscript(self, run: str, start: int) -> None:
        """Unicode superscripts as the exponent ``^{...}`` they stand for."""
        exponent = superscript_exponent(run, start)
        self.emit("CARET", "^", start)
        self.emit("LBRACE", "{", start)
        if exponent.startswith("-"):
            self.emit("MINUS", "-", start)
        self.emit("NUMBER", exponent.lstrip("-"), start)
        self.emit("RBRACE", "}", start)

    def command(self, name: str, start: int) -> None:
        text = self.text
        if name in _SPACING or (self.chain and name in {"limits", "nolimits"}):
            return
        if self._formula_command(name, start):
            return
        if self.chain and self._chain_command(name, start):
            return
        if name in GREEK_LETTERS:
            self.emit("GREEK", GREEK_LETTERS[name], start)
        elif name == "pi":
            self.emit("CONST", "pi", start)
        elif name in FUNCTION_COMMANDS:
            self.emit("FUNC", FUNCTION_COMMANDS[name], start)
        elif name in _FRACTIONS:
            if self.chain and self._derivative(name, start):
                return
            self.emit("FRAC", name, start)
            self._split_fraction_digits()
        elif name == "sqrt":
            self.emit("SQRT", name, start)
        elif name in _PRODUCTS:
            self.emit("MUL", name, start)
        elif name in {"{", "}", "lbrace", "rbrace", "lvert", "rvert"}:
            kind, _ = _DELIMITERS["\\" + name]
            self.emit(kind, "\\" + name, start)
        elif name in _OPEN_SIZES | _CLOSE_SIZES | _EITHER_SIZES:
            self._sized_delimiter(name, start)
        elif name in _TEXT_COMMANDS:
            match = _TEXT_NAME.match(text, self.pos)
            word = None if match is None else match.group(1)
            if self.chain and word == "d" and self._at_differential():
                self.pos = match.end()  # type: ignore[union-attr]
                self.emit("DIFF", "d", start)
                return
            if word != "e" and word not in TEXT_FUNCTIONS:
                raise FormulaError(
                    f"unsupported LaTeX command \\{name} at column {start + 1}: only "
                    f"\\{name}{{e}} (Euler's number) and \\{name}{{f}} for the functions f ="
                    f" {', '.join(sorted(TEXT_FUNCTIONS))} are accepted"
                )
            self.pos = match.end()  # type: ignore[union-attr]
            if word == "e":
                self.emit("CONST", "E", start)
            else:
                self.emit("FUNC", TEXT_FUNCTIONS[word], start)
        elif name == "\\":
            raise FormulaError(f"line breaks (\\\\) are not supported, at column {start + 1}")
        else:
            raise FormulaError(
                f"unknown LaTeX command {_show(chr(92) + name)} at column {start + 1}; "
                "accepted: \\frac \\sqrt \\cdot \\times \\left \\right, Greek letters, "
                "\\pi and \\"
                + " \\".join(sorted(FUNCTION_COMMANDS))
                + (" \\sum \\prod \\int \\partial \\infty" if self.chain else "")
            )

    def _formula_command(self, name: str, start: int) -> bool:
        r"""Emit a command that ``check`` formulas and chains share (sums, products, an order
        term ``\mathcal{O}``, the Gamma function); ``False`` if ``name`` is not one."""
        if name in {"sum", "prod"}:
            self.emit("BIGOP", name, start)
            return True
        if name == "Gamma" and _ORDER_OPENING.match(self.text, self.pos):
            self.emit("FUNC", "Gamma", start)  # \Gamma(x): the Gamma function
            return True
        if name == "mathcal":
            match = re.compile(r"\s*\{\s*O\s*\}").match(self.text, self.pos)
            if match is None or not _ORDER_OPENING.match(self.text, match.end()):
                raise FormulaError(
                    f"unsupported LaTeX command \\mathcal at column {start + 1}: only"
                    " \\mathcal{O}(...), an order term, is accepted"
                )
            self.pos = match.end()
            self.emit("ORDER", "O", start)
            return True
        return False

    def _chain_command(self, name: str, start: int) -> bool:
        """Emit a command of the chain language only; ``False`` if ``name`` is not one."""
        if name in _CHAIN_COMMANDS:
            kind, value = _CHAIN_COMMANDS[name]
            self.emit(kind, value, start)
            if kind == "INT":
                self.integrals.append(_OpenIntegral(len(self.stack), start))
            return True
        if name == "partial":
            at_differential = self.denominator is not None and len(self.stack) == self.denominator
            self.emit("DIFF" if at_differential else "PARTIAL", "partial", start)
            return True
        return False

    def _derivative(self, name: str, start: int) -> bool:
        r"""Emit the start of a derivative ``\frac{d^n}{...}`` and get ready to read its
        denominator; ``False`` for an ordinary fraction.  A Leibniz quotient with the
        function in the numerator (``\frac{df}{dx}``) is refused."""
        numerator = _DERIVATIVE_NUMERATOR.match(self.text, self.pos)
        if numerator is not None and _DERIVATIVE_DENOMINATOR.match(self.text, numerator.end()):
            self.emit("DERIV", "partial" if "partial" in numerator.group(1) else "d", start)
            order = numerator.group(2) or numerator.group(3)
            if order:
                self.emit("CARET", "^", start)
                self.emit("NUMBER", order, start)
            self.pos = numerator.end()
            self.denominator = len(self.stack) + 1
            return True
        if _LEIBNIZ_NUMERATOR.match(self.text, self.pos):
            end = group_end(self.text, self.text.index("{", self.pos))
            if end is not None and _DERIVATIVE_DENOMINATOR.match(self.text, end):
                raise FormulaError(
                    f"derivative \\{name}{{d...}}{{d...}} at column {start + 1} with the function"
                    " in the numerator: write \\frac{d}{dx} followed by the expression, e.g."
                    " \\frac{d}{dx}\\left(x^2\\right)"
                )
        return False

    def _split_fraction_digits(self) -> None:
        r"""``\frac12`` means ``\frac{1}{2}``: split a bare digit run after ``\frac``."""
        match = re.compile(r"\s*(\d)(\d+)").match(self.text, self.pos)
        if match is not None and self.text[match.end() : match.end() + 1] != ".":
            self.emit("NUMBER", match.group(1), match.start(1))
            self.pos = match.start(2)

    def _sized_delimiter(self, name: str, start: int) -> None:
        match = _SIZED_DELIMITER.match(self.text, self.pos)
        delimiter = match.group(1) if match else ""
        if delimiter == "|" or delimiter == r"\vert" or delimiter == r"\lvert":
            side = "L" if name in _OPEN_SIZES else "R" if name in _CLOSE_SIZES else ""
            if delimiter == r"\lvert":
                side = "L"
            if not side:
                raise FormulaError(
                    f"ambiguous \\{name}| at column {start + 1}: use \\left| ... \\right|"
                )
            kind = side + "ABS"
        elif delimiter in _DELIMITERS:
            kind, _ = _DELIMITERS[delimiter]
            is_open = kind.startswith("L")
            if (is_open and name in _CLOSE_SIZES) or (not is_open and name in _OPEN_SIZES):
                raise FormulaError(
                    f"\\{name}{delimiter} at column {start + 1}: the delimiter faces the wrong way"
                )
        else:
            raise FormulaError(
                f"unsupported delimiter {_show(delimiter)} after \\{name} at column "
                f"{start + 1}; accepted: ( ) [ ] \\{{ \\}} |"
            )
        assert match is not None
        self.pos = match.end()
        self.emit(kind, "\\" + name + delimiter, start)

    def letters(self, run: str, start: int) -> None:
        """A run of Latin letters; in a chain, an ``O``/``o`` before a parenthesis is an
        order term and a ``d`` that starts a differential is one."""
        if run in {"O", "o"} and _ORDER_OPENING.match(self.text, self.pos):
            self.emit("ORDER", run, start)
        elif run == "W" and (branch := _LAMBERT_W.match(self.text, self.pos)) is not None:
            self.pos = branch.end()
            self.emit("FUNC", "LambertW", start)  # W_0(x): the principal Lambert W
        elif self.chain and run.startswith("d") and self._at_differential():
            self.emit("DIFF", "d", start)
            if len(run) > 1:
                self.emit("LETTER", run[1:], start + 1)
        else:
            self.emit("LETTER", run, start)

    def run(self) -> list[Token]:
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            start = self.pos
            if char.isspace() or char == "~":
                self.pos += 1
            elif char == "\\":
                match = _COMMAND.match(text, self.pos)
                if match is None:
                    raise FormulaError(
                        f"lone backslash at the end of the formula (column {start + 1})"
                    )
                self.pos = match.end()
                self.command(match.group(1), start)
            elif (match := _NUMBER.match(text, self.pos)) is not None:
                digits = sum(c.isdigit() for c in match.group())
                if digits > _MAX_DIGITS:
                    raise FormulaError(
                        f"number at column {start + 1} has {digits} digits; at most "
                        f"{_MAX_DIGITS} are accepted"
                    )
                self.pos = match.end()
                self.emit("NUMBER", match.group(), start)
            elif (match := _LETTERS.match(text, self.pos)) is not None:
                self.pos = match.end()
                self.letters(match.group(), start)
            elif char in _SINGLE:
                self.pos += 1
                self.emit(_SINGLE[char], char, start)
            elif char in "()[]":
                self.pos += 1
                self.emit(_DELIMITERS[char][0], char, start)
            elif (match := _SUPERSCRIPT_RUN.match(text, self.pos)) is not None:
                self.superscript(match.group(), start)  # s² reads as s^{2}
                self.pos = match.end()
            elif char in UNICODE_GREEK:  # σ reads as \sigma
                self.pos += 1
                self.command(UNICODE_GREEK[char], start)
            elif char in _UNICODE_OPERATORS:  # ∑ reads as \sum
                self.pos += 1
                self.command(_UNICODE_OPERATORS[char], start)
            elif char == "=":
                self.pos += 1
                self.emit("EQUALS", char, start)
            elif char == "|":
                raise FormulaError(
                    f"bare '|' at column {start + 1}: write absolute values as "
                    "\\left| ... \\right| or \\lvert ... \\rvert"
                )
            else:
                raise FormulaError(
                    f"unexpected character {_show(char)} at column {start + 1} in LaTeX formula"
                )
        if self.stack:
            _kind, pos = self.stack[-1]
            raise FormulaError(
                f"unbalanced brackets: {_show(text[pos])} opened at column {pos + 1} is "
                "never closed"
            )
        if self.integrals:
            raise FormulaError(
                f"\\int at column {self.integrals[-1].start + 1} has no differential: end its"
                " integrand with du (or \\mathrm{d}u) at the integrand's bracket level"
            )
        return self.tokens


def group_end(text: str, opening: int) -> int | None:
    """The position after the ``}`` that closes the ``{`` at ``opening`` (``None`` if it is
    never closed); escaped braces ``\\{ \\}`` are skipped."""
    depth = 0
    position = opening
    while position < len(text):
        char = text[position]
        if char == "\\":
            position += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return position + 1
        position += 1
    return None


def top_level_positions(text: str) -> Iterator[int]:
    """The positions of ``text`` outside braces, in order (``\\{`` and ``\\}`` are
    delimiters, not braces, and are skipped): where a relation between two expressions may
    stand (``\\sum_{l=1}`` holds none)."""
    depth = 0
    position = 0
    while position < len(text):
        if text.startswith(("\\{", "\\}"), position):
            position += 2
            continue
        char = text[position]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif depth == 0:
            yield position
        position += 1


def superscript_exponent(run: str, column: int) -> str:
    """The exponent a run of Unicode superscripts stands for (``⁻¹`` is ``-1``): an optional
    minus then digits; a one-line :class:`FormulaError` otherwise."""
    exponent = "".join(SUPERSCRIPTS[char] for char in run)
    if not re.fullmatch(r"-?\d+", exponent):
        raise FormulaError(f"superscript {run!r} at column {column + 1} is not an integer exponent")
    return exponent


def tokenize_latex(text: str, *, chain: bool = False) -> list[Token]:
    r"""Split LaTeX text into grammar tokens, refusing unknown commands and characters;
    ``chain`` adds the language of derivation chains (module docstring).

    Raises
    ------
    FormulaError
        On an unknown command or character, unbalanced brackets, more than
        :data:`MAX_DEPTH` nested brackets, a number with more than 100 digits; in a chain,
        an integral without a differential or a Leibniz quotient ``\frac{df}{dx}``.
    """
    return _Scanner(text, chain=chain).run()


class _TokenListLexer(Lexer):
    """A lark lexer that hands over the tokens :func:`tokenize_latex` already produced."""

    def __init__(self, lexer_conf: object) -> None:
        pass

    def lex(self, data: list[Token]) -> Iterator[Token]:  # type: ignore[override]
        return iter(data)


#: LALR parser of the grammar above; ``LATEX_PARSER.parse(tokenize_latex(text))``.
LATEX_PARSER = Lark(_GRAMMAR, parser="lalr", lexer=_TokenListLexer, start="start")
