r"""Tests of :mod:`reports.formulas.step_comparison` (and the points, time and memory limits
it runs with): each comparison proves what is true, refutes what is false with exact
evidence, and says "not proven" or "undecided" where neither can be shown.

Expressions are built directly with SymPy here (not through a parser), so each test states
exactly what is compared.
"""

import time

import mpmath
import numpy as np
import pytest
import sympy as sp

from derivations import conventions as cv
from reports.formulas.chain_result import StepVerdict
from reports.formulas.letter_points import sample_points
from reports.formulas.memory_limit import address_space, memory_limit
from reports.formulas.order_term import OrderTerm
from reports.formulas.step_comparison import (
    compare_identity,
    compare_proportional,
    compare_series,
)
from reports.formulas.time_limit import TimeLimitReached, time_limit

x = sp.Symbol("x", positive=True)
y = sp.Symbol("y", positive=True)
r = sp.Symbol("r", real=True)
n = sp.Symbol("n", integer=True, positive=True)
k = sp.Symbol("k", integer=True)
u = sp.Symbol("u", real=True)
P, S, R, U = StepVerdict.PROVEN, StepVerdict.SAMPLED, StepVerdict.REFUTED, StepVerdict.UNDECIDED


def _rng():
    return np.random.default_rng(0)


def _identity(left, right, **options):
    return compare_identity(left, right, rng=_rng(), n_points=8, **options)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ((x + 1) ** 2, x**2 + 2 * x + 1),
        (sp.Sum(k, (k, 1, n)), n * (n + 1) / 2),
        (sp.Integral(sp.exp(-(u**2)), (u, -sp.oo, sp.oo)), sp.sqrt(sp.pi)),
        (sp.Derivative(sp.log(x) * y, x), y / x),
        (sp.sqrt(x**2), x),  # x > 0
        (sp.log(x * y), sp.log(x) + sp.log(y)),
    ],
)
def test_identities_are_proven(left, right):
    assert _identity(left, right).verdict == P


def test_a_false_identity_is_refuted_at_the_simple_point_with_exact_values():
    result = _identity(sp.sqrt(r**2), r)  # r real: |r| != r for r < 0
    assert result.verdict == R
    assert result.counterexample == {"point": {"r": "-3/2"}, "left": 1.5, "right": -1.5}


def test_sides_that_differ_only_where_one_is_undefined_are_not_refuted_there():
    # sqrt(r)**2 = r is not real for r < 0: those points are skipped, the rest agree
    result = _identity(sp.sqrt(r) ** 2, r)
    assert result.verdict in {P, S}


@pytest.mark.parametrize(
    ("factor", "named"),
    [
        (
            sp.Rational(1, 2),
            "left = 1/2 × right, the factor of the convention half_variance_rate (diffusion)",
        ),
        (
            sp.Integer(2),
            "left = 2 × right, the factor of the convention loss_without_half (gradient drift, "
            "loss)",
        ),
        (sp.Integer(4), "loss_without_half (diffusion, ito drift)"),
        (sp.Integer(-1), "left = -1 × right, at every sampled point"),
        (cv.eta / cv.kappa, "eta_for_kappa (diffusion, ito drift)"),
        (cv.kappa / cv.eta, "eta_for_kappa (diffusion, ito drift), inverted"),
        (4 / cv.m_out**2, "mse_mean_over_outputs (diffusion, ito drift)"),
    ],
)
def test_a_refutation_names_simple_and_convention_factors(factor, named):
    expr = cv.kappa * cv.s**2 * (cv.sigma - cv.s) ** 2 + cv.L
    result = _identity(factor * expr, expr)
    assert result.verdict == R
    assert named in result.factor


def test_a_factor_that_is_no_simple_one_is_not_named():
    result = _identity(3 * x**2 + 1, x**2 + 1)
    assert result.verdict == R
    assert result.factor is None


def test_an_identity_sympy_cannot_simplify_is_equal_at_points_not_proven():
    result = _identity(sp.atan(x) + sp.atan(1 / x), sp.pi / 2)
    assert result.verdict == S
    assert result.points == 8
    assert "not proven" in result.message


def test_no_point_with_both_sides_real_is_undecided():
    result = _identity(sp.sqrt(-x) + sp.sqrt(-y) * x, sp.sqrt(-x) * y)
    assert result.verdict == U
    assert "no sampled point" in result.message


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # see below
def test_the_proof_may_run_out_of_its_share_and_the_points_still_refute():
    hard = sp.Integral(sp.exp(-(u**4)) * sp.cos(u), (u, 0, 1))
    result = _identity(hard, sp.Integer(1), symbolic_seconds=0.3)
    assert result.verdict == R
    exact = mpmath.quad(lambda t: mpmath.exp(-(t**4)) * mpmath.cos(t), [0, 1])
    assert result.counterexample["left"] == pytest.approx(float(exact), rel=1e-12)


@pytest.mark.parametrize(
    ("left", "right", "variables", "verdict"),
    [
        (sp.exp(-(x**2) / 2) / sp.sqrt(2 * sp.pi), sp.exp(-(x**2) / 2), {x}, P),
        (y * sp.exp(-x), sp.exp(-x), {x}, P),  # a factor in y is free of x
        (sp.exp(-(x**2)), sp.exp(-(x**2) / 2), {x}, R),
        (y * sp.exp(-x), sp.exp(-x), None, R),  # every letter a variable: y is one
        (sp.Integer(0), x, {x}, R),
    ],
)
def test_proportionality(left, right, variables, verdict):
    result = compare_proportional(left, right, variables, rng=_rng(), n_points=8)
    assert result.verdict == verdict, result.message
    if verdict == R and left != 0:
        first, second = result.counterexample["points"]
        changed = {name for name in first if first[name] != second[name]}
        assert changed <= {str(v) for v in (variables or {x, y})}
        assert result.counterexample["ratios"][0] != result.counterexample["ratios"][1]


def test_a_proportionality_states_its_factor():
    result = compare_proportional(2 * y * x, x, {x}, rng=_rng(), n_points=8)
    assert result.factor == "left = 2*y × right"


@pytest.mark.parametrize(
    ("left", "right", "order", "verdict", "text"),
    [
        (sp.exp(cv.kappa), 1 + cv.kappa, OrderTerm(cv.kappa, 2), P, "through kappa^1"),
        (sp.exp(cv.kappa), 1 + cv.kappa + cv.kappa**2, OrderTerm(cv.kappa, 3), R, "order kappa^2"),
        (sp.exp(cv.kappa), 1 + cv.kappa + 7 * cv.kappa**2, OrderTerm(cv.kappa, 2), P, "kappa^1"),
        (sp.exp(cv.kappa * x), 1 + 2 * cv.kappa * x, OrderTerm(cv.kappa, 2), R, "order kappa^1"),
        (x / (x + 1), 1 - 1 / x, OrderTerm(x, 2, at_infinity=True), P, "in 1/x"),
        (x / (x + 1), 1 + 1 / x, OrderTerm(x, 2, at_infinity=True), R, "order 1/x^1"),
        (sp.sin(cv.kappa), cv.kappa, OrderTerm(cv.kappa, 2, little=True), P, "kappa^2"),
        (sp.cos(cv.kappa), sp.Integer(1), OrderTerm(cv.kappa, 2, little=True), R, "kappa^2"),
        (sp.sqrt(cv.kappa), sp.Integer(0), OrderTerm(cv.kappa, 1), R, "order kappa^1/2"),
        (sp.log(cv.kappa), sp.Integer(0), OrderTerm(cv.kappa, 1), U, "cannot expand"),
    ],
)
def test_series_comparisons(left, right, order, verdict, text):
    result = compare_series(left, right, order, rng=_rng(), n_points=8)
    assert result.verdict == verdict, result.message
    assert text in result.message


def test_a_wrong_series_term_is_shown_with_both_coefficients():
    result = compare_series(
        sp.exp(cv.kappa), 1 + cv.kappa + cv.kappa**2, OrderTerm(cv.kappa, 3), rng=_rng(), n_points=4
    )
    assert result.counterexample == {"point": {}, "order": "kappa^2", "left": 0.5, "right": 1.0}


# --------------------------------------------------------------------------- points


def test_points_lie_in_the_domains_and_start_simple():
    symbols = [x, r, n, k, cv.L, cv.kappa, cv.sigma_eps]
    points = sample_points(symbols, _rng(), 8)
    # the first two points are simple fractions, never 0 or 1; a real letter is negative
    # at the second
    for simple in points[:2]:
        assert all(value.q <= 20 and value not in (0, 1) for value in simple.values())
    assert points[0][r] > 0 > points[1][r]
    assert len({tuple(sorted(p.items(), key=str)) for p in points}) == 8
    for point in points:
        assert point[x] > 0
        assert point[n] >= 1
        assert point[n].is_integer
        assert point[k].is_integer
        assert point[cv.L] in set(range(1, 7))
        assert 0 < point[cv.kappa] <= 0.1
        assert 0 <= point[cv.sigma_eps] <= 0.5
        reals = [point[s] for s in (x, r, cv.kappa, cv.sigma_eps)]
        assert len(set(reals)) == len(reals)
    assert sample_points([x], np.random.default_rng(5), 4) == sample_points(
        [x], np.random.default_rng(5), 4
    )
    assert sample_points([], _rng(), 8) == [{}]


# --------------------------------------------------------------------------- limits


def _spin():
    while True:
        pass


def _inner_then_spin(seconds, ended):
    """Spin under an inner limit of ``seconds``, go on past that one only (noting when in
    ``ended``), then spin until an outer limit stops it."""
    try:
        with time_limit(seconds) as inner:
            _spin()
    except TimeLimitReached as reached:
        if reached.limit is not inner:
            raise
        ended.append(time.monotonic())
    _spin()


def test_time_limits_nest():
    ended = []
    start = time.monotonic()
    with time_limit(0.6) as outer, pytest.raises(TimeLimitReached) as reached:
        _inner_then_spin(0.2, ended)
    assert reached.value.limit is outer
    assert 0.15 < ended[0] - start < 0.5  # the inner limit ended the inner block
    assert 0.55 < time.monotonic() - start < 1.2  # and the outer timer went on


def test_an_inner_limit_longer_than_the_outer_one_ends_with_the_outer_one():
    ended = []
    start = time.monotonic()
    with time_limit(0.3) as outer, pytest.raises(TimeLimitReached) as reached:
        _inner_then_spin(5, ended)
    assert reached.value.limit is outer
    assert time.monotonic() - start < 1.0


#: A limit reached while hypothesis's garbage-collector callback runs is reported by Python
#: as an exception ignored there (and pytest warns); the repeated alarm raises it again.
_GC_CALLBACK = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@_GC_CALLBACK
def test_a_share_that_is_reached_lets_the_outer_limit_through():
    # compare_identity under an outer limit shorter than its proof's share: the outer limit
    # ends it, whatever it catches for its share
    hard = sp.Integral(sp.exp(-(u**4)) * sp.cos(u), (u, 0, 1))
    with pytest.raises(TimeLimitReached) as reached, time_limit(0.2) as outer:
        _identity(hard, sp.Integer(1), symbolic_seconds=10)
    assert reached.value.limit is outer


@pytest.mark.skipif(address_space() is None, reason="needs /proc/self/statm")
def test_the_memory_limit_refuses_a_large_allocation_and_is_restored():
    import resource

    before = resource.getrlimit(resource.RLIMIT_AS)
    with memory_limit(256 * 1024**2):
        with pytest.raises(MemoryError):
            bytearray(1024**3)
        small = bytearray(16 * 1024**2)  # within the limit
    assert len(small) == 16 * 1024**2
    assert resource.getrlimit(resource.RLIMIT_AS) == before
    bytearray(512 * 1024**2)  # the limit is gone
