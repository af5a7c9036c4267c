r"""Running a claim: its symbolic derivation, then its Monte Carlo check, timed.

Shared by ``dlnverify verify``, the report writer and the generic registry test, so that
all three mean the same thing by "verified" (DESIGN.md §5).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from derivations.result import DerivationResult
from reports._seed import check_seed
from reports.registry import Claim, NumericCheck

__all__ = ["ClaimOutcome", "verify_claim"]


@dataclass(frozen=True)
class ClaimOutcome:
    """A claim's symbolic result, Monte Carlo check and timings."""

    claim: Claim
    derivation: DerivationResult
    numeric: NumericCheck | None
    symbolic_seconds: float
    numeric_seconds: float

    @property
    def symbolic_verdict(self) -> str:
        return "proven" if self.derivation.holds else "refuted"

    @property
    def numeric_verdict(self) -> str:
        if self.numeric is None:
            return "n/a"
        return "agrees" if self.numeric.passed else "rejects"

    @property
    def holds(self) -> bool:
        """Symbolic proof holds and the Monte Carlo check (if any) agrees."""
        return self.derivation.holds and (self.numeric is None or self.numeric.passed)

    def to_json(self) -> dict[str, Any]:
        numeric = None
        if self.numeric is not None:
            numeric = {
                "passed": self.numeric.passed,
                "max_abs_z": self.numeric.max_abs_z,
                "threshold": self.numeric.threshold,
                "false_alarm_rate": self.numeric.false_alarm_rate,
                "n_tests": self.numeric.n_tests,
                "note": self.numeric.note,
                "cases": [
                    {
                        "parameters": c.parameters,
                        "estimate": c.estimate,
                        "standard_error": c.standard_error,
                        "closed_form": c.closed_form,
                        "z": c.z,
                        "n_samples": c.n_samples,
                    }
                    for c in self.numeric.cases
                ],
            }
        return {
            "claim": self.claim.id,
            "title": self.claim.title,
            "paper_ref": self.claim.paper_ref,
            "holds": self.holds,
            "symbolic": self.symbolic_verdict,
            "cases": list(self.derivation.cases),
            "findings": list(self.derivation.findings),
            "remarks": list(self.claim.remarks),
            "numeric": numeric,
            "symbolic_seconds": round(self.symbolic_seconds, 3),
            "numeric_seconds": round(self.numeric_seconds, 3),
        }


def verify_claim(claim: Claim, *, seed: int = 0, numeric: bool = True) -> ClaimOutcome:
    """Derive ``claim`` and run its Monte Carlo check with a generator seeded by ``seed``
    (an integer ``>= 0``; :class:`~dlnverify.errors.InvalidParameter` otherwise, before any
    work)."""
    check_seed(seed)
    started = time.perf_counter()
    derivation = claim.derive()
    symbolic_seconds = time.perf_counter() - started
    check = None
    started = time.perf_counter()
    if numeric and claim.numeric is not None:
        check = claim.numeric(np.random.default_rng([seed, int(claim.id.lstrip("C") or 0)]))
    return ClaimOutcome(claim, derivation, check, symbolic_seconds, time.perf_counter() - started)
