"""The convention search of a refuted formula (reports/formulas/explain.py) passes over a
convention at a probe point where the two sides are finite and differ, without simplifying:
the named conventions are the same, and a removable singularity never counts as a
difference."""

import numpy as np
import pytest
import sympy as sp

from derivations.conventions import PARAMETERS
from reports.claims import get_quantity
from reports.formulas.explain import _apart_at_a_point, convention_match
from reports.formulas.points import probe_points

DIFFUSION = "kappa*L**2*s**(4-4/L)*(2*(sigma-s)**2+sigma_eps**2)"
SYMBOLS = {name: PARAMETERS[name].symbol for name in ("s", "sigma", "kappa", "L", "sigma_eps")}
s, sigma, kappa, L, sigma_eps = (SYMBOLS[n] for n in ("s", "sigma", "kappa", "L", "sigma_eps"))


def _points(name):
    return probe_points(get_quantity(name), np.random.default_rng(0), 8, {})


def test_sides_apart_at_a_finite_point_are_apart():
    points = [{"s": 0.5, "sigma": 1.0, "kappa": 0.1, "L": 2, "sigma_eps": 0.2}]
    assert _apart_at_a_point(1.1 * s * sigma, s * sigma, points, SYMBOLS)
    assert not _apart_at_a_point(s * sigma * (1 + 1e-15), s * sigma, points, SYMBOLS)


def test_a_removable_singularity_is_not_a_difference():
    # (s^2 - sigma^2)/(s - sigma) = s + sigma, but 0/0 at s = sigma
    points = [{"s": 1.0, "sigma": 1.0, "kappa": 0.1, "L": 2, "sigma_eps": 0.2}]
    ratio = sp.Mul(s**2 - sigma**2, sp.Pow(s - sigma, -1), evaluate=False)
    assert not _apart_at_a_point(ratio, s + sigma, points, SYMBOLS)


@pytest.mark.parametrize(
    ("factor", "named"),
    [(4, "loss_without_half"), (sp.Rational(1, 2), "half_variance_rate"), (1.1, None)],
)
def test_the_conventions_named_are_unchanged(factor, named):
    spec = get_quantity("diffusion")
    components = spec.components()
    parsed = factor * sp.Add(*components.values())
    assert convention_match(parsed, components, _points("diffusion"), spec.symbols()) == named
