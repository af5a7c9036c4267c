r"""The quantities ``dlnverify check`` accepts, each tied to a derivation and a simulation.

A :class:`Quantity` names a scalar result of the theory (``diffusion``, ``ito_drift``, ...),
the parameters a user's formula may use, the derived SymPy expression it is compared with
(obtained lazily from :mod:`derivations`), and the Monte Carlo observable that estimates the
same number from the simulator.  The catalogue (:mod:`reports.claims`) builds each quantity
next to the claim that derives it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from derivations.conventions import PARAMETERS, to_latex
from numerics.montecarlo import Estimate
from reports.engine.verdict import Comparison

__all__ = ["DEEPEST_FIXED_DEPTH", "Quantity", "quantity_comparisons"]


#: The deepest ``L`` a check may fix by default (``--at L=12``): the closed forms hold at
#: every depth; past this the simulated observables and the exact comparison grow costly.
DEEPEST_FIXED_DEPTH = 12


@dataclass(frozen=True)
class Quantity:
    r"""A scalar quantity of the theory that users can check formulas against.

    Attributes
    ----------
    name : str
        The name used on the command line.
    description : str
        One line, including the setting (aligned-balanced single mode, ...).
    parameters : tuple[str, ...]
        Names (from :data:`derivations.conventions.PARAMETERS`) a formula may use.
    claim : str
        The claim whose derivation provides it.
    components : Callable[[], dict[str, sympy.Expr]]
        The derived expression split by convention kind (``gradient_drift``,
        ``ito_drift``, ``diffusion``, ``location``); the quantity is their sum.  Convention
        rescalings (DESIGN.md §3) act on each component by its own factor.
    observable : Callable or None
        ``observable(point, rng) -> Estimate``: the Monte Carlo estimate at a parameter point.
    constraint : Callable or None
        ``constraint(point) -> bool``: where the quantity is defined (e.g. an interior
        maximum exists).
    domain : str or None
        The constraint in words, for error messages (``"sigma_eps >= 0.1 sigma"``).
    depth_range : tuple[int, int]
        Depths ``L`` at which formulas are probed and simulated.
    deepest_fixed_depth : int or None
        The deepest ``L`` that a check may fix (``--at L=...``), from the shallowest of
        :attr:`depth_range`: the derivation holds at every depth, so this bounds only the
        work (:attr:`fixed_depths`).  ``None``: :data:`DEEPEST_FIXED_DEPTH`, or the deepest
        probed depth if that is deeper.
    up_to_factor_in : str or None
        For a quantity defined only up to a factor constant in this variable (an unnormalised
        density in ``s``): formulas are compared through their logarithmic derivative
        :math:`\partial_s \log f`, which forgets the factor (see :meth:`compared`).
    at_depth : Callable or None
        ``at_depth(L) -> components`` at a concrete depth, for a quantity whose general form
        is an unevaluated integral but which has closed forms at given depths (used when a
        check fixes ``L``; see :meth:`components_at`).
    first_order_in : str or None
        For a quantity derived only to first order in this parameter (a stationary moment,
        first order in ``kappa``): the derived expression is that first-order truncation,
        so a formula is compared with it exactly, or to the order its order term states
        (``+ O(kappa**2)``), never beyond the first order.
    """

    name: str
    description: str
    parameters: tuple[str, ...]
    claim: str
    components: Callable[[], dict[str, sp.Expr]] = field(repr=False)
    observable: Callable[[Mapping[str, float], np.random.Generator], Estimate] | None = field(
        default=None, repr=False
    )
    constraint: Callable[[Mapping[str, float]], bool] | None = field(default=None, repr=False)
    domain: str | None = None
    depth_range: tuple[int, int] = (1, 6)
    up_to_factor_in: str | None = None
    at_depth: Callable[[int], dict[str, sp.Expr]] | None = field(default=None, repr=False)
    first_order_in: str | None = None
    deepest_fixed_depth: int | None = None

    @property
    def fixed_depths(self) -> tuple[int, int]:
        """The depths ``L`` a check may fix: from the shallowest of :attr:`depth_range` to
        :attr:`deepest_fixed_depth`."""
        low, high = self.depth_range
        if self.deepest_fixed_depth is not None:
            return low, self.deepest_fixed_depth
        return low, max(high, DEEPEST_FIXED_DEPTH)

    def derived(self) -> sp.Expr:
        """The derived expression (sum of the components)."""
        return sp.Add(*self.components().values())

    def components_at(self, depth: int | None = None) -> dict[str, sp.Expr]:
        """The components, in closed form at ``depth`` where :attr:`at_depth` gives one
        (``depth=None``: the general :attr:`components`)."""
        if depth is None or self.at_depth is None:
            return self.components()
        return self.at_depth(depth)

    def compared(self, expr: sp.Expr) -> sp.Expr:
        r"""What a check compares: ``expr`` itself, or :math:`\partial_x \log(\text{expr})`.

        For ``up_to_factor_in = x`` two formulas that differ by a positive factor free of
        :math:`x` have the same logarithmic derivative (``expand_log(force=True)`` is safe
        here: :math:`\partial_x \log|f|` does not depend on the signs it assumes).
        """
        if self.up_to_factor_in is None:
            return expr
        variable = PARAMETERS[self.up_to_factor_in].symbol
        return sp.diff(sp.expand_log(sp.log(expr), force=True), variable)

    def symbols(self) -> dict[str, sp.Symbol]:
        """Allowed names mapped to their SymPy symbols."""
        return {name: PARAMETERS[name].symbol for name in self.parameters}

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "parameters": list(self.parameters),
            "claim": self.claim,
            "derived": str(self.derived()),
            "derived_latex": to_latex(self.derived()),
        }


def quantity_comparisons(
    quantity: Quantity, points: Sequence[Mapping[str, float]], rng: np.random.Generator
) -> list[Comparison]:
    """The derived value of ``quantity`` against its simulated estimate at ``points``: the
    same pair that ``dlnverify check`` holds a user's formula against, here with the derived
    expression itself (the Monte Carlo check of a claim whose evidence is exactly that)."""
    if quantity.observable is None:
        raise ValueError(f"Quantity {quantity.name!r} has no Monte Carlo observable.")
    derived = quantity.derived()
    symbols = quantity.symbols()
    comparisons = []
    for point in points:
        value = float(derived.xreplace({symbols[k]: v for k, v in point.items() if k in symbols}))
        comparisons.append(Comparison(dict(point), quantity.observable(point, rng), value))
    return comparisons
