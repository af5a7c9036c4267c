r"""Tests of ``cross_mode_diffusion_general``: :math:`\kappa\operatorname{Cov}(\langle\nabla s_a,
\xi\rangle, \langle\nabla s_b, \xi\rangle)` at general weights, two generic modes.

The derived value (:func:`derivations.mode_covariance.mode_covariance`) differentiates the
amplitudes along the noise and takes the Gaussian expectation; here it is also recomputed from
the paper's other statement of C5, the Kronecker form :math:`\kappa\sum_{l,k}
\operatorname{vec}(J_{a,l})^\top\Sigma_{lk}\operatorname{vec}(J_{b,k})`, so that the closed NTK
form is verified against a value this test did not take from the implementation.  Slips (a
missing term, ``a`` and ``b`` swapped on one factor, a factor 2) are refuted with the reason;
a formula 1.1 times the right one is rejected by the Monte Carlo step alone, at the stated
false-alarm rate.
"""

import pytest

from derivations.mode_covariance import mode_covariance
from derivations.modewise import modewise_diffusion_claim
from derivations.output_noise import is_zero_polynomial
from numerics.montecarlo import z_threshold
from reports.engine.verdict import FALSE_ALARM_RATE
from reports.formulas.matrix_check import check_matrix, validate_matrix
from reports.formulas.matrix_montecarlo import monte_carlo_check
from reports.formulas.matrix_parse import parse_matrix_formula
from reports.formulas.matrix_quantities import get_matrix_quantity
from reports.formulas.result import Verdict

QUANTITY = "cross_mode_diffusion_general"
#: C5's closed NTK form, K_b = Theta(u_b v_b^T)
CROSS = (
    "kappa*u_a.T*Theta((Delta*Delta.T + Sigma_eps)*Theta(u_b*v_b.T)"
    " + Delta*Theta(u_b*v_b.T).T*Delta)*v_a"
)
COVARIANCE = (
    "kron(B_l*B_k.T, A_l.T*(Delta*Delta.T + Sigma_eps)*A_k)"
    " + kron(B_l*Delta.T*A_k, A_l.T*Delta*B_k.T)*K"
)
#: C5's Kronecker form with Prop. 3.2's blocks: kappa sum_{l,k} vec(J_a,l)^T Sigma_lk vec(J_b,k)
CROSS_KRONECKER = (
    f"kappa*Sum(Sum(vec(A_l.T*u_a*v_a.T*B_l.T).T*({COVARIANCE})"
    f"*vec(A_k.T*u_b*v_b.T*B_k.T), (k, 1, L)), (l, 1, L))"
)


def _swap_modes(formula: str) -> str:
    """``a`` and ``b`` exchanged everywhere."""
    return formula.replace("_a", "_@").replace("_b", "_a").replace("_@", "_b")


CORRECT = [
    CROSS,
    CROSS_KRONECKER,
    _swap_modes(CROSS),  # a covariance is symmetric in a, b
    r"\kappa u_a^\top \Theta\bigl((\Delta\Delta^\top + \Sigma_\varepsilon)\Theta(u_b v_b^\top)"
    r" + \Delta \Theta(u_b v_b^\top)^\top \Delta\bigr) v_a",
]


@pytest.mark.parametrize("formula", CORRECT)
def test_the_correct_form_is_verified_at_general_weights(formula):
    result = check_matrix(QUANTITY, formula, monte_carlo=False)
    assert result.verdict == Verdict.VERIFIED, result.text()
    assert result.widths == get_matrix_quantity(QUANTITY).widths
    assert "exact polynomials in the free entries" in result.message


SLIPS = [
    # (formula, factor): the reason is the factor, or a refutation without one
    (CROSS.replace(" + Delta*Theta(u_b*v_b.T).T*Delta", ""), None),  # the cross term missing
    (CROSS.replace("Theta(u_b*v_b.T).T", "Theta(u_a*v_b.T).T"), None),  # a for b in one factor
    (CROSS.removesuffix("*v_a") + "*v_b", None),  # b for a on the outer right vector
    (CROSS.replace("u_b*v_b.T", "u_a*v_a.T"), None),  # the diffusion of mode a instead
    (f"2*{CROSS}", "2"),
    (CROSS_KRONECKER.replace("*K)", ")"), None),  # the commutation term dropped
]


@pytest.mark.parametrize(("formula", "factor"), SLIPS)
def test_slips_are_refuted_with_the_reason(formula, factor):
    result = check_matrix(QUANTITY, formula, monte_carlo=False)
    assert result.verdict == Verdict.REFUTED, result.text()
    assert result.factor == factor
    example = result.counterexample
    assert example is not None
    assert {"u_a", "v_a", "u_b", "v_b"} <= set(example.values)
    assert all(entry.formula != entry.derived for entry in example.entries)
    if factor is not None:
        assert f"it is {factor} times the derived value" in result.message


def test_it_is_listed_with_its_shape_and_names():
    spec = get_matrix_quantity(QUANTITY)
    listed = spec.to_json()
    assert listed["shape"] == "1 x 1"
    assert {"u_b", "v_b"} <= set(listed["names"])
    with pytest.raises(Exception, match="u_b is not available here"):
        validate_matrix("mode_diffusion_general", CROSS)


@pytest.mark.parametrize("seed", [1, 2])
def test_monte_carlo_accepts_the_right_formula_and_rejects_a_factor_1_1(seed):
    """The Monte Carlo step alone: the covariance of the same noise draws projected on the
    teacher's first two modes; the right formula within the Bonferroni limit of the
    false-alarm rate, 1.1 times it outside."""
    spec = get_matrix_quantity(QUANTITY)
    right = monte_carlo_check(spec, parse_matrix_formula(CROSS), seed=seed)
    wrong = monte_carlo_check(spec, parse_matrix_formula(f"11/10*({CROSS})"), seed=seed)
    assert right is not None
    assert wrong is not None
    assert right.false_alarm_rate == FALSE_ALARM_RATE
    assert right.threshold == pytest.approx(z_threshold(FALSE_ALARM_RATE, right.n_tests))
    assert right.passed, right.max_abs_z
    assert not wrong.passed, wrong.max_abs_z
    assert {tuple(case.parameters["widths"]) for case in right.cases} == set(spec.widths)


def test_the_derivation_agrees_with_the_claims_own_at_general_weights():
    """C5's derivation (:func:`derivations.modewise.modewise_diffusion_claim`: the Jacobians
    by differentiating in every weight, the expectation in SymPy) gives the same [D_aa, D_ab]
    as :func:`derivations.mode_covariance.mode_covariance` (differentiating along the noise,
    in a ring), in the same symbols."""
    widths = (3, 2)
    claim = modewise_diffusion_claim(shapes=[widths])
    assert claim.holds
    for column, cross in ((0, False), (1, True)):
        derived = mode_covariance(widths, cross=cross).value.as_expr()
        assert is_zero_polynomial(claim.derived[0, column] - derived)
    # and not vacuously: the cross covariance is not the diffusion of one mode
    assert not is_zero_polynomial(claim.derived[0, 0] - claim.derived[0, 1])
