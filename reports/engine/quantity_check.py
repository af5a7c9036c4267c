r"""Monte Carlo checks of a claim through its registered check quantities.

A :class:`~reports.engine.quantity.Quantity` carries a derived expression and a simulated
observable (``observable(point, rng) -> Estimate``), the same pair ``dlnverify check`` uses for
a user's formula.  Here the *derived* expression is held against the observable at fixed
parameter points, for claims whose Monte Carlo evidence is exactly that (C8: the location of
the diffusion peak, found by maximising the simulated diffusion; C13: the isotropic-Langevin
diffusion).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from reports.engine.quantity import get_quantity
from reports.engine.verdict import Comparison

__all__ = ["quantity_comparisons"]


def quantity_comparisons(
    name: str, points: Sequence[Mapping[str, float]], rng: np.random.Generator
) -> list[Comparison]:
    """The derived value of quantity ``name`` against its simulated estimate at ``points``."""
    quantity = get_quantity(name)
    if quantity.observable is None:
        raise ValueError(f"Quantity {name!r} has no Monte Carlo observable.")
    derived = quantity.derived()
    symbols = quantity.symbols()
    comparisons = []
    for point in points:
        value = float(derived.xreplace({symbols[k]: v for k, v in point.items() if k in symbols}))
        comparisons.append(Comparison(dict(point), quantity.observable(point, rng), value))
    return comparisons
