"""HTML output primitives (:mod:`reports.render.html`): escaping, text with inline math,
numbers, fragment ids and inline SVG figures."""

import pytest

from derivations.result import Finding, Math
from dlnverify.errors import InvalidParameter
from reports.render.html import (
    html_display,
    html_escape,
    html_finding,
    html_id,
    html_math_text,
    html_number,
    inline_svg,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a < b & c > d", "a &lt; b &amp; c &gt; d"),
        ('say "hi"', "say &quot;hi&quot;"),
        ("it's", "it&#x27;s"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("&amp;", "&amp;amp;"),  # a character reference in text stays text
        ("σ ≤ κ — ô 漢", "σ ≤ κ — ô 漢"),
        ("bell\x07 and nul\x00", "bell\ufffd and nul\ufffd"),
        ("tab\tline\n", "tab\tline\n"),
    ],
)
def test_html_escape(text, expected):
    assert html_escape(text) == expected


def test_a_finding_escapes_its_text_and_sets_its_formulas():
    finding = Finding("a < b: ", Math(r"\lambda = 1", "lambda = 1"), " and ", Math("x", "x", True))
    text = html_finding(finding)
    assert text.startswith('a &lt; b: <math display="inline">')
    assert '<math display="block">' in text
    assert html_finding("plain <text>") == "plain &lt;text&gt;"


def test_text_with_inline_math():
    text = html_math_text(r"Eq.~7 at $s_a(t)$, thin\,space, 1--2 --- done & <ok>")
    assert text.startswith('Eq.\u00a07 at <math display="inline">')
    assert "thin\u2009space, 1\u20132 \u2014 done &amp; &lt;ok&gt;" in text
    assert html_math_text("no math") == "no math"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (r"\textbf{bold} $x$", r"command '\\\\t'"),
        (r"a \ref{b}", r"command '\\\\r'"),
        ("unclosed $x", "unclosed"),
        (r"a $\foo$", "unconverted"),
    ],
)
def test_text_with_math_refuses_what_it_cannot_show(text, match):
    with pytest.raises(InvalidParameter, match=match):
        html_math_text(text)


def test_display_scrolls_and_empty_math_is_nothing():
    assert html_display("x").startswith('<div class="equation"><math display="block">')
    assert html_display("") == ""


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (1.5e-5, 2, "1.5×10<sup>−5</sup>"),
        (1e-9, 2, "10<sup>−9</sup>"),
        (-0.25, 6, "−0.25"),
        (123456789.0, 3, "1.23×10<sup>8</sup>"),
        (0.999, 6, "0.999"),
        (float("nan"), 3, "NaN"),
        (float("inf"), 3, "∞"),
        (float("-inf"), 3, "−∞"),
    ],
)
def test_html_number(value, digits, expected):
    assert html_number(value, digits) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("C7", "C7"), ("fig4-collapse", "fig4-collapse"), ('a b/c"<', "a-b-c--"), ("", "-")],
)
def test_html_id(text, expected):
    assert html_id(text) == expected


SVG = (
    '<?xml version="1.0" encoding="utf-8" standalone="no"?>\n'
    '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
    '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
    '<svg xmlns:xlink="http://www.w3.org/1999/xlink" width="10pt" height="10pt" '
    'xmlns="http://www.w3.org/2000/svg" version="1.1">'
    "<metadata><rdf>2024-01-01</rdf></metadata>"
    '<defs><clipPath id="p1"><rect x="0" y="0" width="5" height="5"/></clipPath>'
    '<path id="m2" d="M 0 0 L 1 1"/></defs>'
    "<!-- a <comment> -->"
    '<g clip-path="url(#p1)"><use xlink:href="#m2" x="1"/></g>'
    "</svg>"
)


def test_inline_svg_prefixes_ids_and_drops_what_a_page_does_not_need():
    text = inline_svg(SVG, prefix="figure-C7")
    assert text.startswith('<svg width="10pt" height="10pt" version="1.1">')
    assert '<clipPath id="figure-C7-p1">' in text
    assert '<path id="figure-C7-m2" d="M 0 0 L 1 1"></path>' in text
    assert '<g clip-path="url(#figure-C7-p1)"><use x="1" href="#figure-C7-m2"></use></g>' in text
    for gone in ("<?xml", "DOCTYPE", "metadata", "2024", "comment", "xlink", "http"):
        assert gone not in text, gone


@pytest.mark.parametrize(
    ("svg", "match"),
    [
        ('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "<script>"),
        ('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>', "event handler"),
        (
            '<svg xmlns="http://www.w3.org/2000/svg"><image href="http://x/y.png"/></svg>',
            "<image>",
        ),
        (
            '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
            '<use xlink:href="http://x/y.svg#a"/></svg>',
            "referring to",
        ),
        ('<svg xmlns="http://www.w3.org/2000/svg"><g fill="url(http://x/p)"/></svg>', "referring"),
        ('<svg xmlns="http://www.w3.org/2000/svg"><foreignObject/></svg>', "foreignObject"),
        ("<html/>", "not an svg"),
        ("<svg", "does not parse"),
    ],
)
def test_inline_svg_refuses_scripts_and_outside_references(svg, match):
    with pytest.raises(InvalidParameter, match=match):
        inline_svg(svg, prefix="f")


def test_inline_svg_refuses_a_bad_prefix():
    with pytest.raises(InvalidParameter, match="id prefix"):
        inline_svg(SVG, prefix='x" onload="')
