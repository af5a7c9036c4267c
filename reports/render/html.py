r"""HTML output primitives that know no claim: escaping, math in text, numbers, ids, figures.

The HTML reports are one self-contained file each: no JavaScript, no network access, math
as native MathML (:mod:`reports.render.mathml`) and figures as inline SVG.  Their Jinja2
templates (``*.html.j2``, loaded by :func:`reports.render.templates.load_template`) escape
every variable automatically; these functions return markup (as ``str``) that the template
environment marks safe, so each of them escapes what it is given:

* :func:`html_escape` — plain text (titles, notes, verdicts, parameter values);
* :func:`html_finding` — a finding, its text escaped and its formulas as MathML;
* :func:`html_math_text` — text with inline TeX math (``$...$``) as the conventions and the
  figure captions are written, for the LaTeX report too;
* :func:`html_display` — a displayed formula; :func:`html_number` — a float with its
  power of ten as a superscript;
* :func:`html_id` — a fragment identifier (``report.html#C7``);
* :func:`inline_svg` — a matplotlib SVG file as an element of the page: its ids prefixed
  (several figures share one document), no scripts, no external references.
"""

from __future__ import annotations

import html
import math
import re
import xml.etree.ElementTree as ElementTree

from dlnverify.errors import InvalidParameter
from reports.render.mathml import mathml

__all__ = [
    "html_display",
    "html_escape",
    "html_finding",
    "html_id",
    "html_math_text",
    "html_number",
    "inline_svg",
]

#: Control characters that HTML does not allow in text (all but tab, line feed and carriage
#: return), shown as U+FFFD instead.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def html_escape(text: str) -> str:
    """Plain text as HTML that shows the same text: ``& < > " '`` as character references,
    control characters HTML does not allow as U+FFFD (visible, never dropped)."""
    if not isinstance(text, str):
        raise InvalidParameter(f"Got text of type {type(text).__name__}, but it must be a str.")
    return html.escape(_CONTROL.sub("\ufffd", text), quote=True)


def html_display(latex: str) -> str:
    """LaTeX math as a displayed MathML formula in a box that scrolls sideways when the
    formula is wider than the page (MathML does not break lines); ``""`` for empty math."""
    formula = mathml(latex, display=True)
    return f'<div class="equation">{formula}</div>' if formula else ""


def html_finding(finding: str) -> str:
    """A finding as HTML: its text escaped, its formulas (the
    :class:`~derivations.result.Math` pieces of a :class:`~derivations.result.Finding`) as
    MathML, inline or displayed."""
    pieces = getattr(finding, "pieces", (finding,))
    return "".join(
        html_escape(p) if isinstance(p, str) else mathml(p.latex, display=p.display) for p in pieces
    )


#: Text-mode LaTeX that the texts with inline math use, as the characters it typesets.
_TEXT_COMMANDS = {"~": "\u00a0", r"\,": "\u2009", "---": "\u2014", "--": "\u2013"}
_TEXT_TOKEN = re.compile(r"\\,|---|--|~|\\.?")


def _text_part(text: str, source: str) -> str:
    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token not in _TEXT_COMMANDS:
            raise InvalidParameter(
                f"Got text {source!r} with the LaTeX command {token!r} outside math; text "
                f"with inline math may use only {', '.join(sorted(_TEXT_COMMANDS))} there."
            )
        return _TEXT_COMMANDS[token]

    return html_escape(_TEXT_TOKEN.sub(replace, text))


def html_math_text(text: str) -> str:
    r"""Text with inline TeX math, as the conventions and the figure captions are written
    for the LaTeX report (``"Eq.~7 at $s_a(t)$"``), as HTML: each ``$...$`` as inline
    MathML, the text escaped, with the few text-mode commands those texts use (``~``,
    ``\,``, ``--``, ``---``) as the characters they typeset; any other command outside math,
    or an unclosed ``$``, is a one-line :class:`~dlnverify.errors.InvalidParameter`."""
    if not isinstance(text, str):
        raise InvalidParameter(f"Got text of type {type(text).__name__}, but it must be a str.")
    parts = re.split(r"(?<!\\)\$", text)
    if len(parts) % 2 == 0:
        raise InvalidParameter(f"Got text {text!r} with an unclosed $ (inline math).")
    return "".join(
        mathml(part) if index % 2 else _text_part(part, text) for index, part in enumerate(parts)
    )


def html_number(value: float, digits: int) -> str:
    """A float with ``digits`` significant digits as HTML: ``1.5×10<sup>−5</sup>``, a minus
    sign for negative numbers, NaN and ±∞ as such."""
    x = float(value)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    text = f"{x:.{digits}g}"
    mantissa, _, exponent = text.partition("e")
    mantissa = mantissa.replace("-", "−")
    if not exponent:
        return mantissa
    power = f"10<sup>{int(exponent)}</sup>".replace("-", "−")
    return power if mantissa == "1" else f"{mantissa}×{power}"


def html_id(text: str) -> str:
    """``text`` as a fragment identifier: every character but ASCII letters, digits, ``_``
    and ``-`` as ``-`` (``C7`` stays ``C7``, so ``report.html#C7`` finds claim C7)."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", text) or "-"


_SVG = "http://www.w3.org/2000/svg"
#: Elements that could run code or load something: never part of a figure.
_SVG_FORBIDDEN = frozenset({"script", "foreignObject", "iframe", "object", "embed", "image"})


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _write_svg(element: ElementTree.Element, out: list[str]) -> None:
    """``element`` as SVG in HTML syntax (local names; text and values escaped)."""
    name = _local(element.tag)
    attributes = "".join(
        f' {_local(key)}="{html.escape(value, quote=True)}"'
        for key, value in element.attrib.items()
    )
    out.append(f"<{name}{attributes}>")
    out.append(html.escape(element.text or "", quote=False))
    for child in element:
        _write_svg(child, out)
        out.append(html.escape(child.tail or "", quote=False))
    out.append(f"</{name}>")


def inline_svg(svg: str, *, prefix: str) -> str:
    """A matplotlib SVG document as an ``<svg>`` element of an HTML page.

    The XML declaration, document type, comments and ``<metadata>`` go; every ``id`` and
    every reference to one (``url(#...)``, ``href="#..."``) gets ``prefix`` so that the
    figures of one page share no id; the drawing is otherwise unchanged.  A figure holding a
    script, an event handler, an embedded document or a reference to anything outside
    itself is refused (one-line :class:`~dlnverify.errors.InvalidParameter`).

    Parameters
    ----------
    svg : str
        The SVG file's text.
    prefix : str
        Prepended to the ids (letters, digits, ``-`` and ``_``).

    Returns
    -------
    str
        ``<svg ...>...</svg>``.
    """
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", prefix):
        raise InvalidParameter(
            f"Got id prefix {prefix!r}, but it must be a letter, then letters, digits, - or _."
        )
    try:
        root = ElementTree.fromstring(svg)
    except ElementTree.ParseError as error:
        raise InvalidParameter(f"Got an SVG figure that does not parse: {error}.") from None
    if root.tag != f"{{{_SVG}}}svg":
        raise InvalidParameter(f"Got a figure whose root is {_local(root.tag)!r}, not an svg.")
    for parent in root.iter():
        for child in list(parent):
            if _local(child.tag) == "metadata":
                parent.remove(child)
    for element in root.iter():
        name = _local(element.tag)
        if name in _SVG_FORBIDDEN:
            raise InvalidParameter(f"Got an SVG figure with a <{name}> element.")
        for key, value in list(element.attrib.items()):
            local = _local(key)
            if local.lower().startswith("on"):
                raise InvalidParameter(f"Got an SVG figure with an event handler {local!r}.")
            if local == "id":
                element.set(key, f"{prefix}-{value}")
            elif local == "href":  # as SVG 2's plain href: HTML knows no XML namespaces
                if not value.startswith("#"):
                    raise InvalidParameter(f"Got an SVG figure referring to {value!r}.")
                del element.attrib[key]
                element.set("href", f"#{prefix}-{value[1:]}")
            elif "url(" in value:
                if re.search(r"url\((?!#)", value):
                    raise InvalidParameter(f"Got an SVG figure referring to {value!r}.")
                element.set(key, re.sub(r"url\(#", f"url(#{prefix}-", value))
    out: list[str] = []
    _write_svg(root, out)
    return "".join(out)
