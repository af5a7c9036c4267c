r"""The claim registry: machinery only (the catalogue of claims lives in :mod:`reports.claims`).

A claim is registered once — id, title, the paper's reference, its statement, the function
that derives it (SymPy, :mod:`derivations`) and the function that checks it by Monte Carlo
(:mod:`numerics`).  The CLI, the report and the generic registry test iterate over this
registry, so adding a claim is one call to :func:`register` and no change anywhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from derivations.result import DerivationResult
from dlnverify.errors import InvalidParameter

__all__ = [
    "Claim",
    "NumericCase",
    "NumericCheck",
    "all_claims",
    "get_claim",
    "parameters_text",
    "register",
]


def _value_text(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value_text(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_value_text(v)}" for k, v in value.items()) + "}"
    return str(value)


def parameters_text(parameters: Mapping[str, Any]) -> str:
    """A parameter point for a table row: ``key=value`` joined by commas, floats (also in
    lists) to 4 significant digits: ``"L=3, dt=[0.005228, 0.002614]"``."""
    return ", ".join(f"{k}={_value_text(v)}" for k, v in parameters.items())


@dataclass(frozen=True)
class NumericCase:
    r"""One row of a claim's Monte Carlo table.

    Attributes
    ----------
    parameters : dict
        The parameter point (depth, widths, amplitudes, ...), JSON-friendly.
    estimate, standard_error : float
        The Monte Carlo estimate of the observable and its estimated standard error
        (for a matrix observable, the entry with the largest :math:`|z|`).
    closed_form : float
        The derived formula evaluated at the same point.
    z : float
        :math:`(\text{estimate} - \text{closed form}) / \text{SE}`.
    n_samples : int
        Samples behind the estimate; 0 for an estimate that draws none (an exact evaluation
        or a quadrature, whose standard error is its round-off or error bound).
    """

    parameters: dict[str, Any]
    estimate: float
    standard_error: float
    closed_form: float
    z: float
    n_samples: int

    @property
    def parameters_text(self) -> str:
        """:attr:`parameters` for a table (:func:`parameters_text`)."""
        return parameters_text(self.parameters)

    @property
    def samples(self) -> str:
        """:attr:`n_samples` for a table: ``"200,000"``, or ``"n/a"`` when nothing was drawn."""
        return f"{self.n_samples:,}" if self.n_samples else "n/a"


@dataclass(frozen=True)
class NumericCheck:
    r"""The Monte Carlo verdict of a claim: every case within :math:`z^\ast` standard errors.

    ``threshold`` is the two-sided Bonferroni critical value for ``false_alarm_rate`` over
    ``n_tests`` compared numbers, so that a correct formula fails with probability at most
    ``false_alarm_rate``.
    """

    cases: tuple[NumericCase, ...]
    threshold: float
    false_alarm_rate: float
    n_tests: int
    note: str = ""

    @property
    def max_abs_z(self) -> float:
        """Worst :math:`|z|` over the cases (0 when there are none)."""
        return max((abs(case.z) for case in self.cases), default=0.0)

    @property
    def passed(self) -> bool:
        """Whether every case lies within the threshold."""
        return self.max_abs_z <= self.threshold


@dataclass(frozen=True)
class Claim:
    r"""A claim of the paper, registered once.

    Attributes
    ----------
    id : str
        ``"C1"`` ... (DESIGN.md §4).
    title : str
        One line.
    paper_ref : str
        Where the paper states it (``"Prop. 3.2, App. B"``).
    statement : str
        The claim in LaTeX, as the paper (or DESIGN.md) states it.
    derive : Callable[[], DerivationResult]
        Derives the claim symbolically and compares with the statement.
    numeric : Callable[[numpy.random.Generator], NumericCheck] or None
        The Monte Carlo check against the simulator; ``None`` when a claim is purely symbolic.
    quantities : tuple[str, ...]
        Names of ``dlnverify check`` quantities this claim provides.
    figure : str or None
        Name of the function of :mod:`reports.documents.figures` (``figure(path) -> Path``) that draws
        this claim's report figure; ``None``: the report shows the Monte Carlo agreement
        figure (if the claim has a check).
    remarks : tuple[str, ...]
        Observations from simulations outside the claim's scope (for instance where the full
        network departs from a modewise result), each naming the command that reproduces
        it; shown in ``show`` and in the reports after the findings.  They are measurements,
        not derivations, and do not enter the verdict.
    """

    id: str
    title: str
    paper_ref: str
    statement: str
    derive: Callable[[], DerivationResult] = field(repr=False)
    numeric: Callable[[np.random.Generator], NumericCheck] | None = field(default=None, repr=False)
    quantities: tuple[str, ...] = ()
    figure: str | None = None
    remarks: tuple[str, ...] = ()

    def _repr_markdown_(self) -> str:
        return f"**{self.id}** — {self.title} ({self.paper_ref})\n\n$${self.statement}$$"

    def _repr_latex_(self) -> str:
        return f"$\\text{{{self.id}: {self.title}}}\\quad {self.statement}$"


_REGISTRY: dict[str, Claim] = {}


def register(claim: Claim) -> Claim:
    """Add ``claim`` to the registry; ids are unique."""
    if claim.id in _REGISTRY:
        raise InvalidParameter(f"Claim id {claim.id!r} is registered twice.")
    _REGISTRY[claim.id] = claim
    return claim


def _ensure_catalogue() -> None:
    # The catalogue registers itself on import; importing lazily keeps the machinery free
    # of a dependency cycle (the catalogue imports this module).
    import reports.claims  # noqa: F401


def all_claims() -> Iterator[Claim]:
    """All registered claims, in id order (C1, C2, ..., C10, ...)."""
    _ensure_catalogue()
    yield from sorted(_REGISTRY.values(), key=lambda c: (len(c.id), c.id))


def get_claim(claim_id: str) -> Claim:
    """The claim with id ``claim_id`` (case-insensitive)."""
    _ensure_catalogue()
    key = claim_id.strip().upper()
    if key not in _REGISTRY:
        known = ", ".join(c.id for c in all_claims())
        raise InvalidParameter(f"Got claim {claim_id!r}, but known claims are: {known}.")
    return _REGISTRY[key]
