"""The HTML report in a real browser: Debian's headless Chromium, driven through
chromedriver's WebDriver protocol (``tests/browser.py``), loads a small report (cheap claims
and the synthetic claim X1 of ``report_outcomes.py``, with their figures) without a network.

The page must load without console errors and without fetching anything, every ``<math>``
element must be drawn with a non-zero size (MathML that the browser rendered), every
figure too, every in-page link must resolve, ``report.html#C8`` must scroll to claim C8,
and the page must print to PDF.  A deliberately broken page shows that each check can fail.
Without chromium the tests fail under ``CI`` (``.ci/run`` installs it) and skip elsewhere.
"""

import pytest
from browser import open_browser
from report_outcomes import cheap_outcomes

from reports.documents.html import write_html_report

#: What the checks read from a loaded page.
INSPECT = """
const size = (e) => { const b = e.getBoundingClientRect(); return [b.width, b.height]; };
const empty = (e) => { const [w, h] = size(e); return !(w > 0 && h > 0); };
const maths = [...document.querySelectorAll('math')];
const figures = [...document.querySelectorAll('figure svg')];
const links = [...document.querySelectorAll('a[href^="#"]')].map(a => a.getAttribute('href'));
return {
  maths: maths.length,
  empty_maths: maths.filter(empty).map(m => m.outerHTML.slice(0, 120)),
  figures: figures.length,
  empty_figures: figures.filter(empty).length,
  links: links.length,
  missing: links.filter(h => !document.getElementById(decodeURIComponent(h.slice(1)))),
  fetched: performance.getEntriesByType('resource').map(r => r.name),
};
"""


@pytest.fixture(scope="module")
def browser():
    with open_browser() as session:
        yield session


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return write_html_report(cheap_outcomes(), tmp_path_factory.mktemp("browser"), seed=3)


def _errors(console):
    return [m["message"] for m in console if m["level"] in ("SEVERE", "WARNING")]


def test_the_report_renders_in_a_real_browser(chromium, browser, report):
    browser.console()  # start from an empty log
    browser.load(report.as_uri())
    page = browser.run(INSPECT)
    assert _errors(browser.console()) == []
    assert page["fetched"] == []  # self-contained: nothing loaded from anywhere
    assert page["maths"] > 50
    assert page["empty_maths"] == []
    assert page["figures"] == 3
    assert page["empty_figures"] == 0
    assert page["links"] >= 8
    assert page["missing"] == []
    assert browser.run("return document.title") == "dlnverify report"


def test_a_claim_anchor_scrolls_to_its_section(chromium, browser, report):
    browser.load(report.as_uri() + "#C8")
    scrolled, top = browser.run(
        "return [window.scrollY, document.getElementById('C8').getBoundingClientRect().top];"
    )
    assert scrolled > 0
    assert abs(top) < 2  # the section starts at the top of the window


def test_the_report_prints_to_pdf(chromium, browser, report):
    browser.load(report.as_uri())
    assert browser.pdf().startswith(b"%PDF")


def test_the_checks_catch_a_broken_page(chromium, browser, tmp_path):
    """An empty <math>, a link to no id and an image from the network: each check fails."""
    broken = tmp_path / "broken.html"
    broken.write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>x</title></head>'
        '<body><p>a <math></math> b</p><a href="#nowhere">x</a>'
        '<img src="http://dlnverify.invalid/x.png" alt="x"></body></html>',
        encoding="utf-8",
    )
    browser.console()
    browser.load(broken.as_uri())
    page = browser.run(INSPECT)
    assert len(page["empty_maths"]) == 1
    assert page["missing"] == ["#nowhere"]
    assert page["fetched"] == ["http://dlnverify.invalid/x.png"]
    assert any("x.png" in error for error in _errors(browser.console()))
