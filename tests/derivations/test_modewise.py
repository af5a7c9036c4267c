"""C5, C6 [Prop. 3.3, 3.4, App. C, D]: modewise Jacobian, diffusion, Hessian and drift.

Each identity is derived with symbolic weights at concrete (rectangular) widths and proven
as an exact polynomial identity; a perturbed statement (factor 1.1, a dropped term) must be
proven different by the same machinery.
"""

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derivations import modewise
from derivations.conventions import kappa
from derivations.modewise import (
    _diffusion_case,
    _ito_closed_form,
    _matrices_equal,
    mode_jacobian,
    modewise_diffusion_claim,
    modewise_drift_claim,
    modewise_hessian_claim,
    modewise_jacobian_claim,
    symbolic_mode_setup,
)
from derivations.output_noise import (
    independent_gaussian_expectation,
    is_zero_polynomial,
    noise_second_moments,
)
from derivations.symbolic_network import ntk_operator, partial_products, symbolic_matrix, vec
from dlnverify.errors import InvalidParameter

#: Every test of the topic runs on one worker: its derivations (cached in-process) are
#: computed once per run (tests/README.md).
pytestmark = pytest.mark.xdist_group("modewise")

# Small shapes: rectangular one layer, a wide hidden layer with m != n, three layers.
FAST_SHAPES = ((3, 2), (2, 3, 2), (2, 1, 2, 2))


def test_gaussian_moments_from_isserlis():
    x, y = sp.symbols("x y", real=True)
    v = sp.Symbol("v", positive=True)
    moments = independent_gaussian_expectation(
        x**4 + x**2 * y**2 + x**3 * y + 5, {x: v, y: sp.Integer(1)}
    )
    # E x^4 = 3 v^2, E x^2 y^2 = v, odd moments vanish
    assert sp.expand(moments - (3 * v**2 + v + 5)) == 0


def test_noise_moments_match_the_definition_of_n():
    # E[N_11^2] for a 1x1 network: N = D (x^2 - 1) + s z x -> 2 D^2 + s^2
    d, sroot = sp.symbols("d r", real=True)
    moments = noise_second_moments(sp.Matrix([[d]]), sp.Matrix([[sroot]]))
    assert sp.expand(moments[0, 0] - (2 * d**2 + sroot**2)) == 0


def test_jacobian_claim_holds():
    result = modewise_jacobian_claim()
    assert result.claim == "C5"
    assert result.holds
    assert len(result.cases) == 4


def test_jacobian_perturbed_is_rejected():
    weights, (u,), (v,), _, _ = symbolic_mode_setup((2, 2, 2, 2))
    derived = mode_jacobian(weights, u, v)
    a_list, b_list = partial_products(weights)
    stated = [a.T * u * v.T * b.T for a, b in zip(a_list, b_list, strict=True)]
    wrong_factor = [sp.Rational(11, 10) * m for m in stated]
    no_transpose = [
        a.T * u * v.T * b for a, b in zip(a_list, b_list, strict=True)
    ]  # B_l instead of B_l^T
    assert all(_matrices_equal(d, w) for d, w in zip(derived, stated, strict=True))
    assert not any(_matrices_equal(d, w) for d, w in zip(derived, wrong_factor, strict=True))
    assert not all(_matrices_equal(d, w) for d, w in zip(derived, no_transpose, strict=True))


@settings(max_examples=5)
@given(widths=st.lists(st.integers(1, 3), min_size=2, max_size=4))
def test_jacobian_at_drawn_shapes(widths):
    assert modewise_jacobian_claim(shapes=(tuple(widths),)).holds


def test_hessian_claim_holds():
    result = modewise_hessian_claim()
    assert result.claim == "C6"
    assert result.holds


def test_diffusion_claim_holds():
    result = modewise_diffusion_claim(shapes=FAST_SHAPES)
    assert result.claim == "C5"
    assert result.holds
    assert set(result.stated) == {"kronecker", "ntk_expectation", "ntk_closed"}


def test_diffusion_perturbed_statements_are_rejected():
    widths = (2, 3, 2)
    derived, stated = _diffusion_case(widths)
    assert _matrices_equal(derived, stated["ntk_closed"])
    assert not _matrices_equal(derived, stated["ntk_closed"] * sp.Rational(11, 10))
    # dropped term: the commutation part Delta K_b^T Delta of the closed form
    weights, us, vs, delta, label_sqrt = symbolic_mode_setup(widths, n_modes=2)
    k_b = ntk_operator(weights, us[1] * vs[1].T)
    label_cov = label_sqrt * label_sqrt.T
    dropped = kappa * (us[0].T * ntk_operator(weights, (delta * delta.T + label_cov) * k_b) * vs[0])
    assert not is_zero_polynomial(derived[0, 1] - dropped[0, 0])


def test_drift_claim_holds():
    result = modewise_drift_claim(shapes=((3, 2), (2, 3, 2), (2, 2, 2, 2)))
    assert result.claim == "C6"
    assert result.holds
    assert set(result.derived) == {"gradient_drift", "ito_drift"}


def test_ito_closed_form_perturbed_is_rejected():
    widths = (2, 2, 2, 2)
    result = modewise_drift_claim(shapes=(widths,))
    weights, (u,), (v,), delta, label_sqrt = symbolic_mode_setup(widths)
    label_cov = label_sqrt * label_sqrt.T
    ito = result.derived["ito_drift"]
    assert is_zero_polynomial(ito - _ito_closed_form(weights, u, v, delta, label_cov))
    # dropped label-noise term, dropped trace term, factor 1.1
    assert not is_zero_polynomial(ito - _ito_closed_form(weights, u, v, delta, sp.zeros(2, 2)))
    assert not is_zero_polynomial(
        ito - sp.Rational(11, 10) * _ito_closed_form(weights, u, v, delta, label_cov)
    )
    zero_gap = _ito_closed_form(weights, u, v, sp.zeros(2, 2), label_cov)
    assert not is_zero_polynomial(ito - zero_gap)


def test_vec_is_column_major():
    x = symbolic_matrix("X", 2, 3)
    assert list(vec(x)) == [x[0, 0], x[1, 0], x[0, 1], x[1, 1], x[0, 2], x[1, 2]]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: modewise_jacobian_claim(shapes=((2,),)), "widths"),
        (lambda: modewise_hessian_claim(shapes=((2, 0, 2),)), "widths"),
        (lambda: modewise_drift_claim(shapes=()), "shapes"),
        (lambda: modewise_diffusion_claim(shapes=((2.0, 2),)), "widths"),
    ],
)
def test_invalid_input(call, match):
    with pytest.raises(InvalidParameter, match=match):
        call()


def test_claims_fail_and_show_the_difference_when_a_statement_is_wrong(monkeypatch):
    """``holds`` comes from the difference steps: a wrong closed form flips it and the
    step shows the non-zero difference instead of 0."""
    correct = modewise.modewise_drift_claim(shapes=((2, 2, 2),))
    assert correct.holds
    assert all(step.rhs == 0 for step in correct.steps)

    closed = modewise._ito_closed_form
    monkeypatch.setattr(
        modewise, "_ito_closed_form", lambda *args: sp.Rational(11, 10) * closed(*args)
    )
    wrong = modewise.modewise_drift_claim(shapes=((2, 2, 2),))
    assert not wrong.holds
    assert sum(step.rhs != 0 for step in wrong.steps) == 1
