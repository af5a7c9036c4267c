"""C7 [Prop. 3.5, App. E, Eqs. 4-7]: mode dynamics on the aligned-balanced manifold.

The depth-general forms (symbolic L) must equal the statements and the matrix derivations at
every depth 1-6 with several modes; perturbed statements (factor 1.1, exponent 4 - 3/L, the
decoupled Itô drift while modes are coupled) must be proven different.
"""

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derivations.aligned_balanced import (
    _rotation,
    _zero_modulo,
    aligned_balanced_claim,
    aligned_cross_diffusion,
    aligned_diffusion,
    aligned_drift,
    aligned_gradient_drift,
    aligned_ito_drift,
    aligned_ito_drift_modes,
    aligned_mode_dynamics,
    mode_decoupling_claim,
    mode_index,
    mode_symbols,
    n_modes_symbol,
    s_mode,
    sigma_mode,
    two_mode_ito_drift,
)
from derivations.conventions import L, kappa, s, s_b, sigma, sigma_b, sigma_eps
from dlnverify.errors import InvalidParameter

#: Every test of the topic runs on one worker: its derivations (cached in-process) are
#: computed once per run (tests/README.md).
pytestmark = pytest.mark.xdist_group("aligned_balanced")

STATED_DIFFUSION = kappa * L**2 * s ** (4 - 4 / L) * (2 * (sigma - s) ** 2 + sigma_eps**2)
STATED_ITO_SELF = kappa * L * (L - 1) / 2 * s ** (3 - 4 / L) * (2 * (sigma - s) ** 2 + sigma_eps**2)


def _nonzero_at(expr):
    """A difference is provably non-zero if it is non-zero at one exact rational point."""
    point = {L: 2, s: sp.Rational(1, 4), sigma: sp.Rational(3, 2), sigma_eps: sp.Rational(1, 3)}
    value = sp.simplify(expr.subs(point).subs(kappa, 1))
    return value.is_zero is False


def test_symbolic_depth_forms_equal_statements():
    assert sp.simplify(aligned_gradient_drift() - L * s ** (2 - 2 / L) * (sigma - s)) == 0
    assert sp.simplify(aligned_diffusion() - STATED_DIFFUSION) == 0
    assert aligned_cross_diffusion() == 0
    assert sp.simplify(aligned_ito_drift() - STATED_ITO_SELF) == 0
    assert sp.simplify(aligned_drift() - aligned_gradient_drift() - STATED_ITO_SELF) == 0


@pytest.mark.parametrize(
    "perturbed",
    [
        sp.Rational(11, 10) * STATED_DIFFUSION,
        kappa * L**2 * s ** (4 - 3 / L) * (2 * (sigma - s) ** 2 + sigma_eps**2),
        kappa * L**2 * s ** (4 - 4 / L) * (2 * (sigma - s) ** 2),
    ],
)
def test_perturbed_diffusion_is_rejected(perturbed):
    assert _nonzero_at(aligned_diffusion() - perturbed)


def test_perturbed_ito_drift_is_rejected():
    assert _nonzero_at(aligned_ito_drift() - sp.Rational(11, 10) * STATED_ITO_SELF)
    assert _nonzero_at(aligned_ito_drift() - STATED_ITO_SELF.subs(L * (L - 1) / 2, L**2 / 2))


def test_claim_holds_at_depths_one_to_six_with_two_modes():
    result = aligned_balanced_claim(depths=(1, 2, 3, 4, 5, 6), n_modes=2)
    assert result.claim == "C7"
    assert result.holds
    assert any("NOT decoupled" in f for f in result.findings)


def test_matrix_derivation_with_three_modes_matches_depth_general_formula():
    for depth in (2, 3, 4):
        concrete = aligned_mode_dynamics(depth=depth, n_modes=3)
        amps, roots = concrete["s"], concrete["t"]
        coupled = aligned_ito_drift_modes(depth=depth, n_modes=3)
        to_roots = {amps[b]: roots[b] ** depth for b in range(3)}
        for a in range(3):
            assert sp.expand(concrete["balanced_ito_drift"][a] - coupled[a].subs(to_roots)) == 0
            # the single-mode (decoupled) formula is NOT the Itô drift of mode a
            single = STATED_ITO_SELF.subs(L, depth).subs({s: amps[a], sigma: concrete["sigma"][a]})
            assert sp.expand(concrete["balanced_ito_drift"][a] - single.subs(to_roots)) != 0


@settings(max_examples=10)
@given(
    depth=st.integers(1, 6),
    t_num=st.integers(1, 9),
    sigma_num=st.integers(1, 9),
    eps_num=st.integers(0, 9),
)
def test_depth_general_forms_at_drawn_points(depth, t_num, sigma_num, eps_num):
    # exact rational point with s = t^L so that s^(k/L) is rational
    concrete = aligned_mode_dynamics(depth=depth, n_modes=2)
    t_val = sp.Rational(t_num, 5)
    point = {
        concrete["t"][0]: t_val,
        concrete["t"][1]: sp.Rational(1, 2),
        concrete["sigma"][0]: sp.Rational(sigma_num, 4),
        concrete["sigma"][1]: sp.Integer(1),
        sigma_eps: sp.Rational(eps_num, 7),
        kappa: sp.Rational(1, 3),
    }
    single = {L: depth, s: t_val**depth, sigma: sp.Rational(sigma_num, 4)}
    assert concrete["balanced_gradient_drift"][0].subs(point) == aligned_gradient_drift().subs(
        single
    ).subs(point)
    assert concrete["balanced_diffusion"][0, 0].subs(point) == aligned_diffusion().subs(
        single
    ).subs(point)
    assert concrete["balanced_diffusion"][0, 1].subs(point) == 0


def test_coupled_indexed_formula_reduces_to_single_mode_for_one_mode():
    coupled = aligned_ito_drift(coupled=True)
    for depth in (1, 2, 3, 5):
        one = coupled.subs({L: depth, n_modes_symbol: 1, mode_index: 1}).doit()
        one = one.subs({s_mode[1]: s, sigma_mode[1]: sigma})
        assert sp.simplify(one - STATED_ITO_SELF.subs(L, depth)) == 0


def test_modes_do_not_decouple():
    result = mode_decoupling_claim(depths=(1, 2, 3, 4), n_modes=3)
    assert not result.holds  # the paper's decoupling statement is refuted ...
    assert not any("INTERNAL" in f for f in result.findings)  # ... and every sub-proof held
    # depth 1 has no Itô drift at all, so no coupling there
    amps, sings = mode_symbols(2)
    assert aligned_ito_drift_modes(depth=1, n_modes=2) == (0, 0)
    # depth 2, two modes: the coupling is kappa (sigma_1 - s_1)(sigma_2 - s_2) s_2
    coupled = aligned_ito_drift_modes(depth=2, n_modes=2)[0]
    single = STATED_ITO_SELF.subs(L, 2).subs({s: amps[0], sigma: sings[0]})
    expected = kappa * (sings[0] - amps[0]) * (sings[1] - amps[1]) * amps[1]
    assert sp.simplify(coupled - single - expected) == 0


def test_bases_drop_out_under_rotations():
    rot, relation, lead = _rotation("Z")
    assert sp.expand((rot.T * rot - sp.eye(2)).subs(lead**2, 1 - rot[0, 0] ** 2)) == sp.zeros(2, 2)
    # the ideal test accepts an element of the ideal and rejects a perturbation
    assert _zero_modulo(lead**2 * rot[0, 0] + rot[0, 0] ** 3 - rot[0, 0], [relation], [lead])
    assert not _zero_modulo(lead**2 + rot[0, 0] ** 2 - sp.Rational(11, 10), [relation], [lead])
    result = aligned_balanced_claim(depths=(2,), n_modes=2)
    assert "depth=2, 2 modes, symbolic rotations U, V, R_1" in result.cases
    assert result.holds


#: The two-mode Itô drift summed by hand: the single-mode part plus
#: kappa (sigma - s)(sigma_b - s_b) s^(2-2/L) s_b^(1-2/L) sum_{d<L} (L - d) q^d, q = (s_b/s)^(2/L),
#: with sum_{d=1}^{L-1} (L - d) q^d = q (q^L - L q + L - 1) / (1 - q)^2 (differentiate the
#: geometric series).  A statement to check, never used as a result.
_Q = (s_b / s) ** (2 / L)
STATED_TWO_MODE_CROSS = (
    kappa
    * (sigma - s)
    * (sigma_b - s_b)
    * s ** (2 - 2 / L)
    * s_b ** (1 - 2 / L)
    * _Q
    * (_Q**L - L * _Q + L - 1)
    / (1 - _Q) ** 2
)


def _at_roots(expr, depth, roots, sings):
    """``expr`` in the matrix derivation's symbols: s = t_1^L, s_b = t_2^L."""
    named = {s: roots[0] ** depth, s_b: roots[1] ** depth, sigma: sings[0], sigma_b: sings[1]}
    return sp.expand(sp.powdenest(expr.subs(named), force=True))


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_two_mode_ito_drift_matches_the_matrix_derivation(depth):
    """The indexed depth-general route (two_mode_ito_drift) against the independent matrix
    algebra of aligned_mode_dynamics, at each concrete depth and for free L set to it."""
    concrete = aligned_mode_dynamics(depth=depth, n_modes=2)
    roots, sings = concrete["t"], concrete["sigma"]
    matrix = concrete["balanced_ito_drift"][0]
    assert sp.expand(matrix - _at_roots(two_mode_ito_drift(depth), depth, roots, sings)) == 0
    if depth >= 2:  # at L = 1 the closed form's sum is empty: 0/0-free only through the limit
        general = two_mode_ito_drift().subs(L, depth)
        point = {roots[0]: sp.Rational(3, 5), roots[1]: sp.Rational(6, 5)}
        point |= {sings[0]: sp.Rational(7, 4), sings[1]: sp.Rational(1, 3), sigma_eps: 2, kappa: 1}
        assert sp.nsimplify(_at_roots(general, depth, roots, sings).subs(point)) == matrix.subs(
            point
        )


def test_two_mode_ito_drift_equals_the_hand_summed_statement():
    derived = two_mode_ito_drift()
    stated = STATED_ITO_SELF + STATED_TWO_MODE_CROSS
    for depth in (2, 3, 5, 6):
        for values in ((sp.Rational(1, 3), 2), (sp.Rational(5, 2), sp.Rational(3, 4))):
            point = {L: depth, s: values[0], s_b: values[1], sigma: sp.Rational(3, 2)}
            point |= {sigma_b: sp.Rational(1, 2), sigma_eps: sp.Rational(1, 5), kappa: 1}
            assert sp.N(derived.subs(point) - stated.subs(point), 30) == pytest.approx(0, abs=1e-25)
    # the cross term vanishes when either mode sits at 0 gap, and is absent at L = 1
    assert sp.simplify(derived.subs(s_b, sigma_b) - STATED_ITO_SELF) == 0
    assert two_mode_ito_drift(1) == 0


@pytest.mark.parametrize(
    "perturbed",
    [
        STATED_ITO_SELF + sp.Rational(11, 10) * STATED_TWO_MODE_CROSS,  # factor 1.1
        STATED_ITO_SELF + STATED_TWO_MODE_CROSS.subs(s ** (2 - 2 / L), s ** (2 - 1 / L)),
        STATED_ITO_SELF,  # dropped cross term (the paper's decoupled drift)
    ],
)
def test_perturbed_two_mode_drift_differs(perturbed):
    point = {L: 3, s: sp.Rational(1, 3), s_b: 2, sigma: sp.Rational(3, 2), sigma_b: 1}
    point |= {sigma_eps: sp.Rational(1, 5), kappa: 1}
    gap = sp.N((two_mode_ito_drift() - perturbed).subs(point), 30)
    assert abs(gap) > 1e-3


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: aligned_mode_dynamics(depth=0, n_modes=2), "depth"),
        (lambda: aligned_mode_dynamics(depth=2, n_modes=0), "n_modes"),
        (lambda: aligned_ito_drift_modes(depth=2.5, n_modes=2), "depth"),
        (lambda: mode_decoupling_claim(n_modes=1), "n_modes"),
        (lambda: mode_symbols(-1), "n_modes"),
        (lambda: two_mode_ito_drift(0), "depth"),
    ],
)
def test_invalid_input(call, match):
    with pytest.raises(InvalidParameter, match=match):
        call()
