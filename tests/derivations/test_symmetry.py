"""C2 [Sec. 3]: GL(h_l) invariance of the loss and covariant transformation of the gradient.

A generic symbolic G acts on a hidden layer; the Wick-derived loss (C1) is invariant and the
derived gradient obeys grad_{l+1} -> grad_{l+1} G^T, grad_l -> G^{-T} grad_l.  Perturbations
(W_{l+1} G^T instead of W_{l+1} G^{-1}; the weights' own transformation law for the gradient)
must fail.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derivations.symmetry import SYMMETRY_CASES, symmetry_check, symmetry_claim
from dlnverify.errors import InvalidParameter

#: Every test of the topic runs on one worker: its derivations (cached in-process) are
#: computed once per run (tests/README.md).
pytestmark = pytest.mark.xdist_group("symmetry")


def test_claim_holds_at_default_cases():
    result = symmetry_claim()
    assert result.claim == "C2"
    assert result.holds
    assert len(result.derived) == len(SYMMETRY_CASES)


@settings(max_examples=5)
@given(
    widths=st.lists(st.integers(1, 3), min_size=3, max_size=4),
    data=st.data(),
)
def test_symmetry_at_drawn_shapes(widths, data):
    layer = data.draw(st.integers(1, len(widths) - 2))
    chk = symmetry_check(widths, layer)
    assert chk.end_to_end_invariant
    assert chk.loss_invariant
    assert chk.gradient_law_holds


@pytest.mark.parametrize(("widths", "layer"), [((2, 2, 2), 1), ((2, 3, 2, 2), 1)])
def test_transpose_instead_of_inverse_breaks_the_symmetry(widths, layer):
    chk = symmetry_check(widths, layer, right_factor="transpose")
    assert not chk.end_to_end_invariant
    assert not chk.loss_invariant


@pytest.mark.parametrize(("widths", "layer"), [((2, 2, 2), 1), ((2, 2, 2, 2), 2)])
def test_weights_transformation_law_is_not_the_gradient_law(widths, layer):
    chk = symmetry_check(widths, layer, gradient_law="contravariant")
    assert chk.loss_invariant
    assert not chk.gradient_law_holds


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (((2, 2), 1), {}, "hidden layer"),
        (((2, 2, 2), 2), {}, "hidden layer"),
        (((2, 2, 2), 1), {"right_factor": "adjugate"}, "right_factor"),
        (((2, 2, 2), 1), {"gradient_law": "other"}, "gradient_law"),
    ],
)
def test_invalid_input(args, kwargs, match):
    with pytest.raises(InvalidParameter, match=match):
        symmetry_check(*args, **kwargs)


def test_claim_invalid_cases():
    with pytest.raises(InvalidParameter, match="cases"):
        symmetry_claim(cases=[(2, 2, 2)])
