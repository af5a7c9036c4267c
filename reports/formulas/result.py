r"""The outcome of checking a user's formula: :class:`CheckResult` and its vocabulary.

The words a result is made of are :class:`enum.StrEnum` members, each equal to (and printed,
written to JSON and shown by ``repr`` as) its lower-case value: the verdict
(:class:`Verdict`, see :mod:`reports.formulas.engine` for when each is given) and the outcome
of the symbolic comparison alone (:class:`Symbolic`).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from derivations.conventions import to_latex
from reports.engine.verdict import NumericCheck
from reports.render.html import html_display, html_escape

__all__ = ["CheckResult", "Symbolic", "Verdict", "numeric_json"]


class _Word(enum.StrEnum):
    """A ``str`` enumeration whose members show as their values, also in ``repr`` (so that a
    :class:`CheckResult` prints ``verdict='verified'``)."""

    def __repr__(self) -> str:
        return repr(self.value)


class Verdict(_Word):
    """The three verdicts of a check."""

    VERIFIED = "verified"
    REFUTED = "refuted"
    UNDECIDED = "undecided"


class Symbolic(_Word):
    """The outcome of the symbolic comparison alone: SymPy proves the difference zero, finds
    it non-zero (exactly, at a point), or cannot decide."""

    EQUAL = "equal"
    DIFFERENT = "different"
    UNDECIDED = "undecided"


def numeric_json(numeric: NumericCheck | None) -> dict[str, Any] | None:
    """A Monte Carlo check in the ``--json`` schema of ``check`` (README, "JSON output")."""
    if numeric is None:
        return None
    return {
        "passed": numeric.passed,
        "threshold": numeric.threshold,
        "false_alarm_rate": numeric.false_alarm_rate,
        "max_abs_z": numeric.max_abs_z,
        "cases": [
            {
                "parameters": c.parameters,
                "estimate": c.estimate,
                "standard_error": c.standard_error,
                "formula": c.closed_form,
                "z": c.z,
                "n_samples": c.n_samples,
            }
            for c in numeric.cases
        ],
    }


def at_json(value: float) -> float | str:
    """A held-fixed value in ``--json``: the number, or ``"oo"`` for ``L = oo`` (strict JSON
    has no infinity)."""
    return "oo" if value == math.inf else value


def at_text(at: Mapping[str, float], equals: str) -> str:
    """The held-fixed values as text, ``name{equals}value`` joined by commas (``oo`` for
    ``L = oo``)."""
    shown = {name: at_json(value) for name, value in at.items()}
    return ", ".join(
        f"{name}{equals}{value if isinstance(value, str) else format(value, 'g')}"
        for name, value in shown.items()
    )


@dataclass(frozen=True)
class CheckResult:
    r"""Outcome of :func:`reports.formulas.engine.check`.

    Attributes
    ----------
    quantity, formula : str
        What was checked, as given.
    verdict : Verdict
        ``"verified"``, ``"refuted"`` or ``"undecided"``.
    symbolic : Symbolic
        ``"equal"``, ``"different"`` or ``"undecided"`` — the symbolic comparison alone.
    parsed, derived : sympy.Expr
        The user's formula as parsed and the derived expression.
    difference : sympy.Expr or None
        ``parsed - derived``, simplified.
    convention : str or None
        Name of the known convention under which the formula equals the derived one.
    counterexample : dict or None
        ``{"parameters": ..., "formula": value, "derived": value}`` — the smallest point
        hypothesis finds where the two differ.
    numeric : NumericCheck or None
        The Monte Carlo comparison of the *user's* formula with the simulator.
    message : str
        One human sentence.
    elapsed : float
        Seconds.
    at : dict
        Parameters held fixed (``check(..., at=...)``); ``derived`` is shown at these values.
    depths : tuple[int, ...]
        For a refuted formula of a quantity with free depth ``L``: the depths at which it
        agrees with the derived result at every probe point (checked again with ``at``).
    reading : tuple[str, ...]
        How a paper's equation was read (delimiters, debris, left-hand side), in words.
    """

    quantity: str
    formula: str
    verdict: Verdict
    symbolic: Symbolic
    parsed: sp.Expr | None = None
    derived: sp.Expr | None = None
    difference: sp.Expr | None = None
    convention: str | None = None
    counterexample: dict[str, Any] | None = None
    numeric: NumericCheck | None = field(default=None, repr=False)
    message: str = ""
    elapsed: float = 0.0
    at: dict[str, int | float] = field(default_factory=dict)
    depths: tuple[int, ...] = ()
    reading: tuple[str, ...] = ()

    @property
    def verified(self) -> bool:
        """Whether the verdict is ``"verified"``."""
        return self.verdict == Verdict.VERIFIED

    @property
    def exit_code(self) -> int:
        """0 verified, 1 otherwise (2 is reserved for bad input, raised before a result)."""
        return 0 if self.verdict == Verdict.VERIFIED else 1

    def to_json(self) -> dict[str, Any]:
        """The documented ``--json`` schema (see README, "JSON output")."""
        return {
            "quantity": self.quantity,
            "formula": self.formula,
            "at": {name: at_json(value) for name, value in self.at.items()},
            "verdict": str(self.verdict),
            "verified": self.verified,
            "symbolic": str(self.symbolic),
            "parsed": None if self.parsed is None else str(self.parsed),
            "derived": None if self.derived is None else str(self.derived),
            "derived_latex": None if self.derived is None else to_latex(self.derived),
            "difference_latex": None if self.difference is None else to_latex(self.difference),
            "convention": self.convention,
            "depths": list(self.depths),
            "counterexample": self.counterexample,
            "numeric": numeric_json(self.numeric),
            "message": self.message,
            "elapsed_seconds": round(self.elapsed, 3),
            "reading": list(self.reading),
        }

    def text(self) -> str:
        """The verdict and what it rests on, as ``dlnverify check`` prints it: derived and
        given formula, how it was read, difference, convention, counterexample, Monte Carlo
        comparisons."""
        lines = [f"{self.verdict.upper()}: {self.quantity} — {self.message}"]
        if self.at:
            lines.append(f"  at:         {at_text(self.at, ' = ')}")
        if self.derived is not None:
            lines.append(f"  derived:    {sp.sstr(self.derived)}")
        lines += [f"  read:       {reading}" for reading in self.reading]
        if self.parsed is not None:
            lines.append(f"  formula:    {sp.sstr(self.parsed)}")
        if self.symbolic == Symbolic.DIFFERENT and self.difference is not None:
            lines.append(f"  difference: {to_latex(self.difference)}   (LaTeX)")
        if self.convention:
            lines.append(f"  convention: {self.convention}")
        if self.counterexample:
            lines.append(f"  counterexample: {self.counterexample_text()}")
        if self.numeric is not None:
            lines += [
                f"  Monte Carlo at {case.parameters_text}: {case.estimate:.6g}"
                f" ± {case.standard_error:.2g} vs formula {case.closed_form:.6g}"
                f" (z = {case.z:.2f}, samples {case.samples})"
                for case in self.numeric.cases
            ]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def counterexample_text(self) -> str | None:
        """The counterexample as ``s = 1, sigma = 0.5: formula 1.5, derived -0.5``; a value
        that is not a finite real (a complex or undefined formula) is named as such."""
        if self.counterexample is None:
            return None

        def value(number: float) -> str:
            return f"{number:.6g}" if math.isfinite(number) else "not a finite real"

        point = ", ".join(f"{k} = {v:g}" for k, v in self.counterexample["parameters"].items())
        return (
            f"{point}: formula {value(self.counterexample['formula'])},"
            f" derived {value(self.counterexample['derived'])}"
        )

    def evidence_lines(self, *, monte_carlo: bool = True) -> list[str]:
        """Counterexample, convention and (``monte_carlo``) Monte Carlo summary as plain
        sentences (no math markup)."""
        lines = []
        if self.counterexample is not None:
            lines.append(f"Counterexample: {self.counterexample_text()}.")
        if self.convention is not None:
            lines.append(f"Equal to the derived result under the convention: {self.convention}.")
        if self.numeric is not None and monte_carlo:
            agrees = "agrees" if self.numeric.passed else "disagrees"
            lines.append(
                f"Monte Carlo {agrees}: worst |z| {self.numeric.max_abs_z:.2f} against the limit"
                f" {self.numeric.threshold:.2f} ({len(self.numeric.cases)} points)."
            )
        return lines

    def _repr_markdown_(self) -> str:
        lines = [f"**{self.verdict}** — `{self.quantity}`: {self.message}"]
        if self.derived is not None:
            lines.append(f"\n$$\\text{{derived: }}{to_latex(self.derived)}$$")
        if self.difference is not None and self.symbolic == Symbolic.DIFFERENT:
            lines.append(
                f"\n$$\\text{{formula}} - \\text{{derived}} = {to_latex(self.difference)}$$"
            )
        lines += [f"\n{line.replace('_', chr(92) + '_')}" for line in self.evidence_lines()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """The result as HTML for a notebook: the verdict line, the derived result and the
        difference as MathML (from the same LaTeX as :meth:`_repr_markdown_`;
        :func:`reports.render.html.html_display`), then the evidence; every text escaped."""

        def formula(label: str, latex: str) -> str:
            return f"<p>{html_escape(label)}</p>{html_display(latex)}"

        parts = [
            f"<p><strong>{html_escape(self.verdict.upper())}</strong> — "
            f"<code>{html_escape(self.quantity)}</code>: {html_escape(self.message)}</p>"
        ]
        if self.derived is not None:
            parts.append(formula("derived:", to_latex(self.derived)))
        if self.difference is not None and self.symbolic == Symbolic.DIFFERENT:
            parts.append(formula("formula − derived:", to_latex(self.difference)))
        parts += [f"<p>{html_escape(line)}</p>" for line in self.evidence_lines()]
        return '<div class="dlnverify-check">' + "".join(parts) + "</div>"

    def _repr_latex_(self) -> str:
        parts = [rf"\text{{{self.verdict}: {self.quantity.replace('_', ' ')}}}"]
        if self.derived is not None:
            parts.append(rf"\text{{derived: }}{to_latex(self.derived)}")
        if self.difference is not None and self.symbolic == Symbolic.DIFFERENT:
            parts.append(rf"\text{{formula}} - \text{{derived}} = {to_latex(self.difference)}")
        return "$" + r",\qquad ".join(parts) + "$"
