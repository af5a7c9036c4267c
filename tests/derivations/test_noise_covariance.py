"""C3 [Prop. 3.2, App. B]: the gradient-noise covariance, Wick-derived, against the statement.

Every layer pair, with and without a general symmetric label-noise covariance, at depths 1-3
(rectangular and hidden-wider-than-input shapes included); perturbed statements (dropped
commutation term, swapped Kronecker factors, transposed commutation matrix, dropped label
noise, doubled first term) must fail against the same derived polynomials.  The NumPy
evaluator of the closed form is checked against the *derived* covariance at rational points.
"""

import functools
import random

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derivations.noise_covariance import (
    NOISE_COVARIANCE_CASES,
    _commutation_like,
    derive_noise_covariance,
    noise_covariance,
    noise_covariance_claim,
    noise_covariance_closed_form,
    noise_covariance_closed_form_numeric,
    stated_noise_covariance_block,
)
from derivations.symbolic_network import (
    gap_matrix,
    kronecker,
    label_noise_covariance,
    weight_matrices,
)
from dlnverify.errors import InvalidParameter

#: Every test of the topic runs on one worker: its derivations (cached in-process) are
#: computed once per run (tests/README.md).
pytestmark = pytest.mark.xdist_group("noise_covariance")


def test_claim_holds_for_every_block_shape_and_noise_setting():
    result = noise_covariance_claim()
    assert result.claim == "C3"
    assert result.holds, result.findings
    assert not result.findings
    assert len(result.cases) == 2 * len(NOISE_COVARIANCE_CASES)


@settings(max_examples=4)
@given(widths=st.lists(st.integers(1, 3), min_size=2, max_size=4), noisy=st.booleans())
def test_claim_holds_at_drawn_shapes(widths, noisy):
    assert noise_covariance_claim(shapes=[widths], label_noise=[noisy]).holds


def _t(M):
    return M.transpose()


def _no_commutation(A_l, B_l, A_k, B_k, D, S):
    return kronecker(B_l * _t(B_k), _t(A_l) * (D * _t(D) + S) * A_k)


def _swapped(A_l, B_l, A_k, B_k, D, S):
    h_k, h_km1 = A_k.shape[1], B_k.shape[0]
    return _no_commutation(A_l, B_l, A_k, B_k, D, S) + kronecker(
        _t(A_l) * D * _t(B_k), B_l * _t(D) * A_k
    ) * _commutation_like(D, h_k, h_km1)


def _transposed_k(A_l, B_l, A_k, B_k, D, S):
    h_k, h_km1 = A_k.shape[1], B_k.shape[0]
    return _no_commutation(A_l, B_l, A_k, B_k, D, S) + kronecker(
        B_l * _t(D) * A_k, _t(A_l) * D * _t(B_k)
    ) * _commutation_like(D, h_km1, h_k)


def _no_label_noise(A_l, B_l, A_k, B_k, D, S):
    return stated_noise_covariance_block(A_l, B_l, A_k, B_k, D, S - S)


def _doubled_first(A_l, B_l, A_k, B_k, D, S):
    return stated_noise_covariance_block(A_l, B_l, A_k, B_k, D, S) + _no_commutation(
        A_l, B_l, A_k, B_k, D, S
    )


@pytest.mark.parametrize(
    ("block", "label_noise"),
    [
        (_no_commutation, False),
        (_swapped, False),
        (_transposed_k, False),
        (_no_label_noise, True),
        (_doubled_first, False),
    ],
)
def test_perturbed_statements_are_rejected(block, label_noise):
    # (2, 3, 2): W_1 is 3 x 2, so K_{3,2} != K_{2,3} and a transposed K cannot pass unseen
    result = noise_covariance_claim(shapes=[(2, 3, 2)], label_noise=[label_noise], block=block)
    assert not result.holds
    assert any("statement fails" in f for f in result.findings)


def test_noise_has_mean_zero_and_vanishes_at_the_global_minimum():
    der = derive_noise_covariance((2, 3, 2), label_noise=False)
    assert der.mean_is_zero
    Sigma = noise_covariance((2, 3, 2), label_noise=False)
    at_min = Sigma.subs(dict.fromkeys(gap_matrix((2, 2)), 0))
    assert at_min == sp.zeros(*Sigma.shape)
    assert Sigma != sp.zeros(*Sigma.shape)


def test_sympy_closed_form_matches_derivation():
    widths = (2, 3, 2)
    weights = weight_matrices(widths)
    stated = noise_covariance_closed_form(weights, gap_matrix((2, 2)), label_noise_covariance(2))
    derived = noise_covariance(widths, label_noise=True)
    assert (stated - derived).expand() == sp.zeros(*derived.shape)


@functools.cache
def _derived(widths, noisy):
    return noise_covariance(widths, label_noise=noisy)


@settings(max_examples=3)
@given(seed=st.integers(0, 2**32 - 1), noisy=st.booleans())
def test_numeric_closed_form_matches_derived_covariance(seed, noisy):
    """The NumPy evaluator against the derived Sigma at random rational points."""
    rng = random.Random(seed)
    widths = (2, 3, 2, 3)
    derived = _derived(widths, noisy)

    def rational():
        return sp.Rational(rng.randint(-20, 20), rng.randint(1, 9))

    weights = [W.applyfunc(lambda _: rational()) for W in weight_matrices(widths)]
    teacher = sp.Matrix(3, 2, lambda i, j: rational())
    M = sp.Matrix(3, 3, lambda i, j: rational())
    S = M * M.T if noisy else sp.zeros(3, 3)
    W = weights[2] * weights[1] * weights[0]
    values = {
        s: v
        for Ws, Wv in zip(weight_matrices(widths), weights, strict=True)
        for s, v in zip(Ws, Wv, strict=True)
    }
    values |= dict(zip(gap_matrix((3, 2)), teacher - W, strict=True))
    if noisy:
        values |= {label_noise_covariance(3)[i, j]: S[i, j] for i in range(3) for j in range(3)}
    exact = np.array(derived.xreplace(values).tolist(), dtype=np.float64)
    numeric = noise_covariance_closed_form_numeric(
        [np.array(Wv.tolist(), dtype=np.float64) for Wv in weights],
        np.array(teacher.tolist(), dtype=np.float64),
        np.array(S.tolist(), dtype=np.float64) if noisy else None,
    )
    # float64 round-off only: entries are sums of ~1e3 products of O(10) numbers; 1e-9
    # relative to the largest entry is ~1e5 ulps of slack and far below any formula error.
    scale = max(1.0, float(np.abs(exact).max()))
    assert numeric.shape == exact.shape
    assert np.max(np.abs(numeric - exact)) <= 1e-9 * scale


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (([np.eye(2)], np.zeros((3, 2)), None), "teacher_matrix"),
        (([np.eye(2), np.ones((2, 3))], np.zeros((2, 2)), None), "columns"),
        (([np.eye(2)], np.zeros((2, 2)), np.array([[1.0, 2.0], [0.0, 1.0]])), "symmetric"),
        (([np.eye(2)], np.full((2, 2), np.nan), None), "finite"),
        (([np.ones(2)], np.zeros((2, 2)), None), "2-D"),
    ],
)
def test_numeric_invalid_input(args, match):
    with pytest.raises(InvalidParameter, match=match):
        noise_covariance_closed_form_numeric(*args)


def test_claim_invalid_input():
    with pytest.raises(InvalidParameter, match="at least one"):
        noise_covariance_claim(label_noise=[])
    with pytest.raises(InvalidParameter, match="widths"):
        noise_covariance_claim(shapes=[(2,)])
