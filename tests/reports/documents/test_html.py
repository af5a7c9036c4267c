r"""The HTML report (:mod:`reports.documents.html`, ``report.html.j2``): one self-contained
page with the verdicts at a glance, a table of contents, claim anchors, MathML from the same
LaTeX as the PDF, the findings boxed and the figures inlined.

Outcomes are those of the LaTeX report's tests (``report_outcomes.py``): cheap real claims
and a synthetic claim X1 whose every text holds LaTeX specials, Unicode and HTML markup.
Every math string of every registered claim's section goes through the real converter in
the catalogue test (``report_math.py``), which verifies each claim anyway.
"""

import dataclasses
import re
from html.parser import HTMLParser

import pytest
from report_math import check_report_math
from report_outcomes import MARKUP, NASTY, cheap_outcomes

from reports.documents.context import verification_context
from reports.documents.html import render_html, write_html_report
from reports.render.html import html_escape
from reports.render.mathml import MathMLError


class _Page(HTMLParser):
    """The elements of a page: tags, attributes, ids and the text of <math> elements."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str | None]] = []
        self.ids: list[str] = []
        self.links: list[str] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_data(self, data):
        self.text.append(data)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            self.attributes.append((tag, name, value))
            if name == "id":
                self.ids.append(value)
            if name == "href" and tag == "a":
                self.links.append(value)


@pytest.fixture(scope="module")
def outcomes():
    return cheap_outcomes()


@pytest.fixture(scope="module")
def page(outcomes, tmp_path_factory):
    path = write_html_report(outcomes, tmp_path_factory.mktemp("html"), seed=7)
    return path.read_text(encoding="utf-8")


def test_a_complete_page_with_verdicts_contents_and_anchors(outcomes, page, report_extra):
    assert page.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert page.rstrip().endswith("</html>")
    assert "3 of 4 claims hold" in page
    assert "seed 7" in page
    parsed = _Page(page)
    # one section per claim, with the claim's id as its anchor, linked from the table and TOC
    for claim_id in ("C2", "C4", "C8", "X1"):
        assert f'<section id="{claim_id}" class="claim">' in page
        assert parsed.links.count(f"#{claim_id}") == 2
    assert len(parsed.ids) == len(set(parsed.ids)), "an id is used twice"
    assert {link[1:] for link in parsed.links} <= set(parsed.ids), "a link goes nowhere"
    # the verdicts at a glance: symbolic and Monte Carlo of every claim
    rows = re.findall(r'<tr><td><a href="#(\w+)">.*?</tr>', page)
    assert rows == ["C2", "C4", "C8", "X1"]
    glance = page[page.index('<section id="summary">') : page.index('<nav id="contents">')]
    assert glance.count('class="verdict good">proven</td>') == 3
    assert glance.count('class="verdict bad">refuted</td>') == 1
    assert glance.count('class="verdict good">agrees</td>') == 2
    assert glance.count('class="verdict bad">rejects</td>') == 1
    assert glance.count('class="verdict ">n/a</td>') == 1  # C2: purely symbolic
    # the conventions, the finding box, the figures
    assert '<section id="conventions">' in page
    findings = sum(len(outcome.derivation.findings) for outcome in outcomes)
    assert findings >= 2
    assert page.count('<aside class="finding"><strong>Finding.</strong>') == findings
    assert page.count("<figure>") == 3  # C4 and X1 agreement, C8 diffusion profile
    assert parsed.tags.count("svg") == 3
    assert "<figcaption>Derived aligned-balanced diffusion <math" in page


def test_math_is_mathml_from_the_reports_latex(outcomes, page, report_extra):
    """The statement and every step of C8 appear as MathML converted from the same LaTeX the
    PDF typesets (the context's strings), never as raw LaTeX."""
    from reports.render.mathml import mathml

    claim = verification_context(outcomes)["claims"][2]
    assert claim["id"] == "C8"
    assert mathml(claim["statement"], display=True) in page
    for step in claim["steps"]:
        assert mathml(step["latex"], display=True) in page
    assert r"\sigma" not in page
    assert "$$" not in page


def test_no_text_can_inject_markup(page, report_extra):
    """X1 puts <script>, an <img onerror=...>, quotes and a character reference into its
    title, reference, steps, cases, findings, remarks, note and parameter values: all of it
    shows as text."""
    parsed = _Page(page)
    assert "script" not in parsed.tags
    assert "img" not in parsed.tags
    assert not [a for a in parsed.attributes if a[1].startswith("on")]
    assert MARKUP not in page
    shown = "".join(parsed.text)  # what a reader sees: the markup as text
    assert shown.count(MARKUP) >= 8
    assert f"X1. title {NASTY}" in shown
    assert "&lt;script&gt;alert(" in html_escape(MARKUP)


def test_math_that_cannot_be_converted_is_an_error_not_a_gap(outcomes, report_extra):
    claim = dataclasses.replace(outcomes[3].claim, statement=r"\text{<b>bold</b>} \unknowncommand")
    broken = dataclasses.replace(outcomes[3], claim=claim)
    with pytest.raises(MathMLError, match="cannot be shown as MathML"):
        render_html([broken], figures={})


def test_self_contained_and_deterministic(outcomes, page, tmp_path, report_extra):
    """Nothing is loaded from elsewhere (no scripts, no URLs, no external style or fonts) and
    the same outcomes give the same bytes."""
    parsed = _Page(page)
    assert not {"script", "link", "img", "iframe", "object", "embed"} & set(parsed.tags)
    assert not [a for a in parsed.attributes if a[1] in ("src", "srcset", "action")]
    assert all(value.startswith("#") for tag, name, value in parsed.attributes if name == "href")
    assert "http" not in page  # no URL at all: no CDN, no font, no namespace to fetch
    assert "@import" not in page
    again = write_html_report(outcomes, tmp_path, seed=7).read_text(encoding="utf-8")
    assert again == page
    assert list(tmp_path.iterdir()) == [tmp_path / "report.html"]  # no figure files left


def test_figures_come_from_svg_copies_drawn_once(outcomes, tmp_path, report_extra):
    """The CLI draws each figure once (PDF) and inlines its SVG copy; a figure without a copy
    is refused rather than left out."""
    from reports.documents.figures import claim_figures
    from reports.render.figures import svg_copies

    with svg_copies() as svg:
        drawn = claim_figures(outcomes, tmp_path / "figures")
    assert {path.suffix for path in svg} == {".pdf"}
    text = render_html(outcomes, figures=drawn, svg=svg)
    assert text.count("<figure>") == 3
    with pytest.raises(Exception, match="no SVG copy"):
        render_html(outcomes, figures=drawn, svg={})


def test_without_figures(outcomes, tmp_path, report_extra):
    text = write_html_report(outcomes, tmp_path, figures={}).read_text(encoding="utf-8")
    assert "<figure>" not in text
    assert "<svg" not in text


def test_the_math_walk_of_the_catalogue_test_fails_on_a_bad_formula(outcomes, report_extra):
    """Every registered claim's section goes through :func:`report_math.check_report_math`
    in ``tests/reports/claims/test_catalogue.py`` (on the outcome it verifies anyway, so no
    claim is derived twice); the walk passes a real claim and fails on a step LaTeX the
    converter leaves unconverted."""
    c8 = outcomes[2]
    assert c8.claim.id == "C8"
    pieces = sum(
        not isinstance(p, str) for f in c8.derivation.findings for p in getattr(f, "pieces", ())
    )
    expected = 1 + len(c8.derivation.steps) + pieces + c8.claim.figure.caption.count("$") // 2
    assert check_report_math(c8) == expected
    broken = dataclasses.replace(c8.claim, statement=r"s^\ast = \argmaximum_s D(s)")
    with pytest.raises(MathMLError, match="argmaximum"):
        check_report_math(dataclasses.replace(c8, claim=broken))


def test_every_math_string_outside_the_claims_converts(report_extra):
    """The conventions, the parameters' symbols and the experiments' figure captions."""
    from reports.documents.experiment import _CAPTIONS
    from reports.render.conventions import conventions_context
    from reports.render.html import html_math_text
    from reports.render.mathml import mathml

    context = conventions_context()
    texts = [" ".join(item) for item in context["conventions"]] + list(_CAPTIONS.values())
    for text in texts:
        assert html_math_text(text).count("<math") == text.count("$") // 2, text
    for parameter in context["parameters"]:
        assert mathml(parameter["latex"]).startswith("<math"), parameter
