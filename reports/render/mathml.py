r"""LaTeX math as native MathML for the HTML reports: converted, checked, serialised safely.

:func:`mathml` converts the very LaTeX strings the LaTeX report typesets (claim statements,
derivation steps, findings, formulas; one source of math text) with ``latex2mathml``, then
parses the result as XML and writes it out again itself:

* every element must be a MathML element of :data:`MATHML_ELEMENTS` and every attribute one
  of :data:`MATHML_ATTRIBUTES`, so no markup but MathML can reach the page (``latex2mathml``
  copies ``\text{...}`` verbatim, ``<`` and ``&`` included: such output does not parse and is
  refused);
* a formula the converter did not understand is refused, never dropped: ``merror``, a parse
  error, or a LaTeX command it passed through as text (``<mi>\foo</mi>``);
* text and attribute values are escaped on the way out (:func:`html.escape`), and the
  output is the same for the same input.

A :class:`MathMLError` is a one-line :class:`~dlnverify.errors.InvalidParameter` naming the
LaTeX.  The LaTeX that ``latex2mathml`` reads differently from LaTeX itself is rewritten
first, in one place (:data:`LATEX_REWRITES`).  ``latex2mathml`` is imported only when a
formula is converted.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ElementTree
from functools import lru_cache

from dlnverify.errors import InvalidParameter

__all__ = ["LATEX_REWRITES", "MATHML_ATTRIBUTES", "MATHML_ELEMENTS", "MathMLError", "mathml"]

_NAMESPACE = "{http://www.w3.org/1998/Math/MathML}"

#: The MathML elements a formula may hold (MathML Core's presentation elements).
MATHML_ELEMENTS = frozenset(
    {
        *("math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "mstyle", "mpadded"),
        *("mphantom", "menclose", "msub", "msup", "msubsup", "munder", "mover", "munderover"),
        *("mmultiscripts", "mprescripts", "none", "mfrac", "msqrt", "mroot", "mtable", "mtr"),
        *("mtd", "semantics", "annotation"),
    }
)

#: The attributes an element may carry (presentation only: no ``href``, no ``style``, no
#: event handler).
MATHML_ATTRIBUTES = frozenset(
    {
        *("display", "displaystyle", "scriptlevel", "mathvariant", "mathsize", "stretchy"),
        *("fence", "form", "separator", "minsize", "maxsize", "accent", "accentunder"),
        *("largeop", "movablelimits", "symmetric", "lspace", "rspace", "width", "height"),
        *("depth", "linebreak", "linethickness", "columnalign", "rowalign", "columnspacing"),
        *("rowspacing", "columnlines", "rowlines", "frame", "framespacing", "columnspan"),
        *("rowspan", "notation", "encoding", "bevelled", "voffset"),
    }
)

#: LaTeX that ``latex2mathml`` does not know, rewritten before conversion as what LaTeX
#: typesets: (regular expression, replacement) in order.  ``\arg`` (in C8's
#: ``\arg\max_s``) is an upright operator name.
LATEX_REWRITES: tuple[tuple[str, str], ...] = ((r"\\arg(?![A-Za-z])", r"\\operatorname{arg}"),)


class MathMLError(InvalidParameter):
    """A LaTeX formula that cannot be shown as MathML (the converter failed or left LaTeX)."""


def _refuse(latex: str, why: str) -> MathMLError:
    shown = latex if len(latex) <= 80 else latex[:77] + "..."
    return MathMLError(f"Got LaTeX {shown!r}, but it cannot be shown as MathML: {why}.")


def _rewritten(latex: str) -> str:
    for pattern, replacement in LATEX_REWRITES:
        latex = re.sub(pattern, replacement, latex)
    return latex


def _serialise(element: ElementTree.Element, latex: str, out: list[str]) -> None:
    """``element`` (checked) as MathML text in HTML, appended to ``out``."""
    tag = element.tag.removeprefix(_NAMESPACE)
    if tag == "merror":
        raise _refuse(latex, "the converter reported an error")
    if tag not in MATHML_ELEMENTS:
        raise _refuse(latex, f"it produced a <{tag}> element")
    out.append(f"<{tag}")
    for name, value in sorted(element.attrib.items()):
        if name == "xmlns":
            continue
        if name not in MATHML_ATTRIBUTES:
            raise _refuse(latex, f"it produced a {name!r} attribute")
        out.append(f' {name}="{html.escape(value, quote=True)}"')
    out.append(">")
    if element.text:
        if "\\" in element.text:
            raise _refuse(latex, f"it left {element.text.strip()!r} unconverted")
        out.append(html.escape(element.text, quote=False))
    for child in element:
        _serialise(child, latex, out)
        if child.tail and child.tail.strip():
            raise _refuse(latex, f"it produced stray text {child.tail.strip()!r}")
    out.append(f"</{tag}>")


@lru_cache(maxsize=4096)
def mathml(latex: str, *, display: bool = False) -> str:
    r"""``latex`` (math-mode LaTeX) as a MathML ``<math>`` element in HTML syntax.

    Parameters
    ----------
    latex : str
        Math-mode LaTeX, e.g. ``r"\kappa L^2 s^{4-4/L}"``.
    display : bool, default False
        A displayed formula (``display="block"``) rather than one inline in text.

    Returns
    -------
    str
        ``<math display="...">...</math>``, or ``""`` for empty ``latex``.

    Raises
    ------
    MathMLError
        ``latex`` is not a string, or the converter failed on it, reported an error, left a
        LaTeX command unconverted or produced markup that is not MathML.
    """
    if not isinstance(latex, str):
        raise InvalidParameter(f"Got LaTeX of type {type(latex).__name__}, but it must be a str.")
    if not latex.strip():
        return ""
    try:
        from latex2mathml.converter import convert
    except ImportError:
        raise InvalidParameter(
            "latex2mathml not found: the HTML report needs it (pip install latex2mathml)"
        ) from None
    try:
        converted = convert(_rewritten(latex), display="block" if display else "inline")
    except Exception as error:  # the converter's own exceptions have no common base
        raise _refuse(latex, f"{type(error).__name__} {error}".strip()) from None
    if "<!" in converted or "<?" in converted:
        raise _refuse(latex, "it produced a declaration")
    try:
        root = ElementTree.fromstring(converted)
    except ElementTree.ParseError as error:
        raise _refuse(latex, f"its MathML does not parse ({error})") from None
    out: list[str] = []
    _serialise(root, latex, out)
    return "".join(out)
