r"""A check at infinite depth, ``--at L=oo``: the limit :math:`L \to \infty` of both sides.

``check(quantity, formula, at={"L": "oo"})`` (also ``inf``, ``\infty`` or the float
``inf``) claims the formula for the limit of the quantity as the depth grows.  Both the
derived result (each of its components, so that a convention still rescales by kind) and the
formula are replaced by their SymPy limits at :math:`L \to \infty` (a formula that still
contains ``L`` is read as a function of the depth, as ``--at L=3`` reads it there), and the
limits are compared as any two formulas are, with ``L`` no longer a parameter.

* A quantity derived only at fixed depths (:attr:`Quantity.deepest_fixed_depth`) has no
  limit to take: refused, one line.
* A derived result whose limit is infinite, or does not exist (an oscillation,
  ``AccumBounds``), is refused, one line naming the limit.
* A formula whose limit is not finite while the derived one is: refuted, with that reason.
* A limit SymPy returns unevaluated: undecided, with that reason (and, like every step,
  undecided when the time limit runs out first).

The Monte Carlo check is not run: the simulator runs at a finite depth, where the quantity
differs from its limit by terms of order :math:`1/L` that are far beyond its error bars
(``diffusion_peak`` at ``sigma_eps = 0``: :math:`2(L-1)\sigma/(3L-2)` is :math:`0.647\sigma`
at ``L = 12`` against the limit :math:`2\sigma/3`).  Where a quantity's constraint depends on
``L`` (an interior maximum exists), the probe points are drawn under it at depth
:data:`CONSTRAINT_DEPTH`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import sympy as sp

from derivations.conventions import PARAMETERS
from dlnverify.errors import InvalidParameter
from reports.engine.quantity import Quantity

__all__ = [
    "CONSTRAINT_DEPTH",
    "DEPTH_LIMIT_TEXTS",
    "LimitUnknown",
    "MONTE_CARLO_NOTE",
    "READING",
    "depth_limit",
    "depth_limit_requested",
    "derived_limits",
    "is_finite",
    "without_depth",
]

#: What ``--at L=...`` accepts for an infinite depth.
DEPTH_LIMIT_TEXTS = ("oo", "inf", r"\infty")
#: The depth at which a quantity's constraint (a domain that depends on ``L``) is evaluated
#: for the limit: deep enough that its threshold is its limit to many digits.
CONSTRAINT_DEPTH = 10**6
#: The line of the echo that says how the depth was read.
READING = "L = oo: the limits L -> oo of the formula and of the derived result compared"
#: Why there is no Monte Carlo check at infinite depth.
MONTE_CARLO_NOTE = (
    "Monte Carlo not run at L = oo: the simulator runs at a finite depth, where the quantity"
    " differs from its limit by terms of order 1/L beyond its error bars"
)

_DEPTH = PARAMETERS["L"].symbol
#: A real stand-in for the integer depth, so that SymPy's limit sees a continuous variable.
_REAL_DEPTH = sp.Dummy("L", positive=True)


class LimitUnknown(Exception):
    """SymPy returned a limit unevaluated: neither its value nor its existence is known."""


def depth_limit_requested(spec: Quantity, given: Any) -> bool:
    """Whether ``given`` (the value of ``at["L"]``) asks for the limit ``L -> oo``; a
    one-line error if it does for a quantity derived only at fixed depths."""
    infinite = (isinstance(given, str) and given.strip() in DEPTH_LIMIT_TEXTS) or (
        isinstance(given, float) and math.isinf(given) and given > 0
    )
    if infinite and spec.deepest_fixed_depth is not None:
        low, high = spec.fixed_depths
        raise InvalidParameter(
            f"Got at L={given}, but {spec.name} is derived only at the depths L = {low}-{high},"
            " so it has no limit L -> oo to compare; fix a depth (--at L=N)."
        )
    return infinite


def depth_limit(expr: sp.Expr) -> sp.Expr:
    """The limit of ``expr`` as ``L -> oo`` (``oo``, ``AccumBounds``, ... included).

    Raises
    ------
    LimitUnknown
        SymPy cannot take it (an unevaluated :class:`~sympy.Limit`, or an error inside).
    """
    if _DEPTH not in expr.free_symbols:
        return expr
    try:
        limit = sp.limit(expr.xreplace({_DEPTH: _REAL_DEPTH}), _REAL_DEPTH, sp.oo)
    except (NotImplementedError, ValueError, TypeError, ArithmeticError) as error:
        raise LimitUnknown from error
    if limit.has(sp.Limit):
        raise LimitUnknown
    return limit


def is_finite(limit: sp.Expr) -> bool:
    """Whether a limit is finite: no infinity, ``nan`` or ``AccumBounds`` in it."""
    return not limit.has(sp.oo, -sp.oo, sp.zoo, sp.nan, sp.AccumBounds)


def derived_limits(spec: Quantity, components: Mapping[str, sp.Expr]) -> dict[str, sp.Expr]:
    """The limit of each derived component as ``L -> oo``.

    Raises
    ------
    InvalidParameter
        A component whose limit is infinite or does not exist (one line, naming it).
    LimitUnknown
        SymPy cannot take one.
    """
    limits = {kind: depth_limit(expr) for kind, expr in components.items()}
    for kind, limit in limits.items():
        if not is_finite(limit):
            raise InvalidParameter(
                f"Got at L=oo, but the derived {spec.name} has no finite limit as L -> oo"
                f" (its {kind} part tends to {sp.sstr(limit)}); fix a depth (--at L=N)."
            )
    return limits


def without_depth(spec: Quantity) -> Quantity:
    """``spec`` at infinite depth: ``L`` no longer a parameter, its constraint evaluated at
    :data:`CONSTRAINT_DEPTH`, no Monte Carlo observable (see the module docstring)."""
    constraint = spec.constraint
    return dataclasses.replace(
        spec,
        parameters=tuple(name for name in spec.parameters if name != "L"),
        observable=None,
        constraint=None
        if constraint is None
        else lambda point: constraint({**point, "L": CONSTRAINT_DEPTH}),
    )
