r"""The value every claim function of :mod:`derivations` returns.

A claim function derives a result from first principles, then compares it with the
paper's statement (a closed form typed in is a *statement to check*, never the result of a
check).  The comparison, the derivation steps shown in reports, and any finding that differs
from the paper travel together in one frozen :class:`DerivationResult`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import sympy as sp

from derivations.conventions import to_latex

__all__ = ["DerivationResult", "Finding", "Math", "Step"]


@dataclass(frozen=True)
class Math:
    """A formula inside a :class:`Finding`: LaTeX (``latex``) for the reports, plain text
    (``text``, SymPy's text form for an expression) for the terminal; ``display`` sets it on
    a line of its own in the reports (a long formula)."""

    latex: str
    text: str
    display: bool = False


class Finding(str):
    r"""A finding: text that may hold SymPy expressions.

    As a string it is the text with every expression in SymPy's text form
    (:func:`sympy.sstr`): what ``show``, ``verify``, JSON output and ``in`` tests see.
    :attr:`pieces` keeps the expressions apart, as :class:`Math`, so that the reports
    typeset them.  A part may also be an :class:`Math` written by hand, for a formula
    SymPy cannot print as stated (a sum over :math:`b \ne a`) that the derivation has checked.

    >>> from derivations.conventions import kappa, sigma
    >>> f = Finding("The mean is ", sigma - kappa / 2, ", below sigma.")
    >>> str(f)
    'The mean is -kappa/2 + sigma, below sigma.'
    >>> f.pieces[1].latex
    '- \\frac{\\kappa}{2} + \\sigma'
    """

    pieces: tuple[str | Math, ...]

    def __new__(cls, *parts: Any) -> Finding:
        pieces = tuple(
            part if isinstance(part, str | Math) else Math(to_latex(part), sp.sstr(part))
            for part in parts
        )
        text = "".join(p if isinstance(p, str) else p.text for p in pieces)
        finding = super().__new__(cls, text)
        finding.pieces = pieces
        return finding

    def __reduce__(self) -> tuple[Any, ...]:
        # rebuilt from its pieces (pickling: ``verify --jobs`` sends results between processes)
        return (Finding, self.pieces)


@dataclass(frozen=True)
class Step:
    r"""One equation of a derivation, produced (not typed) by SymPy.

    Attributes
    ----------
    description : str
        What this step does, in words ("differentiate the Wick-expected loss").
    lhs, rhs : sympy.Basic
        The two sides; ``lhs == rhs`` is what the step establishes.

    The printed forms (:meth:`latex`, :meth:`text`) are those of the expressions as the
    derivation built them, also after pickling: SymPy rebuilds an unpickled expression
    through its constructors, which re-evaluate it (``-(a + b)/2`` as ``factor`` returns it
    comes back as ``-a/2 - b/2``), so a step carries its printed forms across processes.
    """

    description: str
    lhs: Any
    rhs: Any

    @cached_property
    def _printed(self) -> tuple[str, str]:
        return (
            f"{to_latex(self.lhs)} = {to_latex(self.rhs)}",
            f"{sp.sstr(self.lhs)} = {sp.sstr(self.rhs)}",
        )

    def latex(self) -> str:
        """The step as a LaTeX equation ``lhs = rhs``."""
        return self._printed[0]

    def text(self) -> str:
        """The step as plain text ``lhs = rhs`` (SymPy's ``sstr``)."""
        return self._printed[1]

    def __getstate__(self) -> dict[str, Any]:
        self._printed  # noqa: B018  (printed before the expressions are pickled)
        return self.__dict__


@dataclass(frozen=True)
class DerivationResult:
    r"""Outcome of deriving one claim.

    Attributes
    ----------
    claim : str
        Claim id (``"C7"``).
    derived : Any
        The derived object (a SymPy expression, matrix, or a dict of named expressions).
    stated : Any
        The paper's (or DESIGN.md's) statement, of the same kind as ``derived``.
    holds : bool
        ``True`` when SymPy proved ``derived - stated == 0`` (exactly, for every listed case).
    steps : tuple[Step, ...]
        The derivation steps, in order, for reports.
    cases : tuple[str, ...]
        The concrete cases proven (shapes, depths), when the proof is case-by-case.
    findings : tuple[str, ...]
        Statements where the derivation disagrees with, or sharpens, the paper; a
        :class:`Finding` where they hold expressions that reports should typeset.
    """

    claim: str
    derived: Any
    stated: Any
    holds: bool
    steps: tuple[Step, ...] = ()
    cases: tuple[str, ...] = ()
    findings: tuple[str, ...] = field(default_factory=tuple)
