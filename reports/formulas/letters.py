r"""The letters a formula may use, and the SymPy symbol each one stands for.

A letter is a key ``(base, subscript)``: ``s`` is ``("s", None)``, ``\sigma_{\varepsilon}``
is ``("sigma", "epsilon")``, ``x_1`` is ``("x", "1")``.  The theory's parameters
(:data:`derivations.conventions.PARAMETERS`) are letters with a declared spelling
(:data:`DECLARED_LETTERS`): they always stand for their declared symbols, with the declared
domains (``L``, ``B``, ``m`` positive integers; ``t``, ``\sigma_\varepsilon`` non-negative;
the others positive).

``dlnverify check`` accepts those letters only.  A derivation chain (``dlnverify
check-steps``) may use any other single Latin or Greek letter, optionally subscripted, as a
free symbol: positive unless the file gives it another :class:`Domain` (a comment line
``% dlnverify: real x, y``, read by :mod:`reports.formulas.chain_file`).  :class:`Letters`
holds those domains and makes the symbols.  Kept apart from both parsers because both read
letters (LaTeX ``\sigma_a``, SymPy syntax ``sigma_a``) and must agree on what they mean.
"""

from __future__ import annotations

import enum
import types
from collections.abc import Mapping
from dataclasses import dataclass, field

import sympy as sp

from derivations.conventions import PARAMETERS
from dlnverify.errors import FormulaError
from reports.formulas._latex_grammar import GREEK_LETTERS, canonical_subscript, tokenize_latex

__all__ = [
    "DECLARED_LETTERS",
    "Domain",
    "LetterKey",
    "Letters",
    "PARAMETER_LETTERS",
    "letter_key",
    "letter_name",
    "name_key",
]

#: A letter: its base (``"s"``, ``"sigma"``) and its canonical subscript, or ``None``.
LetterKey = tuple[str, str | None]


class Domain(enum.StrEnum):
    """Where a free letter of a chain takes its values; each word is also its directive."""

    REAL = "real"
    POSITIVE = "positive"
    NONNEGATIVE = "nonnegative"
    INTEGER = "integer"
    NATURAL = "natural"

    @property
    def assumptions(self) -> dict[str, bool]:
        """The SymPy assumptions of a symbol in this domain (``natural``: integer >= 1)."""
        return {
            Domain.REAL: {"real": True},
            Domain.POSITIVE: {"positive": True},
            Domain.NONNEGATIVE: {"nonnegative": True},
            Domain.INTEGER: {"integer": True},
            Domain.NATURAL: {"integer": True, "positive": True},
        }[self]


def _declared_key(latex: str) -> LetterKey:
    r"""``(base, subscript)`` of a declared parameter's LaTeX (``\sigma_{\varepsilon}``)."""
    tokens = [tok for tok in tokenize_latex(latex) if tok.type not in {"LBRACE", "RBRACE"}]
    base = tokens[0].value
    if len(tokens) == 1:
        return base, None
    if len(tokens) == 3 and tokens[1].type == "UNDERSCORE":
        return base, canonical_subscript(tokens[2].value)
    raise AssertionError(f"declared LaTeX {latex!r} is not a (sub)scripted letter")


#: Every declared parameter by letter: ``(base, canonical subscript) -> name`` (``check``).
PARAMETER_LETTERS: Mapping[LetterKey, str] = types.MappingProxyType(
    {_declared_key(p.latex): name for name, p in PARAMETERS.items()}
)
#: The declared parameters a derivation file's letters stand for (``check-steps``): those
#: with :attr:`~derivations.conventions.Parameter.chain_letter`.
DECLARED_LETTERS: Mapping[LetterKey, str] = types.MappingProxyType(
    {key: name for key, name in PARAMETER_LETTERS.items() if PARAMETERS[name].chain_letter}
)


def letter_name(key: LetterKey) -> str:
    """The name of a free letter's symbol: ``x``, ``x_1``, ``sigma_a``."""
    base, sub = key
    return base if sub is None else f"{base}_{sub}"


def name_key(name: str) -> LetterKey | None:
    """The letter a SymPy-syntax name spells (``x``, ``x_1``, ``sigma_a``, ``alpha``), or
    ``None`` for a name that is not one letter with an optional subscript (``xy``, ``x1``)."""
    base, underscore, sub = name.partition("_")
    if not (len(base) == 1 and base.isascii() and base.isalpha()) and base not in GREEK_LETTERS:
        return None
    base = GREEK_LETTERS.get(base, base)
    if not underscore:
        return base, None
    if not sub.isascii() or not sub.isalnum():
        return None
    return base, canonical_subscript(GREEK_LETTERS.get(sub, sub))


def letter_key(text: str) -> LetterKey:
    r"""The letter written as LaTeX ``text`` (``x``, ``x_1``, ``\sigma_a``, ``y_{12}``); a
    one-line :class:`FormulaError` for anything else."""
    try:
        tokens = [t for t in tokenize_latex(text) if t.type not in {"LBRACE", "RBRACE"}]
    except FormulaError as error:
        raise FormulaError(f"{text!r} is not a letter: {error}") from None
    kinds = [t.type for t in tokens]
    valid_base = bool(tokens) and (
        kinds[0] == "GREEK" or (kinds[0] == "LETTER" and len(tokens[0].value) == 1)
    )
    if valid_base and len(tokens) == 1:
        return tokens[0].value, None
    if (
        valid_base
        and len(tokens) == 3
        and kinds[1] == "UNDERSCORE"
        and kinds[2] in {"LETTER", "GREEK", "NUMBER"}
    ):
        return tokens[0].value, canonical_subscript(tokens[2].value)
    raise FormulaError(
        f"{text!r} is not a letter: write one Latin or Greek letter, optionally subscripted"
        " (x, x_1, \\sigma_a)"
    )


@dataclass(frozen=True)
class Letters:
    """The domains of a chain's free letters, and their symbols.

    Attributes
    ----------
    domains : mapping
        The domain of each letter the file declares; every other free letter is positive.
    """

    domains: Mapping[LetterKey, Domain] = field(default_factory=dict)

    def domain(self, key: LetterKey) -> Domain:
        """The domain of a free letter (:attr:`Domain.POSITIVE` unless declared)."""
        return self.domains.get(key, Domain.POSITIVE)

    def symbol(self, key: LetterKey) -> sp.Symbol:
        """The symbol a letter stands for: the declared parameter's, or a free symbol named
        :func:`letter_name` with the assumptions of its domain."""
        declared = DECLARED_LETTERS.get(key)
        if declared is not None:
            return PARAMETERS[declared].symbol
        return sp.Symbol(letter_name(key), **self.domain(key).assumptions)

    @staticmethod
    def bound(key: LetterKey, *, integer: bool) -> sp.Symbol:
        """A bound variable's symbol: an integer (the index of a sum or product) or a real
        number (the variable of an integral)."""
        return (
            sp.Symbol(letter_name(key), integer=True)
            if integer
            else sp.Symbol(letter_name(key), real=True)
        )
