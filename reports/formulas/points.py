"""The probe points of a check: parameter values, drawn from a seeded generator, at which a
formula and the derived result are evaluated exactly (and simulated).

Each free parameter is drawn from its typical range (:data:`derivations.conventions.PARAMETERS`),
real ones rounded to three significant digits so that the point is a set of simple
rationals; the depth ``L`` cycles through 3, 2, 4, 5, 1, 6 (those the quantity is checked
at); fixed
values (``check(..., at=...)``) are kept; a point outside the quantity's constraint is drawn
again.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from derivations.conventions import PARAMETERS
from reports.engine.quantity import Quantity

__all__ = ["probe_points"]


def probe_points(
    quantity: Quantity, rng: np.random.Generator, count: int, fixed: Mapping[str, float]
) -> list[dict[str, float]]:
    """Up to ``count`` points in the domain of ``quantity`` (fewer if 50 draws per point do
    not find them), with the values ``fixed`` held."""
    points: list[dict[str, float]] = []
    attempts = 0
    while len(points) < count and attempts < 50 * count:
        attempts += 1
        point: dict[str, float] = {}
        for name in quantity.parameters:
            if name in fixed:
                point[name] = fixed[name]
                continue
            if name == "L":  # deterministic coverage of depths, deepest-but-cheap first
                shallow, deep = quantity.depth_range
                depths = [d for d in (3, 2, 4, 5, 1, 6) if shallow <= d <= deep] or [shallow]
                point[name] = depths[len(points) % len(depths)]
                continue
            low, high = PARAMETERS[name].typical
            if PARAMETERS[name].integer:
                point[name] = int(rng.integers(int(low), int(high) + 1))
            else:
                # three significant digits: simple rationals for exact evaluation
                point[name] = float(f"{rng.uniform(max(low, 1e-3), high):.3g}")
        if _coincidence(quantity, point, fixed):
            continue
        if quantity.constraint is None or quantity.constraint(point):
            points.append(point)
    return points


def _coincidence(
    quantity: Quantity, point: Mapping[str, float], fixed: Mapping[str, float]
) -> bool:
    """Does a drawn real parameter equal another real parameter of ``point``?

    Independent continuous draws coincide only through the three-digit rounding, and such a
    point can sit on a removable singularity of a closed form (``s_b = s`` in the geometric
    sums of ``two_mode_ito_drift``): it is drawn again.  Values the user fixes may coincide
    (:func:`reports.formulas.inputs.at_fixed_values` takes the limit there)."""
    reals = [name for name in quantity.parameters if not PARAMETERS[name].integer]
    return any(
        point[name] == point[other]
        for name in reals
        if name not in fixed
        for other in reals
        if other != name
    )
