"""C9 [Eqs. 2-3]: gradient flow of a mode on the aligned-balanced manifold.

The logistic solution at L = 2, the separable general-L ODE and "larger modes are learned
first" are derived; perturbed statements (rate sigma instead of 2 sigma, exponent 2 - 1/L in
the ODE, the factor (sigma - s) dropped) must be rejected by the same comparison.  Closed
forms are held against independent numerical quadrature (mpmath) of the ODE's separated
integral, written out by hand here.
"""

import mpmath
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derivations.conventions import L, s, s0, sigma, t
from derivations.gradient_flow import (
    FLOW_DEPTHS,
    flow_time,
    flow_time_general,
    fraction,
    fraction_time,
    gradient_flow_claim,
    half_time_bracket,
    half_time_threshold,
    logistic_solution,
    stated_gradient_flow,
)
from dlnverify.errors import InvalidParameter

#: Every test of the topic runs on one worker: its derivations (cached in-process) are
#: computed once per run (tests/README.md).
pytestmark = pytest.mark.xdist_group("gradient_flow")

LOGISTIC = sigma / (1 + (sigma / s0 - 1) * sp.exp(-2 * sigma * t))
ODE = L * s ** (2 - 2 / L) * (sigma - s)


def _quad_time(depth, amplitude, start, singular):
    """t(s) = int_{s0}^{s} du / (L u^(2-2/L) (sigma - u)) by quadrature (the ODE, by hand)."""
    with mpmath.workdps(30):
        return mpmath.quad(
            lambda u: 1 / (depth * u ** (2 - mpmath.mpf(2) / depth) * (singular - u)),
            [start, amplitude],
        )


def _agree(closed, numeric, digits=20):
    """A SymPy number and an mpmath quadrature agree to ``digits`` significant digits."""
    with mpmath.workdps(30):
        closed = mpmath.mpmathify(str(sp.N(closed, 30)))
        return abs(closed - numeric) <= mpmath.mpf(10) ** -digits * abs(numeric)


def _quad_half_time(depth, start, singular):
    return _quad_time(depth, mpmath.mpf(singular) / 2, mpmath.mpf(start), mpmath.mpf(singular))


def test_claim_holds():
    result = gradient_flow_claim()
    assert result.claim == "C9"
    assert result.holds, result.findings
    assert sp.simplify(result.derived["logistic"] - LOGISTIC) == 0
    assert all(step.lhs is not None and step.rhs is not None for step in result.steps)


def test_logistic_solves_the_hand_written_ode_and_starts_at_s0():
    solution = logistic_solution()
    residual = sp.diff(solution, t) - 2 * solution * (sigma - solution)
    assert sp.simplify(residual) == 0
    assert sp.simplify(solution.subs(t, 0) - s0) == 0
    assert sp.limit(solution, t, sp.oo) == sigma


@pytest.mark.parametrize(
    ("key", "perturbed"),
    [
        ("logistic", sigma / (1 + (sigma / s0 - 1) * sp.exp(-sigma * t))),  # rate sigma
        ("ode", L * s ** (2 - 1 / L) * (sigma - s)),  # exponent 2 - 1/L
        ("ode", L * s ** (2 - 2 / L)),  # factor (sigma - s) dropped
        ("half_time_L2", sp.log(sigma / s0 - 1) / sigma),  # rate sigma in the half time
    ],
)
def test_perturbed_statements_are_rejected(key, perturbed):
    assert not gradient_flow_claim(stated={key: perturbed}).holds
    assert sp.simplify(perturbed - stated_gradient_flow()[key]) != 0


@pytest.mark.parametrize("depth", FLOW_DEPTHS)
def test_closed_form_times_match_quadrature(depth):
    point = {s: sp.Rational(7, 10), s0: sp.Rational(1, 20), sigma: sp.Rational(6, 5)}
    closed = sp.N(flow_time(depth).subs(point), 30)
    assert closed.is_real
    with mpmath.workdps(30):
        numeric = _quad_time(depth, *(mpmath.mpf(str(point[k])) for k in (s, s0, sigma)))
        assert _agree(closed, numeric)


@pytest.mark.parametrize("depth", [1, 3, 4, 6])
def test_symbolic_depth_time_matches_quadrature(depth):
    point = {s: sp.Rational(3, 4), s0: sp.Rational(1, 10), sigma: sp.Integer(1)}
    closed = sp.N(flow_time_general().subs(point).subs(L, depth), 30)
    assert closed.is_real
    with mpmath.workdps(30):
        numeric = _quad_time(depth, mpmath.mpf("0.75"), mpmath.mpf("0.1"), mpmath.mpf(1))
        assert _agree(closed, numeric)


def test_depth_two_time_inverts_the_logistic():
    value = {s0: sp.Rational(1, 50), sigma: sp.Rational(3, 2), t: sp.Rational(7, 4)}
    amplitude = logistic_solution().subs(value)
    time_back = flow_time(2).subs({s: amplitude, s0: value[s0], sigma: value[sigma]})
    assert abs(sp.N(time_back - value[t], 40)) < sp.Float(10) ** -35


def test_half_time_at_depth_two_is_the_stated_one():
    half = fraction_time(2).subs(fraction, sp.Rational(1, 2))
    stated = sp.log(sigma / s0 - 1) / (2 * sigma)
    point = {s0: sp.Rational(1, 30), sigma: sp.Rational(9, 5)}
    assert abs(sp.N((half - stated).subs(point), 40)) < sp.Float(10) ** -35


def test_leibniz_bracket_and_its_derivative_for_symbolic_depth():
    """sigma^(3-2/L) dT_f/dsigma = (2/L - 2) J + u0 g(u0), g(v) = v^(2/L-2)/(L(1-v)) (by hand),
    and its u0-derivative u0^(2/L-2)/(L(1-u0)^2) > 0."""
    bracket, slope = half_time_bracket()
    names = {sym.name: sym for sym in bracket.free_symbols | slope.free_symbols}
    u0, integral = names["u_0"], names["J"]
    by_hand = (2 / L - 2) * integral + u0 * u0 ** (2 / L - 2) / (L * (1 - u0))
    assert sp.simplify(bracket - by_hand) == 0
    assert sp.simplify(slope - u0 ** (2 / L - 2) / (L * (1 - u0) ** 2)) == 0


def test_depth_two_threshold_solves_the_hand_derived_equation():
    # s0 = sigma/(1 + x): d t_half / d sigma = 0  <=>  log x = 1 + 1/x  (by hand from
    # t_half = log(x) / (2 sigma) with x = sigma/s0 - 1)
    x = 1 / half_time_threshold(2) - 1
    assert abs(sp.N(sp.log(x) - 1 - 1 / x, 40)) < sp.Float(10) ** -30


@pytest.mark.parametrize("depth", [2, 3, 4])
def test_threshold_separates_decreasing_from_increasing_half_time(depth):
    """Finite differences of the quadrature half time in sigma, at s0 = 1: below the
    threshold ratio s0/sigma the half time falls with sigma, above it rises."""
    threshold = float(half_time_threshold(depth))
    for ratio, sign in ((0.8 * threshold, -1), (1.2 * threshold, 1)):
        singular = 1 / ratio
        h = 1e-6 * singular
        with mpmath.workdps(30):
            slope = (
                _quad_half_time(depth, 1, singular + h) - _quad_half_time(depth, 1, singular - h)
            ) / (2 * h)
        assert sign * slope > 0


def test_depth_one_half_time_grows_with_sigma():
    half = fraction_time(1).subs(fraction, sp.Rational(1, 2))
    assert sp.simplify(half - sp.log(2 * (1 - s0 / sigma))) == 0
    slope = sp.diff(half, sigma).subs(sigma, s0 + sp.Symbol("d", positive=True))
    assert sp.simplify(slope).is_positive


@settings(max_examples=15)
@given(
    depth=st.sampled_from([2, 3, 4]),
    small=st.floats(0.3, 2.0),
    gap=st.floats(0.05, 1.5),
    start_fraction=st.floats(0.001, 0.9),
)
def test_larger_mode_reaches_its_half_first_below_the_threshold(depth, small, gap, start_fraction):
    large = small + gap
    start = start_fraction * float(half_time_threshold(depth)) * small  # s0/sigma < u* for both
    assert _quad_half_time(depth, start, large) < _quad_half_time(depth, start, small)


@settings(max_examples=15)
@given(
    depth=st.sampled_from([1, 2, 3, 4]),
    small=st.floats(0.3, 2.0),
    gap=st.floats(0.05, 1.5),
    start=st.floats(0.001, 0.2),
    level=st.floats(0.05, 0.95),
)
def test_larger_mode_reaches_a_fixed_amplitude_first(depth, small, gap, start, level):
    start = start * small
    target = start + level * (small - start)  # fixed amplitude below both sigmas
    time_small = _quad_time(depth, target, start, small)
    time_large = _quad_time(depth, target, start, small + gap)
    assert time_large < time_small


def test_closed_forms_only_at_listed_depths():
    with pytest.raises(InvalidParameter):
        flow_time(5)
    with pytest.raises(InvalidParameter):
        half_time_threshold(1)
