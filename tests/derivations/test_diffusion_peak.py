"""C8 [Eqs. 8-10]: the peak of the modewise diffusion and when it exists.

The maximiser, the existence threshold and s* < sigma are derived for symbolic depth; the
larger root of the stationarity condition (a local minimum), a threshold off by 1.1 and a
wrong no-label-noise value must be rejected.
"""

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derivations.aligned_balanced import aligned_diffusion
from derivations.conventions import L, kappa, s, sigma, sigma_eps
from derivations.diffusion_peak import (
    _roots,
    diffusion_peak,
    diffusion_peak_claim,
    peak_threshold,
    stationarity_polynomial,
)

#: Every test of the topic runs on one worker: its derivations (cached in-process) are
#: computed once per run (tests/README.md).
pytestmark = pytest.mark.xdist_group("diffusion_peak")

STATED_PEAK = (
    (5 * L - 4) * sigma - sp.sqrt(L**2 * sigma**2 - 4 * (3 * L - 2) * (L - 1) * sigma_eps**2)
) / (2 * (3 * L - 2))
STATED_THRESHOLD = L * sigma / (2 * sp.sqrt((3 * L - 2) * (L - 1)))


def test_claim_holds():
    result = diffusion_peak_claim()
    assert result.claim == "C8"
    assert result.holds
    assert sp.simplify(result.derived["no_label_noise"] - 2 * (L - 1) * sigma / (3 * L - 2)) == 0


def test_accessors_equal_statements():
    assert sp.simplify(diffusion_peak() - STATED_PEAK) == 0
    assert sp.simplify(peak_threshold() - STATED_THRESHOLD) == 0
    stated_q = (
        (3 * L - 2) * s**2 - (5 * L - 4) * sigma * s + (L - 1) * (2 * sigma**2 + sigma_eps**2)
    )
    assert sp.expand(stationarity_polynomial() - stated_q) == 0


def test_perturbed_statements_are_rejected():
    point = {L: 3, sigma: 1, sigma_eps: sp.Rational(1, 10)}
    low, high = _roots()
    # the wrong root of the peak equation
    assert sp.simplify((high - STATED_PEAK).subs(point)) != 0
    assert sp.simplify((sp.Rational(11, 10) * STATED_THRESHOLD - peak_threshold()).subs(point)) != 0
    wrong_no_noise = (L - 1) * sigma / (3 * L - 2)
    assert sp.simplify((low.subs(sigma_eps, 0) - wrong_no_noise).subs(point)) != 0


def test_larger_root_is_a_local_minimum():
    low, high = _roots()
    second = sp.diff(aligned_diffusion(), s, 2)
    point = {L: 3, sigma: 1, sigma_eps: sp.Rational(1, 10), kappa: 1}
    assert sp.N(second.subs(s, low.subs(point)).subs(point), 30) < 0
    assert sp.N(second.subs(s, high.subs(point)).subs(point), 30) > 0


@settings(max_examples=15)
@given(
    depth=st.integers(2, 12),
    sigma_num=st.integers(1, 20),
    fraction=st.integers(0, 99),
)
def test_peak_is_an_interior_maximum_below_sigma(depth, sigma_num, fraction):
    # sigma_eps drawn strictly below the threshold: an interior maximum must exist
    sig = sp.Rational(sigma_num, 10)
    threshold = STATED_THRESHOLD.subs({L: depth, sigma: sig})
    eps = threshold * sp.Rational(fraction, 100)
    point = {L: depth, sigma: sig, sigma_eps: eps, kappa: 1}
    peak = diffusion_peak().subs(point)
    derivative = sp.diff(aligned_diffusion(), s).subs(point)
    assert abs(sp.N(derivative.subs(s, peak), 40)) < sp.Float(10) ** -30  # exact root, 40 digits
    assert 0 < sp.N(peak, 30) < sig
    second = sp.diff(aligned_diffusion(), s, 2).subs(point)
    assert sp.N(second.subs(s, peak), 30) < 0


def test_depth_one_has_no_interior_maximum():
    depth_one = aligned_diffusion().subs(L, 1)
    assert sp.solve(sp.diff(depth_one, s), s) == [sigma]
    assert sp.diff(depth_one, s, 2).is_positive
