r"""The limits every user formula is held to, whatever its syntax, and the exact arithmetic
that enforces them.

A formula typed by a user (``dlnverify check``, DESIGN.md §7) is built into SymPy by
:mod:`reports.formulas.sympy_syntax` or :mod:`reports.formulas.latex_syntax`; both pass the
text, every number and every arithmetic step through this module, so that no input can
exhaust time or memory.  Each refusal is a one-line
:class:`~dlnverify.errors.FormulaError` naming the problem:

* at most :data:`MAX_LENGTH` characters and :data:`MAX_NODES` tree nodes;
* at most :data:`MAX_DEPTH` nested brackets (and a matching bound :data:`MAX_TREE_DEPTH` on
  the tree depth, where sums and products count as one level however many terms they have);
* literals of at most :data:`MAX_DIGITS` digits with decimal exponents of at most 300;
* a numeric exponent of magnitude at most :data:`MAX_EXPONENT` (also after SymPy merges
  powers), and no power or product whose exact rational value would need more than
  :data:`MAX_NUMBER_BITS` bits;
* at most 8 fractional powers of numbers (``sqrt(2)``, ``3**(2/5)``), each of a number of
  at most 64 bits with a denominator of at most 16 in the exponent: SymPy simplifies them
  by factoring, which for larger numbers takes minutes;
* the result must be finite (no ``zoo``, ``nan``, ``oo``: e.g. a division by zero);
* in a derivation chain, the bounds of a sum or product are integers of magnitude at most
  :data:`MAX_BOUND` (or infinite), so that carrying it out term by term stays cheap
  (:func:`checked_bound`); in a ``check`` formula they are integers or affine in ``L``, and
  all sums together (nested ones multiplied) have at most :data:`MAX_SUM_TERMS` terms at any depth up to
  :data:`MAX_SUM_DEPTH` (:func:`checked_formula_range`).

Symbols are the exact objects of :mod:`derivations.conventions`, so their assumptions
(``positive``, ``integer``) carry over to the comparison.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable, Iterable, Mapping

import sympy as sp

from derivations.conventions import PARAMETERS
from dlnverify.errors import FormulaError, InvalidParameter
from reports.formulas._latex_grammar import MAX_DEPTH

__all__ = [
    "ALLOWED_FUNCTIONS",
    "GuardedArithmetic",
    "MAX_BOUND",
    "MAX_BOUND_SLOPE",
    "MAX_DEPTH",
    "MAX_DIGITS",
    "MAX_EXPONENT",
    "MAX_GAMMA",
    "MAX_LENGTH",
    "MAX_NODES",
    "MAX_NUMBER_BITS",
    "MAX_SUM_DEPTH",
    "MAX_SUM_TERMS",
    "MAX_TREE_DEPTH",
    "SumTerms",
    "allowed_symbols",
    "checked_bound",
    "checked_formula_range",
    "checked_text",
    "exact_decimal",
    "excerpt",
    "finished",
    "within_limits",
]

#: Largest magnitude of a numeric bound of a sum or product in a chain (``\sum_{l=1}^{1000}``):
#: SymPy may carry a sum out term by term, or a product into a factorial.
MAX_BOUND = 1000
#: Largest slope in ``L`` of a bound of a sum or product in a ``check`` formula (``2 L - 1``).
MAX_BOUND_SLOPE = 4
#: Deepest network at which a sum or product of a ``check`` formula is carried out.
MAX_SUM_DEPTH = 12
#: Most terms the sums and products of a ``check`` formula may have, nested ones multiplied,
#: at any depth up to :data:`MAX_SUM_DEPTH`: each is carried out term by term there.
MAX_SUM_TERMS = 2000
#: Largest number whose Gamma function a formula may take (SymPy evaluates Gamma of an
#: integer as an exact factorial).
MAX_GAMMA = 1000
#: Longest formula accepted, in characters.
MAX_LENGTH = 2000
#: Most syntax-tree nodes accepted (a real formula of the theory has well under 200).
MAX_NODES = 1000
#: Largest magnitude of a numeric exponent, also after SymPy merges powers
#: (``(s**8)**8 = s**64``).  Small on purpose: SymPy's sign assumptions, which every function
#: application queries, isolate the real roots of a polynomial of that degree
#: (``tanh(1 - s**-100 - s**-97 + s**-3)`` takes 0.6 s, at degree 300 it takes 45 s), while
#: the theory's formulas use exponents such as 2, 3/2 or 4 - 4/L.
MAX_EXPONENT = 32
#: Largest exact rational (numerator or denominator) a formula may produce, in bits.
MAX_NUMBER_BITS = 10_000
#: Deepest syntax tree accepted; a bracket level costs at most a few tree levels.
MAX_TREE_DEPTH = 4 * MAX_DEPTH + 20
#: Most digits of a number literal.
MAX_DIGITS = 100
_MAX_DECIMAL_EXPONENT = 300
_MAX_FRACTIONAL_POWERS = 8
_MAX_ROOT_DEGREE = 16
_MAX_ROOT_BITS = 64

#: Functions a formula may call, by SymPy-syntax name; each takes one argument.
ALLOWED_FUNCTIONS: Mapping[str, Callable[[sp.Expr], sp.Expr]] = types.MappingProxyType(
    {
        "Abs": sp.Abs,
        "abs": sp.Abs,
        "LambertW": sp.LambertW,
        "Gamma": sp.gamma,
        "acos": sp.acos,
        "acosh": sp.acosh,
        "arccos": sp.acos,
        "arccosh": sp.acosh,
        "arcsin": sp.asin,
        "arcsinh": sp.asinh,
        "arctan": sp.atan,
        "arctanh": sp.atanh,
        "asin": sp.asin,
        "asinh": sp.asinh,
        "atan": sp.atan,
        "atanh": sp.atanh,
        "cos": sp.cos,
        "cosh": sp.cosh,
        "erf": sp.erf,
        "erfc": sp.erfc,
        "exp": sp.exp,
        "ln": sp.log,
        "log": sp.log,
        "sin": sp.sin,
        "sinh": sp.sinh,
        "sqrt": sp.sqrt,
        "tan": sp.tan,
        "tanh": sp.tanh,
    }
)

_DECIMAL = re.compile(r"(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?")


def excerpt(text: str) -> str:
    """A short, one-line rendering of a piece of user text for error messages."""
    return repr(text if len(text) <= 30 else text[:27] + "...")


def allowed_symbols(allowed: Iterable[str] | None) -> dict[str, sp.Symbol]:
    """Validate ``allowed`` and map each allowed parameter name to its declared symbol
    (every declared parameter when ``None``)."""
    if allowed is None:
        return {name: p.symbol for name, p in PARAMETERS.items()}
    if isinstance(allowed, str):
        allowed = [allowed]
    names = list(allowed)
    unknown = [name for name in names if name not in PARAMETERS]
    if unknown:
        raise InvalidParameter(
            f"Got allowed={names!r}, but {unknown!r} are not declared parameters; "
            f"declared: {', '.join(PARAMETERS)}."
        )
    return {name: PARAMETERS[name].symbol for name in names}


def checked_text(text: object) -> str:
    """``text`` after checking that it is a non-empty string within :data:`MAX_LENGTH`
    characters and :data:`MAX_DEPTH` levels of brackets."""
    if not isinstance(text, str):
        raise FormulaError(f"a formula must be a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise FormulaError(
            f"formula too long: {len(text)} characters, at most {MAX_LENGTH} are accepted"
        )
    if not text.strip():
        raise FormulaError("empty formula")
    depth = deepest = 0
    for char in text:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
    if deepest > MAX_DEPTH:
        raise FormulaError(
            f"formula nested too deeply: {deepest} levels of brackets, at most {MAX_DEPTH}"
        )
    return text


def _brief(value: sp.Expr) -> str:
    """A short rendering of a SymPy number for error messages (never thousands of digits)."""
    bits = _coefficient_bits(value)
    return str(value) if bits <= 64 else f"(a {bits}-bit number)"


def _rational_bits(expr: sp.Expr) -> int:
    """Bits of the largest numerator or denominator among ``expr`` and its top-level args."""
    bits = 0
    for part in (expr, *expr.args):
        if isinstance(part, sp.Rational):
            bits = max(bits, int(part.p).bit_length(), int(part.q).bit_length())
    return bits


def within_limits(expr: sp.Expr) -> sp.Expr:
    """``expr`` after checking its numbers and exponents (the top level is where they grow)."""
    bits = _rational_bits(expr)
    if bits > MAX_NUMBER_BITS:
        raise FormulaError(
            f"a number in the formula needs {bits} bits; at most {MAX_NUMBER_BITS} are accepted"
        )
    for part in (expr, *expr.args):
        exponent = part.exp if isinstance(part, sp.Pow) else None
        if isinstance(exponent, sp.Rational) and abs(exponent) > MAX_EXPONENT:
            raise FormulaError(
                f"the formula makes an exponent {_brief(exponent)} after combining powers; "
                f"numeric exponents must be at most {MAX_EXPONENT} in magnitude"
            )
    return expr


def exact_decimal(text: str) -> sp.Rational:
    """Exact rational value of a decimal literal such as ``12``, ``0.5``, ``1.5e-3``."""
    text = text.replace("_", "")
    match = _DECIMAL.fullmatch(text)
    if match is None or not (match.group(1) or match.group(2)):
        raise FormulaError(f"cannot read the number {excerpt(text)}")
    whole, fraction, exponent = match.group(1), match.group(2) or "", match.group(3)
    digits = len(whole) + len(fraction)
    if digits > MAX_DIGITS:
        raise FormulaError(
            f"number {excerpt(text)} has {digits} digits; at most {MAX_DIGITS} are accepted"
        )
    power = int(exponent) if exponent else 0
    if abs(power) > _MAX_DECIMAL_EXPONENT:
        raise FormulaError(
            f"number {excerpt(text)} has decimal exponent {power}; at most "
            f"{_MAX_DECIMAL_EXPONENT} in magnitude is accepted"
        )
    value = sp.Rational(int(whole + fraction or "0"), 10 ** len(fraction))
    return value * sp.Rational(10) ** power


def _coefficient_bits(expr: sp.Expr) -> int:
    """Bits of the largest number SymPy may factor or raise to a power in ``expr**k``.

    The numbers of sums, products and bases of powers count; those inside exponents and
    function arguments do not (``(s**2)**k`` and ``exp(100)**k`` compute nothing large).
    """
    bits = 0
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, sp.Rational):
            bits = max(bits, int(node.p).bit_length(), int(node.q).bit_length())
        elif isinstance(node, sp.Add | sp.Mul):
            stack.extend(node.args)
        elif isinstance(node, sp.Pow):
            stack.append(node.base)
    return bits


class GuardedArithmetic:
    """SymPy arithmetic with the guards of the module docstring, for one formula.

    SymPy evaluates numbers eagerly: ``9**9**9`` would be computed digit by digit, and a
    fractional power of a number (``n**(p/q)``) is simplified by searching ``n`` for perfect
    powers and small factors, which takes seconds to hours once ``n`` has a few hundred bits
    or ``q`` is large (and products merge such powers, ``2**(1/3)*5**(1/3) -> 10**(1/3)``).
    So every power, product, sum and call goes through here and is refused before it could
    be expensive.
    """

    def __init__(self) -> None:
        self.fractional_powers = 0

    def power(self, base: sp.Expr, exponent: sp.Expr) -> sp.Expr:
        """``base**exponent`` after checking that SymPy's automatic evaluation stays small."""
        if isinstance(exponent, sp.Rational):
            if abs(exponent) > MAX_EXPONENT:
                raise FormulaError(
                    f"exponent {_brief(exponent)} is too large: numeric exponents must be at most "
                    f"{MAX_EXPONENT} in magnitude"
                )
            bits = _coefficient_bits(base)
            if bits * abs(exponent) > MAX_NUMBER_BITS:
                raise FormulaError(
                    f"power with exponent {_brief(exponent)} would produce a number of about "
                    f"{int(bits * abs(exponent))} bits; at most {MAX_NUMBER_BITS} are accepted"
                )
            if exponent.q != 1 and bits > 1:
                self._fractional_power(exponent, bits)
        return within_limits(sp.Pow(base, exponent))

    def _fractional_power(self, exponent: sp.Rational, bits: int) -> None:
        self.fractional_powers += 1
        if self.fractional_powers > _MAX_FRACTIONAL_POWERS:
            raise FormulaError(
                f"more than {_MAX_FRACTIONAL_POWERS} fractional powers of numbers in one formula"
            )
        if exponent.q > _MAX_ROOT_DEGREE or bits > _MAX_ROOT_BITS:
            raise FormulaError(
                f"fractional power {_brief(exponent)} of a {bits}-bit number refused: roots of "
                f"numbers need a denominator of at most {_MAX_ROOT_DEGREE} and numbers of at "
                f"most {_MAX_ROOT_BITS} bits"
            )

    def product(self, factors: list[sp.Expr]) -> sp.Expr:
        """The product of ``factors``, checked after each multiplication."""
        result: sp.Expr = sp.Integer(1)
        for factor in factors:
            result = within_limits(result * factor)
        return result

    def quotient(self, numerator: sp.Expr, denominator: sp.Expr) -> sp.Expr:
        """``numerator * denominator**-1``, as a guarded power and product."""
        return self.product([numerator, self.power(denominator, sp.Integer(-1))])

    def sum(self, terms: list[sp.Expr]) -> sp.Expr:
        """The sum of ``terms``, checked."""
        return within_limits(sp.Add(*terms))

    def call(self, name: str, args: list[sp.Expr]) -> sp.Expr:
        """:data:`ALLOWED_FUNCTIONS` ``[name]`` of its one argument (``sqrt`` as a guarded
        power)."""
        if len(args) != 1:
            raise FormulaError(f"function {name} takes exactly one argument, got {len(args)}")
        if ALLOWED_FUNCTIONS[name] is sp.sqrt:
            return self.power(args[0], sp.Rational(1, 2))
        if ALLOWED_FUNCTIONS[name] is sp.gamma and args[0].is_number and abs(args[0]) > MAX_GAMMA:
            raise FormulaError(
                f"{name} of a number above {MAX_GAMMA} is not accepted (SymPy would compute"
                " its factorial exactly)"
            )
        return within_limits(ALLOWED_FUNCTIONS[name](args[0]))


def checked_bound(bound: sp.Expr, which: str, operator: str) -> sp.Expr:
    """``bound``, the ``which`` ("lower", "upper") bound of a sum or product written
    ``operator``, after checking that it is an integer, at most :data:`MAX_BOUND` in
    magnitude if it is a number, or infinite."""
    if bound in (sp.oo, sp.S.NegativeInfinity):
        return bound
    if not bound.is_integer:
        raise FormulaError(
            f"the {which} bound {sp.sstr(bound)} of {operator} is not an integer: use a number,"
            " L, or a letter declared '% dlnverify: natural N'"
        )
    if bound.is_number and abs(bound) > MAX_BOUND:
        raise FormulaError(
            f"the {which} bound {_brief(bound)} of {operator} is too large: numeric bounds must"
            f" be at most {MAX_BOUND} in magnitude (write a letter for a general bound)"
        )
    return bound


def checked_formula_range(
    low: sp.Expr, high: sp.Expr, operator: str, *, enclosing: int = 1, counted: int = 0
) -> int:
    """The most terms a sum or product of a ``check`` formula from ``low`` to ``high`` has at
    any depth up to :data:`MAX_SUM_DEPTH`, after checking that each bound is an integer or
    affine in the depth ``L`` (``L - 1``, ``2 L``: slope at most :data:`MAX_BOUND_SLOPE`, the
    rest at most :data:`MAX_BOUND` in magnitude), and that its terms, times those of the sums
    enclosing it (``enclosing``), plus the terms of the formula's other sums (``counted``),
    are at most :data:`MAX_SUM_TERMS`."""
    depth = PARAMETERS["L"].symbol
    for bound, which in ((low, "lower"), (high, "upper")):
        polynomial = sp.Poly(bound, depth) if bound.free_symbols <= {depth} else None
        coefficients = [] if polynomial is None else polynomial.all_coeffs()
        affine = (
            polynomial is not None
            and polynomial.degree() <= 1
            and all(isinstance(c, sp.Integer) for c in coefficients)
        )
        if not affine:
            raise FormulaError(
                f"the {which} bound {sp.sstr(bound)} of {operator} is neither an integer nor"
                " affine in L with integer coefficients (L - 1, 2*L)"
            )
        slope = coefficients[0] if len(coefficients) == 2 else 0
        if abs(slope) > MAX_BOUND_SLOPE or abs(bound.subs(depth, 0)) > MAX_BOUND:
            raise FormulaError(
                f"the {which} bound {sp.sstr(bound)} of {operator} is too large: at most"
                f" {MAX_BOUND_SLOPE}*L + {MAX_BOUND} in magnitude"
            )
    terms = max(
        max(0, int((high - low).subs(depth, value)) + 1) for value in range(1, MAX_SUM_DEPTH + 1)
    )
    if counted + terms * enclosing > MAX_SUM_TERMS:
        raise FormulaError(
            f"the sums and products of the formula have up to {counted + terms * enclosing}"
            f" terms at depths up to {MAX_SUM_DEPTH} (nested ones multiplied); at most"
            f" {MAX_SUM_TERMS} are carried out"
        )
    return terms


class SumTerms:
    """The terms of the sums and products of one ``check`` formula, counted as the parser
    meets them (:func:`checked_formula_range`): nested ones multiply."""

    def __init__(self) -> None:
        self.enclosing = 1
        self.counted = 0

    def enter(self, low: sp.Expr, high: sp.Expr, operator: str) -> int:
        """Check and count a sum or product from ``low`` to ``high``; its body follows, until
        :meth:`leave` with the count returned here."""
        terms = checked_formula_range(
            low, high, operator, enclosing=self.enclosing, counted=self.counted
        )
        self.counted += terms * self.enclosing
        self.enclosing *= max(terms, 1)
        return max(terms, 1)

    def leave(self, terms: int) -> None:
        """The body of the sum or product that :meth:`enter` returned ``terms`` for ends."""
        self.enclosing //= terms


def finished(expr: sp.Expr) -> sp.Expr:
    """``expr`` after checking that it is a SymPy expression with no infinity or ``nan`` in
    it (a division by zero leaves ``zoo``)."""
    if not isinstance(expr, sp.Expr):
        raise FormulaError(f"formula does not denote a number (got {type(expr).__name__})")
    if expr.has(sp.zoo, sp.nan, sp.oo, sp.S.NegativeInfinity):
        raise FormulaError("formula is undefined or infinite (a division by zero?)")
    return expr
