r"""The outcome of checking a matrix formula: :class:`MatrixCheckResult`.

Its verdict is a :class:`~reports.formulas.result.Verdict` (the words of every check); see
:func:`reports.formulas.matrix_check.check_matrix` for when each is given.  A refutation
carries a :class:`MatrixCounterexample`: the smallest network and layer indices where the
formula and the derived value differ, integer values of the free entries there, and the
entries that differ.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from reports.engine.verdict import NumericCheck
from reports.formulas.result import Verdict, numeric_json

__all__ = ["DifferingEntry", "MatrixCheckResult", "MatrixCounterexample", "NumericStep"]


class NumericStep(enum.StrEnum):
    """The second step of a matrix check: a Monte Carlo comparison with the simulator (the
    stochastic quantities) or central finite differences of the definition (the deterministic
    ones)."""

    MONTE_CARLO = "monte_carlo"
    FINITE_DIFFERENCES = "finite_differences"

    @property
    def label(self) -> str:
        """How the text output names the step."""
        return {"monte_carlo": "Monte Carlo", "finite_differences": "finite differences"}[self]


def _numeric_step(numeric: NumericCheck) -> NumericStep:
    drawn = any(case.n_samples > 0 for case in numeric.cases)
    return NumericStep.MONTE_CARLO if drawn else NumericStep.FINITE_DIFFERENCES


@dataclass(frozen=True)
class DifferingEntry:
    """One entry (1-based ``row``, ``column``) where the formula and the derived value
    differ, with both values (exact, as text) at the counterexample's point."""

    row: int
    column: int
    formula: str
    derived: str

    def to_json(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "formula": self.formula,
            "derived": self.derived,
        }


@dataclass(frozen=True)
class MatrixCounterexample:
    r"""Where a matrix formula is wrong.

    Attributes
    ----------
    widths : tuple[int, ...]
        The network :math:`(h_0, \dots, h_L)`, the smallest that shows it.
    layers : tuple[int, ...]
        ``(l,)`` or ``(l, k)``, 1-based.
    values : dict[str, list[list[int]]]
        Integer values of the free entries (``W_1``, ..., ``Wstar`` or ``Delta``,
        ``Sigma_eps``) at which the listed entries differ.
    entries : tuple[DifferingEntry, ...]
        The first entries (row-major) that differ there, at most four.
    """

    widths: tuple[int, ...]
    layers: tuple[int, ...]
    values: dict[str, list[list[int]]]
    entries: tuple[DifferingEntry, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "widths": list(self.widths),
            "layers": list(self.layers),
            "values": self.values,
            "entries": [entry.to_json() for entry in self.entries],
        }

    def text(self) -> str:
        """One line: network, layers, values, entries."""
        layers = "".join(
            f", {name} = {value}" for name, value in zip("lk", self.layers, strict=False)
        )
        values = "; ".join(f"{name} = {matrix}" for name, matrix in self.values.items())
        entries = "; ".join(
            f"entry ({e.row}, {e.column}): formula {e.formula}, derived {e.derived}"
            for e in self.entries
        )
        return f"widths {self.widths}{layers}: {values}: {entries}"


@dataclass(frozen=True)
class MatrixCheckResult:
    r"""Outcome of :func:`reports.formulas.matrix_check.check_matrix`.

    Attributes
    ----------
    quantity, formula : str
        What was checked, as given.
    verdict : Verdict
        ``"verified"`` (equal as polynomials at every network and layer checked),
        ``"refuted"`` or ``"undecided"`` (time or memory ran out).
    parsed : str
        The formula as read, in SymPy syntax.
    shape : str
        Its symbolic shape (``h_l x h_{l-1}``).
    derived : str
        The form the quantity's claim proves equal to the derived value.
    widths : tuple of tuple of int
        The networks where the formula was evaluated (all of them, unless time ran out).
    factor : str or None
        A constant ``c`` with formula = ``c`` x derived at every network checked (``2``,
        ``-1``), when there is one and it is not 1.
    convention : str or None
        The known convention (DESIGN.md §3) whose rescaling that factor is.
    counterexample : MatrixCounterexample or None
        For a refuted formula.
    numeric : NumericCheck or None
        The numeric step: the Monte Carlo comparison with the simulator at random weights
        (:mod:`reports.formulas.matrix_montecarlo`), or for a deterministic quantity the
        comparison with finite differences of its definition
        (:mod:`reports.formulas.matrix_finite_differences`); ``None`` with ``symbolic
        only``, or when time ran out first.
    message : str
        One human sentence.
    elapsed : float
        Seconds.
    """

    quantity: str
    formula: str
    verdict: Verdict
    parsed: str
    shape: str
    derived: str
    widths: tuple[tuple[int, ...], ...] = ()
    factor: str | None = None
    convention: str | None = None
    counterexample: MatrixCounterexample | None = field(default=None)
    numeric: NumericCheck | None = field(default=None, repr=False)
    message: str = ""
    elapsed: float = 0.0

    @property
    def verified(self) -> bool:
        """Whether the verdict is ``"verified"``."""
        return self.verdict == Verdict.VERIFIED

    @property
    def exit_code(self) -> int:
        """0 verified, 1 otherwise (2 is for bad input, raised before a result)."""
        return 0 if self.verified else 1

    @property
    def numeric_step(self) -> NumericStep | None:
        """Which second step ran (``None``: none did); finite differences draw no samples."""
        return None if self.numeric is None else _numeric_step(self.numeric)

    def to_json(self) -> dict[str, Any]:
        """The ``check --json`` form of a matrix check (README, "Matrix-level formulas")."""
        return {
            "quantity": self.quantity,
            "formula": self.formula,
            "verdict": str(self.verdict),
            "verified": self.verified,
            "parsed": self.parsed,
            "shape": self.shape,
            "derived": self.derived,
            "widths": [list(widths) for widths in self.widths],
            "factor": self.factor,
            "convention": self.convention,
            "counterexample": None
            if self.counterexample is None
            else self.counterexample.to_json(),
            "numeric_step": None if self.numeric_step is None else str(self.numeric_step),
            "numeric": numeric_json(self.numeric),
            "message": self.message,
            "elapsed_seconds": round(self.elapsed, 3),
        }

    def text(self) -> str:
        """The verdict and what it rests on, as ``dlnverify check`` prints it."""
        lines = [
            f"{self.verdict.upper()}: {self.quantity} — {self.message}",
            f"  derived:    {self.derived}",
            f"  formula:    {self.parsed}   ({self.shape})",
        ]
        if self.widths:
            lines.append(f"  widths:     {', '.join(map(str, self.widths))}")
        if self.factor is not None:
            lines.append(f"  factor:     formula = {self.factor} x derived")
        if self.convention is not None:
            lines.append(f"  convention: {self.convention}")
        if self.counterexample is not None:
            lines.append(f"  counterexample: {self.counterexample.text()}")
        if self.numeric is not None:
            worst = max(self.numeric.cases, key=lambda case: abs(case.z))
            step = _numeric_step(self.numeric)
            source = (
                f"{worst.samples} samples"
                if step is NumericStep.MONTE_CARLO
                else "error bar from steps h, h/2"
            )
            lines.append(
                f"  {step.label}: worst |z| = {self.numeric.max_abs_z:.2f} (limit"
                f" {self.numeric.threshold:.2f}, {self.numeric.n_tests} entries, false-alarm rate"
                f" {self.numeric.false_alarm_rate:g}) at {worst.parameters_text}:"
                f" {worst.estimate:.6g} ± {worst.standard_error:.2g} vs formula"
                f" {worst.closed_form:.6g} ({source})"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()
