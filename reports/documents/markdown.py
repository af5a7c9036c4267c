r"""The verification report, rendered from claim outcomes (one section per claim).

Markdown with LaTeX math (``$$ ... $$``), readable on GitHub and convertible with pandoc.
Each section holds the statement, the derivation steps SymPy produced, the symbolic verdict,
any finding where the derivation disagrees with the paper, and the Monte Carlo table
(parameters, estimate ± standard error, closed form, z).  The conventions of DESIGN.md §3
head every report.  :mod:`reports.documents.verification` renders the same outcomes as LaTeX/PDF.
"""

from __future__ import annotations

import platform
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dlnverify import __version__
from dlnverify.errors import InvalidParameter
from reports.engine.verify import ClaimOutcome
from reports.render.conventions import conventions_context
from reports.render.markdown import finding_markdown

__all__ = ["finding_markdown", "render_report", "write_report"]


def _section(outcome: ClaimOutcome) -> str:
    claim, derivation = outcome.claim, outcome.derivation
    lines = [f"## {claim.id}. {claim.title}", "", f"*Paper:* {claim.paper_ref}", ""]
    lines += ["**Statement.**", "", f"$$ {claim.statement} $$", ""]
    if derivation.steps:
        lines += ["**Derivation** (each equation produced and checked by SymPy):", ""]
        lines += [
            f"{i}. {s.description}: $${s.latex()}$$" for i, s in enumerate(derivation.steps, 1)
        ]
        lines.append("")
    verdict = "proven" if derivation.holds else "**refuted**"
    lines.append(f"**Symbolic verdict:** {verdict}.")
    if derivation.cases:
        lines.append(f" Cases: {'; '.join(derivation.cases)}.")
    lines.append("")
    for finding in derivation.findings:
        lines += [f"> **Finding.** {finding_markdown(finding)}", ""]
    for remark in outcome.claim.remarks:
        lines += [f"> **Simulation remark.** {remark}", ""]
    if claim.quantities:
        names = ", ".join(f"`{name}`" for name in claim.quantities)
        lines += [f"*Check your own formula* (`dlnverify check QUANTITY FORMULA`): {names}.", ""]
    check = outcome.numeric
    if check is None:
        lines += ["**Monte Carlo:** not applicable (purely symbolic claim).", ""]
    else:
        lines += _monte_carlo(check)
    return "\n".join(lines)


def _monte_carlo(check: Any) -> list[str]:
    """The Monte Carlo verdict and table of a claim or a checked formula."""
    verdict = "agrees" if check.passed else "**rejects**"
    lines = [
        f"**Monte Carlo:** {verdict} — worst $|z| = {check.max_abs_z:.2f}$ against the "
        f"threshold {check.threshold:.2f} (false-alarm rate {check.false_alarm_rate:g} over "
        f"{check.n_tests} compared numbers). {check.note}",
        "",
        "| parameters | estimate ± SE | closed form | z | samples |",
        "|---|---|---|---|---|",
    ]
    for case in check.cases:
        lines.append(
            f"| {case.parameters_text} | {case.estimate:.6g} ± {case.standard_error:.2g} | "
            f"{case.closed_form:.6g} | {case.z:.2f} | {case.samples} |"
        )
    lines.append("")
    return lines


def _formula_section(entry: Any, result: Any) -> list[str]:
    """A user formula's section (:mod:`reports.formulas.files`)."""
    from derivations.conventions import to_latex
    from reports.claims import get_quantity

    fixed = ", ".join(f"{k}={v:g}" for k, v in result.at.items())
    description = get_quantity(result.quantity).description
    lines = [f"## Formula: {entry.name}", ""]
    held = f"; held fixed: {fixed}." if fixed else "."
    lines += [f"*Quantity:* `{result.quantity}` — {description}{held}", ""]
    lines += [f"As written: `{entry.formula}`", ""]
    if result.parsed is not None:
        lines += [f"**Formula** (as parsed): $$ {to_latex(result.parsed)} $$", ""]
    if result.derived is not None:
        lines += [f"**Derived:** $$ {to_latex(result.derived)} $$", ""]
    if result.symbolic == "different" and result.difference is not None:
        lines += [f"**Formula − derived:** $$ {to_latex(result.difference)} $$", ""]
    verdict = result.verdict if result.verified else f"**{result.verdict}**"
    lines += [f"**Verdict:** {verdict} — {result.message}", ""]
    for line in result.evidence_lines(monte_carlo=False):
        lines += [line, ""]
    if result.numeric is not None:
        lines += _monte_carlo(result.numeric)
    return lines


def render_report(
    outcomes: Sequence[ClaimOutcome],
    *,
    seed: int = 0,
    experiments: Sequence[tuple[Any, str | None]] = (),
    formulas: Sequence[tuple[Any, Any]] = (),
) -> str:
    """The report as Markdown text (deterministic: no timestamps, no timings); each of
    ``formulas`` (a :class:`~reports.formulas.files.FormulaEntry` and its
    :class:`~reports.formulas.result.CheckResult`) and then each of ``experiments`` (an
    :class:`~reports.documents.experiment.ExperimentReport` and its figure file relative to
    the report, or None) adds a section after the claims."""
    held = sum(o.holds for o in outcomes)
    lines = [
        "# dlnverify report",
        "",
        f"dlnverify {__version__}, seed {seed}, Python {platform.python_version()}. "
        f"{held} of {len(outcomes)} claims hold (symbolic proof and Monte Carlo check).",
        "",
        "| claim | symbolic | Monte Carlo | worst abs z / limit |",
        "|---|---|---|---|",
    ]
    for o in outcomes:
        z = "-" if o.numeric is None else f"{o.numeric.max_abs_z:.2f} / {o.numeric.threshold:.2f}"
        lines.append(f"| {o.claim.id} | {o.symbolic_verdict} | {o.numeric_verdict} | {z} |")
    if formulas:
        verified = sum(result.verified for _, result in formulas)
        lines += [
            "",
            f"Your formulas (`check --file`; {verified} of {len(formulas)} verified):",
            "",
        ]
        lines += [f"- {entry.name}: {result.verdict}" for entry, result in formulas]
    conventions = conventions_context()
    lines += ["", "## Conventions", ""]
    lines += ["- " + "\n  ".join(item) for item in conventions["conventions"]]
    lines += ["", "Parameters:", ""]
    lines += [
        f"- ${p['latex']}$ (`{p['name']}`): {p['description']}" for p in conventions["parameters"]
    ]
    lines += ["", "Other conventions the checker recognises:", ""]
    lines += [f"- `{c['name']}`: {c['description']}" for c in conventions["rescalings"]]
    lines.append("")
    lines += [_section(o) for o in outcomes]
    for entry, result in formulas:
        lines += _formula_section(entry, result)
    if experiments:
        from reports.documents.experiment import experiment_markdown

        for report, figure in experiments:
            lines += [f"## Experiment: {report.name}", ""]
            lines += experiment_markdown(report, figure=figure, level=3)
    return "\n".join(lines) + "\n"


def write_report(
    outcomes: Sequence[ClaimOutcome],
    path: str | Path,
    *,
    seed: int = 0,
    experiments: Sequence[tuple[Any, str | None]] = (),
    formulas: Sequence[tuple[Any, Any]] = (),
) -> Path:
    """Write :func:`render_report` to ``path`` (parent directories are created)."""
    target = Path(path)
    if target.exists() and target.is_dir():
        raise InvalidParameter(f"Got report path {str(target)!r}, but it is a directory.")
    target.parent.mkdir(parents=True, exist_ok=True)
    text = render_report(outcomes, seed=seed, experiments=experiments, formulas=formulas)
    target.write_text(text, encoding="utf-8")
    return target
