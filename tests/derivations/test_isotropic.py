"""C13 [Sec. 3 remark]: isotropic Langevin noise T I.

Derived: modewise diffusion T sum_l ||A_l^T u||^2 ||B_l v||^2 (cross-mode form too), Itô drift
(T/2) tr H = 0, and T L s^(2-2/L) on the aligned-balanced manifold.  The sqrt(2T)
normalisation (factor 2) and a wrong exponent must be rejected.
"""

import pytest
import sympy as sp

from derivations.conventions import L, T, s
from derivations.isotropic import _diagonal_case, isotropic_diffusion, isotropic_langevin_claim
from derivations.modewise import mode_hessian, mode_jacobian, symbolic_mode_setup
from derivations.output_noise import is_zero_polynomial
from derivations.symbolic_network import vec

#: Every test of the topic runs on one worker: its derivations (cached in-process) are
#: computed once per run (tests/README.md).
pytestmark = pytest.mark.xdist_group("isotropic")


def test_claim_holds():
    result = isotropic_langevin_claim(depths=(1, 2, 3, 4))
    assert result.claim == "C13"
    assert result.holds
    assert result.derived["ito_drift"] == 0


def test_aligned_isotropic_diffusion():
    assert sp.simplify(isotropic_diffusion() - T * L * s ** (2 - 2 / L)) == 0
    assert _diagonal_case(3)


def test_perturbed_statements_are_rejected():
    point = {L: 3, s: sp.Rational(1, 2), T: 1}
    assert (isotropic_diffusion() - 2 * T * L * s ** (2 - 2 / L)).subs(point) != 0
    assert sp.simplify((isotropic_diffusion() - T * L * s ** (2 - 1 / L)).subs(point)) != 0
    # at general weights: the sqrt(2T) convention doubles the variance rate
    weights, (u,), (v,), _, _ = symbolic_mode_setup((2, 3, 2))
    jac = mode_jacobian(weights, u, v)
    rate = T * sum(((vec(j).T * vec(j))[0, 0] for j in jac), sp.Integer(0))
    assert not is_zero_polynomial(rate - 2 * rate)


def test_hessian_has_zero_trace_but_is_not_zero():
    weights, (u,), (v,), _, _ = symbolic_mode_setup((2, 2, 2))
    hess = mode_hessian(weights, u, v)
    assert hess.trace() == 0
    assert hess != sp.zeros(*hess.shape)
