"""Joins derivations and numerics: claim registry, check engine, formula parsing, CLI.

The Python API (DESIGN.md §7)::

    import reports
    result = reports.check("diffusion", "kappa*L**2*s**(4-4/L)*(2*(sigma-s)**2+sigma_eps**2)")
    result.verdict             # "verified" | "refuted" | "undecided"
    reports.all_claims()       # the registered claims (render in Jupyter)

Names are loaded on first use, so that importing :mod:`reports` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["CheckResult", "all_claims", "check", "get_claim", "verify_claim", "verify_claims"]

_SOURCES = {
    "CheckResult": "reports.formulas.engine",
    "check": "reports.formulas.engine",
    "all_claims": "reports.engine.claim",
    "get_claim": "reports.engine.claim",
    "verify_claim": "reports.engine.verify",
    "verify_claims": "reports.engine.verify",
}


def __getattr__(name: str) -> Any:
    if name not in _SOURCES:
        raise AttributeError(f"module 'reports' has no attribute {name!r}")
    return getattr(importlib.import_module(_SOURCES[name]), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
