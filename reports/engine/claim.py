r"""A claim of the paper as the reports see it: statement, derivation, Monte Carlo check, figure.

Machinery only: this module knows no claim id.  The catalogue (:mod:`reports.claims`, one
module per topic) builds the :class:`Claim` objects and hands them to the commands and
documents; a claim refers to its derivation (a function of :mod:`derivations` returning a
:class:`~derivations.result.DerivationResult`), its Monte Carlo comparisons and its figure by
reference, so that every caller can be found from its callee.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from derivations.result import DerivationResult
from dlnverify.errors import InvalidParameter
from reports.engine.verdict import Comparison, NumericCheck, numeric_check

__all__ = ["Claim", "ClaimFigure", "ClaimList", "MonteCarlo"]


@dataclass(frozen=True)
class MonteCarlo:
    r"""A claim's Monte Carlo check: comparisons turned into a verdict.

    Calling it with a seeded generator returns :func:`~reports.engine.verdict.numeric_check`
    of ``comparisons(rng)``: every compared number within :math:`z^\ast` standard errors,
    Bonferroni over all of them (DESIGN.md §5).

    Attributes
    ----------
    comparisons : Callable[[numpy.random.Generator], Sequence[Comparison]]
        Simulates the claim's observables and evaluates the derived formula at the same
        points.  A module-level function, so that a claim can be sent to a worker process.
    note : str
        One line for the report: what was simulated.
    """

    comparisons: Callable[[np.random.Generator], Sequence[Comparison]]
    note: str = ""

    def __call__(self, rng: np.random.Generator) -> NumericCheck:
        return numeric_check(self.comparisons(rng), note=self.note)


@dataclass(frozen=True)
class ClaimFigure:
    """The figure of a claim's report section.

    Attributes
    ----------
    draw : Callable[[str | pathlib.Path], pathlib.Path]
        Draws the figure into a file (deterministic bytes, :mod:`reports.render.figures`).
    stem : str
        The file's name without suffix; claims that share a figure share its file.
    caption : str
        The caption in LaTeX (``{claim}`` stands for the claim id).
    """

    draw: Callable[[str | Path], Path] = field(repr=False)
    stem: str
    caption: str = field(repr=False)


@dataclass(frozen=True)
class Claim:
    r"""A claim of the paper.

    Attributes
    ----------
    id : str
        ``"C1"`` ... (DESIGN.md §4).
    title : str
        One line.
    paper_ref : str
        Where the paper states it (``"Prop. 3.2, App. B"``).
    statement : str
        The claim in LaTeX, as the paper (or DESIGN.md) states it.
    derive : Callable[[], DerivationResult]
        Derives the claim symbolically and compares with the statement.
    numeric : Callable[[numpy.random.Generator], NumericCheck] or None
        The Monte Carlo check against the simulator (a :class:`MonteCarlo`); ``None`` when a
        claim is purely symbolic.
    quantities : tuple[str, ...]
        Names of ``dlnverify check`` quantities this claim provides.
    figure : ClaimFigure or None
        This claim's report figure; ``None``: the report shows the Monte Carlo agreement
        figure (if the claim has a check).
    remarks : tuple[str, ...]
        Observations from simulations outside the claim's scope (for instance where the full
        network departs from a modewise result), each naming the command that reproduces
        it; shown in ``show`` and in the reports after the findings.  They are measurements,
        not derivations, and do not enter the verdict.
    """

    id: str
    title: str
    paper_ref: str
    statement: str
    derive: Callable[[], DerivationResult] = field(repr=False)
    numeric: Callable[[np.random.Generator], NumericCheck] | None = field(default=None, repr=False)
    quantities: tuple[str, ...] = ()
    figure: ClaimFigure | None = None
    remarks: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.figure is not None and not isinstance(self.figure, ClaimFigure):
            raise InvalidParameter(
                f"Claim {self.id} names figure {self.figure!r}, but a figure must be a "
                "ClaimFigure (a drawing function, a file stem and a caption)."
            )

    def _repr_markdown_(self) -> str:
        return f"**{self.id}** — {self.title} ({self.paper_ref})\n\n$${self.statement}$$"

    def _repr_latex_(self) -> str:
        return f"$\\text{{{self.id}: {self.title}}}\\quad {self.statement}$"


class ClaimList(list[Claim]):
    """A list of claims that renders in Jupyter as a table (id, paper reference, title)."""

    def _repr_markdown_(self) -> str:
        rows = [f"| {c.id} | {c.paper_ref} | {c.title} |" for c in self]
        return "\n".join(["| claim | paper | title |", "|---|---|---|", *rows])
