r"""One ``simulate`` run (or sweep) as a report: HTML, LaTeX/PDF and Markdown, like the claims'.

``dlnverify simulate ... --report DIR`` writes ``DIR/report.html`` (one self-contained file,
the figure inlined as SVG, math as MathML), ``DIR/report.tex``, ``DIR/report.md``, the run's
figure in ``DIR/figures/`` and, when pdflatex is available, ``DIR/report.pdf``.  The
report holds the command that reproduces the run, its parameters, the verdict when the run
compares with a law (the stationary ensemble against C10, the collapse rates against C11),
the result tables -- the very :class:`~reports.experiments.tables.ExperimentTables` the
terminal shows -- and the figure, followed by the conventions of DESIGN.md §3.

Output is deterministic (no dates, no timings): the same seed gives the same files.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlnverify import __version__
from dlnverify.errors import InvalidParameter
from reports.experiments.tables import ExperimentTables
from reports.render.conventions import conventions_context
from reports.render.files import write_text_atomically
from reports.render.latex import compile_pdf, relative_inside
from reports.render.templates import load_template

__all__ = [
    "ExperimentReport",
    "ExperimentReportFiles",
    "experiment_context",
    "experiment_markdown",
    "render_experiment_html",
    "render_experiment_latex",
    "render_experiment_markdown",
    "write_experiment_report",
]

#: Table rows per block: a longer table continues in a new block (with its header), so that
#: every block fits on a page.
ROWS_PER_BLOCK = 40

#: Figure captions by the kind of run (LaTeX).
_CAPTIONS = {
    "training": (
        r"Empirical modewise diffusion $\hat D_a(t) \pm 2\,\mathrm{SE}$ (one panel per mode) "
        r"against Eq.~7 at the current $s_a(t)$. Vertical lines: $s_a$ crosses the derived "
        r"peak $s^\ast$ (dashed), half-learning (dotted), the empirical peak (solid)."
    ),
    "stationary": (
        r"Final $s_a$ of every network (histogram) against the derived stationary density "
        r"(C10). Vertical lines: $\sigma_a$ (dotted), the law's first-order mean (dashed), the "
        r"paper's drift-zero mean (dash-dot), C17's mean of the full network (long dashes), "
        r"the ensemble mean (thin solid)."
    ),
    "amplitudes": (
        r"Mode amplitudes $s_a(t)/\sigma_a$ along training (the ensemble mean with an "
        r"ensemble); dotted: half-learning, dashed: the half time."
    ),
    "collapse": (
        r"Ensemble mean of $\log|\sigma_a - s_a|$ over time at $dt$ and $dt/2$, with a line of "
        r"slope $-\lambda_{\mathrm{C11}}$ from the start and one of slope minus the row "
        r"estimate through the last point."
    ),
}


@dataclass(frozen=True)
class ExperimentReport:
    """What a report on one run says.

    Attributes
    ----------
    name : str
        The run's name in the title (a shipped experiment, a file name, ``"simulate"``).
    results : ExperimentTables
        The tables of the run (:mod:`reports.experiments.tables`).
    parameters : mapping of str to any
        Every parameter the run used (its configuration, and the start or sweep).
    command : str
        The command line that reproduces the run (``""``: not known).
    description : str
        One line on what the run reproduces (``""``: none).
    kind : str
        What the figure shows, for its caption: the kind of run (a sweep's results have kind
        ``"sweep"``) or ``"amplitudes"`` (:attr:`~reports.experiments.plan.RunPlan.figure_kind`;
        ``""``: the results' kind).
    """

    name: str
    results: ExperimentTables
    parameters: Mapping[str, Any] = field(default_factory=dict)
    command: str = ""
    description: str = ""
    kind: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.results, ExperimentTables):
            raise InvalidParameter(
                f"Got results of type {type(self.results).__name__}, but results must be "
                "ExperimentTables."
            )


@dataclass(frozen=True)
class ExperimentReportFiles:
    """What :func:`write_experiment_report` wrote.

    Attributes
    ----------
    tex, markdown : pathlib.Path
        ``directory/report.tex`` and ``directory/report.md``.
    figure : pathlib.Path or None
        The figure the report includes.
    pdf : pathlib.Path or None
        ``directory/report.pdf``, when compiled.
    html : pathlib.Path or None
        ``directory/report.html``.
    """

    tex: Path
    markdown: Path
    figure: Path | None
    pdf: Path | None
    html: Path | None = None


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return "-" if value is None else str(value)


def experiment_context(report: ExperimentReport, figure: str | None = None) -> dict[str, Any]:
    """The variables of the experiment templates (``_experiment_body.tex.j2``,
    ``_experiment_body.md.j2``) for ``report``, as plain data: its name, description,
    verdict, command, parameters (values as text), heading, tables (caption, header, rows),
    notes and figure (its file as given, and its caption in LaTeX or None, where the run's
    name serves)."""
    if not isinstance(report, ExperimentReport):
        raise InvalidParameter(
            f"Got report of type {type(report).__name__}, but it must be an ExperimentReport."
        )
    results = report.results
    return {
        "name": report.name,
        "description": report.description,
        "verdict": None
        if results.holds is None
        else {"holds": results.holds, "text": results.verdict},
        "command": report.command,
        "run_parameters": [{"name": k, "value": _value(v)} for k, v in report.parameters.items()],
        "heading": results.heading,
        "tables": [
            {"caption": t.caption, "header": list(t.header), "rows": [list(r) for r in t.rows]}
            for t in results.tables
        ],
        "notes": list(results.notes),
        "figure": None if figure is None else {"path": figure, "caption": _caption(report)},
    }


def _caption(report: ExperimentReport) -> str | None:
    """The caption of the report's figure (LaTeX): its kind's, for a sweep with a sentence on
    its rows before it; ``None`` for a kind without one."""
    caption = _CAPTIONS.get(report.kind or report.results.kind)
    if caption is None or report.results.kind != "sweep":
        return caption
    return "One row per run of the sweep, headed by its swept values. " + caption


def _standalone_context(report: ExperimentReport, figure: str | None) -> dict[str, Any]:
    """The variables of ``experiment.tex.j2``, ``experiment.md.j2`` and
    ``experiment.html.j2``."""
    return {
        "experiment": experiment_context(report, figure),
        "version": __version__,
        "python": platform.python_version(),
        **conventions_context(),
    }


def render_experiment_latex(report: ExperimentReport, *, figure: str | None = None) -> str:
    r"""The report as a standalone LaTeX document.

    Parameters
    ----------
    report : ExperimentReport
        What to report.
    figure : str, optional
        The figure file relative to the ``.tex`` file (``"figures/stationary.pdf"``).

    Returns
    -------
    str
        The LaTeX source, ``\documentclass`` to ``\end{document}``.
    """
    context = _standalone_context(report, figure)
    return str(load_template("experiment.tex.j2").render(context, rows_per_block=ROWS_PER_BLOCK))


def experiment_markdown(
    report: ExperimentReport, *, figure: str | None = None, level: int = 2
) -> list[str]:
    """The lines of the body of the Markdown report (description to figure,
    ``_experiment_body.md.j2``), its headings at ``level``."""
    text = load_template("_experiment_body.md.j2").render(
        e=experiment_context(report, figure), level=level
    )
    return str(text).split("\n")[:-1]


def render_experiment_markdown(report: ExperimentReport, *, figure: str | None = None) -> str:
    """The report as Markdown (the same content as :func:`render_experiment_latex`)."""
    return str(load_template("experiment.md.j2").render(_standalone_context(report, figure)))


def render_experiment_html(report: ExperimentReport, *, svg: str | None = None) -> str:
    """The report as one self-contained HTML document (the same content as
    :func:`render_experiment_latex`), ``svg`` the text of its figure as an SVG document."""
    context = _standalone_context(report, None if svg is None else "figure.svg")
    if svg is not None:
        context["experiment"]["figure"]["svg"] = svg
    return str(load_template("experiment.html.j2").render(context))


def write_experiment_report(
    report: ExperimentReport,
    directory: str | Path,
    *,
    figure: str | Path | None = None,
    svg: Mapping[Path, str] | None = None,
    pdf: bool = False,
) -> ExperimentReportFiles:
    """Write ``report.html``, ``report.tex`` and ``report.md`` to ``directory`` and compile
    with ``pdf=True``.

    Parameters
    ----------
    report : ExperimentReport
        What to report.
    directory : str or pathlib.Path
        Output directory (created if missing).
    figure : str or pathlib.Path, optional
        An existing figure file inside ``directory`` (e.g. drawn to ``directory/figures/``).
    svg : mapping of pathlib.Path to str, optional
        The SVG copies of the figures drawn (:func:`reports.render.figures.svg_copies`):
        ``report.html`` inlines ``figure``'s; a figure without one is refused.
    pdf : bool, default False
        Also compile ``report.pdf`` (:func:`reports.render.latex.compile_pdf`).

    Returns
    -------
    ExperimentReportFiles
        The paths written.
    """
    target = Path(directory)
    if target.exists() and not target.is_dir():
        raise InvalidParameter(f"Got report directory {str(target)!r}, but it is a file.")
    target.mkdir(parents=True, exist_ok=True)
    relative = None if figure is None else relative_inside(Path(figure), target)
    text = None
    if figure is not None:
        text = (svg or {}).get(Path(figure).resolve())
        if text is None:
            raise InvalidParameter(
                f"Got figure {str(figure)!r}, but no SVG copy of it for report.html (draw it "
                "inside reports.render.figures.svg_copies)."
            )
    html = write_text_atomically(target / "report.html", render_experiment_html(report, svg=text))
    tex = write_text_atomically(
        target / "report.tex", render_experiment_latex(report, figure=relative)
    )
    markdown = write_text_atomically(
        target / "report.md", render_experiment_markdown(report, figure=relative)
    )
    if not pdf:  # a report.pdf left there is a previous run's
        (target / "report.pdf").unlink(missing_ok=True)
    return ExperimentReportFiles(
        tex,
        markdown,
        None if figure is None else Path(figure),
        compile_pdf(tex) if pdf else None,
        html,
    )
