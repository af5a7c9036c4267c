"""Tests of the Wick/Isserlis engine (derivations/wick.py).

Expected values are textbook moments (Isserlis), an independent perfect-matching sum written
here, the linear-transform identity E f(Mz) (z ~ N(0, I)) = E f(x) (x ~ N(0, M M^T)), and
sympy.stats on small cases; every comparison is exact (difference expanded to zero).
"""

import itertools

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy.stats import E as stats_E
from sympy.stats import Normal

from derivations.wick import GaussianVector, WickEngine, gaussian_expectation, gaussian_moment
from dlnverify.errors import InvalidParameter

s = sp.Symbol("s", positive=True)


def _scalar(var, variance):
    return [GaussianVector((var,), sp.ImmutableMatrix([[variance]]))]


def _pairing_sum(indices, cov):
    """Isserlis by brute force: sum over perfect matchings of prod C[i_a, i_b]."""
    if not indices:
        return sp.Integer(1)
    if len(indices) % 2:
        return sp.Integer(0)
    first, rest = indices[0], indices[1:]
    total = sp.Integer(0)
    for pos, partner in enumerate(rest):
        total += cov[first, partner] * _pairing_sum(rest[:pos] + rest[pos + 1 :], cov)
    return total


def test_fourth_and_sixth_moments_of_a_scalar():
    x = sp.Symbol("x")
    assert sp.expand(gaussian_expectation(x**4, _scalar(x, s**2)) - 3 * s**4) == 0
    assert sp.expand(gaussian_expectation(x**6, _scalar(x, s**2)) - 15 * s**6) == 0
    # a perturbed moment is not what the engine returns
    assert sp.expand(gaussian_expectation(x**4, _scalar(x, s**2)) - 2 * s**4) != 0


@pytest.mark.parametrize("power", [1, 3, 5, 7])
def test_odd_moments_vanish(power):
    x1, x2 = sp.symbols("x1 x2")
    C = sp.ImmutableMatrix([[2, 1], [1, 3]])
    vec = [GaussianVector((x1, x2), C)]
    assert gaussian_expectation(x1**power, vec) == 0
    assert gaussian_expectation(x1 ** (power - 1) * x2, vec) == 0


def test_correlated_pair_fourth_moment():
    x1, x2, c11, c12, c22 = sp.symbols("x1 x2 c11 c12 c22")
    C = sp.ImmutableMatrix([[c11, c12], [c12, c22]])
    got = gaussian_expectation(x1**2 * x2**2, [GaussianVector((x1, x2), C)])
    assert sp.expand(got - (c11 * c22 + 2 * c12**2)) == 0
    assert sp.expand(gaussian_moment((2, 2), C) - (c11 * c22 + 2 * c12**2)) == 0


@pytest.mark.parametrize("n", [1, 2, 3])
def test_x_xT_A_x_xT(n):
    """E[x x^T A x x^T] = A + A^T + tr(A) I for x ~ N(0, I_n) and a symbolic A."""
    x = sp.Matrix(sp.symbols(f"x1:{n + 1}"))
    A = sp.Matrix(n, n, lambda i, j: sp.Symbol(f"a{i}{j}"))
    got = gaussian_expectation(sp.expand(x * x.T * A * x * x.T), [GaussianVector(tuple(x))])
    stated = A + A.T + A.trace() * sp.eye(n)
    assert (got - stated).expand() == sp.zeros(n, n)
    # dropping the transpose term is caught (n >= 2: A is not symmetric)
    if n >= 2:
        assert (got - (2 * A + A.trace() * sp.eye(n))).expand() != sp.zeros(n, n)


def test_independent_vectors_factorise():
    x, e1, e2 = sp.symbols("x e1 e2")
    S = sp.ImmutableMatrix(sp.Matrix(2, 2, sp.symbols("s11 s12 s12 s22")))
    vectors = [GaussianVector((x,)), GaussianVector((e1, e2), S)]
    got = gaussian_expectation(x**2 * e1 * e2 + x * e1, vectors)
    assert sp.expand(got - S[0, 1]) == 0


def test_non_rational_coefficients_fall_back_to_EX():
    x = sp.Symbol("x")
    got = gaussian_expectation(sp.sqrt(2) * x**2 / s + sp.sin(s) * x**4, _scalar(x, 1))
    assert sp.simplify(got - (sp.sqrt(2) / s + 3 * sp.sin(s))) == 0


def test_matrix_input_returns_matrix():
    x = sp.Symbol("x")
    got = gaussian_expectation(sp.Matrix([[x**2, x], [x**3, 1]]), _scalar(x, s))
    assert got == sp.Matrix([[s, 0], [0, 1]])


@settings(max_examples=15)
@given(
    seed=st.integers(0, 2**32 - 1),
    exponents=st.lists(st.integers(0, 4), min_size=3, max_size=3),
)
def test_engine_matches_pairing_sum(seed, exponents):
    """Stein recursion == explicit sum over pairings, for a random integer covariance M M^T."""
    import random

    rng = random.Random(seed)
    M = sp.Matrix(3, 3, lambda i, j: rng.randint(-2, 2))
    C = M * M.T
    indices = [i for i, a in enumerate(exponents) for _ in range(a)]
    expected = _pairing_sum(indices, C)
    assert gaussian_moment(exponents, C) == expected


@settings(max_examples=10)
@given(seed=st.integers(0, 2**32 - 1))
def test_linear_transform_consistency(seed):
    """E f(Mz), z ~ N(0, I) equals E f(x), x ~ N(0, M M^T), for a quartic f with symbols."""
    import random

    rng = random.Random(seed)
    z = sp.symbols("z1:4")
    x = sp.symbols("x1:4")
    w = sp.symbols("w1:4")
    M = sp.Matrix(3, 3, lambda i, j: rng.randint(-2, 2))
    f = (w[0] * x[0] + x[1] * x[2]) ** 2 + w[1] * x[0] * x[1] ** 3 + w[2] * x[2] ** 2
    Mz = M * sp.Matrix(z)
    f_z = sp.expand(f.subs(dict(zip(x, Mz, strict=True)), simultaneous=True))
    lhs = gaussian_expectation(f_z, [GaussianVector(z)])
    rhs = gaussian_expectation(f, [GaussianVector(x, sp.ImmutableMatrix(M * M.T))])
    assert sp.expand(lhs - rhs) == 0


def test_agrees_with_sympy_stats_on_small_cases():
    X = Normal("X", 0, s)
    Y = Normal("Y", 0, 1)
    x, y = sp.symbols("x y")
    vectors = [GaussianVector((x,), sp.ImmutableMatrix([[s**2]])), GaussianVector((y,))]
    for poly_x, poly_X in [
        (x**4, X**4),
        ((x + 2 * y) ** 2 * x**2, (X + 2 * Y) ** 2 * X**2),
        (x**6 - 3 * x**2 * y**2, X**6 - 3 * X**2 * Y**2),
    ]:
        ours = gaussian_expectation(sp.expand(poly_x), vectors)
        theirs = stats_E(sp.expand(poly_X))
        assert sp.simplify(ours - theirs) == 0


def test_engine_second_moments_equal_expanding_products():
    x1, x2, e, a, b = sp.symbols("x1 x2 e a b")
    vectors = [GaussianVector((x1, x2)), GaussianVector((e,), sp.ImmutableMatrix([[b]]))]
    engine = WickEngine(vectors, [a])
    fs = [engine.element(v) for v in (a * x1 * x2 + e * x1, x1**2 - 1, a**2 * e * x2 + x1)]
    second = engine.second_moments(fs)
    for p, q in itertools.product(range(3), repeat=2):
        assert second[p][q] == engine.expectation(fs[p] * fs[q])
    cross = engine.second_moments(fs[:2], fs[1:])
    for p, q in itertools.product(range(2), repeat=2):
        assert cross[p][q] == engine.expectation(fs[p] * fs[q + 1])


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: GaussianVector(()), "non-empty"),
        (lambda: GaussianVector((sp.Symbol("x"), sp.Symbol("x"))), "distinct"),
        (lambda: GaussianVector((sp.Symbol("x"),), sp.ImmutableMatrix([[1, 0]])), "shape"),
        (
            lambda: GaussianVector(sp.symbols("x y"), sp.ImmutableMatrix([[1, 2], [0, 1]])),
            "symmetric",
        ),
        (
            lambda: gaussian_expectation(sp.exp(sp.Symbol("x")), _scalar(sp.Symbol("x"), 1)),
            "polynomial",
        ),
        (lambda: WickEngine([GaussianVector((sp.Symbol("x"),))], [sp.Symbol("x")]), "parameter"),
        (lambda: WickEngine([GaussianVector((sp.Symbol("x"),))], domain="RR"), "domain"),
        (lambda: WickEngine([GaussianVector((sp.Symbol("x"),))]).moment((1, 2)), "exponents"),
    ],
)
def test_invalid_input(build, match):
    with pytest.raises(InvalidParameter, match=match):
        build()
