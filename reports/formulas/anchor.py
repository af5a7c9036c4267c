r"""An anchor: the first formula of a derivation chain checked against a derived quantity.

A chain such as ``D(s) = ... = ... = \kappa L^2 s^{4-4/L}(\dots)`` proves, step by step,
that its last expression equals its first; an *anchor* also ties the first formula to the
theory: it must equal the quantity of ``check`` its name stands for (``D(s)``: the
diffusion), checked as ``check`` checks a formula (:func:`reports.formulas.engine.check`:
the left-hand side read by :mod:`reports.formulas.statement`, the symbolic comparison, its
explanation and, on request, the Monte Carlo comparison), at the values held fixed
(``at``, as ``check --at``).

``check`` reads the formula's own text when it can.  A first formula that uses what only a
chain may (a sum, a product, an integral or a derivative) is handed to ``check`` once
SymPy has carried those out, written as SymPy syntax (``sympy.sstr``: text generated from
the tree the whitelisting parser built, never user text); it must then use the quantity's
parameters only.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from derivations.conventions import PARAMETERS
from dlnverify.errors import DlnVerifyError, FormulaError
from reports.claims import get_quantity
from reports.formulas.chain_result import StepVerdict
from reports.formulas.engine import check, validate
from reports.formulas.result import CheckResult, Symbolic, Verdict
from reports.formulas.statement import read_statement
from reports.formulas.step_comparison import evaluated
from reports.formulas.time_limit import TimeLimitReached, time_limit

__all__ = ["Anchor", "AnchorOutcome", "anchor_for", "check_anchor"]

#: The chain constructs ``check``'s own parser does not read.
_CHAIN_OPERATORS = (sp.Sum, sp.Product, sp.Integral, sp.Derivative)


@dataclass(frozen=True)
class Anchor:
    """A chain's first formula, to be checked against a derived quantity.

    Attributes
    ----------
    quantity : str
        The quantity of ``check``.
    text : str or None
        What ``check`` reads: ``NAME = FORMULA`` (or ``NAME \\propto FORMULA``), or the
        formula alone; ``None`` when ``check`` cannot read it (see :attr:`expr`).
    expr : sympy.Expr or None
        The formula as the chain parsed it, when its sums, products, integrals or
        derivatives are to be carried out first.
    at : dict
        Values held fixed, as ``check --at``.
    """

    quantity: str
    text: str | None
    expr: sp.Expr | None = None
    at: dict[str, Any] = field(default_factory=dict)


def anchor_for(
    quantity: str,
    text: str,
    expr: sp.Expr,
    *,
    label: str | None,
    relation: str = "=",
    at: Mapping[str, Any] | None = None,
) -> Anchor:
    """The anchor of a chain whose first formula is ``text`` (parsed by the chain as
    ``expr``), after the name ``label`` if there is one, to ``quantity``.

    Raises
    ------
    DlnVerifyError
        The one-line reason ``check`` gives why this is not a formula for ``quantity`` (a
        name of another quantity, a symbol it does not have, ...).
    """
    held = dict(at or {})
    statement = text if label is None else f"{label} {relation} {text}"
    try:
        validate(quantity, statement, at=held)
        return Anchor(quantity, statement, at=held)
    except DlnVerifyError:
        if not expr.has(*_CHAIN_OPERATORS):
            raise
    spec = get_quantity(quantity)
    if label is not None:
        read_statement(f"{label} {relation} 1", spec)
    allowed = {PARAMETERS[name].symbol for name in (*spec.parameters, "eta", "m")}
    foreign = sorted(map(str, expr.free_symbols - allowed))
    if foreign:
        raise FormulaError(
            f"the formula uses {', '.join(foreign)}, but {quantity} has the parameters"
            f" {', '.join(spec.parameters)}"
        )
    validate(quantity, spec.parameters[0], at=held)  # the values held fixed
    return Anchor(quantity, None, expr, held)


@dataclass(frozen=True)
class AnchorOutcome:
    """The anchor step's verdict and what it rests on (``check``'s result)."""

    verdict: StepVerdict
    message: str
    derived: sp.Expr | None = None
    convention: str | None = None
    counterexample: dict[str, Any] | None = None


def check_anchor(
    anchor: Anchor, *, timeout: float | None, seed: int, monte_carlo: bool
) -> AnchorOutcome:
    """``check``'s verdict on the anchor, as a step verdict: proven (symbolically equal),
    sampled (equal at ``check``'s probe points, or by Monte Carlo, not proven), refuted,
    undecided (the time limit, or an internal inconsistency ``check`` reports)."""
    text, syntax, note = anchor.text, "auto", ""
    if text is None:
        assert anchor.expr is not None
        started = time.perf_counter()
        try:
            with time_limit(timeout):
                text = sp.sstr(evaluated(anchor.expr))
        except TimeLimitReached:
            return AnchorOutcome(
                StepVerdict.UNDECIDED,
                f"time limit of {timeout:g} s reached while carrying out the first formula's"
                " sums, products, integrals and derivatives",
            )
        if timeout is not None:
            timeout = max(timeout - (time.perf_counter() - started), 1e-3)
        syntax, note = "sympy", f" (check read the first formula carried out: {text})"
    try:
        checked = check(
            anchor.quantity,
            text,
            at=anchor.at,
            syntax=syntax,
            timeout=timeout,
            seed=seed,
            monte_carlo=monte_carlo,
        )
    except FormulaError as error:
        return AnchorOutcome(
            StepVerdict.UNDECIDED,
            f"check cannot read the first formula once carried out ({error})",
        )
    verdict = _verdict(checked)
    evidence = None
    if verdict == StepVerdict.REFUTED and checked.counterexample is not None:
        found = checked.counterexample
        evidence = {
            "point": {k: _exact(v) for k, v in found["parameters"].items()},
            "left": found["derived"],
            "right": found["formula"],
        }
    message = f"the first formula against the derived {checked.quantity}: {checked.message}"
    return AnchorOutcome(verdict, message + note, checked.derived, checked.convention, evidence)


def _exact(value: Any) -> str:
    """A parameter value of ``check``'s counterexample as exact text."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return str(sp.Rational(str(value)))


def _verdict(checked: CheckResult) -> StepVerdict:
    """A ``check`` verdict as a step verdict (module docstring of
    :mod:`reports.formulas.chain_result`)."""
    if checked.verdict == Verdict.REFUTED:
        return StepVerdict.REFUTED
    if checked.verdict == Verdict.VERIFIED:
        return StepVerdict.PROVEN if checked.symbolic == Symbolic.EQUAL else StepVerdict.SAMPLED
    if checked.symbolic == Symbolic.UNDECIDED and "time limit" not in checked.message:
        return StepVerdict.SAMPLED
    return StepVerdict.UNDECIDED
