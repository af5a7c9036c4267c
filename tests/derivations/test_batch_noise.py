"""C4 [App. A, App. G]: batch-noise covariance, online (Sigma/B) and without replacement.

The symbolic derivation (symbolic N, B) is checked against the statements, perturbed
statements (Sigma/B^2, (N-B)/(B N), B/N) are rejected, and both factors are confirmed by exact
enumeration of every batch for small N with exact rational/symbolic data (pure Python).
"""

import itertools
from fractions import Fraction

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derivations.batch_noise import (
    N,
    batch_inclusion_probabilities,
    batch_noise_claim,
    finite_population_factor,
    online_batch_factor,
)
from derivations.conventions import B

#: Every test of the topic runs on one worker: its derivations (cached in-process) are
#: computed once per run (tests/README.md).
pytestmark = pytest.mark.xdist_group("batch_noise")


def test_claim_holds():
    result = batch_noise_claim()
    assert result.claim == "C4"
    assert result.holds


def test_inclusion_probabilities():
    p1, p2 = batch_inclusion_probabilities()
    assert sp.simplify(p1 - B / N) == 0
    assert sp.simplify(p2 - B * (B - 1) / (N * (N - 1))) == 0


@pytest.mark.parametrize(
    ("derive", "perturbed"),
    [
        (online_batch_factor, 1 / B**2),
        (finite_population_factor, (N - B) / (B * N)),
        (finite_population_factor, 1 / B),
        (finite_population_factor, (N - B) / (N - 1)),
    ],
)
def test_perturbed_statements_are_rejected(derive, perturbed):
    assert sp.simplify(derive() - perturbed) != 0


def _outer(u, v):
    return [[a * b for b in v] for a in u]


def _mean(vectors):
    k = len(vectors)
    return [sum(col) / k for col in zip(*vectors, strict=True)]


def _exact_without_replacement(points, batch):
    """Covariance of the batch mean over all C(N, B) equally likely batches."""
    gbar = _mean(points)
    batches = list(itertools.combinations(points, batch))
    dim = len(gbar)
    cov = [[0] * dim for _ in range(dim)]
    for b in batches:
        d = [m - g for m, g in zip(_mean(list(b)), gbar, strict=True)]
        o = _outer(d, d)
        cov = [[cov[i][j] + o[i][j] / len(batches) for j in range(dim)] for i in range(dim)]
    return cov


def _empirical(points):
    gbar = _mean(points)
    dim = len(gbar)
    S = [[0] * dim for _ in range(dim)]
    for g in points:
        d = [a - b for a, b in zip(g, gbar, strict=True)]
        o = _outer(d, d)
        S = [[S[i][j] + o[i][j] / len(points) for j in range(dim)] for i in range(dim)]
    return S


@settings(max_examples=10)
@given(
    seed_points=st.lists(st.tuples(st.integers(-9, 9), st.integers(-9, 9)), min_size=2, max_size=6),
    data=st.data(),
)
def test_enumeration_without_replacement_rational_data(seed_points, data):
    points = [[Fraction(a, 3), Fraction(b, 7)] for a, b in seed_points]
    n_points = len(points)
    batch = data.draw(st.integers(1, n_points))
    factor = finite_population_factor().subs({N: n_points, B: batch})
    factor = Fraction(int(factor.p), int(factor.q))
    exact = _exact_without_replacement(points, batch)
    S = _empirical(points)
    assert exact == [[factor * s for s in row] for row in S]
    # Sigma/B (online factor) is wrong here unless B = 1 or the data are constant
    online = Fraction(1, batch)
    if batch > 1 and any(any(s != 0 for s in row) for row in S):
        assert exact != [[online * s for s in row] for row in S]


@pytest.mark.parametrize(("n_points", "batch"), [(3, 2), (4, 2), (4, 3), (5, 2)])
def test_enumeration_without_replacement_symbolic_data(n_points, batch):
    g = sp.symbols(f"g1:{n_points + 1}")
    gbar = sum(g) / n_points
    batches = list(itertools.combinations(g, batch))
    exact = sum((sum(b) / batch - gbar) ** 2 for b in batches) / len(batches)
    S = sum((x - gbar) ** 2 for x in g) / n_points
    factor = finite_population_factor().subs({N: n_points, B: batch})
    assert sp.expand(exact - factor * S) == 0
    assert sp.expand(exact - S / batch) != 0


@pytest.mark.parametrize("batch", [1, 2, 3])
def test_enumeration_online_iid_draws(batch):
    """B iid draws from a finite mean-zero law: enumerate all B-tuples with their weights."""
    support = [Fraction(-2), Fraction(1), Fraction(4)]
    weights = [Fraction(1, 2), Fraction(1, 3), Fraction(1, 6)]
    mean = sum(w * x for w, x in zip(weights, support, strict=True))
    assert mean == 0
    variance = sum(w * x * x for w, x in zip(weights, support, strict=True))
    cov = Fraction(0)
    for draw in itertools.product(range(3), repeat=batch):
        prob = Fraction(1)
        for i in draw:
            prob *= weights[i]
        cov += prob * (sum(support[i] for i in draw) / batch) ** 2
    factor = online_batch_factor().subs(B, batch)
    assert cov == Fraction(int(factor.p), int(factor.q)) * variance
    if batch > 1:
        assert cov != variance / batch**2
