r"""The verification report as one self-contained HTML file: ``report.html``, the file to open.

The same content as the LaTeX and Markdown reports, from the same context
(:func:`reports.documents.context.verification_context`; one source of math text), for any
browser and without TeX: a summary table with every claim's symbolic and Monte Carlo verdict
(and every checked formula's and experiment's) at a glance, a table of contents, the
conventions, then one section per claim with the anchor of its id (``report.html#C7``):
statement and derivation steps as native MathML, the symbolic verdict, the findings boxed,
the Monte Carlo table and the figure as inline SVG.

The template ``report.html.j2`` escapes every variable (no text can inject markup) and
turns LaTeX into MathML with the filters of :mod:`reports.render.templates`
(:mod:`reports.render.mathml`); a formula that cannot be converted is an error, never left
out.  The page needs no JavaScript and loads nothing from elsewhere (styles inline, text of
the figures as paths).  Output is deterministic: the same outcomes and figures give the
same bytes.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dlnverify.errors import InvalidParameter
from reports.documents.context import verification_context
from reports.engine.verify import ClaimOutcome
from reports.render.files import write_text_atomically
from reports.render.templates import load_template

__all__ = ["render_html", "write_html_report"]


def _svg(path: str | Path, svg: Mapping[Path, str]) -> str:
    """The SVG text of the figure drawn to ``path`` (:func:`~reports.render.figures.svg_copies`)."""
    text = svg.get(Path(path).resolve())
    if text is None:
        raise InvalidParameter(
            f"Got figure {str(path)!r}, but no SVG copy of it was kept (draw it inside "
            "reports.render.figures.svg_copies)."
        )
    return text


def render_html(
    outcomes: Sequence[ClaimOutcome],
    *,
    seed: int = 0,
    figures: Mapping[str, str] | None = None,
    svg: Mapping[Path, str] | None = None,
    experiments: Sequence[tuple[Any, str | Path | None]] = (),
    formulas: Sequence[tuple[Any, Any]] = (),
    steps: Any = None,
) -> str:
    """The report as one HTML document (deterministic: no dates, no timings).

    Parameters
    ----------
    outcomes, seed, experiments, formulas, steps
        As :func:`~reports.documents.context.verification_context` takes them; the
        experiments' figure files may lie anywhere.
    figures : mapping of str to str, optional
        Claim id -> the figure file drawn for that claim's section
        (:func:`reports.documents.figures.claim_figures`, any format).
    svg : mapping of pathlib.Path to str, optional
        Figure file (resolved) -> its SVG text, as :func:`reports.render.figures.svg_copies`
        keeps it: what the page inlines for every figure of ``figures`` and
        ``experiments``.

    Returns
    -------
    str
        ``<!DOCTYPE html>`` to ``</html>``.

    Raises
    ------
    InvalidParameter
        Input :func:`~reports.documents.context.verification_context` refuses, a figure
        without its SVG text, or a formula that cannot be shown as MathML
        (:class:`~reports.render.mathml.MathMLError`).
    """
    svg = dict(svg or {})
    sections = [(report, None if path is None else str(path)) for report, path in experiments]
    context = verification_context(
        outcomes,
        seed=seed,
        figures=figures,
        experiments=sections,
        formulas=formulas,
        steps=steps,
    )
    for section in [*context["claims"], *context["experiments"]]:
        if section["figure"] is not None:
            section["figure"]["svg"] = _svg(section["figure"]["path"], svg)
    return str(load_template("report.html.j2").render(context))


def write_html_report(
    outcomes: Sequence[ClaimOutcome],
    directory: str | Path,
    *,
    seed: int = 0,
    figures: Mapping[str, str] | None = None,
    svg: Mapping[Path, str] | None = None,
    experiments: Sequence[tuple[Any, str | Path | None]] = (),
    formulas: Sequence[tuple[Any, Any]] = (),
    steps: Any = None,
) -> Path:
    """Write :func:`render_html` to ``directory/report.html`` (atomically); the path.

    ``figures`` and ``svg`` are the claims' figures already drawn (see :func:`render_html`;
    ``{}``: none); ``figures=None`` draws them here, as SVG in a temporary directory.
    """
    target = Path(directory)
    if target.exists() and not target.is_dir():
        raise InvalidParameter(f"Got report directory {str(target)!r}, but it is a file.")
    target.mkdir(parents=True, exist_ok=True)
    outcomes = list(outcomes)
    svg = dict(svg or {})
    if figures is None:
        from reports.documents.figures import claim_figures
        from reports.render.figures import svg_copies

        with tempfile.TemporaryDirectory(prefix="dlnverify-svg-") as scratch, svg_copies() as own:
            figures = claim_figures(outcomes, scratch, suffix=".svg")
        svg |= own
    text = render_html(
        outcomes,
        seed=seed,
        figures=figures,
        svg=svg,
        experiments=experiments,
        formulas=formulas,
        steps=steps,
    )
    return write_text_atomically(target / "report.html", text)
