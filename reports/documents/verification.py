r"""The verification report as a standalone LaTeX document, optionally compiled to PDF.

The same content as the Markdown report of :mod:`reports.documents.markdown`, from the same
context (:func:`reports.documents.context.verification_context`), typeset: a title, a
summary table (claim, symbolic verdict, Monte Carlo verdict, worst :math:`|z|` against its
threshold), the conventions of DESIGN.md §3 (:mod:`reports.render.conventions`), then one
section per claim: the statement, the derivation steps SymPy produced, the symbolic verdict
and its cases, any finding (boxed), the Monte Carlo table (parameters, estimate :math:`\pm`
SE, closed form, :math:`z`, samples) with its note, and a figure
(:mod:`reports.documents.figures`) where one helps.

The document is rendered from the Jinja2 template ``reports/documents/templates/report.tex.j2``
and uses only packages of a basic TeX installation (``amsmath``, ``amssymb``, ``booktabs``,
``longtable``, ``graphicx``, ``xcolor``, ``geometry``, ``hyperref``).  Output is
deterministic: no dates, no timings; the same outcomes give the same bytes.

The template escapes plain text (titles, notes, findings, paper references, parameter
values) with :func:`~reports.render.latex.latex_escape` and typesets LaTeX (statements,
derivation steps) as display math scaled down to the line width when it is too wide
(:func:`~reports.render.latex.latex_display`).  Jinja2 and matplotlib are imported only
when a report is rendered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlnverify.errors import InvalidParameter
from reports.documents.context import numeric_context, verification_context
from reports.documents.experiment import ROWS_PER_BLOCK
from reports.engine.verify import ClaimOutcome
from reports.render.files import write_text_atomically
from reports.render.latex import compile_pdf, latex_count, relative_inside
from reports.render.templates import load_template

__all__ = ["ReportFiles", "render_latex", "write_latex_report"]


def _numeric_context(check: Any) -> dict[str, Any] | None:
    """``check``'s Monte Carlo table (:func:`~reports.documents.context.numeric_context`)
    with each row's sample count also as the LaTeX table prints it (``n_samples``)."""
    numeric = numeric_context(check)
    if numeric is not None:
        numeric["rows"] = [
            row | {"n_samples": latex_count(row["samples"])} for row in numeric["rows"]
        ]
    return numeric


def render_latex(
    outcomes: Sequence[ClaimOutcome],
    *,
    seed: int = 0,
    figures: Mapping[str, str] | None = None,
    experiments: Sequence[tuple[Any, str | None]] = (),
    formulas: Sequence[tuple[Any, Any]] = (),
    steps: Any = None,
) -> str:
    r"""The report as a standalone LaTeX document (deterministic: no dates, no timings).

    Parameters
    ----------
    outcomes : sequence of ClaimOutcome
        The claims to report, in order (:func:`reports.engine.verify.verify_claim`).
    seed : int, default 0
        The seed the Monte Carlo checks ran with, printed in the header.
    figures : mapping of str to str, optional
        Claim id -> figure file (relative to the directory of the ``.tex`` file, e.g.
        ``"figures/C7.pdf"``) included in that claim's section.
    experiments : sequence of (ExperimentReport, str or None), optional
        Runs of the paper's experiments (:class:`reports.documents.experiment.ExperimentReport`)
        with their figure files (relative, or None), one section each after the claims.
    formulas : sequence of (FormulaEntry, CheckResult), optional
        The user's formulas (:mod:`reports.formulas.files`) and their checks, one section each
        after the claims, before the experiments.
    steps : StepsResult, optional
        A derivation file checked step by step (``report --check-steps``): a section per
        chain after the formulas, and a line under the summary.

    Returns
    -------
    str
        The LaTeX source, ``\documentclass`` to ``\end{document}``.

    Raises
    ------
    InvalidParameter
        Input :func:`~reports.documents.context.verification_context` refuses, or a figure
        path ``\includegraphics`` cannot take (:func:`~reports.render.latex.latex_figure_path`).
    """
    context = verification_context(
        outcomes,
        seed=seed,
        figures=figures,
        experiments=experiments,
        formulas=formulas,
        steps=steps,
    )
    return str(load_template("report.tex.j2").render(context, rows_per_block=ROWS_PER_BLOCK))


# --- files and compilation -----------------------------------------------------------------


@dataclass(frozen=True)
class ReportFiles:
    """What :func:`write_latex_report` wrote.

    Attributes
    ----------
    tex : pathlib.Path
        The LaTeX source, ``directory/report.tex``.
    figures : tuple[pathlib.Path, ...]
        The figure files, in ``directory/figures/``.
    pdf : pathlib.Path or None
        The compiled PDF, when ``pdf=True``.
    claim_figures : dict of str to str
        Claim id -> its figure file (as :func:`reports.documents.figures.claim_figures`
        returns it), for the HTML report to inline the same figures.
    """

    tex: Path
    figures: tuple[Path, ...]
    pdf: Path | None
    claim_figures: dict[str, str] = field(default_factory=dict)


def write_latex_report(
    outcomes: Sequence[ClaimOutcome],
    directory: str | Path,
    *,
    seed: int = 0,
    pdf: bool = False,
    figures: bool = True,
    experiments: Sequence[tuple[Any, str | Path | None]] = (),
    formulas: Sequence[tuple[Any, Any]] = (),
    steps: Any = None,
) -> ReportFiles:
    """Write ``report.tex`` and its figures to ``directory``, and compile it with ``pdf=True``.

    Parameters
    ----------
    outcomes : sequence of ClaimOutcome
        The claims to report.
    directory : str or pathlib.Path
        Output directory (created if missing); figures go to ``directory/figures/``.
    seed : int, default 0
        The seed the Monte Carlo checks ran with.
    pdf : bool, default False
        Also compile ``report.pdf`` with :func:`compile_pdf`.
    figures : bool, default True
        Draw the figures (:func:`reports.documents.figures.claim_figures`) and include them.
    experiments : sequence of (ExperimentReport, path or None), optional
        Experiment sections after the claims, each with its figure file (inside
        ``directory``, or None).
    formulas : sequence of (FormulaEntry, CheckResult), optional
        The user's checked formulas, one section each (see :func:`render_latex`).
    steps : StepsResult, optional
        A derivation file checked step by step, a section per chain (see
        :func:`render_latex`).

    Returns
    -------
    ReportFiles
        The paths written.
    """
    target = Path(directory)
    if target.exists() and not target.is_dir():
        raise InvalidParameter(f"Got report directory {str(target)!r}, but it is a file.")
    target.mkdir(parents=True, exist_ok=True)
    outcomes = list(outcomes)
    drawn: dict[str, str] = {}
    if figures:
        from reports.documents.figures import claim_figures

        drawn = claim_figures(outcomes, target / "figures")
    relative = {
        k: Path(v).resolve().relative_to(target.resolve()).as_posix() for k, v in drawn.items()
    }
    sections = [
        (report, None if path is None else relative_inside(Path(path), target))
        for report, path in experiments
    ]
    tex = write_text_atomically(
        target / "report.tex",
        render_latex(
            outcomes,
            seed=seed,
            figures=relative,
            experiments=sections,
            formulas=formulas,
            steps=steps,
        ),
    )
    if not pdf:  # a report.pdf left there is a previous run's
        (target / "report.pdf").unlink(missing_ok=True)
    figure_paths = tuple(sorted({Path(v) for v in drawn.values()}))
    return ReportFiles(tex, figure_paths, compile_pdf(tex) if pdf else None, drawn)
