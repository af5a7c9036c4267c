"""C1 [Prop. 3.1]: population gradient and Jacobian, derived by Wick + differentiation.

The claim is proven at the default shapes and at shapes drawn by hypothesis; perturbed
statements (sign, missing transpose, swapped Kronecker factors, factor 2) are shown to fail
against the same derived polynomials.
"""

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy.polys.matrices import DomainMatrix

from derivations.gradient import (
    GRADIENT_CASES,
    gradient_polynomials,
    population_gradient_claim,
    population_loss,
)
from derivations.symbolic_network import end_to_end, kronecker, partial_products, vec
from dlnverify.errors import InvalidParameter

#: Every test of the topic runs on one worker: its derivations (cached in-process) are
#: computed once per run (tests/README.md).
pytestmark = pytest.mark.xdist_group("gradient")


def _zero(M: DomainMatrix) -> bool:
    return all(not e for e in M.to_list_flat())


def test_claim_holds_at_default_shapes():
    result = population_gradient_claim()
    assert result.claim == "C1"
    assert result.holds
    assert set(result.derived) == set(GRADIENT_CASES)
    assert any("general depth" in c for c in result.cases)


@settings(max_examples=6)
@given(widths=st.lists(st.integers(1, 3), min_size=2, max_size=4))
def test_claim_holds_at_drawn_shapes(widths):
    assert population_gradient_claim(shapes=[widths]).holds


def _ingredients(widths):
    gp = gradient_polynomials(widths)
    Ws = gp.ring_weights()
    As, Bs = partial_products(Ws)
    Delta = gp.ring_matrix(gp.teacher) - end_to_end(Ws)
    return gp, Ws, As, Bs, Delta


@pytest.mark.parametrize("widths", [(2, 2, 2), (2, 2, 2, 2)])
def test_perturbed_gradients_are_rejected(widths):
    gp, _, As, Bs, Delta = _ingredients(widths)
    for l, (A, B) in enumerate(zip(As, Bs, strict=True)):
        derived = gp.population_gradient[l]
        assert _zero(derived + A.transpose() * Delta * B.transpose())  # the statement
        assert not _zero(derived - A.transpose() * Delta * B.transpose())  # wrong sign
        assert not _zero(derived + 2 * (A.transpose() * Delta * B.transpose()))  # factor 2
        if l > 0:  # B_l is not the identity
            assert not _zero(derived + A.transpose() * Delta * B)  # B_l without transpose
        if l < len(As) - 1:  # A_l is not the identity (square shapes: A_l Delta is defined)
            assert not _zero(derived + A * Delta * B.transpose())  # A_l without transpose


def test_perturbed_jacobian_is_rejected():
    gp, Ws, As, Bs, _ = _ingredients((2, 2, 2, 2))
    engine = gp.engine
    W = vec(end_to_end(Ws)).to_list_flat()
    for l, (A, B) in enumerate(zip(As, Bs, strict=True)):
        gens = [engine.generator(s) for s in vec(gp.weights[l])]
        jac = DomainMatrix(
            [[w.diff(g) for g in gens] for w in W], (len(W), len(gens)), engine.ring.to_domain()
        )
        assert _zero(jac - kronecker(B.transpose(), A))
        assert not _zero(jac - kronecker(A, B.transpose()))  # swapped factors
        if l > 0:  # B_l is not the identity
            assert not _zero(jac - kronecker(B, A))  # B_l without transpose


def test_population_loss_trace_form_for_sympy_matrices():
    W1 = sp.Matrix(2, 2, sp.symbols("a b c d"))
    T = sp.Matrix(2, 2, sp.symbols("t1:5"))
    S = sp.Matrix(2, 2, sp.symbols("s11 s12 s12 s22"))
    D = T - W1
    got = population_loss([W1], T, S)
    assert sp.expand(got - ((D * D.T).trace() + S.trace()) / 2) == 0
    assert sp.expand(population_loss([W1], T) - (D * D.T).trace() / 2) == 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"shapes": [(2,)]}, "widths"),
        ({"shapes": [(2, 0)]}, "widths"),
        ({"shapes": [(2, 2.5)]}, "widths"),
        ({"shapes": []}, "at least one"),
        ({"shapes": 3}, "shapes"),
    ],
)
def test_invalid_input(kwargs, match):
    with pytest.raises(InvalidParameter, match=match):
        population_gradient_claim(**kwargs)


def test_population_loss_shape_mismatch():
    with pytest.raises(InvalidParameter, match="teacher"):
        population_loss([sp.eye(2)], sp.zeros(3, 2))
