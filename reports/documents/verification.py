r"""The verification report as a standalone LaTeX document, optionally compiled to PDF.

The same content as the Markdown report of :mod:`reports.documents.markdown`, typeset: a title, a summary
table (claim, symbolic verdict, Monte Carlo verdict, worst :math:`|z|` against its threshold),
the conventions of DESIGN.md §3 (:data:`~derivations.conventions.PARAMETERS` and
:data:`~derivations.conventions.CONVENTION_RESCALINGS`), then one section per claim: the
statement, the derivation steps SymPy produced, the symbolic verdict and its cases, any
finding (boxed), the Monte Carlo table (parameters, estimate :math:`\pm` SE, closed form,
:math:`z`, samples) with its note, and a figure (:mod:`reports.documents.figures`) where one helps.

The document is rendered from the Jinja2 template ``reports/documents/templates/report.tex.j2`` and uses
only packages of a basic TeX installation (``amsmath``, ``amssymb``, ``booktabs``,
``longtable``, ``graphicx``, ``xcolor``, ``geometry``, ``hyperref``).  Output is
deterministic: no dates, no timings; the same outcomes give the same bytes.

Plain text (titles, notes, findings, paper references, parameter values) goes through
:func:`latex_escape`; LaTeX (statements, derivation steps) is typeset as display math that is
scaled down to the line width when it is too wide.  Jinja2 and matplotlib are imported only
when a report is rendered.
"""

from __future__ import annotations

import platform
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from derivations.conventions import to_latex
from dlnverify import __version__
from dlnverify.errors import InvalidParameter
from reports.engine.claim import Claim
from reports.engine.verdict import parameters_text
from reports.engine.verify import ClaimOutcome
from reports.render.conventions import conventions_context
from reports.render.latex import (
    compile_pdf,
    latex_code,
    latex_display,
    latex_escape,
    latex_figure_path,
    latex_finding,
    latex_fixed,
    latex_number,
    pdf_bookmark,
    relative_inside,
)
from reports.render.templates import load_template

__all__ = ["ReportFiles", "render_latex", "write_latex_report"]


def _parameters(parameters: Mapping[str, Any]) -> str:
    return latex_escape(parameters_text(parameters))


def _label(claim_id: str) -> str:
    return "claim:" + re.sub(r"[^A-Za-z0-9]", "-", claim_id)


# --- the document --------------------------------------------------------------------------


#: Caption of the Monte Carlo agreement figure (:func:`reports.documents.figures.agreement_figure`).
_AGREEMENT_CAPTION = (
    r"{claim}: $z$-score of each Monte Carlo case (the table's rows, in order) against the "
    r"band $|z| \leq z^\ast$ of the threshold."
)


def _figure(claim: Claim, path: str | None) -> dict[str, str] | None:
    """The figure of ``claim``'s section: its file and caption (the claim's own figure, the
    agreement figure, or a plain caption for a figure file of another name)."""
    if path is None:
        return None
    stem = Path(path).stem
    if stem.startswith("agreement"):
        caption = _AGREEMENT_CAPTION
    elif claim.figure is not None and stem.startswith(claim.figure.stem):
        caption = claim.figure.caption
    else:
        caption = "{claim}: figure."
    return {"path": path, "caption": caption.format(claim=latex_escape(claim.id))}


def _numeric_context(check: Any) -> dict[str, Any] | None:
    """A :class:`~reports.engine.claim.NumericCheck` as the Monte Carlo table's context."""
    if check is None:
        return None
    return {
        "passed": check.passed,
        "max_abs_z": latex_fixed(check.max_abs_z),
        "threshold": latex_fixed(check.threshold),
        "false_alarm_rate": latex_number(check.false_alarm_rate, 3),
        "n_tests": check.n_tests,
        "note": latex_escape(check.note),
        "rows": [
            {
                "parameters": _parameters(case.parameters),
                "estimate": latex_number(case.estimate, 6),
                "standard_error": latex_number(case.standard_error, 2),
                "closed_form": latex_number(case.closed_form, 6),
                "z": latex_fixed(case.z),
                "outside": abs(case.z) > check.threshold,
                "n_samples": case.samples.replace(",", r"\,"),
            }
            for case in check.cases
        ],
    }


def _claim_context(outcome: ClaimOutcome, figure: str | None) -> dict[str, Any]:
    claim, derivation, check = outcome.claim, outcome.derivation, outcome.numeric
    numeric = _numeric_context(check)
    return {
        "id": latex_escape(claim.id),
        "label": _label(claim.id),
        "title": latex_escape(claim.title),
        "bookmark": pdf_bookmark(f"{claim.id}. {claim.title}"),
        "paper_ref": latex_escape(claim.paper_ref),
        "statement": latex_display(claim.statement),
        "steps": [
            {"description": latex_escape(step.description), "equation": latex_display(step.latex())}
            for step in derivation.steps
        ],
        "holds": derivation.holds,
        "cases": [latex_escape(case) for case in derivation.cases],
        "findings": [latex_finding(finding) for finding in derivation.findings],
        "remarks": [latex_escape(remark) for remark in claim.remarks],
        "quantities": [latex_escape(name) for name in claim.quantities],
        "numeric": numeric,
        "figure": _figure(claim, figure),
        "symbolic_verdict": outcome.symbolic_verdict,
        "numeric_verdict": outcome.numeric_verdict,
        "summary_z": None
        if check is None
        else f"{latex_fixed(check.max_abs_z)} / {latex_fixed(check.threshold)}",
    }


def _experiment_section(report: Any, figure: str | None) -> dict[str, Any]:
    """An experiment's section of the claims report: its body, label and bookmark."""
    from reports.documents.experiment import experiment_context  # it imports this module

    label = "experiment:" + re.sub(r"[^A-Za-z0-9]", "-", report.name)
    bookmark = pdf_bookmark(f"Experiment: {report.name}")
    return experiment_context(report, figure) | {"label": label, "bookmark": bookmark}


def _formula_context(index: int, entry: Any, result: Any) -> dict[str, Any]:
    """A user formula's section (:mod:`reports.formulas.files`): what was claimed, what was
    derived, the verdict with its evidence, and the Monte Carlo table."""
    from reports.claims import get_quantity

    different = result.symbolic == "different" and result.difference is not None
    return {
        "name": latex_escape(entry.name),
        "label": f"formula:{index}",
        "bookmark": pdf_bookmark(f"Formula: {entry.name}"),
        "quantity": latex_escape(result.quantity),
        "description": latex_escape(get_quantity(result.quantity).description),
        "at": _parameters(result.at) if result.at else "",
        "written": latex_code(entry.formula),
        "formula": latex_display(to_latex(result.parsed)) if result.parsed is not None else "",
        "derived": latex_display(to_latex(result.derived)) if result.derived is not None else "",
        "difference": latex_display(to_latex(result.difference)) if different else "",
        "verified": result.verified,
        "verdict": latex_escape(result.verdict),
        "message": latex_escape(result.message),
        "evidence": [latex_escape(line) for line in result.evidence_lines(monte_carlo=False)],
        "numeric": _numeric_context(result.numeric),
    }


def render_latex(
    outcomes: Sequence[ClaimOutcome],
    *,
    seed: int = 0,
    figures: Mapping[str, str] | None = None,
    experiments: Sequence[tuple[Any, str | None]] = (),
    formulas: Sequence[tuple[Any, Any]] = (),
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

    Returns
    -------
    str
        The LaTeX source, ``\documentclass`` to ``\end{document}``.
    """
    outcomes = list(outcomes)
    for outcome in outcomes:
        if not isinstance(outcome, ClaimOutcome):
            raise InvalidParameter(
                f"Got an outcome of type {type(outcome).__name__}, but outcomes must be "
                "ClaimOutcome objects."
            )
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InvalidParameter(f"Got seed {seed!r}, but it must be an integer.")
    figures = dict(figures or {})
    known = {o.claim.id for o in outcomes}
    for claim_id in figures:
        if claim_id not in known:
            raise InvalidParameter(
                f"Got a figure for claim {claim_id!r}, but the outcomes hold no such claim."
            )
    paths = {k: latex_figure_path(v, f"claim {k}") for k, v in figures.items() if v}
    held = sum(o.holds for o in outcomes)
    context = {
        "version": latex_escape(__version__),
        "seed": seed,
        "python": latex_escape(platform.python_version()),
        "held": held,
        "total": len(outcomes),
        **conventions_context(),
        "claims": [_claim_context(o, paths.get(o.claim.id)) for o in outcomes],
        "experiments": [_experiment_section(report, path) for report, path in experiments],
        "formulas": [
            _formula_context(index, entry, result)
            for index, (entry, result) in enumerate(formulas, 1)
        ],
        "formulas_verified": sum(result.verified for _, result in formulas),
    }
    return load_template("report.tex.j2").render(**context)


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
    """

    tex: Path
    figures: tuple[Path, ...]
    pdf: Path | None


def write_latex_report(
    outcomes: Sequence[ClaimOutcome],
    directory: str | Path,
    *,
    seed: int = 0,
    pdf: bool = False,
    figures: bool = True,
    experiments: Sequence[tuple[Any, str | Path | None]] = (),
    formulas: Sequence[tuple[Any, Any]] = (),
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
    tex = target / "report.tex"
    tex.write_text(
        render_latex(
            outcomes, seed=seed, figures=relative, experiments=sections, formulas=formulas
        ),
        encoding="utf-8",
    )
    figure_paths = tuple(sorted({Path(v) for v in drawn.values()}))
    return ReportFiles(tex, figure_paths, compile_pdf(tex) if pdf else None)
