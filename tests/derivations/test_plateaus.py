"""C15 [seed 002]: the saddles visited by gradient flow from small initialisation.

The plateau losses 1/2 sum_{b>k} sigma_b^2 + 1/2 tr Sigma_eps, criticality and rank k are
derived from the Wick-expected loss; perturbed statements (label-noise constant dropped, sum
over b >= k, factor 1 instead of 1/2, rank k + 1) must be rejected by the same comparison.
"""

import pytest
import sympy as sp

from derivations.plateaus import (
    PLATEAU_CASES,
    escape_path_loss,
    hessian_inertia,
    label_noise_trace,
    n_learned,
    plateau_claim,
    plateau_losses,
    plateau_rank,
    saddle_point,
    singular_value_symbols,
    stated_plateau,
)
from dlnverify.errors import InvalidParameter

#: Every test of the topic runs on one worker: its derivations (cached in-process) are
#: computed once per run (tests/README.md).
pytestmark = pytest.mark.xdist_group("plateaus")

_b, _r = sp.Symbol("b", integer=True, positive=True), sp.Symbol("r", integer=True, positive=True)
_sig = sp.IndexedBase("sigma")
SMALL = ((3, 3, 3),)


@pytest.fixture(scope="module")
def claim():
    return plateau_claim()


def test_claim_holds(claim):
    assert claim.claim == "C15"
    assert claim.holds, claim.findings
    assert len(claim.derived) == sum(min(w[0], w[-1]) + 1 for w in PLATEAU_CASES)
    assert all(step.lhs is not None and step.rhs is not None for step in claim.steps)


def test_derived_losses_match_the_hand_formula(claim):
    sigmas = singular_value_symbols(3)
    for (_, k), derived in claim.derived.items():
        by_hand = sum(s**2 for s in sigmas[k:]) / 2 + label_noise_trace / 2
        assert sp.expand(derived["loss"] - by_hand) == 0
        assert derived["rank"] == k


@pytest.mark.parametrize(
    "perturbed",
    [
        {"loss": sp.Sum(_sig[_b] ** 2, (_b, n_learned + 1, _r)) / 2},  # label noise dropped
        {"loss": sp.Sum(_sig[_b] ** 2, (_b, n_learned, _r)) / 2 + label_noise_trace / 2},
        {"loss": sp.Sum(_sig[_b] ** 2, (_b, n_learned + 1, _r)) + label_noise_trace / 2},
        {"rank": n_learned + 1},
    ],
)
def test_perturbed_statements_are_rejected(perturbed):
    assert not plateau_claim(perturbed, shapes=SMALL).holds


def test_stated_statement_holds_on_the_small_case():
    assert plateau_claim(stated_plateau(), shapes=SMALL).holds


def test_end_to_end_map_at_the_saddle_has_the_learned_modes():
    sigmas = singular_value_symbols(3)
    for k in range(4):
        rank, core = plateau_rank((3, 4, 3), k)
        assert rank == k
        assert sp.expand(core - sp.diag(*[s if b < k else 0 for b, s in enumerate(sigmas)])) == (
            sp.zeros(3, 3)
        )


@pytest.mark.parametrize(("widths", "k"), [((3, 3, 3), 0), ((3, 3, 3), 2), ((3, 3, 3, 3), 1)])
def test_escape_path_is_the_hand_derived_polynomial(widths, k):
    # mode k+1 at amplitude tau^L: 1/2 (sigma - tau^L)^2 - 1/2 sigma^2 (by hand)
    depth = len(widths) - 1
    tau = sp.Symbol("tau", positive=True)
    sigma = singular_value_symbols(3)[k]
    by_hand = ((sigma - tau**depth) ** 2 - sigma**2) / 2
    assert sp.expand(escape_path_loss(widths, k) - by_hand) == 0


def test_hessian_inertia():
    # depth 3: the loss has no quadratic term at the origin (W is cubic in the weights)
    assert hessian_inertia((3, 3, 3, 3), 0) == (0, 27, 0)
    for k in range(3):
        negative, _, _ = hessian_inertia((3, 3, 3), k)
        assert negative > 0  # depth 2: strict saddles
    assert hessian_inertia((3, 3, 3), 3)[0] == 0  # the global minimum


def test_plateau_losses_at_numbers():
    values, trace = (3.0, 2.0, 1.0), 0.72
    derived = plateau_losses(values, trace, depth=2)
    by_hand = [sum(v**2 for v in values[k:]) / 2 + trace / 2 for k in range(4)]
    assert derived == pytest.approx(by_hand, rel=1e-14)


def test_bad_input():
    with pytest.raises(InvalidParameter):
        saddle_point((3, 3, 3), 4)
    with pytest.raises(InvalidParameter):
        saddle_point((3, 2, 3), 1)
    with pytest.raises(InvalidParameter):
        plateau_losses((1.0, -2.0), 0.0)
    with pytest.raises(InvalidParameter):
        plateau_losses((1.0,), -1.0)
    with pytest.raises(InvalidParameter):
        singular_value_symbols(0)
