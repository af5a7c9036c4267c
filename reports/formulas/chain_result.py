r"""The outcome of checking a derivation chain step by step: :class:`StepsResult`.

``dlnverify check-steps`` (:func:`reports.formulas.chain.check_steps`) gives every step one
:class:`StepVerdict`:

* ``proven`` — SymPy shows the difference of the two sides to be 0 (an identity), their ratio
  free of the variables (``\propto``), or their series equal to the stated order;
* ``sampled`` — SymPy could not decide, and the two sides agree at every sampled point
  (exact rational values, 40 digits): equal at N points, not proven;
* ``refuted`` — at an exact rational point both sides are finite reals and differ (beyond
  round-off), or their ratios differ (``\propto``), or a series coefficient below the stated
  order differs;
* ``undecided`` — the time limit (of the step, or of the whole file) or the memory limit was
  reached first, no sampled point had both sides finite and real, or SymPy failed on the
  step (the message names its error);
* ``not checked`` — a relation that is not checked: ``\approx``, ``\simeq``, ``\sim``
  without an order term, a definition (``:=``), an inequality, a left-hand side that is a
  name being defined.

The file's verdict is the worst of its checked steps (refuted, then undecided, then sampled,
then proven; ``not checked`` when none is checked), and the first refuted step is named.
Exit code 0 when no checked step is refuted or undecided, 1 otherwise.
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ChainResult", "CheckedAs", "StepResult", "StepVerdict", "StepsResult"]


class StepVerdict(enum.StrEnum):
    """The verdicts of a step (module docstring); each shows as its value, also in ``repr``."""

    PROVEN = "proven"
    SAMPLED = "sampled"
    REFUTED = "refuted"
    UNDECIDED = "undecided"
    NOT_CHECKED = "not_checked"

    def __repr__(self) -> str:
        return repr(self.value)

    @property
    def words(self) -> str:
        """The verdict for a reader: ``"not checked"``, ``"equal at sampled points, not
        proven"``."""
        return {
            StepVerdict.SAMPLED: "equal at sampled points, not proven",
            StepVerdict.NOT_CHECKED: "not checked",
        }.get(self, self.value)


class CheckedAs(enum.StrEnum):
    """How a step is checked, by what its relation claims (:mod:`reports.formulas.chain`)."""

    IDENTITY = "identity"
    PROPORTIONAL = "proportional"
    SERIES = "series"
    ANCHOR = "anchor"
    NONE = "none"

    def __repr__(self) -> str:
        return repr(self.value)


#: Verdicts from worst to best, for the verdict of a file.
_SEVERITY = (
    StepVerdict.REFUTED,
    StepVerdict.UNDECIDED,
    StepVerdict.SAMPLED,
    StepVerdict.PROVEN,
)


@dataclass(frozen=True)
class StepResult:
    """One step of a chain, checked.

    Attributes
    ----------
    chain, step : int
        Numbered from 1 (the anchor, when there is one, is step 1).
    lines : tuple[int, int]
        First and last line of the two sides in the file.
    line : int
        The line of the relation.
    relation : str
        The relation as written (``=``, ``\\propto``, ``\\approx``); an anchor's is ``=``.
    checked_as : CheckedAs
        ``"identity"``, ``"proportional"``, ``"series"``, ``"anchor"`` or ``"none"``.
    left, right : str
        Both sides as parsed (SymPy syntax; the order term included); a name being defined,
        or the quantity of an anchor, as written.
    left_latex, right_latex : str
        The same as LaTeX.
    verdict : StepVerdict
    message : str
        One sentence: why this verdict.
    points : int
        Sampled points at which both sides were finite and compared.
    factor : str or None
        The factor between the two sides where one was found: a simple one (2, 1/2, -1)
        or a known convention's for a refuted identity, the constant of a ``\\propto`` step.
    counterexample : dict or None
        A refuted step's evidence: ``{"point": {letter: "p/q"}, "left": value, "right":
        value}``; for ``\\propto`` ``{"points": [...], "ratios": [...]}``; for a series
        also ``"order"``, with the coefficients as the values; for a matrix step
        ``{"widths": [...], "layers": {"l": 1}, "values": {name: integer matrix},
        "entries": [{"row", "column", "left", "right"}]}`` (exact values as text).
    order : str or None
        The order term the step carries (``O(kappa**2)``).
    quantity : str or None
        The ``check`` quantity of an anchor step.
    elapsed : float
        Seconds.
    """

    chain: int
    step: int
    lines: tuple[int, int]
    line: int
    relation: str
    checked_as: CheckedAs
    left: str
    right: str
    left_latex: str
    right_latex: str
    verdict: StepVerdict
    message: str
    points: int = 0
    factor: str | None = None
    counterexample: dict[str, Any] | None = None
    order: str | None = None
    quantity: str | None = None
    elapsed: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The step in the ``--json`` schema (README, "Derivations step by step")."""
        return {
            "step": self.step,
            "lines": list(self.lines),
            "line": self.line,
            "relation": self.relation,
            "checked_as": str(self.checked_as),
            "left": self.left,
            "right": self.right,
            "left_latex": self.left_latex,
            "right_latex": self.right_latex,
            "verdict": str(self.verdict),
            "message": self.message,
            "points": self.points,
            "factor": self.factor,
            "counterexample": self.counterexample,
            "order": self.order,
            "quantity": self.quantity,
            "elapsed_seconds": round(self.elapsed, 3),
        }

    def text(self) -> str:
        """The step as ``check-steps`` prints it: where, verdict, both sides, evidence."""
        lines = self.lines
        where = f"line {lines[0]}" if lines[0] == lines[1] else f"lines {lines[0]}-{lines[1]}"
        verdict = self.verdict.words
        head = f"  step {self.step} ({where}, {self.relation}): {verdict.upper()}"
        out = [f"{head} — {self.message}" if self.message else head]
        out.append(f"      left:  {self.left}")
        out.append(f"      right: {self.right}")
        if self.factor is not None:
            out.append(f"      factor: {self.factor}")
        if self.counterexample is not None:
            out.append(f"      counterexample: {self.counterexample_text}")
        return "\n".join(out)

    @property
    def counterexample_text(self) -> str | None:
        """The counterexample in one line (``at x = 1/2: left 2.25, right 1.75``), as
        ``check-steps`` prints it; ``None`` without one."""
        return None if self.counterexample is None else _counterexample_text(self.counterexample)


def _counterexample_text(evidence: dict[str, Any]) -> str:
    def point(values: dict[str, str]) -> str:
        return ", ".join(f"{name} = {value}" for name, value in values.items()) or "(no letters)"

    if "entries" in evidence:  # a matrix step's (reports.formulas.chain_matrix)
        layers = "".join(f", {index} = {value}" for index, value in evidence["layers"].items())
        values = "; ".join(f"{name} = {matrix}" for name, matrix in evidence["values"].items())
        entries = "; ".join(
            f"entry ({e['row']}, {e['column']}): left {e['left']}, right {e['right']}"
            for e in evidence["entries"]
        )
        return f"widths {tuple(evidence['widths'])}{layers}: {values}: {entries}"
    if "points" in evidence:
        (first, second), (one, two) = evidence["points"], evidence["ratios"]
        return f"left/right is {one:.6g} at {point(first)} but {two:.6g} at {point(second)}"
    prefix = f"coefficient of {evidence['order']}: " if "order" in evidence else ""
    return (
        f"at {point(evidence['point'])}: {prefix}left {evidence['left']:.12g},"
        f" right {evidence['right']:.12g}"
    )


@dataclass(frozen=True)
class ChainResult:
    """One chain of the file, checked.

    Attributes
    ----------
    chain : int
        Numbered from 1.
    lines : tuple[int, int]
        Its first and last line.
    environment : str
        Where it stands (``align*``, ``\\[...\\]``, ``lines``).
    steps : tuple[StepResult, ...]
    reading : tuple[str, ...]
        What was removed or read while reading it (labels, ``&``, annotations).
    """

    chain: int
    lines: tuple[int, int]
    environment: str
    steps: tuple[StepResult, ...]
    reading: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "chain": self.chain,
            "lines": list(self.lines),
            "environment": self.environment,
            "reading": list(self.reading),
            "steps": [step.to_json() for step in self.steps],
        }


@dataclass(frozen=True)
class StepsResult:
    """Outcome of :func:`reports.formulas.chain.check_steps`: every chain of a file.

    Attributes
    ----------
    file : str
        The file's name.
    chains : tuple[ChainResult, ...]
    elapsed : float
        Seconds.
    settings : dict
        Time limits, seed and points used, for the record.
    """

    file: str
    chains: tuple[ChainResult, ...]
    elapsed: float = 0.0
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def steps(self) -> list[StepResult]:
        """Every step, in file order."""
        return [step for chain in self.chains for step in chain.steps]

    @property
    def verdict(self) -> StepVerdict:
        """The worst verdict of a checked step (``not_checked`` when none was checked)."""
        found = {step.verdict for step in self.steps}
        return next((v for v in _SEVERITY if v in found), StepVerdict.NOT_CHECKED)

    @property
    def first_wrong(self) -> StepResult | None:
        """The first refuted step, in file order."""
        return next((s for s in self.steps if s.verdict == StepVerdict.REFUTED), None)

    @property
    def exit_code(self) -> int:
        """0 when no checked step is refuted or undecided, 1 otherwise (2, bad input, is
        raised before a result exists)."""
        return int(self.verdict in {StepVerdict.REFUTED, StepVerdict.UNDECIDED})

    def counts(self) -> dict[str, int]:
        """How many steps got each verdict."""
        counted = Counter(step.verdict for step in self.steps)
        return {str(verdict): counted[verdict] for verdict in StepVerdict}

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` schema: ``{"file", "chains": [{"lines", "steps": [...]}],
        "first_wrong": {"chain", "step", "line"} | null, "verdict", "counts", ...}``."""
        wrong = self.first_wrong
        return {
            "file": self.file,
            "verdict": str(self.verdict),
            "first_wrong": None
            if wrong is None
            else {"chain": wrong.chain, "step": wrong.step, "line": wrong.line},
            "counts": self.counts(),
            "chains": [chain.to_json() for chain in self.chains],
            "settings": self.settings,
            "elapsed_seconds": round(self.elapsed, 3),
        }

    def summary(self) -> str:
        """One line: the file's verdict and the first wrong step."""
        counts = ", ".join(f"{n} {StepVerdict(v).words}" for v, n in self.counts().items() if n)
        wrong = self.first_wrong
        named = (
            ""
            if wrong is None
            else f"; first wrong step: chain {wrong.chain}, step {wrong.step} (line {wrong.line})"
        )
        return f"{self.verdict.words.upper()}: {self.file} — {counts or 'no steps'}{named}"

    def text(self) -> str:
        """Every chain and step, then the summary, as ``dlnverify check-steps`` prints it."""
        out = []
        for chain in self.chains:
            first, last = chain.lines
            where = f"line {first}" if first == last else f"lines {first}-{last}"
            place = where if chain.environment == "lines" else f"{chain.environment}, {where}"
            out.append(f"chain {chain.chain} ({place}):")
            out += [f"  read: {note}" for note in chain.reading]
            out += [step.text() for step in chain.steps] or ["  (one expression, no step)"]
        out.append(self.summary())
        return "\n".join(out)

    def __str__(self) -> str:
        return self.text()

    def _repr_markdown_(self) -> str:
        rows = [
            "| chain | step | lines | relation | verdict | message |",
            "|---|---|---|---|---|---|",
        ]
        for step in self.steps:
            first, last = step.lines
            rows.append(
                f"| {step.chain} | {step.step} | {first}-{last} | `{step.relation}` |"
                f" **{step.verdict.words}** | {step.message.replace('|', '/')} |"
            )
        return f"**{self.summary()}**\n\n" + "\n".join(rows)
