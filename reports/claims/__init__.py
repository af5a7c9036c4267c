r"""The claim catalogue: every claim of DESIGN.md §4 and every ``check`` quantity, by topic.

One module per topic, with the same stem as the :mod:`derivations` module it checks; each
holds its claims' registrations (statement, derivation, Monte Carlo comparisons, figure) and
its check quantities with their simulated observables, and exports them as ``CLAIMS`` and
``QUANTITIES``.  This module gathers them: adding a topic is one entry in :data:`TOPICS`.
The machinery (:mod:`reports.engine`) never imports the catalogue.
"""

from __future__ import annotations

from types import ModuleType

from dlnverify.errors import InvalidParameter
from reports.claims import (
    aligned_balanced,
    batch_noise,
    diffusion_peak,
    gradient,
    gradient_flow,
    invariance,
    isotropic,
    minima_flow,
    modewise,
    network_mean,
    noise_covariance,
    plateaus,
    row_collapse,
    stationary,
    symmetry,
)
from reports.engine.claim import Claim, ClaimList
from reports.engine.quantity import Quantity

__all__ = ["TOPICS", "all_claims", "all_quantities", "get_claim", "get_quantity"]

#: The topic modules, in the order of their first claim id.
TOPICS: tuple[ModuleType, ...] = (
    gradient,
    symmetry,
    noise_covariance,
    batch_noise,
    modewise,
    aligned_balanced,
    diffusion_peak,
    gradient_flow,
    stationary,
    isotropic,
    invariance,
    plateaus,
    row_collapse,
    network_mean,
    minima_flow,
)


def _unique(kind: str, named: list[tuple[str, object]]) -> dict[str, object]:
    found: dict[str, object] = {}
    for name, item in named:
        if name in found:
            raise InvalidParameter(f"{kind} {name!r} is registered twice.")
        found[name] = item
    return found


_CLAIMS: dict[str, Claim] = _unique(  # type: ignore[assignment]
    "Claim id", [(claim.id, claim) for topic in TOPICS for claim in topic.CLAIMS]
)
_QUANTITIES: dict[str, Quantity] = _unique(  # type: ignore[assignment]
    "Quantity", [(quantity.name, quantity) for topic in TOPICS for quantity in topic.QUANTITIES]
)


def all_claims() -> ClaimList:
    """All claims, in id order (C1, C2, ..., C10, ...); renders in Jupyter as a table."""
    return ClaimList(sorted(_CLAIMS.values(), key=lambda c: (len(c.id), c.id)))


def get_claim(claim_id: str) -> Claim:
    """The claim with id ``claim_id`` (case-insensitive); a one-line error otherwise."""
    key = claim_id.strip().upper()
    if key not in _CLAIMS:
        known = ", ".join(c.id for c in all_claims())
        raise InvalidParameter(f"Got claim {claim_id!r}, but known claims are: {known}.")
    return _CLAIMS[key]


def all_quantities() -> list[Quantity]:
    """The check quantities in name order."""
    return [_QUANTITIES[name] for name in sorted(_QUANTITIES)]


def get_quantity(name: str) -> Quantity:
    """The quantity called ``name``; a one-line error otherwise."""
    if name in _QUANTITIES:
        return _QUANTITIES[name]
    raise InvalidParameter(
        f"Got quantity {name!r}, but known quantities are: {', '.join(sorted(_QUANTITIES))}."
    )
