r"""The verification report as Markdown, rendered from claim outcomes (one section per claim).

Markdown with LaTeX math (``$$ ... $$``), readable on GitHub and convertible with pandoc.
Each section holds the statement, the derivation steps SymPy produced, the symbolic verdict,
any finding where the derivation disagrees with the paper, and the Monte Carlo table
(parameters, estimate ± standard error, closed form, z).  The conventions of DESIGN.md §3
head every report.  The template ``report.md.j2`` renders the context of
:func:`reports.documents.context.verification_context`, from which
:mod:`reports.documents.verification` renders the same outcomes as LaTeX/PDF.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dlnverify.errors import InvalidParameter
from reports.documents.context import numeric_context, verification_context
from reports.engine.verify import ClaimOutcome
from reports.render.files import write_text_atomically
from reports.render.markdown import finding_markdown
from reports.render.templates import load_template

__all__ = ["finding_markdown", "render_report", "write_report"]


def _monte_carlo(check: Any) -> list[str]:
    """The lines of ``check``'s Monte Carlo verdict and table (``_monte_carlo.md.j2``), each
    paragraph and the table followed by an empty line."""
    text = load_template("_monte_carlo.md.j2").render(numeric=numeric_context(check))
    return str(text).split("\n")[:-1]


def render_report(
    outcomes: Sequence[ClaimOutcome],
    *,
    seed: int = 0,
    experiments: Sequence[tuple[Any, str | None]] = (),
    formulas: Sequence[tuple[Any, Any]] = (),
    steps: Any = None,
) -> str:
    """The report as Markdown text (deterministic: no timestamps, no timings); each of
    ``formulas`` (a :class:`~reports.formulas.files.FormulaEntry` and its
    :class:`~reports.formulas.result.CheckResult`), each chain of ``steps`` (a
    :class:`~reports.formulas.chain_result.StepsResult` of ``check-steps``) and then each of
    ``experiments`` (an :class:`~reports.documents.experiment.ExperimentReport` and its
    figure file relative to the report, or None) adds a section after the claims.

    The context is :func:`~reports.documents.context.verification_context`'s (it refuses
    the same input), the template ``report.md.j2``.
    """
    context = verification_context(
        outcomes, seed=seed, experiments=experiments, formulas=formulas, steps=steps
    )
    return str(load_template("report.md.j2").render(context))


def write_report(
    outcomes: Sequence[ClaimOutcome],
    path: str | Path,
    *,
    seed: int = 0,
    experiments: Sequence[tuple[Any, str | None]] = (),
    formulas: Sequence[tuple[Any, Any]] = (),
    steps: Any = None,
) -> Path:
    """Write :func:`render_report` to ``path`` (parent directories are created)."""
    target = Path(path)
    if target.exists() and target.is_dir():
        raise InvalidParameter(f"Got report path {str(target)!r}, but it is a directory.")
    target.parent.mkdir(parents=True, exist_ok=True)
    text = render_report(
        outcomes, seed=seed, experiments=experiments, formulas=formulas, steps=steps
    )
    return write_text_atomically(target, text)
