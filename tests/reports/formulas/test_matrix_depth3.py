r"""Tests of the mode diffusions at depth 3, where the weights are integers drawn once.

With symbolic weights the depth-3 polynomials of ``mode_diffusion_general`` have some
:math:`10^5` terms and a check took 20 s; at the network ``(2, 2, 3, 2)`` the weights are now
integers from :math:`[-2^{20}, 2^{20}]` and every other entry (:math:`u, v, \Delta, S,
\kappa`) stays free.  A correct form is verified there; a slip that agrees at every network of
depth 1 and 2 is refuted there, with the sampled weights in its counterexample.

The slip replaces :math:`\Theta(Y) = \sum_l A_lA_l^\top YB_l^\top B_l` by
:math:`\sum_l (A_lA_l^\top Y + YB_l^\top B_l - Y)`: the two agree whenever every layer is the
first (:math:`B_l = I`) or the last (:math:`A_l = I`), that is at depth 1 and 2, and differ at
the middle layer of a depth-3 network.
"""

import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derivations.mode_covariance import mode_covariance
from reports.formulas.matrix_check import check_matrix
from reports.formulas.matrix_quantities import (
    MATRIX_WIDTHS,
    SAMPLED_WEIGHT_BOUND,
    SYMBOLIC_DEPTH,
    get_matrix_quantity,
)
from reports.formulas.result import Verdict

DEPTH_3 = (2, 2, 3, 2)
_Y = "(Delta*Delta.T + Sigma_eps)*Theta(u_a*v_a.T) + Delta*Theta(u_a*v_a.T).T*Delta"
DIFFUSION = f"kappa*u_a.T*Theta({_Y})*v_a"
#: Theta(Y) "linearised": equal to it at depth <= 2 only
SLIP = f"kappa*u_a.T*Sum(A_l*A_l.T*({_Y}) + ({_Y})*B_l.T*B_l - ({_Y}), (l, 1, L))*v_a"
COVARIANCE = (
    "kron(B_l*B_k.T, A_l.T*(Delta*Delta.T + Sigma_eps)*A_k)"
    " + kron(B_l*Delta.T*A_k, A_l.T*Delta*B_k.T)*K"
)
KRONECKER = (
    f"kappa*Sum(Sum(vec(A_l.T*u_a*v_a.T*B_l.T).T*({COVARIANCE})"
    f"*vec(A_k.T*u_a*v_a.T*B_k.T), (k, 1, L)), (l, 1, L))"
)


def test_the_mode_diffusions_are_checked_at_depth_3():
    assert len(DEPTH_3) - 1 > SYMBOLIC_DEPTH
    for quantity in ("mode_diffusion_general", "cross_mode_diffusion_general"):
        assert get_matrix_quantity(quantity).widths == MATRIX_WIDTHS
        assert DEPTH_3 in MATRIX_WIDTHS
        network = get_matrix_quantity(quantity).network(DEPTH_3)
        assert network.sampled_weights
        weights = [network.coordinates[f"W_{l}"] for l in range(1, 4)]
        assert all(isinstance(e, sp.Integer) for W in weights for e in W)
        assert all(abs(e) <= SAMPLED_WEIGHT_BOUND for W in weights for e in W)
        assert all(isinstance(e, sp.Symbol) for e in network.coordinates["u_a"])
        shallow = get_matrix_quantity(quantity).network((2, 3, 2))
        assert not shallow.sampled_weights


def test_a_depth_3_correct_formula_is_verified():
    for formula in (DIFFUSION, KRONECKER):
        result = check_matrix("mode_diffusion_general", formula, monte_carlo=False)
        assert result.verdict == Verdict.VERIFIED, result.text()
        assert DEPTH_3 in result.widths
        assert f"at {DEPTH_3} the weights are integers" in result.message
    cross = DIFFUSION.replace("Theta(u_a*v_a.T)", "Theta(u_b*v_b.T)")
    result = check_matrix("cross_mode_diffusion_general", cross, monte_carlo=False)
    assert result.verdict == Verdict.VERIFIED, result.text()
    assert DEPTH_3 in result.widths


def test_a_depth_3_only_slip_is_refuted_at_depth_3():
    result = check_matrix("mode_diffusion_general", SLIP, monte_carlo=False)
    assert result.verdict == Verdict.REFUTED, result.text()
    example = result.counterexample
    assert example is not None
    # the networks are checked smallest first: every depth-1 and depth-2 one agreed
    assert example.widths == DEPTH_3
    assert result.widths.index(DEPTH_3) == len(result.widths) - 1
    assert f"at widths {DEPTH_3}" in result.message
    network = get_matrix_quantity("mode_diffusion_general").network(DEPTH_3)
    for l in range(1, 4):
        assert example.values[f"W_{l}"] == network.coordinates[f"W_{l}"].tolist()
    assert example.entries
    assert all(entry.formula != entry.derived for entry in example.entries)


def test_the_slip_is_refuted_with_the_theta_of_the_cross_mode_too():
    slip = SLIP.replace("Theta(u_a*v_a.T)", "Theta(u_b*v_b.T)")
    result = check_matrix("cross_mode_diffusion_general", slip, monte_carlo=False)
    assert result.verdict == Verdict.REFUTED
    assert result.counterexample is not None
    assert result.counterexample.widths == DEPTH_3


@settings(max_examples=2, deadline=None)
@given(widths=st.lists(st.integers(2, 3), min_size=4, max_size=4).map(tuple))
def test_at_a_drawn_depth_3_network(widths):
    """A drawn depth-3 network, checked after the quantity's own with its own sampled
    weights: the right form verified there too, the slip refuted (at the first depth-3
    network, which agrees or not with the drawn one)."""
    result = check_matrix("mode_diffusion_general", DIFFUSION, widths=[widths], monte_carlo=False)
    assert result.verified, result.text()
    assert widths in result.widths
    assert get_matrix_quantity("mode_diffusion_general").network(widths).sampled_weights
    wrong = check_matrix("mode_diffusion_general", SLIP, widths=[widths], monte_carlo=False)
    assert wrong.verdict == Verdict.REFUTED


def test_integer_weights_give_the_symbolic_derivation_at_those_weights():
    """At depth 2, where both are cheap: the derivation with integer weights is the symbolic
    one with those integers substituted (so the depth-3 value is the general derivation's)."""
    widths = (2, 2, 2)
    symbolic = mode_covariance(widths, cross=True)
    integers = [
        sp.Matrix(*W.shape, lambda i, j, l=l: (-1) ** (i + j) * (3 * l + i + 2 * j + 1))
        for l, W in enumerate(symbolic.weights)
    ]
    ring = symbolic.ring
    at = [
        (ring(symbol), value)
        for W, V in zip(symbolic.weights, integers, strict=True)
        for symbol, value in zip(W, V, strict=True)
    ]
    sampled = mode_covariance(widths, cross=True, weights=integers)
    assert symbolic.value.subs(at) == ring.from_expr(sampled.value.as_expr())
    assert sampled.value != 0
