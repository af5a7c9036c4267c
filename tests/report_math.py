"""Every math string of a claim's report section through the real LaTeX-to-MathML converter.

:func:`check_report_math` is called by ``tests/reports/claims/test_catalogue.py`` on the
outcome of every registered claim it verifies (so no claim is derived twice for it), and by
``tests/reports/documents/test_html.py`` on cheap outcomes.
"""

from pathlib import Path

from reports.documents.context import verification_context
from reports.documents.html import render_html
from reports.engine.verify import ClaimOutcome
from reports.render.html import html_finding, html_math_text
from reports.render.mathml import mathml

__all__ = ["check_report_math"]


def check_report_math(outcome: ClaimOutcome) -> int:
    """Convert the statement, each derivation step, each formula of a finding and the figure
    caption of ``outcome``'s section (the strings of the real report context): each must give
    non-empty MathML without an error (:class:`~reports.render.mathml.MathMLError` otherwise),
    and the section must render as HTML.  Returns the number of formulas converted."""
    claim_id = outcome.claim.id
    own = outcome.claim.figure
    figure = f"figures/{own.stem if own is not None else 'agreement_' + claim_id}.svg"
    section = verification_context([outcome], figures={claim_id: figure})["claims"][0]
    formulas = [section["statement"], *(step["latex"] for step in section["steps"])]
    for latex in formulas:
        assert mathml(latex, display=True).startswith("<math"), latex
    converted = len(formulas)
    for finding in section["findings"]:
        pieces = [p for p in getattr(finding, "pieces", ()) if not isinstance(p, str)]
        assert html_finding(finding).count("<math") == len(pieces), finding
        converted += len(pieces)
    caption = section["figure"]["caption"].format(claim=claim_id)
    assert html_math_text(caption).count("<math") == caption.count("$") // 2, caption
    converted += caption.count("$") // 2
    svg = {Path(figure).resolve(): '<svg xmlns="http://www.w3.org/2000/svg"/>'}
    page = render_html([outcome], figures={claim_id: figure}, svg=svg)
    assert f'<section id="{claim_id}" class="claim">' in page
    return converted
