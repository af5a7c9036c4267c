r"""A formula as a paper prints it: delimiters, alignment debris and a left-hand side.

A theorist pastes ``$$D(s) = \kappa L^2 \dots,$$`` or a line of an ``align`` environment;
the checked text is the right-hand side.  :func:`read_statement` reads, from the text as
given and nothing else:

* math delimiters around the whole text: ``$...$``, ``$$...$$``, ``\(...\)``, ``\[...\]``,
  ``\begin{equation}...\end{equation}`` (also ``equation*``, ``align``, ``align*``; one
  line, no ``\\``);
* ``\label{...}``, ``\tag{...}``, ``\nonumber``, ``\notag``, alignment ``&`` and one
  trailing ``,`` or ``.``;
* one relation, ``=`` or ``\propto``, outside braces: the left-hand side must name the
  checked quantity (or be a bare name such as ``f(s)``); one that names another known
  quantity is refused, naming it.  ``\propto`` ("up to a constant factor") is allowed only
  for a quantity defined up to one (``stationary_density``);
* a written normaliser in front of the formula, ``\frac{1}{Z}``, ``Z^{-1}`` (also
  ``\mathcal{Z}``; SymPy syntax ``1/Z*``, ``Z**-1*``): it says the same as ``\propto`` and is
  allowed where ``\propto`` is, refused with that reason elsewhere.

Every piece it removes or reads is listed in :attr:`Statement.reading`, which the check's
echo prints, so nothing is normalised silently.  A text with none of these is returned as
it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dlnverify.errors import FormulaError
from reports.engine.quantity import Quantity
from reports.formulas._latex_grammar import GREEK_LETTERS, TEXT_FUNCTIONS, top_level_positions
from reports.formulas.guards import checked_text

__all__ = ["LEFT_HAND_SIDES", "Statement", "is_bare_name", "quantities_named", "read_statement"]

#: Left-hand sides that name a quantity, in the normal form of :func:`_head` (no spaces or
#: braces, font commands dropped, mode subscripts and an argument list removed), and the
#: quantities each may name.
LEFT_HAND_SIDES: dict[str, tuple[str, ...]] = {
    "D": ("diffusion", "isotropic_diffusion", "cross_mode_diffusion"),
    r"\mu": ("drift", "two_mode_drift"),
    r"\mu^Ito": ("ito_drift", "two_mode_ito_drift"),
    r"\mu_Ito": ("ito_drift", "two_mode_ito_drift"),
    r"\mu^grad": ("gradient_drift",),
    r"\mu_grad": ("gradient_drift",),
    "s^*": ("diffusion_peak",),
    r"\sigma_eps^*": ("peak_threshold",),
    "p": ("stationary_density",),
    "E": ("stationary_mean",),
    "Es": ("stationary_mean",),
    r"\langles\rangle": ("stationary_mean",),
    "Var": ("stationary_variance",),
    r"\hats": ("stationary_mode",),
    "s": ("gf_solution",),
    "t": ("gf_time",),
    r"\lambda": ("collapse_rate",),
    r"\beta": ("singularity_exponent",),
}

_ENVIRONMENTS = ("equation", "equation*", "align", "align*")
_DELIMITERS = (("$$", "$$"), ("$", "$"), (r"\(", r"\)"), (r"\[", r"\]"))
_DEBRIS = (
    (re.compile(r"\\label\{[^{}]*\}"), r"\label{...}"),
    (re.compile(r"\\tag\*?\{[^{}]*\}"), r"\tag{...}"),
    (re.compile(r"\\nonumber(?![A-Za-z])"), r"\nonumber"),
    (re.compile(r"\\notag(?![A-Za-z])"), r"\notag"),
)
_RELATION = re.compile(r"\\propto(?![A-Za-z])|=")
_Z = r"(?:Z|\\mathcal\{Z\}|\\mathcal\s*Z)"
#: A normaliser written in front of the formula, and the spacing or product sign after it.
_NORMALISER = re.compile(
    rf"^(?:\\[td]?frac\{{1\}}\{{{_Z}\}}|{_Z}\^(?:\{{-1\}}|-1)|1/Z\s*\*|Z\*\*\(?-1\)?\s*\*)"
    r"(?:\\[,;:!]|\\cdot(?![A-Za-z])|\s)*"
)
_MODE_SUBSCRIPT = re.compile(r"_(?:\{(?:aa|ab|ba|bb|a|b|i|j|k|\\alpha)\}|a|b|i|j|k|\\alpha)")
_NAME = re.compile(r"(?:[A-Za-z]|\\[A-Za-z]+)(?:[_^](?:[A-Za-z0-9*]|\\[A-Za-z]+))*")


@dataclass(frozen=True)
class Statement:
    """A formula read off a paper's equation.

    Attributes
    ----------
    formula : str
        The text to parse: the right-hand side, without delimiters and debris.
    left : str or None
        The left-hand side as written, if there was one.
    proportional : bool
        Whether the relation was ``\\propto``.
    reading : tuple of str
        What was removed or read, in words, for the echo of the check.
    """

    formula: str
    left: str | None = None
    proportional: bool = False
    reading: tuple[str, ...] = ()


def _strip_delimiters(text: str) -> tuple[str, list[str]]:
    for name in _ENVIRONMENTS:
        begin, end = rf"\begin{{{name}}}", rf"\end{{{name}}}"
        if text.startswith(begin) and text.endswith(end):
            inner = text[len(begin) : -len(end)]
            if r"\\" in inner:
                raise FormulaError(
                    f"Got a {name} environment of several lines, but check reads one equation;"
                    " check a derivation line by line."
                )
            return inner.strip(), [f"the {name} environment removed"]
    for opening, closing in _DELIMITERS:
        if (
            len(text) > len(opening) + len(closing)
            and text.startswith(opening)
            and text.endswith(closing)
        ):
            return text[len(opening) : -len(closing)].strip(), [
                f"the math delimiters {opening}...{closing} removed"
            ]
    return text, []


def _strip_debris(text: str) -> tuple[str, list[str]]:
    reading = []
    for pattern, name in _DEBRIS:
        text, count = pattern.subn(" ", text)
        if count:
            reading.append(f"{name} removed")
    if "&" in text:
        text = text.replace("&", " ")
        reading.append("alignment & removed")
    stripped = re.sub(r"(?:\\[,;:!]|\s)*(?<!\\)[,.]\s*$", "", text)
    if stripped != text:
        reading.append(f"the trailing {text.rstrip()[-1]} removed")
        text = stripped
    return text.strip(), reading


def _relations(text: str) -> list[re.Match[str]]:
    """The ``=`` and ``\\propto`` outside braces."""
    found: list[re.Match[str]] = []
    for position in top_level_positions(text):
        if found and position < found[-1].end():
            continue
        match = _RELATION.match(text, position)
        if match:
            found.append(match)
    return found


def _head(left: str) -> str:
    """The left-hand side in the normal form of :data:`LEFT_HAND_SIDES`."""
    head = re.sub(r"\\hat\{?o\}?|ô", "o", left)  # It\hat{o}
    head = re.sub(r"\\(?:mathrm|operatorname|text|textrm|mathbb|mathcal|mathsf)\b", "", head)
    head = re.sub(r"\\(?:left|right|bigl|bigr|Bigl|Bigr|big|Big)\b", "", head)
    head = re.sub(r"\s+|\\[,;:!]", "", head)
    head = re.sub(r"\\(?:star|ast)\b", "*", head)
    head = re.sub(r"\\(?:varepsilon|epsilon)\b", "eps", head)
    head = re.sub(r"(?:\([^()]*\)|\[[^\[\]]*\])$", "", head)  # an argument list
    head = _MODE_SUBSCRIPT.sub("", head)
    return head.replace("{", "").replace("}", "")


def quantities_named(left: str) -> tuple[str, ...]:
    """The quantities a left-hand side names (``D(s)``: the diffusions), in the order of
    :data:`LEFT_HAND_SIDES`; empty for any other text."""
    return LEFT_HAND_SIDES.get(_head(left), ())


#: A letter (``x``, ``\mu``) with subscripts (``_a``, ``_{12}``) and superscripts that mark
#: a name rather than a power (``^\star``, ``^*``, ``^{grad}``; not ``^2``).
_SUPERSCRIPT = r"(?:\*|'|\\(?:star|ast|prime|dagger)\b|\{\s*(?:\*|\\(?:star|ast)|[A-Za-z]+)\s*\})"
_SUBSCRIPT = r"(?:[A-Za-z0-9]+|\\[A-Za-z]+|\{[^{}]*\})"
_GREEK_NAMES = "|".join(sorted(GREEK_LETTERS, key=len, reverse=True))  # SymPy syntax: mu
_SCRIPTED = (
    rf"(?:{_GREEK_NAMES}|[A-Za-z]|\\[A-Za-z]+)(?:\s*(?:_\s*{_SUBSCRIPT}|\^\s*{_SUPERSCRIPT}))*"
)
#: Longest text read as a name (a formula may be long; a name never is).
_MAX_NAME = 120
_BARE_NAME = re.compile(rf"\s*{_SCRIPTED}\s*(?:\(\s*{_SCRIPTED}(?:\s*,\s*{_SCRIPTED})*\s*\))?\s*")
#: What reads as a name but is a formula: a known function applied to an argument
#: (``\sin(x)``, ``\Gamma(x)``, ``\exp(x)``) and a power of e (``e^{x}``).
_NOT_A_NAME = re.compile(
    r"\s*(?:\\(?:"
    + "|".join(sorted(TEXT_FUNCTIONS, key=len, reverse=True))
    + r")(?![A-Za-z])[^(]*\(|e\s*\^)"
)


def is_bare_name(text: str) -> bool:
    """Whether ``text`` is a name, not a formula: a letter with sub- and superscripts,
    optionally applied to letters (``x``, ``D(s)``, ``\\mu_a``, ``s^\\star``, ``f(x, y)``;
    not ``x(1+x)``, ``2x``, a known function applied, ``\\sin(x)``, or a power of e, ``e^{x}``).
    Font commands and ``\\hat{o}`` are read as in
    :func:`quantities_named`."""
    if len(text) > _MAX_NAME:
        return False
    head = re.sub(r"\\hat\{?o\}?|ô", "o", text)
    head = re.sub(
        r"\\(?:mathrm|operatorname|text|textrm|mathbb|mathcal|mathsf)\s*\{([^{}]*)\}", r"\1", head
    )
    return _BARE_NAME.fullmatch(head) is not None and _NOT_A_NAME.match(head) is None


def _read_left(left: str, spec: Quantity) -> str:
    head = _head(left)
    named = LEFT_HAND_SIDES.get(head)
    if named is None:
        if not _NAME.fullmatch(head):
            raise FormulaError(
                f"Got the left-hand side '{left}', but it must name the quantity ({spec.name})"
                " or be a bare name such as f(s)."
            )
        return f"left-hand side '{left}' read as a name"
    if spec.name not in named:
        raise FormulaError(
            f"Got the left-hand side '{left}', which names {' or '.join(named)}, but the"
            f" quantity checked is {spec.name}."
        )
    return f"left-hand side '{left}' names {spec.name}"


def read_statement(text: str, spec: Quantity) -> Statement:
    r"""The formula of ``text`` read as a paper prints it, for quantity ``spec``.

    Raises
    ------
    FormulaError
        A text that is not a string, empty, too long or nested too deeply
        (:func:`reports.formulas.guards.checked_text`, before anything else); a relation other than one ``=`` or ``\propto``; a left-hand side that names another
        quantity or is not a name; ``\propto`` for a quantity not defined up to a factor; a
        stray math delimiter.  One line each.
    """
    stripped = checked_text(text).strip()
    formula, reading = _strip_delimiters(stripped)
    formula, debris = _strip_debris(formula)
    reading += debris
    if "$" in formula:
        raise FormulaError(
            "Got a $ inside the formula, but math delimiters may only surround all of it."
        )
    relations = _relations(formula)
    if not relations:
        normalised = _without_normaliser(formula, spec)
        if normalised is not None:
            return Statement(normalised[0], None, True, (*reading, normalised[1]))
        if not reading:
            return Statement(text)
        return Statement(formula, reading=tuple(reading))
    if len(relations) > 1:
        raise FormulaError(
            f"Got {len(relations)} relations (= or \\propto), but check reads one equation;"
            " check a derivation line by line."
        )
    relation = relations[0]
    left, right = formula[: relation.start()].strip(), formula[relation.end() :].strip()
    if not left or not right:
        raise FormulaError(f"Got the equation {formula!r}, but one of its sides is empty.")
    proportional = relation.group() != "="
    if proportional and spec.up_to_factor_in is None:
        raise FormulaError(
            f"Got \\propto, which states a formula up to a constant factor, but {spec.name} is"
            " not defined up to one; write = and the whole formula."
        )
    reading.append(_read_left(left, spec))
    if proportional:
        reading.append("\\propto: compared up to a constant factor")
    normalised = _without_normaliser(right, spec)
    if normalised is not None:
        right = normalised[0]
        reading.append(normalised[1])
        proportional = True
    return Statement(right, left, proportional, tuple(reading))


def _without_normaliser(formula: str, spec: Quantity) -> tuple[str, str] | None:
    """``formula`` without a normaliser written in front of it (``\\frac{1}{Z}``, ...) and
    the line that says so, or ``None`` when it has none.

    Raises
    ------
    FormulaError
        A normaliser for a quantity not defined up to a constant factor.
    """
    found = _NORMALISER.match(formula)
    if found is None or found.end() == len(formula):
        return None
    written = found.group().strip()
    if spec.up_to_factor_in is None:
        raise FormulaError(
            f"Got the normaliser {written}, which states a formula up to a constant factor,"
            f" but {spec.name} is not defined up to one; write the whole formula."
        )
    return formula[found.end() :], f"{written}: a normaliser, compared up to a constant factor"
