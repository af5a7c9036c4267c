"""C14 [beyond the paper]: are balance (A1) and alignment (A2) invariant under the SDE?

Derived: the gradient part of the imbalance drift is zero; its noise part on the
aligned-balanced manifold matches the stated per-coordinate formula (and is not zero); the
cross-mode amplitude has zero drift and the stated positive diffusion.  Perturbed statements
must be rejected.
"""

import pytest
import sympy as sp

from derivations.conventions import L, kappa, s, s_b, sigma, sigma_eps
from derivations.invariance import (
    assumption_invariance_claim,
    cross_mode_diffusion,
    cross_mode_dynamics,
    imbalance_gradient_drift_claim,
    imbalance_noise_drift,
    imbalance_noise_drift_stated,
)
from dlnverify.errors import InvalidParameter

#: Every test of the topic runs on one worker: its derivations (cached in-process) are
#: computed once per run (tests/README.md).
pytestmark = pytest.mark.xdist_group("invariance")


def test_gradient_part_of_imbalance_drift_vanishes():
    result = imbalance_gradient_drift_claim()
    assert result.claim == "C14"
    assert result.holds


def _self_term(depth, layer):
    roots = sp.symbols("t_1 t_2", nonnegative=True)
    sings = sp.symbols("sigma_1 sigma_2", nonnegative=True)
    return sp.diag(
        *[
            kappa
            * roots[c] ** (2 * layer + 2 * (depth - layer - 1))
            * (2 * (sings[c] - roots[c] ** depth) ** 2 + sigma_eps**2)
            for c in range(2)
        ]
    )


@pytest.mark.parametrize("depth", [2, 3, 4])
def test_noise_part_matches_stated_formula(depth):
    derived = imbalance_noise_drift(depth=depth, n_coords=2)
    stated = imbalance_noise_drift_stated(depth=depth, n_coords=2)
    assert len(derived) == depth - 1
    for layer, (d_mat, s_mat) in enumerate(zip(derived, stated, strict=True), start=1):
        assert (d_mat - s_mat).applyfunc(sp.expand) == sp.zeros(2, 2)
        assert d_mat != sp.zeros(2, 2)  # balance is not preserved, even in expectation
        # perturbations: factor 1.1; the self term of the upper layer kept (it cancels)
        assert (d_mat - sp.Rational(11, 10) * s_mat).applyfunc(sp.expand) != sp.zeros(2, 2)
        assert (d_mat - s_mat - _self_term(depth, layer)).applyfunc(sp.expand) != sp.zeros(2, 2)


def test_depth_two_example():
    (drift,) = imbalance_noise_drift(depth=2, n_coords=2)
    t1, t2 = sp.symbols("t_1 t_2", nonnegative=True)
    s1, s2 = sp.symbols("sigma_1 sigma_2", nonnegative=True)
    # kappa s_1 (D_2^2 - D_1^2) with s_1 = t_1^2
    expected = kappa * t1**2 * ((s2 - t2**2) ** 2 - (s1 - t1**2) ** 2)
    assert sp.expand(drift[0, 0] - expected) == 0


def test_single_coordinate_keeps_balance():
    assert all(m == sp.zeros(1, 1) for m in imbalance_noise_drift(depth=4, n_coords=1))


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_cross_mode_has_zero_drift_and_stated_diffusion(depth):
    cross = cross_mode_dynamics(depth=depth, n_modes=2)
    assert cross["gradient_drift"] == 0
    assert cross["ito_drift"] == 0
    assert sp.expand(cross["diffusion"] - cross["diffusion_stated"]) == 0
    assert sp.expand(cross["diffusion"] - sp.Rational(11, 10) * cross["diffusion_stated"]) != 0


_SIGMA_1 = sp.Symbol("sigma_1", nonnegative=True)


def _in_roots(expr, depth):
    """``expr`` in the roots of :func:`cross_mode_dynamics` (s = t_1^L, s_b = t_2^L)."""
    t1, t2 = sp.symbols("t_1 t_2", positive=True)
    return sp.powsimp(
        expr.subs(L, depth).subs({s: t1**depth, s_b: t2**depth, sigma: _SIGMA_1}), force=True
    )


def _matrix_diffusion(depth):
    t = sp.symbols("t_1 t_2", nonnegative=True)
    positive = sp.symbols("t_1 t_2", positive=True)
    return cross_mode_dynamics(depth=depth, n_modes=2)["diffusion"].subs(
        dict(zip(t, positive, strict=True))
    )


@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5])
def test_cross_mode_diffusion_for_symbolic_depth_equals_the_matrix_derivation(depth):
    """The layer sum of cross_mode_diffusion, in closed form for free L and term by term at a
    fixed depth, against the diffusion derived from the depth-``depth`` matrices."""
    matrix = _matrix_diffusion(depth)
    for derived in (cross_mode_diffusion(), cross_mode_diffusion(depth)):
        assert sp.cancel(_in_roots(derived, depth) - matrix) == 0


def test_cross_mode_diffusion_matches_a_hand_summed_statement():
    """Summed by hand: sum_l s^(2(L-l)/L) s_b^(2(l-1)/L) = (s^2 - s_b^2)/(s^(2/L) - s_b^(2/L))
    (geometric, s_b != s); E[N_ab^2] = (sigma - s)^2 + sigma_eps^2."""
    layer_sum = (s**2 - s_b**2) / (s ** (2 / L) - s_b ** (2 / L))
    stated = kappa * layer_sum**2 * ((sigma - s) ** 2 + sigma_eps**2)
    derived = cross_mode_diffusion()
    assert sp.simplify(derived - stated) == 0
    for wrong in (
        sp.Rational(11, 10) * stated,
        stated.subs(s_b ** (2 / L), s_b ** (1 / L)),  # wrong exponent
        kappa * layer_sum**2 * (sigma - s) ** 2,  # label noise dropped
    ):
        assert sp.simplify(derived - wrong) != 0
    # at depth 2 the layer sum is s + s_b, and at s_b = s the term-by-term sum is L s^(2-2/L)
    assert sp.cancel(cross_mode_diffusion(2) - stated.subs(L, 2)) == 0
    at_equal = cross_mode_diffusion(3).subs(s_b, s)
    noise = (sigma - s) ** 2 + sigma_eps**2
    assert sp.simplify(at_equal - kappa * (3 * s ** sp.Rational(4, 3)) ** 2 * noise) == 0


def test_claim_holds_and_reports_findings():
    result = assumption_invariance_claim()
    assert result.holds
    assert any("(A1) balance is NOT invariant" in f for f in result.findings)
    assert any("(A2) alignment" in f for f in result.findings)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: imbalance_noise_drift(depth=1, n_coords=2), "depth"),
        (lambda: imbalance_noise_drift_stated(depth=3, n_coords=0), "n_coords"),
        (lambda: cross_mode_dynamics(depth=2, n_modes=1), "n_modes"),
        (lambda: cross_mode_diffusion(0), "depth"),
        (lambda: imbalance_gradient_drift_claim(shapes=((2, 2),)), "depth"),
    ],
)
def test_invalid_input(call, match):
    with pytest.raises(InvalidParameter, match=match):
        call()
