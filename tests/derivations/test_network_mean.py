"""C17: stationary mode means and variances of the full network with label noise
(derivations.network_mean).

The derivation (linear response at the teacher, stationarity of the end-to-end map) must give
the stated closed forms at every case, reduce to C12's single mode at width one, and reject
perturbed statements: the coupling x 1.1, a wrong exponent, the coupling dropped (C12's
mean), the session-5 estimate that counted only the null directions; the variance x 1.1,
with a wrong exponent, or with a width term.
"""

import pytest
import sympy as sp

from derivations.conventions import L, kappa, sigma, sigma_eps
from derivations.network_mean import (
    NETWORK_MEAN_CASES,
    linearised_stationary_covariance,
    network_mean_claim,
    network_mean_shift,
    stated_mode_mean,
    stated_network_mean,
    width_coupling,
)
from dlnverify.errors import InvalidParameter

#: Every test of the topic runs on one worker: its derivations (cached in-process) are
#: computed once per run (tests/README.md).
pytestmark = pytest.mark.xdist_group("network_mean")

SIGMA_K = sp.Symbol("sigma_k", nonnegative=True)
L_INDEX = sp.Symbol("l", integer=True, positive=True)


def test_claim_holds():
    result = network_mean_claim()
    assert result.holds
    assert result.claim == "C17"
    assert result.derived["coupling_L2"] == sp.Rational(1, 2)


@pytest.mark.parametrize(("widths", "rank"), NETWORK_MEAN_CASES)
def test_linear_response_at_the_teacher(widths, rank):
    linear = linearised_stationary_covariance(widths, rank)
    assert linear["ntk_diagonal"]
    assert linear["noise_is_scaled_hessian"]
    assert linear["lyapunov"]
    assert network_mean_shift(widths, rank)["solvable"]


def _null_only():
    """The README's session-5 estimate: only null directions couple (g(sigma, 0) each)."""
    null = (L - 1) / L * sigma ** (1 - 2 / L)
    return sp.Piecewise((null, sp.Eq(SIGMA_K, 0)), (0, True))


def _variance():
    return stated_network_mean()["variance"]


def _wrong_exponent():
    coupling = stated_network_mean()["coupling"]
    right = sigma ** ((2 * L_INDEX - L - 2) / L)
    return coupling.replace(right, sigma ** ((2 * L_INDEX - L) / L))


@pytest.mark.parametrize(
    "perturbed",
    [
        pytest.param(lambda: {"coupling": 1.1 * stated_network_mean()["coupling"]}, id="x1.1"),
        pytest.param(lambda: {"coupling": _wrong_exponent()}, id="wrong-exponent"),
        pytest.param(lambda: {"coupling": sp.Integer(0)}, id="C12-alone"),
        pytest.param(lambda: {"coupling": _null_only()}, id="null-directions-only"),
        pytest.param(lambda: {"self": sp.Integer(0)}, id="self-term-dropped"),
        pytest.param(lambda: {"variance": 1.1 * _variance()}, id="variance-x1.1"),
        pytest.param(
            lambda: {"variance": _variance().subs(sigma ** (2 - 2 / L), sigma ** (1 - 1 / L))},
            id="variance-wrong-exponent",
        ),
        pytest.param(
            lambda: {"variance": _variance() + kappa * sigma_eps**2 * sigma / 4},
            id="variance-width-term",
        ),
    ],
)
def test_perturbed_statements_are_rejected(perturbed):
    statement = perturbed()
    assert statement != {k: stated_network_mean()[k] for k in statement}
    assert not network_mean_claim(statement).holds


@pytest.mark.parametrize(("m", "n"), [(1, 1), (2, 3), (4, 4), (12, 12)])
def test_depth_two_closed_form(m, n):
    """At L = 2 the coupling is 1/2 whatever the singular values: sigma - kappa sigma_eps^2
    (m + n)/4, for a rank-one and a rank-two teacher."""
    other = sp.Symbol("sigma_2", positive=True)
    for values in ([sigma], [sigma, other]):
        if len(values) <= min(m, n):
            mean = stated_mode_mean(2, values, (m, n), 0)
            assert sp.simplify(mean - (sigma - kappa * sigma_eps**2 * (m + n) / 4)) == 0


def test_derived_depth_two_rank_two_matches_the_closed_form():
    """A derived case (not the statement): widths (3, 2, 2), rank 2, both modes."""
    derived = network_mean_shift((3, 2, 2), 2)
    for tau, mean in zip(derived["taus"], derived["mode_means"], strict=True):
        assert sp.expand(mean - (tau**2 - kappa * sigma_eps**2 * (2 + 3) / 4)) == 0


def test_derived_variances_are_the_single_mode_ones():
    """A derived case at L = 3 (not the statement): widths (3, 2, 2, 2), rank 2; each mode's
    first-order variance is kappa sigma_eps^2 L sigma^(2-2/L)/2 = (3/2) kappa sigma_eps^2
    tau^4 with sigma = tau^3, whatever the width."""
    derived = network_mean_shift((3, 2, 2, 2), 2)
    for tau, variance in zip(derived["taus"], derived["mode_variances"], strict=True):
        assert sp.expand(variance - sp.Rational(3, 2) * kappa * sigma_eps**2 * tau**4) == 0


def test_null_coupling_and_depth_three_coupling():
    g3 = width_coupling(3)
    assert sp.simplify(g3.subs(SIGMA_K, 0) - sp.Rational(2, 3) * sigma ** sp.Rational(1, 3)) == 0
    # at equal singular values the coupling of two modes is (L-1)/2 sigma^(1-2/L)
    assert sp.simplify(g3.subs(SIGMA_K, sigma) - sigma ** sp.Rational(1, 3)) == 0


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: linearised_stationary_covariance((2,), 1), "widths"),
        (lambda: linearised_stationary_covariance((2, 1), 2), "rank"),
        (lambda: linearised_stationary_covariance((2, 2.5), 1), "width"),
        (lambda: network_mean_shift((2, 2), 0), "rank"),
        (lambda: stated_mode_mean(2, [sigma], (2, 2), 1), "mode"),
        (lambda: stated_mode_mean(2, [sigma, sigma, sigma], (2, 2), 0), "rank"),
        (lambda: width_coupling(0), "depth"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(InvalidParameter, match=match):
        call()
