"""C18 [beyond the paper]: with label noise the layers rebalance along the manifold of minima.

Derived: the drift of every layer imbalance at a minimum (general weights, Wick moments), its
per-mode form as a gradient of tr H, the fixed point of the slow flow at depths 2-6, the
depth-two rate, and the first-order mode means at the fixed point.  Perturbed statements must
be rejected; the balanced point must come out as a fixed point exactly where it is one.
"""

import pytest
import sympy as sp

from derivations.conventions import L, kappa, sigma, sigma_eps
from derivations.minima_flow import (
    DRIFT_SHAPES,
    depth_two_slow_flow,
    imbalance_drift_at_minimum,
    m_out,
    mode_imbalance_drift,
    n_in,
    nuclear,
    rebalanced_point,
    rebalancing_claim,
    rebalancing_potential,
    slow_rates,
)
from derivations.stationary import stationary_mean
from dlnverify.errors import InvalidParameter

# with the registry's C18 test on one worker: the derivation's cached parts are shared
pytestmark = pytest.mark.xdist_group("minima_flow")

DEPTH = sp.Symbol("L", positive=True, integer=True)
SIGMA_B = sp.Symbol("sigma_b", positive=True)


@pytest.fixture(scope="module")
def claim():
    return rebalancing_claim()


def test_the_claim_holds_and_names_the_first_order_drift(claim):
    assert claim.claim == "C18"
    assert claim.holds
    assert any("FIRST order" in f for f in claim.findings)


@pytest.mark.parametrize("widths", DRIFT_SHAPES)
def test_the_matrix_drift_at_general_weights_is_the_statement(widths):
    assert imbalance_drift_at_minimum(widths)["holds"]


def test_the_drift_at_the_balanced_point_is_not_zero_when_the_ends_differ():
    """Depth 2, n = 2 inputs, m = 3 outputs: the first-order drift of each mode at the
    balanced point is kappa sigma_eps^2 (m - n) sigma_b: the 'second order' reading fails."""
    derived = mode_imbalance_drift((2, 3, 3), 2)
    a = derived["amplitudes"]
    for b, value in enumerate((sp.Integer(2), sp.Integer(1))):
        at = {a[0][b]: sp.sqrt(value), a[1][b]: sp.sqrt(value)}
        assert sp.simplify(derived["drift"][0][b].subs(at)) == kappa * sigma_eps**2 * value


def test_the_balanced_point_is_fixed_for_a_square_depth_two_network():
    derived = mode_imbalance_drift((3, 2, 3), 2)
    a = derived["amplitudes"]
    at = {a[l][b]: sp.Symbol(f"r_{b}", positive=True) for l in range(2) for b in range(2)}
    assert all(sp.expand(e.subs(at)) == 0 for row in derived["drift"] for e in row)


def test_the_per_mode_drift_is_the_gradient_of_the_trace_of_the_hessian():
    assert rebalancing_potential((3, 2, 2, 2), 1)["gradient_flow"]


def test_the_fixed_point_at_depth_two_by_hand():
    first, second = rebalanced_point(2)
    assert sp.simplify(first - SIGMA_B * sp.sqrt(n_in / m_out)) == 0
    assert sp.simplify(second - SIGMA_B * sp.sqrt(m_out / n_in)) == 0


def test_the_middle_layers_carry_every_mode_alike_at_depth_four():
    squares = rebalanced_point(4)
    assert not squares[1].has(SIGMA_B)
    assert sp.simplify(squares[1] - squares[2]) == 0
    assert sp.simplify(squares[1] ** 4 - nuclear**2 / (m_out * n_in)) == 0


def test_the_depth_two_flow_relaxes_to_the_fixed_point():
    flow = depth_two_slow_flow()
    d = flow["imbalance"]
    assert sp.simplify(flow["fixed"] - sigma * (m_out - n_in) / sp.sqrt(m_out * n_in)) == 0
    # the rate decreases through its zero: the fixed point attracts
    slope = sp.diff(flow["rate"], d).subs(d, flow["fixed"]).subs({m_out: 1, n_in: 9, sigma: 1})
    assert float(slope) < 0
    # at D = 0 (balanced) the mean is C17's depth-two value sigma - kappa sigma_eps^2 (m+n)/4
    assert sp.simplify(flow["mean_shift"].subs(d, 0) + (m_out + n_in) / 4) == 0


def test_at_width_one_the_rebalanced_mean_is_c12s():
    """m = n = 1: the network is the mode and always balanced; the statement must reduce to
    C12's first-order mean."""
    (mean,) = [v for k, v in rebalancing_claim().stated.items() if k == "mean"]
    at_one = mean.subs({m_out: 1, n_in: 1, nuclear: sigma})
    c12 = sp.series(stationary_mean(), kappa, 0, 2).removeO()
    assert sp.simplify(at_one.subs(DEPTH, 3) - c12.subs(L, 3)) == 0


@pytest.mark.parametrize(
    "wrong",
    [
        {"first": SIGMA_B * (n_in / nuclear) ** (1 / DEPTH) * (nuclear / m_out) ** (1 / DEPTH)},
        {"middle": (nuclear / (m_out * n_in)) ** (1 / DEPTH)},
        {"last": SIGMA_B * (nuclear / m_out) ** (1 / DEPTH) * (n_in / nuclear) ** (1 - 1 / DEPTH)},
        {"rate": kappa * sigma_eps**2 * m_out * n_in / (m_out + n_in)},  # factor 2 dropped
        {"mean": sigma - kappa * sigma_eps**2 * (m_out + n_in) / 4},  # C17's balanced value
        {
            "mean": sigma
            - kappa * sigma_eps**2 * (DEPTH - 1) / 2 * (m_out * n_in) ** (1 / DEPTH) * sigma
        },  # S^(1-2/L) replaced by sigma
    ],
    ids=["first", "middle", "last", "rate", "mean-C17", "mean-sigma"],
)
def test_perturbed_statements_are_rejected(wrong):
    assert not rebalancing_claim(wrong).holds


def test_bad_depths_and_ranks_are_refused():
    with pytest.raises(InvalidParameter, match="depth"):
        rebalanced_point(1)
    with pytest.raises(InvalidParameter, match="rank"):
        mode_imbalance_drift((2, 2, 2), 3)


def test_the_slow_rates_at_depth_two_are_the_closed_form_and_positive_deeper():
    """L = 2: one rate 2mn/(m + n) per mode, by hand from the linearised flow of log P
    (n = 9, m = 1: 1.8).  L = 3, one mode of a 4 x 4 network: two rates, both positive (the
    fixed point attracts)."""
    assert slow_rates((9, 1, 1), [sp.Integer(1)]) == pytest.approx((1.8,), rel=1e-12)
    rates = slow_rates((4, 1, 1, 4), [sp.Integer(1)])
    assert len(rates) == 2
    assert min(rates) > 0
