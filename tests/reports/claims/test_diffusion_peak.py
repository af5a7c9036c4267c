"""C8's observable, the maximiser of the simulated diffusion, against the derived s*.

Without label noise the simulated diffusion is a sample constant times a function of s, so
every batch has the same maximiser and the sampling error vanishes: the error bar must then
be the optimiser's tolerance, or a correct formula is refuted (z in the thousands).  False-alarm
rate 1e-6 per compared number; power: a formula off by 0.1 % is rejected.
"""

import numpy as np
import pytest

from derivations.conventions import L, sigma, sigma_eps
from derivations.diffusion_peak import diffusion_peak
from numerics.montecarlo import z_threshold
from reports import check
from reports.claims.diffusion_peak import simulated_diffusion_peak

#: Every test of the topic runs on one worker: its derivations (cached in-process) are
#: computed once per run (tests/README.md).
pytestmark = pytest.mark.xdist_group("diffusion_peak")

THRESHOLD = z_threshold(1e-6, 1)


@pytest.mark.parametrize(("depth", "value"), [(2, 0.9), (3, 1.46), (5, 2.0)])
def test_the_maximiser_without_label_noise_is_within_its_error_bar(depth, value):
    point = {"sigma": value, "sigma_eps": 0.0, "L": depth, "kappa": 0.1}
    estimate = simulated_diffusion_peak(point, np.random.default_rng(depth))
    derived = float(diffusion_peak().subs({sigma: value, sigma_eps: 0, L: depth}))
    assert estimate.standard_error > 0
    assert abs(float(estimate.value) - derived) <= THRESHOLD * estimate.standard_error
    assert abs(float(estimate.value) - 1.001 * derived) > THRESHOLD * estimate.standard_error


def test_check_verifies_the_depth_formula_of_s_star_without_label_noise():
    result = check("diffusion_peak", "2*(L-1)*sigma/(3*L-2)", at={"sigma_eps": 0})
    assert result.verdict == "verified", result.message
    wrong = check("diffusion_peak", "2*(L-1)*sigma/(3*L-1)", at={"sigma_eps": 0})
    assert wrong.verdict == "refuted", wrong.message
