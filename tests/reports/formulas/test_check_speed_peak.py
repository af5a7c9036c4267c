"""``diffusion_peak``'s Monte Carlo curve in closed form (reports/claims/diffusion_peak.py):
the same function of ``s`` as simulating at every ``s``, the same maximiser, a fallback
where the samples lack its form, and the same verdicts (a formula off by 10 % refuted by the
Monte Carlo check alone)."""

import numpy as np
import pytest

from derivations.conventions import L, sigma, sigma_eps
from derivations.diffusion_peak import diffusion_peak, peak_threshold
from numerics.montecarlo import z_threshold
from reports.claims import diffusion_peak as peak

pytestmark = pytest.mark.xdist_group("diffusion_peak")

POINTS = (
    {"sigma": 1.5, "sigma_eps": 0.2, "L": 3, "kappa": 0.1},
    {"sigma": 2.0, "sigma_eps": 0.3, "L": 5, "kappa": 0.1},
    {"sigma": 1.0, "sigma_eps": 0.0, "L": 2, "kappa": 0.1},
)


@pytest.mark.parametrize("point", POINTS)
def test_the_closed_form_curve_is_the_simulated_curve(point):
    closed = peak._closed_form_curve(point, 11, 3000)
    direct = peak._direct_curve(point, 11, 3000)
    assert isinstance(closed, peak._ClosedFormCurve)
    for s in np.array([0.05, 0.3, 0.61, 0.9, 1.3]) * point["sigma"]:
        assert closed(s) == pytest.approx(direct(s), rel=1e-9, abs=1e-300)


@pytest.mark.parametrize("point", POINTS[:2])
def test_its_exact_maximiser_is_the_optimisers(point):
    closed = peak._closed_form_curve(point, 5, 3000)
    direct = peak._direct_curve(point, 5, 3000)
    exact, searched = peak._argmax(closed, point["sigma"]), peak._argmax(direct, point["sigma"])
    assert exact == pytest.approx(searched, abs=2 * peak._XATOL * point["sigma"])
    # and it is a maximum: the curve is lower on either side
    step = 1e-3 * point["sigma"]
    assert closed(exact) > max(closed(exact - step), closed(exact + step))


def test_samples_without_the_affine_form_fall_back_to_simulating_every_s(monkeypatch):
    simulate = peak._diffusion_samples

    def curved(point, seed, n_samples, s):  # a term quadratic in s breaks the form
        return simulate(point, seed, n_samples, s) * (1 + 0.01 * s * s)

    monkeypatch.setattr(peak, "_diffusion_samples", curved)
    point = POINTS[0]
    assert peak._closed_form_curve(point, 3, 2000) is None
    curve = peak._simulated_diffusion_curve(point, 3, 2000)
    assert not isinstance(curve, peak._ClosedFormCurve)
    assert curve(0.7) == pytest.approx(float(np.var(curved(point, 3, 2000, 0.7))), rel=1e-12)


@pytest.mark.parametrize(
    "point",
    [
        {"sigma": 1.0, "sigma_eps": 0.1, "L": 2},
        {"sigma": 2.0, "sigma_eps": 0.5, "L": 4},
        {"sigma": 0.4, "sigma_eps": 0.09, "L": 6},
        {"sigma": 1.2, "sigma_eps": 0.45, "L": 3},
    ],
)
def test_the_domain_is_the_derived_thresholds(point):
    threshold = float(peak_threshold().subs({sigma: point["sigma"], L: point["L"]}))
    assert peak._below_threshold(point) == (point["sigma_eps"] < 0.9 * threshold)


def test_a_maximiser_off_by_ten_percent_is_rejected_and_the_right_one_kept():
    point = POINTS[0]
    estimate = peak.simulated_diffusion_peak(point, np.random.default_rng(0))
    derived = float(diffusion_peak().subs({sigma: 1.5, sigma_eps: 0.2, L: 3}))
    threshold = z_threshold(1e-6, 1)
    assert abs(estimate.value - derived) <= threshold * estimate.standard_error
    assert abs(estimate.value - 1.1 * derived) > threshold * estimate.standard_error
