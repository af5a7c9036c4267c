r"""Matrix formulas in LaTeX, read by a hand-written scanner and parser: nothing is run.

The language, as papers print matrix identities (whitespace is insignificant):

* names as :data:`~reports.formulas.matrix_names.LATEX_NAMES` spells them: ``W_l``,
  ``A_{k}``, ``W``, ``W^*`` / ``W^\star`` / ``W^{*}`` (the teacher), ``\Delta``,
  ``\Sigma_\varepsilon``, ``K``, ``I``, ``u_a``, ``v_b``, ``\kappa``,
  ``\sigma_\varepsilon`` (also the Unicode letters ``Δ Σ κ σ ε``, and the SymPy-syntax words
  ``Delta``, ``Wstar``, ``Sigma_eps``, ``kappa``, ``sigma_eps``); numbered layers ``W_1``,
  ``W_{2}``, ``W_L``, ``W_{L-1}`` (also ``A_j``, ``B_j``; ``W_0``, ``W_{L+1}`` refused);
  numbers ``2``, ``0.5``;
* products by juxtaposition (``A_l^\top \Delta B_l^\top``), ``*`` or ``\cdot``, always in the
  order written; ``+ -``; ``/`` and ``\frac{a}{b}`` with a scalar denominator;
* superscripts ``^\top``, ``^T``, ``^{\top}``, ``^\intercal`` (transpose), ``^{-1}``
  (inverse), ``^2``, ``^{n}`` (integer powers);
* ``X \otimes Y`` (binding more loosely than a product and more tightly than a sum, so
  ``A B \otimes C`` is :math:`(AB)\otimes C`);
* ``\operatorname{tr}``, ``\mathrm{tr}``, ``\mathrm{Tr}``, ``\operatorname{vec}`` (also in
  ``\text``) applied to a bracketed group or to the one factor that follows;
* the squared Frobenius norm ``\|X\|_F^2`` (also ``\lVert X \rVert_F^2``, ``\left\| ...
  \right\|``);
* ``\sum_{l=1}^{L}`` (also over ``k``, and ``^L``), the sum over every layer of the
  Kronecker product or product that follows it, up to the next ``+`` or ``-``;
* ``\Theta(X)`` (also ``Theta``, ``Θ``), the NTK operator applied to a bracketed group;
* brackets ``( ) [ ] { }`` with optional size prefixes ``\left \right \bigl \bigr ...``;
  spacing ``\, \; \: \! \quad \qquad`` and ``\displaystyle`` are ignored.

Every other command and character is refused with one line naming it and its column; a run
of several Latin letters that is not one of the words above (``AB``) is refused rather than
read as a product.  The text is held to the limits of :mod:`reports.formulas.guards`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dlnverify.errors import FormulaError
from reports.formulas.guards import MAX_NODES, MAX_TREE_DEPTH, checked_text, exact_decimal
from reports.formulas.matrix_expression import (
    FrobeniusSquared,
    Kronecker,
    LayerSum,
    MatrixNode,
    Name,
    Negation,
    Ntk,
    Number,
    Product,
    Sum,
    Trace,
    Transpose,
    Vec,
)
from reports.formulas.matrix_names import LATEX_NAMES, numbered_layer, numbered_name
from reports.formulas.matrix_sympy_syntax import MAX_MATRIX_EXPONENT, power, quotient

__all__ = ["matrix_from_latex"]

_GREEK = {
    "Delta": "Delta",
    "Sigma": "Sigma",
    "kappa": "kappa",
    "sigma": "sigma",
    "varepsilon": "epsilon",
    "epsilon": "epsilon",
    "Theta": "Theta",
}
_UNICODE = {
    "Θ": "Theta",
    "Δ": "Delta",
    "Σ": "Sigma",
    "κ": "kappa",
    "σ": "sigma",
    "ε": "epsilon",
    "ϵ": "epsilon",
}
#: Words spelled as in SymPy syntax, and the (base, subscript) each one is.
_WORDS = {
    "Delta": ("Delta", None),
    "Wstar": ("Wstar", None),
    "Sigma": ("Sigma", None),
    "kappa": ("kappa", None),
    "sigma": ("sigma", None),
    "Theta": ("Theta", None),
}
_SUBSCRIPT_WORDS = {"eps": "epsilon", "varepsilon": "epsilon", "epsilon": "epsilon"}
_SPACING = {",", ";", ":", "!", " ", "quad", "qquad", "displaystyle", "textstyle"}
_SIZES = {"left", "right", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr", "big", "Big"}
_TEXT_COMMANDS = {"operatorname", "mathrm", "text", "textrm"}
_FUNCTIONS = {"tr": "trace", "Tr": "trace", "trace": "trace", "vec": "vec"}
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_COMMAND = re.compile(r"\\([A-Za-z]+|.)", re.DOTALL)
_NUMBER = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_LETTERS = re.compile(r"[A-Za-z]+")
_TEXT_ARGUMENT = re.compile(r"\s*\{\s*([A-Za-z]+)\s*\}")


@dataclass(frozen=True)
class _Token:
    """A token: its kind, its value and its column (1-based)."""

    kind: str
    value: str
    column: int


def _tokens(text: str) -> list[_Token]:
    """Split ``text`` into tokens, refusing unknown commands and characters."""
    out: list[_Token] = []
    position = 0
    while position < len(text):
        char, column = text[position], position + 1
        if char.isspace() or char == "~":
            position += 1
            continue
        if char == "\\":
            match = _COMMAND.match(text, position)
            if match is None:
                raise FormulaError(f"lone backslash at the end of the formula (column {column})")
            position = match.end()
            name = match.group(1)
            if name in _SPACING or name in _SIZES:
                continue
            if name in _GREEK:
                out.append(_Token("LETTER", _GREEK[name], column))
            elif name in {"top", "intercal"}:
                out.append(_Token("TOP", name, column))
            elif name in {"star", "ast"}:
                out.append(_Token("STAR", name, column))
            elif name == "sum":
                out.append(_Token("SUM", name, column))
            elif name == "otimes":
                out.append(_Token("KRON", name, column))
            elif name in {"cdot", "times"}:
                out.append(_Token("OP", "*", column))
            elif name in {"frac", "dfrac", "tfrac"}:
                out.append(_Token("FRAC", name, column))
            elif name in {"|", "lVert", "rVert", "Vert"}:
                out.append(_Token("NORM", name, column))
            elif name in {"{", "}"}:
                out.append(_Token("OPEN" if name == "{" else "CLOSE", name, column))
            elif name in _TEXT_COMMANDS:
                word = _TEXT_ARGUMENT.match(text, position)
                if word is None or word.group(1) not in _FUNCTIONS:
                    raise FormulaError(
                        f"unsupported \\{name} at column {column}: only \\{name}{{tr}},"
                        f" \\{name}{{Tr}} and \\{name}{{vec}} are accepted"
                    )
                position = word.end()
                out.append(_Token("FUNC", _FUNCTIONS[word.group(1)], column))
            else:
                raise FormulaError(
                    f"unknown LaTeX command \\{name} at column {column} in a matrix formula;"
                    " accepted: \\top \\otimes \\operatorname{tr} \\operatorname{vec} \\frac"
                    " \\cdot \\| \\Delta \\Sigma_\\varepsilon \\kappa \\sigma_\\varepsilon"
                    " \\star and brackets"
                )
        elif (match := _NUMBER.match(text, position)) is not None:
            position = match.end()
            out.append(_Token("NUMBER", match.group(), column))
        elif (match := _LETTERS.match(text, position)) is not None:
            position = match.end()
            run = match.group()
            previous = out[-1].kind if out else ""
            if len(run) == 1 or (previous == "UNDERSCORE" and run in _SUBSCRIPT_WORDS):
                out.append(_Token("LETTER", _SUBSCRIPT_WORDS.get(run, run), column))
            elif run in _WORDS:
                out.append(_Token("LETTER", run, column))
            else:
                raise FormulaError(
                    f"several letters {run[:20]!r} at column {column}: write single letters"
                    " apart (A B), a name (W_l, Delta) or a command (\\Delta)"
                )
        elif char in _UNICODE:
            position += 1
            out.append(_Token("LETTER", _UNICODE[char], column))
        elif char in "+-*/":
            position += 1
            out.append(_Token("OP", char, column))
        elif char in "([{":
            position += 1
            out.append(_Token("OPEN", char, column))
        elif char in ")]}":
            position += 1
            out.append(_Token("CLOSE", char, column))
        elif char == "=":
            position += 1
            out.append(_Token("EQUALS", char, column))
        elif char in "^_":
            position += 1
            out.append(_Token("CARET" if char == "^" else "UNDERSCORE", char, column))
        else:
            raise FormulaError(
                f"unexpected character {char!r} at column {column} in a LaTeX matrix formula"
            )
    return out


_CLOSING = {"(": ")", "[": "]", "{": "}", "\\{": "\\}"}


class _Parser:
    """Recursive descent over the tokens (grammar in the module docstring)."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.position = 0
        self.built = 0
        #: inside ``\| ... \|``, where the next norm bar closes it
        self.in_norm = False

    def peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise FormulaError("the formula ends too early")
        self.position += 1
        return token

    def expect(self, kind: str, value: str | None, what: str) -> _Token:
        token = self.peek()
        if token is None or token.kind != kind or (value is not None and token.value != value):
            where = "the end" if token is None else f"{token.value!r} at column {token.column}"
            raise FormulaError(f"expected {what}, found {where}")
        return self.take()

    def node(self, node: MatrixNode) -> MatrixNode:
        self.built += 1
        if self.built > MAX_NODES:
            raise FormulaError(f"formula too large: more than {MAX_NODES} nodes")
        return node

    def check_depth(self, depth: int) -> None:
        if depth > MAX_TREE_DEPTH:
            raise FormulaError(f"formula nested too deeply (more than {MAX_TREE_DEPTH} levels)")

    def parse(self) -> MatrixNode:
        node = self.sum(0)
        token = self.peek()
        if token is not None:
            raise FormulaError(f"unexpected {token.value!r} at column {token.column}")
        return node

    def sum(self, depth: int) -> MatrixNode:
        self.check_depth(depth)
        terms = [self.term(depth + 1)]
        while (token := self.peek()) is not None and token.kind == "OP" and token.value in "+-":
            terms.append(self.term(depth + 1))
        return terms[0] if len(terms) == 1 else self.node(Sum(tuple(terms)))

    def term(self, depth: int) -> MatrixNode:
        """A Kronecker product with an optional sign in front."""
        token = self.peek()
        negative = False
        if token is not None and token.kind == "OP" and token.value in "+-":
            self.take()
            negative = token.value == "-"
        node = self.kronecker(depth + 1)
        return self.node(Negation(node)) if negative else node

    def kronecker(self, depth: int) -> MatrixNode:
        """Products joined by ``\\otimes``."""
        self.check_depth(depth)
        node = self.product(depth + 1)
        while (token := self.peek()) is not None and token.kind == "KRON":
            self.take()
            node = self.node(Kronecker(node, self.product(depth + 1)))
        return node

    def starts_factor(self, token: _Token | None) -> bool:
        if token is None or (token.kind == "NORM" and self.in_norm):
            return False
        return token.kind in {"NUMBER", "LETTER", "FRAC", "FUNC", "NORM", "OPEN", "SUM"}

    def product(self, depth: int) -> MatrixNode:
        self.check_depth(depth)
        factors: list[MatrixNode] = [self.factor(depth + 1)]
        while True:
            token = self.peek()
            if token is not None and token.kind == "OP" and token.value == "*":
                self.take()
                factors.append(self.factor(depth + 1))
            elif token is not None and token.kind == "OP" and token.value == "/":
                self.take()
                numerator = factors[0] if len(factors) == 1 else Product(tuple(factors))
                factors = [self.node(quotient(numerator, self.factor(depth + 1)))]
            elif self.starts_factor(token):
                if token is not None and token.kind == "NUMBER":
                    raise FormulaError(
                        f"a number after a factor at column {token.column}: write the number"
                        " first or use \\cdot"
                    )
                factors.append(self.factor(depth + 1))
            else:
                break
        return factors[0] if len(factors) == 1 else self.node(Product(tuple(factors)))

    def factor(self, depth: int) -> MatrixNode:
        """A primary with its superscripts."""
        self.check_depth(depth)
        node = self.primary(depth + 1)
        while (token := self.peek()) is not None and token.kind == "CARET":
            self.take()
            node = self.node(self.superscript(node))
        return node

    def superscript(self, node: MatrixNode) -> MatrixNode:
        """``node`` with the superscript that follows the caret applied."""
        braced = (token := self.peek()) is not None and token.kind == "OPEN" and token.value == "{"
        if braced:
            self.take()
        token = self.take()
        column = token.column
        if token.kind == "TOP" or (token.kind == "LETTER" and token.value == "T"):
            result: MatrixNode = Transpose(node)
        elif token.kind == "STAR" or (token.kind == "OP" and token.value == "*"):
            if node != Name("W"):
                raise FormulaError(f"a star (^*) at column {column} is only read after W: W^*")
            result = Name("Wstar")
        else:
            sign = 1
            if token.kind == "OP" and token.value == "-" and braced:
                sign, token = -1, self.take()
            if token.kind != "NUMBER" or not token.value.isdigit():
                raise FormulaError(
                    f"superscript at column {column}: only \\top, T, *, an integer power or -1"
                )
            if not braced and len(token.value) > 1:
                raise FormulaError(
                    f"superscript {token.value!r} at column {column}: write ^{{{token.value}}}"
                )
            if int(token.value) > MAX_MATRIX_EXPONENT:
                raise FormulaError(
                    f"exponent {token.value} at column {column} too large: at most"
                    f" {MAX_MATRIX_EXPONENT} in magnitude"
                )
            result = power(node, sign * int(token.value))
        if braced:
            self.expect("CLOSE", "}", "'}' closing the superscript")
        return result

    def primary(self, depth: int) -> MatrixNode:
        token = self.take()
        if token.kind == "NUMBER":
            return self.node(Number(exact_decimal(token.value)))
        if token.kind == "LETTER":
            return self.node(self.name(token, depth))
        if token.kind == "OPEN":
            inner = self.sum(depth + 1)
            closer = _CLOSING.get(token.value, "}")
            self.expect("CLOSE", closer, f"{closer!r} closing the bracket at column {token.column}")
            return inner
        if token.kind == "SUM":
            index = self.sum_bound(token.column)
            return self.node(LayerSum(self.kronecker(depth + 1), index))
        if token.kind == "FRAC":
            numerator = self.braced(depth)
            return self.node(quotient(numerator, self.braced(depth)))
        if token.kind == "FUNC":
            following = self.peek()
            if following is not None and following.kind == "OPEN":
                argument = self.primary(depth + 1)
            else:  # \operatorname{tr} A B: the trace of the product that follows, as printed
                argument = self.product(depth + 1)
            return self.node(Trace(argument) if token.value == "trace" else Vec(argument))
        if token.kind == "NORM":
            if self.in_norm:
                raise FormulaError(f"a norm inside a norm at column {token.column}")
            self.in_norm = True
            inner = self.sum(depth + 1)
            self.in_norm = False
            self.expect("NORM", None, f"\\| closing the norm opened at column {token.column}")
            self.frobenius_marks(token.column)
            return self.node(FrobeniusSquared(inner))
        raise FormulaError(f"unexpected {token.value!r} at column {token.column}")

    def frobenius_marks(self, column: int) -> None:
        """Read ``_F^2`` (or ``^2_F``) after a norm; only the squared Frobenius norm is
        accepted."""
        seen: set[str] = set()
        for _ in range(2):
            token = self.peek()
            if token is None or token.kind not in {"UNDERSCORE", "CARET"}:
                break
            self.take()
            braced = (inner := self.peek()) is not None and inner.kind == "OPEN"
            if braced:
                self.take()
            mark = self.take()
            if braced:
                self.expect("CLOSE", "}", "'}'")
            seen.add(f"{token.kind}:{mark.value}")
        if seen != {"UNDERSCORE:F", "CARET:2"}:
            raise FormulaError(
                f"the norm at column {column}: only the squared Frobenius norm \\|X\\|_F^2 is"
                " accepted"
            )

    def sum_bound(self, column: int) -> str:
        """Read ``_{l=1}^{L}`` (or ``^L``) after ``\\sum``: the layer index it binds."""
        refusal = FormulaError(
            f"the sum at column {column}: a sum runs over every layer, \\sum_{{l=1}}^{{L}}"
            " (or over k)"
        )
        expected = [("UNDERSCORE", None), ("OPEN", "{"), ("LETTER", None), ("EQUALS", None)]
        expected += [("NUMBER", "1"), ("CLOSE", "}"), ("CARET", None)]
        index = ""
        for kind, value in expected:
            token = self.peek()
            if token is None or token.kind != kind or value not in (None, token.value):
                raise refusal
            self.take()
            if kind == "LETTER":
                index = token.value
        braced = (token := self.peek()) is not None and token.kind == "OPEN"
        if braced:
            self.take()
        token = self.peek()
        if index not in ("l", "k") or token is None or token.value != "L":
            raise refusal
        self.take()
        if braced:
            self.expect("CLOSE", "}", "'}' closing the sum's upper bound")
        return index

    def braced(self, depth: int) -> MatrixNode:
        self.expect("OPEN", "{", "'{' opening an argument of \\frac")
        inner = self.sum(depth + 1)
        self.expect("CLOSE", "}", "'}' closing an argument of \\frac")
        return inner

    def name(self, token: _Token, depth: int) -> MatrixNode:
        """A letter with its optional subscript, resolved in
        :data:`~reports.formulas.matrix_names.LATEX_NAMES`."""
        base, subscript = token.value, None
        if base == "Wstar":
            return Name("Wstar")
        if base == "Theta":
            following = self.peek()
            if following is None or following.kind != "OPEN":
                raise FormulaError(
                    f"\\Theta at column {token.column} is the NTK operator: write \\Theta(X)"
                )
            return Ntk(self.primary(depth + 1))
        following = self.peek()
        if following is not None and following.kind == "UNDERSCORE":
            self.take()
            braced = (inner := self.peek()) is not None and inner.kind == "OPEN"
            if braced:
                self.take()
            mark = self.take()
            if base in "WAB" and (mark.kind == "NUMBER" or mark.value == "L"):
                return Name(self.numbered(base, mark, braced))
            if mark.kind != "LETTER":
                raise FormulaError(
                    f"subscript {mark.value!r} at column {mark.column}: the names use the"
                    " subscripts l, k, a, b, \\varepsilon and layer numbers (1, L, {L-1})"
                )
            subscript = mark.value
            if braced:
                self.expect("CLOSE", "}", "'}' closing the subscript")
        name = LATEX_NAMES.get((base, subscript))
        if name is None:
            spelled = base + ("" if subscript is None else "_" + subscript)
            raise FormulaError(
                f"{spelled} at column {token.column} is not a name of a matrix formula;"
                " names: W_l A_l B_l W_k A_k B_k W W^* \\Delta \\Sigma_\\varepsilon K I u_a v_a"
                " u_b v_b \\kappa \\sigma_\\varepsilon"
            )
        return Name(name)

    def numbered(self, base: str, mark: _Token, braced: bool) -> str:
        """The name of a numbered layer (``W_1``, ``A_L``, ``B_{L-1}``), its subscript
        started by ``mark``; ``W_0``, ``W_{L+1}`` are refused, naming the layer."""
        spelled = mark.value
        if mark.kind == "NUMBER" and not (mark.value.isdigit() and (braced or len(spelled) == 1)):
            raise FormulaError(
                f"subscript {spelled!r} at column {mark.column}: a layer number is an integer"
                f" (write {base}_{{{spelled}}} for several digits)"
            )
        following = self.peek()
        if braced and mark.value == "L" and following is not None and following.kind == "OP":
            sign = self.take().value
            number = self.expect("NUMBER", None, "a layer offset after L")
            spelled = f"L{sign}{number.value}"
        if braced:
            self.expect("CLOSE", "}", "'}' closing the subscript")
        text = f"{base}_{{{spelled}}}" if len(spelled) > 1 else f"{base}_{spelled}"
        try:
            numbered = numbered_layer(text)
        except FormulaError as error:
            raise FormulaError(f"{error} (column {mark.column})") from None
        if numbered is None:
            raise FormulaError(f"{text} at column {mark.column} is not a layer's name")
        return numbered_name(*numbered)


def matrix_from_latex(text: str) -> MatrixNode:
    """Parse a matrix formula written in LaTeX (module docstring).

    Raises
    ------
    FormulaError
        On an unknown command, character or name, unbalanced brackets, a guard.
    """
    return _Parser(_tokens(checked_text(text))).parse()
