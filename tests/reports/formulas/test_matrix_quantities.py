r"""Tests of the matrix quantities beyond C1/C3's gradient and covariance (``jacobian``,
``modewise_jacobian``, ``ntk``, ``mode_diffusion_general``), of layer sums and
:math:`\Theta(X)`, of the Monte Carlo step, and of networks drawn by hypothesis.

The forms checked are the paper's (Prop. 3.1: :math:`B_l^\top\otimes A_l`; Prop. 3.3:
:math:`A_l^\top u_av_a^\top B_l^\top`, :math:`\Theta(M) = \sum_l A_lA_l^\top MB_l^\top B_l`,
the closed NTK form of the diffusion), compared with values the derivations obtain by
differentiating and by taking Gaussian expectations; here they are also recomputed from their
definitions with plain SymPy matrices (:func:`test_the_jacobian_is_column_major`).  Each slip
is refuted by the exact step; a formula 1.1 times the correct one is rejected by the Monte Carlo
step alone, at the stated false-alarm rate.
"""

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from dlnverify.errors import FormulaError, InvalidParameter
from numerics.montecarlo import z_threshold
from reports.engine.verdict import FALSE_ALARM_RATE
from reports.formulas.matrix_check import MAX_EXTRA_WIDTH, check_matrix, validate_matrix
from reports.formulas.matrix_montecarlo import monte_carlo_check
from reports.formulas.matrix_parse import parse_matrix_formula
from reports.formulas.matrix_quantities import MATRIX_WIDTHS, get_matrix_quantity
from reports.formulas.result import Verdict

GRADIENT = "-A_l.T*Delta*B_l.T"
COVARIANCE = (
    "kron(B_l*B_k.T, A_l.T*(Delta*Delta.T + Sigma_eps)*A_k)"
    " + kron(B_l*Delta.T*A_k, A_l.T*Delta*B_k.T)*K"
)
JACOBIAN = "kron(B_l.T, A_l)"
MODEWISE = "A_l.T*u_a*v_a.T*B_l.T"
NTK = "Sum(kron(B_l.T*B_l, A_l*A_l.T), (l, 1, L))"
#: C5's closed NTK form, K_a = Theta(u_a v_a^T)
DIFFUSION = (
    "kappa*u_a.T*Theta((Delta*Delta.T + Sigma_eps)*Theta(u_a*v_a.T)"
    " + Delta*Theta(u_a*v_a.T).T*Delta)*v_a"
)
#: C5's Kronecker form: kappa sum_{l,k} vec(J_l)^T Sigma_lk vec(J_k)
DIFFUSION_KRONECKER = (
    f"kappa*Sum(Sum(vec({MODEWISE}).T*({COVARIANCE})"
    f"*vec(A_k.T*u_a*v_a.T*B_k.T), (k, 1, L)), (l, 1, L))"
)

CORRECT = [
    ("jacobian", JACOBIAN),
    ("jacobian", r"B_l^\top \otimes A_l"),
    ("jacobian", "kron(B_l, A_l.T).T"),  # (X (x) Y)^T = X^T (x) Y^T
    ("modewise_jacobian", MODEWISE),
    ("modewise_jacobian", r"A_l^\top u_a v_a^\top B_l^\top"),
    ("ntk", NTK),
    ("ntk", r"\sum_{l=1}^{L} (B_l^\top B_l) \otimes (A_l A_l^\top)"),
    ("mode_diffusion_general", DIFFUSION),
    (
        "mode_diffusion_general",
        r"\kappa u_a^\top \Theta\bigl((\Delta\Delta^\top + \Sigma_\varepsilon)\Theta(u_a v_a^\top)"
        r" + \Delta \Theta(u_a v_a^\top)^\top \Delta\bigr) v_a",
    ),
    ("mode_diffusion_general", DIFFUSION_KRONECKER),
]


@pytest.mark.parametrize(("quantity", "formula"), CORRECT)
def test_the_papers_forms_are_verified(quantity, formula):
    result = check_matrix(quantity, formula, monte_carlo=False)
    assert result.verdict == Verdict.VERIFIED, result.text()
    assert result.widths == get_matrix_quantity(quantity).widths
    assert any(w[1] > w[0] for w in result.widths if len(w) > 2)  # hidden wider than input


SLIPS = [
    # (quantity, formula, factor): the reason is the factor, or a refutation without one
    ("jacobian", "kron(A_l, B_l.T)", None),  # swapped Kronecker factors
    ("jacobian", "2*kron(B_l.T, A_l)", "2"),
    ("modewise_jacobian", "A_l.T*u_a*v_a.T*B_l.T/2", "1/2"),
    ("modewise_jacobian", "-A_l.T*u_a*v_a.T*B_l.T", "-1"),
    ("ntk", "Sum(kron(A_l*A_l.T, B_l.T*B_l), (l, 1, L))", None),  # swapped factors
    ("ntk", f"{NTK} + kron(W.T*W, W*W.T)", None),  # a term too many
    # the term Delta K^T Delta of the closed form dropped
    ("mode_diffusion_general", DIFFUSION.replace(" + Delta*Theta(u_a*v_a.T).T*Delta", ""), None),
    ("mode_diffusion_general", DIFFUSION.replace(" + Sigma_eps", ""), None),  # no label noise
    ("mode_diffusion_general", DIFFUSION.removeprefix("kappa*"), None),  # kappa forgotten
    # the commutation matrix dropped from the Kronecker form
    ("mode_diffusion_general", DIFFUSION_KRONECKER.replace("*K)", ")"), None),
]


@pytest.mark.parametrize(("quantity", "formula", "factor"), SLIPS)
def test_slips_are_refuted_with_the_reason(quantity, formula, factor):
    result = check_matrix(quantity, formula, monte_carlo=False)
    assert result.verdict == Verdict.REFUTED, result.text()
    assert result.factor == factor
    example = result.counterexample
    assert example is not None
    assert example.entries
    assert all(entry.formula != entry.derived for entry in example.entries)


def test_the_jacobian_is_column_major():
    """At widths (2, 3, 2), l = 1, the counterexample of the swapped Kronecker product names
    the entries of kron(A_1, B_1^T) and of d vec W / d vec W_1, the latter recomputed here by
    differentiating W = W_2 W_1 entry by entry (column-major vec)."""
    result = check_matrix("jacobian", "kron(A_l, B_l.T)", monte_carlo=False)
    example = result.counterexample
    assert example is not None
    (l,) = example.layers
    weights = [sp.Matrix(example.values[f"W_{j}"]) for j in range(1, len(example.widths))]
    symbols = [sp.Matrix(*W.shape, lambda i, j, l=l: sp.Symbol(f"x{l}_{i}_{j}")) for W in weights]
    variable = symbols[l - 1]
    product = sp.eye(example.widths[-1])
    for j in reversed(range(len(weights))):
        product *= variable if j == l - 1 else weights[j]
    vec_W = [product[i, j] for j in range(product.cols) for i in range(product.rows)]
    vec_Wl = [variable[i, j] for j in range(variable.cols) for i in range(variable.rows)]
    jacobian = sp.Matrix([[sp.diff(e, x) for x in vec_Wl] for e in vec_W])
    for entry in example.entries:
        assert sp.Rational(entry.derived) == jacobian[entry.row - 1, entry.column - 1]


REFUSED = [
    ("ntk", "kron(B_l.T*B_l, A_l*A_l.T)", "B_l stands outside a sum over l"),
    ("ntk", r"(B_l^\top B_l) \otimes (A_l A_l^\top)", "outside a sum over l"),
    ("gradient", "Sum(W_l, (l, 1, L))", "already the quantity's layer index"),
    ("ntk", "Sum(Sum(W_l, (l, 1, L)), (l, 1, L))", "already an enclosing sum's"),
    ("ntk", "Sum(W_l, (l, 0, L))", r"bound must be \(l, 1, L\)"),
    ("ntk", r"\sum_{l=2}^{L} W_l", r"\\sum_\{l=1\}\^\{L\}"),
    ("mode_diffusion_general", "kappa*u_a.T*Theta(Sigma_eps)*v_a", "NTK operator acts on m x n"),
    ("mode_diffusion_general", "kappa*u_a.T*Theta(Delta)*Theta(Delta)*v_a", "n != m"),
    ("jacobian", "kron(B_l, A_l)", "the formula is h_\\{l-1\\} m x h_l n"),
    ("modewise_jacobian", "A_l.T*u_a*v_a*B_l.T", "1 != n"),  # a missing transpose
    ("jacobian", "u_a*v_a.T", "u_a is not available here"),
]


@pytest.mark.parametrize(("quantity", "formula", "message"), REFUSED)
def test_bad_formulas_are_refused_before_any_work(quantity, formula, message):
    with pytest.raises(FormulaError, match=message) as caught:
        validate_matrix(quantity, formula)
    assert "\n" not in str(caught.value)


MONTE_CARLO = [
    ("gradient", GRADIENT),
    ("noise_covariance", COVARIANCE),
    ("mode_diffusion_general", DIFFUSION),
]


@pytest.mark.parametrize(("quantity", "formula"), MONTE_CARLO)
def test_monte_carlo_accepts_the_right_formula_and_rejects_a_factor_1_1(quantity, formula):
    """The Monte Carlo step alone (no exact step run): the correct formula within the
    Bonferroni limit of a false-alarm rate 1e-6 over every entry compared, 1.1 times it far
    outside."""
    spec = get_matrix_quantity(quantity)
    right = monte_carlo_check(spec, parse_matrix_formula(formula), seed=1)
    wrong = monte_carlo_check(spec, parse_matrix_formula(f"11/10*({formula})"), seed=1)
    assert right is not None
    assert wrong is not None
    assert right.false_alarm_rate == FALSE_ALARM_RATE
    assert right.threshold == pytest.approx(z_threshold(FALSE_ALARM_RATE, right.n_tests))
    assert right.passed, right.max_abs_z
    assert not wrong.passed
    assert wrong.max_abs_z > 1.5 * wrong.threshold
    # one comparison per network and case, at the quantity's networks
    assert {tuple(case.parameters["widths"]) for case in right.cases} == set(spec.widths)


def test_a_verified_check_carries_its_monte_carlo_and_a_deterministic_quantity_its_finite_differences():
    result = check_matrix("gradient", GRADIENT)
    assert result.verified
    assert result.numeric is not None
    assert result.numeric.passed
    assert "Monte Carlo agrees" in result.message
    assert result.to_json()["numeric"]["passed"] is True
    jacobian = check_matrix("jacobian", JACOBIAN)
    assert jacobian.verified
    assert jacobian.numeric is not None
    assert jacobian.numeric.passed
    assert "finite differences agree" in jacobian.message


@st.composite
def networks(draw, max_depth=2):
    """Widths 2 to 4, depth 1 to ``max_depth``; rectangular or with a hidden layer wider than
    the input."""
    depth = draw(st.integers(1, max_depth))
    widths = tuple(draw(st.lists(st.integers(2, 4), min_size=depth + 1, max_size=depth + 1)))
    rectangular = widths[0] != widths[-1]
    wide = depth > 1 and max(widths[1:-1]) > widths[0]
    if not (rectangular or wide):
        widths = (*widths[:-1], 2 if widths[-1] != 2 else 3)
    return widths


DRAWN = [
    ("gradient", GRADIENT, "-A_l.T*Wstar*B_l.T"),
    ("noise_covariance", COVARIANCE, COVARIANCE.removesuffix("*K")),
    ("jacobian", JACOBIAN, "kron(A_l, B_l.T)"),
    ("modewise_jacobian", MODEWISE, "A_l.T*u_a*v_a.T*B_l.T*2"),
    ("ntk", NTK, "Sum(kron(A_l*A_l.T, B_l.T*B_l), (l, 1, L))"),
]


@pytest.mark.parametrize(("quantity", "right", "slip"), DRAWN)
@settings(max_examples=3, deadline=None)
@given(widths=networks())
def test_at_networks_drawn_by_hypothesis(quantity, right, slip, widths):
    """A drawn network is checked after the fixed five: the right form verified there too,
    and a slip refuted."""
    result = check_matrix(quantity, right, widths=[widths], monte_carlo=False)
    assert result.verified, result.text()
    assert widths in result.widths
    wrong = check_matrix(quantity, slip, widths=[widths], monte_carlo=False)
    assert wrong.verdict == Verdict.REFUTED


def test_drawn_networks_are_validated():
    with pytest.raises(InvalidParameter, match="widths 2 to"):
        check_matrix("gradient", GRADIENT, widths=[(2, MAX_EXTRA_WIDTH + 1)])
    with pytest.raises(InvalidParameter, match="depth 1 to 3"):
        check_matrix("mode_diffusion_general", DIFFUSION, widths=[(2, 2, 2, 2, 2)])
    with pytest.raises(InvalidParameter, match="at most"):
        check_matrix("gradient", GRADIENT, widths=[(2, 3)] * 5)
    assert check_matrix("jacobian", JACOBIAN, widths=[MATRIX_WIDTHS[0]]).widths == MATRIX_WIDTHS
