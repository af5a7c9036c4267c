"""C16 (beyond the paper): the full network without label noise collapses at the rate of
the gap's row.

The claim is derived; perturbed statements (the Itô term x 1.1, the block size counted
wrong, the Itô term dropped, C11's modewise rate) must be rejected by the same comparison.
Two independent routes to the same first-order rate are compared: Khasminskii's expansion
(``row_log_generator``) and the small-kappa limit of the exact two-entry quadrature
(``reports.claims.row_collapse``), and the Wick covariance of the linearised noise is checked
against the GOE form written out here.
"""

import pytest
import sympy as sp

from derivations.conventions import L, kappa, sigma
from derivations.row_collapse import (
    BLOCK_SIZES,
    block_rate,
    entry_relaxation_rates,
    full_network_collapse_rate,
    linearised_gap_dynamics,
    row_collapse_claim,
    row_log_generator,
    slow_rate,
    slow_size,
    stated_row_collapse,
)
from derivations.stationary import collapse_rate
from dlnverify.errors import InvalidParameter
from reports.claims.row_collapse import two_entry_collapse_rate

#: Every test of the topic runs on one worker: its derivations (cached in-process) are
#: computed once per run (tests/README.md).
pytestmark = pytest.mark.xdist_group("row_collapse")

K, n = slow_rate, slow_size


def test_claim_holds():
    result = row_collapse_claim()
    assert result.claim == "C16"
    assert result.holds, result.findings
    assert result.steps
    assert result.cases


@pytest.mark.parametrize(
    "block",
    [
        K + 1.1 * kappa * K**2 * (3 - n) / 2,  # Itô term x 1.1
        K + kappa * K**2 * (2 - n) / 2,  # block size counted one too many
        K,  # Itô term dropped
        K + kappa * K**2,  # C11's Itô term, whatever the block
    ],
)
def test_perturbed_block_rate_is_rejected(block):
    assert not row_collapse_claim({"block_rate": block}).holds


@pytest.mark.parametrize(
    "rate",
    [
        collapse_rate(),  # C11's modewise rate
        1.1 * sigma ** (2 - 2 / L) + kappa * sigma ** (4 - 4 / L) * (3 - n) / 2,
        sigma ** (2 - 1 / L) + kappa * sigma ** (4 - 4 / L) * (3 - n) / 2,  # wrong exponent
    ],
)
def test_perturbed_full_network_rate_is_rejected(rate):
    assert not row_collapse_claim({"full_network_rate": rate}).holds


def test_first_order_rates_match_the_block_formula():
    for size in BLOCK_SIZES:
        for fast in ((), (3 * K,), (2 * K, 5 * K)):
            expected = stated_row_collapse()["block_rate"].subs(n, size)
            assert sp.simplify(block_rate(size, fast) - expected) == 0


def test_width_one_row_is_c11():
    gap = entry_relaxation_rates()["gap"]
    assert sp.simplify(block_rate(1).subs(K, gap) - collapse_rate()) == 0


def test_linearised_noise_has_the_goe_row_covariance():
    """Rank 2 at depth 2, one input null direction: every check of the linearisation holds,
    and the rates are the sums of products of layer amplitudes tau (sigma = tau^2)."""
    result = linearised_gap_dynamics((3, 3, 3), 2)
    keys = ("diagonal", "rates_agree", "covariance_agrees", "rows_closed", "moments_quadratic")
    assert all(result[key] for key in keys)
    t1, t2 = sp.symbols("tau_1 tau_2", positive=True)
    expected = sp.Matrix(
        [[2 * t1**2, t1**2 + t2**2, t1**2], [t1**2 + t2**2, 2 * t2**2, t2**2], [t1**2, t2**2, 0]]
    )
    assert sp.expand(result["rates"] - expected).is_zero_matrix


@pytest.mark.parametrize(("gap_rate", "other_rate"), [(4.0, 2.0), (3.0, 1.0), (2.5, 2.0)])
def test_exact_two_entry_rate_tends_to_the_first_order_rate(gap_rate, other_rate):
    """(lambda - K)/kappa -> K^2 (n = 1) as kappa -> 0; the remainder is
    O(kappa K_1^2/(K_1 - K)) relative, < 3e-3 at kappa = 1e-4 for these rates, so a 10 %
    error in the Itô coefficient or C11's coefficient is far outside."""
    scale = 1e-4
    slope = (two_entry_collapse_rate(gap_rate, other_rate, scale) - other_rate) / scale
    first = float(block_rate(1, (gap_rate,)).subs(K, other_rate).coeff(kappa, 1))
    assert first == pytest.approx(other_rate**2)
    assert slope == pytest.approx(first, rel=3e-3)
    assert slope != pytest.approx(1.1 * first, rel=3e-3)


def test_first_order_underestimates_a_strongly_coupled_row():
    """At kappa = 0.05, L = 2, sigma = 2 the exact two-entry rate exceeds the first-order one
    by more than a Monte Carlo standard error of 0.02: the remainder is not negligible."""
    exact = two_entry_collapse_rate(4.0, 2.0, 0.05)
    first = float(full_network_collapse_rate(1).subs({L: 2, sigma: 2, kappa: 0.05}))
    assert first == pytest.approx(2.2)
    assert exact - first > 0.02


def test_generator_is_homogeneous_and_constant_on_the_slow_sphere():
    result = row_log_generator(3, 2)
    assert result["homogeneous"]
    assert result["slow_constant"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: linearised_gap_dynamics((3, 1, 3), 2), "rank"),
        (lambda: linearised_gap_dynamics((3,), 1), "widths"),
        (lambda: linearised_gap_dynamics((3, 3), 0), "rank"),
        (lambda: row_log_generator(0, 1), "n_slow"),
        (lambda: row_log_generator(1, -1), "n_fast"),
        (lambda: full_network_collapse_rate(0), "null_dim"),
        (lambda: two_entry_collapse_rate(4.0, -2.0, 0.05), "other_rate"),
        (lambda: two_entry_collapse_rate(4.0, 2.0, float("nan")), "scale"),
    ],
)
def test_bad_input_names_the_parameter(call, message):
    with pytest.raises(InvalidParameter, match=message):
        call()
