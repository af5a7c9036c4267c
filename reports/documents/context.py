r"""The verification report as plain data: one context for its LaTeX and Markdown forms.

:func:`verification_context` turns claim outcomes, the user's checked formulas
(:mod:`reports.formulas.files`), a derivation file checked step by step
(:mod:`reports.formulas.chain`) and runs of the paper's experiments
(:class:`~reports.documents.experiment.ExperimentReport`) into the variables of the templates
``report.tex.j2`` (:mod:`reports.documents.verification`) and ``report.md.j2``
(:mod:`reports.documents.markdown`).  Text is as the claims, derivations and checks give it:
plain text (titles, notes, verdicts, parameter values), LaTeX math source (statements,
derivation steps, formulas, figure captions) or findings (:class:`~derivations.result.Finding`,
text with formulas).  Numbers stay numbers.  Nothing is escaped or formatted for one format
here: the templates do that with the filters of :mod:`reports.render.templates`.
"""

from __future__ import annotations

import platform
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from derivations.conventions import to_latex
from dlnverify import __version__
from dlnverify.errors import InvalidParameter
from reports.documents.experiment import experiment_context
from reports.engine.claim import Claim
from reports.engine.verify import ClaimOutcome
from reports.formulas.chain_result import StepVerdict
from reports.render.conventions import conventions_context

__all__ = ["numeric_context", "verification_context"]

#: Caption of the Monte Carlo agreement figure (:func:`reports.documents.figures.agreement_figure`),
#: LaTeX with ``{claim}`` for the claim id, like a :class:`~reports.engine.claim.ClaimFigure`'s.
_AGREEMENT_CAPTION = (
    r"{claim}: $z$-score of each Monte Carlo case (the table's rows, in order) against the "
    r"band $|z| \leq z^\ast$ of the threshold."
)


#: Step verdicts of a checked step, and of one that holds (:class:`~reports.formulas.chain_result.StepVerdict`).
_CHECKED = {StepVerdict.PROVEN, StepVerdict.SAMPLED, StepVerdict.REFUTED, StepVerdict.UNDECIDED}
_HOLDING = {StepVerdict.PROVEN, StepVerdict.SAMPLED}


def _anchor(kind: str, name: str) -> str:
    """A section's label: ``kind:name`` with every character but letters and digits as ``-``."""
    return f"{kind}:" + re.sub(r"[^A-Za-z0-9]", "-", name)


def _figure(claim: Claim, path: str | None) -> dict[str, str] | None:
    """The figure of ``claim``'s section: its file and caption (the claim's own figure's, the
    agreement figure's, or a plain one for a figure file of another name)."""
    if not path:
        return None
    stem = Path(path).stem
    if stem.startswith("agreement"):
        caption = _AGREEMENT_CAPTION
    elif claim.figure is not None and stem.startswith(claim.figure.stem):
        caption = claim.figure.caption
    else:
        caption = "{claim}: figure."
    return {"path": path, "caption": caption}


def numeric_context(check: Any) -> dict[str, Any] | None:
    """A :class:`~reports.engine.verdict.NumericCheck` (a claim's or a checked formula's) as
    the Monte Carlo table's variables: the verdict, the worst :math:`|z|` against the
    threshold, the note and one row per case; None for no check."""
    if check is None:
        return None
    return {
        "passed": check.passed,
        "max_abs_z": check.max_abs_z,
        "threshold": check.threshold,
        "false_alarm_rate": check.false_alarm_rate,
        "n_tests": check.n_tests,
        "note": check.note,
        "rows": [
            {
                "parameters": case.parameters_text,
                "estimate": case.estimate,
                "standard_error": case.standard_error,
                "closed_form": case.closed_form,
                "z": case.z,
                "outside": abs(case.z) > check.threshold,
                "samples": case.samples,
            }
            for case in check.cases
        ],
    }


def _claim_context(outcome: ClaimOutcome, figure: str | None) -> dict[str, Any]:
    claim, derivation = outcome.claim, outcome.derivation
    return {
        "id": claim.id,
        "label": _anchor("claim", claim.id),
        "title": claim.title,
        "paper_ref": claim.paper_ref,
        "statement": claim.statement,
        "steps": [
            {"description": step.description, "latex": step.latex()} for step in derivation.steps
        ],
        "holds": derivation.holds,
        "cases": list(derivation.cases),
        "findings": list(derivation.findings),
        "remarks": list(claim.remarks),
        "quantities": list(claim.quantities),
        "numeric": numeric_context(outcome.numeric),
        "figure": _figure(claim, figure),
        "symbolic_verdict": outcome.symbolic_verdict,
        "numeric_verdict": outcome.numeric_verdict,
    }


def _formula_context(index: int, entry: Any, result: Any) -> dict[str, Any]:
    """A user formula's section (:mod:`reports.formulas.files`): what was claimed, what was
    derived (LaTeX math, None when absent), the verdict with its evidence, the Monte Carlo
    table."""
    from reports.claims import get_quantity

    different = result.symbolic == "different" and result.difference is not None
    return {
        "name": entry.name,
        "label": f"formula:{index}",
        "quantity": result.quantity,
        "description": get_quantity(result.quantity).description,
        "at": dict(result.at),
        "written": entry.formula,
        "formula": None if result.parsed is None else to_latex(result.parsed),
        "derived": None if result.derived is None else to_latex(result.derived),
        "difference": to_latex(result.difference) if different else None,
        "verified": result.verified,
        "verdict": result.verdict,
        "message": result.message,
        "evidence": list(result.evidence_lines(monte_carlo=False)),
        "numeric": numeric_context(result.numeric),
    }


def _where(lines: tuple[int, int]) -> str:
    """Lines of a file as text: ``line 3`` or ``lines 3-4``."""
    first, last = lines
    return f"line {first}" if first == last else f"lines {first}-{last}"


def _steps_context(result: Any) -> dict[str, Any]:
    """A derivation file checked step by step (:class:`~reports.formulas.chain_result.StepsResult`
    of ``check-steps``): its verdict, the first wrong step, and per chain its steps, each
    with its relation between the two sides as parsed (LaTeX math), its verdict, why, the
    factor found and the counterexample."""
    wrong = result.first_wrong
    return {
        "file": result.file,
        "verdict": result.verdict.words,
        "holds": result.exit_code == 0,
        "summary": result.summary(),
        "first_wrong": None
        if wrong is None
        else {"chain": wrong.chain, "step": wrong.step, "line": wrong.line},
        "chains": [
            {
                "chain": chain.chain,
                "label": f"steps:{chain.chain}",
                "lines": list(chain.lines),
                "where": _where(chain.lines),
                "environment": chain.environment,
                "reading": list(chain.reading),
                "steps": [
                    {
                        "step": step.step,
                        "lines": list(step.lines),
                        "where": _where(step.lines),
                        "relation": step.relation,
                        "latex": f"{step.left_latex} {step.relation} {step.right_latex}",
                        "verdict": step.verdict.words,
                        "checked": step.verdict in _CHECKED,
                        "holds": step.verdict in _HOLDING,
                        "first_wrong": step is wrong,
                        "message": step.message,
                        "factor": step.factor,
                        "counterexample": step.counterexample_text,
                    }
                    for step in chain.steps
                ],
            }
            for chain in result.chains
        ],
    }


def verification_context(
    outcomes: Sequence[ClaimOutcome],
    *,
    seed: int = 0,
    figures: Mapping[str, str] | None = None,
    experiments: Sequence[tuple[Any, str | None]] = (),
    formulas: Sequence[tuple[Any, Any]] = (),
    steps: Any = None,
) -> dict[str, Any]:
    """The variables of ``report.tex.j2`` and ``report.md.j2``, as plain data.

    Parameters
    ----------
    outcomes : sequence of ClaimOutcome
        The claims to report, in order (:func:`reports.engine.verify.verify_claim`).
    seed : int, default 0
        The seed the Monte Carlo checks ran with.
    figures : mapping of str to str, optional
        Claim id -> figure file relative to the report (an empty path: no figure).
    experiments : sequence of (ExperimentReport, str or None), optional
        Runs of the paper's experiments with their figure files (relative, or None).
    formulas : sequence of (FormulaEntry, CheckResult), optional
        The user's formulas and their checks.
    steps : StepsResult, optional
        A derivation file checked step by step (``report --check-steps``): a section per
        chain.

    Returns
    -------
    dict
        ``version``, ``seed``, ``python``, ``held`` and ``total`` (claims), the conventions
        (:func:`~reports.render.conventions.conventions_context`), ``claims``,
        ``experiments`` (:func:`~reports.documents.experiment.experiment_context` with a
        ``label``), ``formulas`` with ``formulas_verified``, and ``steps`` (``None``
        without a derivation file).

    Raises
    ------
    InvalidParameter
        An outcome is not a :class:`~reports.engine.verify.ClaimOutcome`, the seed is not an
        integer, or a figure names a claim the outcomes do not hold.
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
    return {
        "version": __version__,
        "seed": seed,
        "python": platform.python_version(),
        "held": sum(o.holds for o in outcomes),
        "total": len(outcomes),
        **conventions_context(),
        "claims": [_claim_context(o, figures.get(o.claim.id)) for o in outcomes],
        "experiments": [
            experiment_context(report, figure) | {"label": _anchor("experiment", report.name)}
            for report, figure in experiments
        ],
        "formulas": [
            _formula_context(index, entry, result)
            for index, (entry, result) in enumerate(formulas, 1)
        ],
        "formulas_verified": sum(result.verified for _, result in formulas),
        "steps": None if steps is None else _steps_context(steps),
    }
