"""Joins derivations and numerics: claim registry, check engine, formula parsing, CLI.

The Python API (DESIGN.md §7)::

    import reports
    result = reports.check("diffusion", "kappa*L**2*s**(4-4/L)*(2*(sigma-s)**2+sigma_eps**2)")
    result.verdict             # "verified" | "refuted" | "undecided"
    reports.all_claims()       # the registered claims (render in Jupyter)
    reports.check_steps(open("derivation.tex").read())   # a derivation, step by step

Names are loaded on first use, so that importing :mod:`reports` stays cheap.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CheckResult",
    "StepsResult",
    "all_claims",
    "check",
    "check_steps",
    "get_claim",
    "verify_claim",
    "verify_claims",
]


def __getattr__(name: str) -> Any:
    # Names are imported on first use, so that ``import reports`` stays cheap.
    if name == "CheckResult":
        from reports.formulas.result import CheckResult

        return CheckResult
    if name == "check":
        from reports.formulas.engine import check

        return check
    if name == "StepsResult":
        from reports.formulas.chain_result import StepsResult

        return StepsResult
    if name == "check_steps":
        from reports.formulas.chain import check_steps

        return check_steps
    if name in ("all_claims", "get_claim"):
        from reports import claims

        return getattr(claims, name)
    if name in ("verify_claim", "verify_claims"):
        from reports.engine import verify

        return getattr(verify, name)
    raise AttributeError(f"module 'reports' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
