"""The convention search of a refuted formula (reports/formulas/explain.py) passes over a
convention at a probe point where the two sides are finite and differ, without simplifying:
the named conventions are the same, and a removable singularity never counts as a
difference."""

import numpy as np
import pytest
import sympy as sp

from derivations.conventions import PARAMETERS
from reports.claims import get_quantity
from reports.formulas import explain
from reports.formulas.explain import _apart_at_a_point, convention_match
from reports.formulas.inputs import prepare_inputs
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


WRONG_DIFFUSIONS = (
    DIFFUSION.replace("4-4/L", "4-3/L"),
    "kappa*L**2*s**(4-4/L)*(2*(sigma-s)**2+sigma_eps**2) + kappa*(sigma-s)**3",
)


@pytest.mark.parametrize("formula", WRONG_DIFFUSIONS)
def test_the_float_screen_finds_the_exact_searchs_counterexample(formula, monkeypatch):
    spec = get_quantity("diffusion")
    symbols = spec.symbols()
    parsed = prepare_inputs(spec, formula, None, "sympy").written
    derived = sp.Add(*spec.components().values())
    screened = explain.smallest_counterexample(parsed, derived, spec, symbols, None, {})
    monkeypatch.setattr(explain, "_float_screen", lambda *args: lambda point: False)
    exact = explain.smallest_counterexample(parsed, derived, spec, symbols, None, {})
    assert screened == exact
    assert screened is not None


def test_a_point_the_float_screen_gets_wrong_is_not_a_counterexample():
    # (s + 1e8)^2 - s^2 - 2e8 s - 1e16 is exactly 0, but float64 loses it to round-off
    spec = get_quantity("diffusion")
    symbols = spec.symbols()
    derived = sp.Add(*spec.components().values())
    big = sp.Integer(10) ** 8
    zero = sp.Add((s + big) ** 2, -(s**2), -2 * big * s, -(big**2), evaluate=False)
    assert sp.expand(zero) == 0
    screen = explain._float_screen(derived + zero, derived, symbols)
    point = {"s": 0.3, "sigma": 1.0, "kappa": 0.1, "L": 2, "sigma_eps": 0.2}
    assert screen(point)  # the screen is misled here ...
    fixed = {"L": 2, "sigma": 1.0, "kappa": 0.1, "sigma_eps": 0.2}
    found = explain.smallest_counterexample(derived + zero, derived, spec, symbols, None, fixed)
    assert found is None  # ... but no point is reported where the two are equal
