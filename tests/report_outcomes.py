"""Claim outcomes for the report tests: cheap real claims and one synthetic claim whose text
carries every LaTeX special, the Unicode the catalogue uses and markup that must stay text.

Real outcomes come from cheap registry claims derived symbolically (C2, C4, C8: about 2 s),
with synthetic Monte Carlo tables (:func:`cheap_outcomes`); the synthetic claim X1
(:func:`nasty_outcome`) puts :data:`NASTY` into titles, notes, findings, cases and parameter
values.
"""

import dataclasses
import math

import sympy as sp

from derivations.result import DerivationResult, Step
from reports.claims import get_claim
from reports.engine.claim import Claim
from reports.engine.verdict import NumericCase, NumericCheck
from reports.engine.verify import ClaimOutcome, verify_claim

__all__ = ["MARKUP", "NASTY", "SPECIALS", "UNICODE", "cheap_outcomes", "check", "nasty_outcome"]

SPECIALS = "100% & $5 #1 a_b {x} ~y ^z back\\slash <a|b>"
UNICODE = "Itô ± — – ≤ ≥ σ κ ε ∞ × ≈ √ ² ∗ § ö “q” …"
#: Markup that an HTML report must show as text, never as elements.
MARKUP = "<script>alert(\"x\")</script> <img src=x onerror=alert(1)> &amp; 'q'"
NASTY = f"{SPECIALS} {UNICODE} 漢 {MARKUP}"


def check(rows: list[tuple[dict, float, float, float, float]], note: str) -> NumericCheck:
    """A Monte Carlo check of the given rows (parameters, estimate, SE, closed form, _)."""
    cases = tuple(
        NumericCase(params, est, se, closed, (est - closed) / se if se else math.inf, 4000)
        for params, est, se, closed, _ in rows
    )
    return NumericCheck(cases, threshold=5.45, false_alarm_rate=1e-6, n_tests=12, note=note)


def nasty_outcome() -> ClaimOutcome:
    """Claim X1: refuted, :data:`NASTY` in every text, a 39-term sum and a 90-factor product
    as steps, a failing Monte Carlo row and an infinite z."""
    terms = sp.Add(*(sp.Symbol(f"x_{i}") ** i / (i + 1) for i in range(1, 40)))
    derivation = DerivationResult(
        claim="X1",
        derived=terms,
        stated=terms,
        holds=False,
        steps=(
            Step(f"a step named {NASTY}", sp.Symbol("f"), terms),
            Step("a long product", sp.Symbol("g"), sp.Mul(*sp.symbols("y0:90"))),
        ),
        cases=(NASTY, "depth=2"),
        findings=(f"finding {NASTY}",),
    )
    claim = Claim(
        "X1",
        f"title {NASTY}",
        f"ref {NASTY}",
        r"\sigma ≤ \kappa",
        lambda: derivation,
        remarks=(f"remark {NASTY}",),
    )
    numeric = check(
        [
            ({"widths": [3, 4, 2], "label": NASTY, "x": 0.123456789}, 1.0, 0.01, 0.999, 0),
            ({"sigma": 1.5, "tiny": 1e-12}, 2e-7, 1e-9, 1.9e-7, 0),
            ({"L": 3}, 5.0, 0.0, 4.0, 0),  # zero SE: infinite z
        ],
        note=f"note {NASTY}",
    )
    return ClaimOutcome(claim, derivation, numeric, 0.0, 0.0)


def cheap_outcomes() -> list[ClaimOutcome]:
    """C2 (symbolic only), C4 and C8 (with synthetic Monte Carlo tables), then X1."""
    real = [verify_claim(get_claim(claim_id), numeric=False) for claim_id in ("C2", "C4", "C8")]
    real[1] = dataclasses.replace(
        real[1],
        numeric=check(
            [
                ({"B": 4, "widths": [2, 3]}, 0.2501, 0.0004, 0.25, 0),
                ({"B": 8, "widths": [3, 3]}, 0.1248, 0.0003, 0.125, 0),
            ],
            note="Online batches (B = 4) of simulated data.",
        ),
    )
    real[2] = dataclasses.replace(
        real[2],
        numeric=check([({"sigma": 1.0, "sigma_eps": 0.0, "L": 2}, 0.502, 0.003, 0.5, 0)], ""),
    )
    return [*real, nasty_outcome()]
