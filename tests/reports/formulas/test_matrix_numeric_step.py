r"""Tests of the numeric step of the deterministic matrix quantities (``jacobian``,
``modewise_jacobian``, ``ntk``): the formula at random float weights against central finite
differences of the definition (:mod:`numerics.finite_differences`), with an error bar from
the steps :math:`h` and :math:`h/2` (Richardson) and a round-off bound.

The finite differences are compared here with derivatives SymPy takes of the end-to-end
product (not with the paper's forms), their error bar is shown to cover the true error (also
for a function with a truncation error), and a formula 1.1 times the right one, or with
swapped Kronecker factors, is rejected by this step alone at the stated false-alarm rate.
"""

import itertools

import numpy as np
import pytest
import sympy as sp

from dlnverify.errors import InvalidParameter
from numerics.finite_differences import (
    central_difference,
    end_to_end_jacobian,
    modewise_jacobian,
    neural_tangent_kernel,
)
from numerics.montecarlo import z_threshold
from reports.engine.verdict import FALSE_ALARM_RATE
from reports.formulas.matrix_check import check_matrix
from reports.formulas.matrix_finite_differences import (
    finite_difference_check,
    has_finite_differences,
)
from reports.formulas.matrix_parse import parse_matrix_formula
from reports.formulas.matrix_quantities import get_matrix_quantity
from reports.formulas.result import Verdict

WIDTHS = (2, 3, 2, 3)
JACOBIAN = "kron(B_l.T, A_l)"
MODEWISE = "A_l.T*u_a*v_a.T*B_l.T"
NTK = "Sum(kron(B_l.T*B_l, A_l*A_l.T), (l, 1, L))"


def _weights(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((rows, cols)) for cols, rows in itertools.pairwise(WIDTHS)]


def _sympy_jacobians(weights):
    """d vec W / d vec W_l for every l, by SymPy differentiating W = W_L ... W_1 with layer l
    symbolic, then at the given numbers (column-major vec)."""
    out = []
    for l, layer in enumerate(weights):
        variable = sp.Matrix(*layer.shape, lambda i, j: sp.Symbol(f"x_{i}_{j}"))
        product = sp.eye(WIDTHS[-1])
        for j in reversed(range(len(weights))):
            product *= variable if j == l else sp.Matrix(weights[j])
        vec_W = [product[i, j] for j in range(product.cols) for i in range(product.rows)]
        vec_l = [variable[i, j] for j in range(variable.cols) for i in range(variable.rows)]
        at = dict(zip(vec_l, np.swapaxes(layer, 0, 1).reshape(-1), strict=True))
        out.append(np.array([[float(sp.diff(e, x).subs(at)) for x in vec_l] for e in vec_W]))
    return out


def test_finite_differences_match_sympy_within_their_error_bar():
    weights = _weights()
    exact = _sympy_jacobians(weights)
    kernel = sum(J @ J.T for J in exact)
    rng = np.random.default_rng(1)
    u, v = rng.standard_normal(WIDTHS[-1]), rng.standard_normal(WIDTHS[0])
    for l, J in enumerate(exact, 1):
        estimate = end_to_end_jacobian(weights, l)
        assert np.all(np.abs(estimate.value - J) <= estimate.standard_error)
        assert estimate.standard_error.max() < 1e-9  # round-off only: W is linear in W_l
        gradient = modewise_jacobian(weights, u, v, l)
        # grad_{W_l} (u^T W v) from the same SymPy Jacobian: vec of it is J^T vec(u v^T)
        expected = (J.T @ np.outer(u, v).T.reshape(-1)).reshape(WIDTHS[l - 1], WIDTHS[l]).T
        assert np.all(np.abs(gradient.value - expected) <= gradient.standard_error)
    ntk = neural_tangent_kernel(weights)
    assert np.all(np.abs(ntk.value - kernel) <= ntk.standard_error)


def test_the_error_bar_covers_a_truncation_error():
    """For a function that is not linear the Richardson term carries the bar: it covers the
    true error at a coarse step, and shrinks like h^2."""
    point = np.array([0.3, -0.7])
    truth = np.diag(np.exp(point))
    bars = []
    for step in (0.2, 0.1):
        estimate = central_difference(np.exp, point, step=step, scale=np.exp(point))
        error = np.abs(estimate.value - truth)
        assert np.all(error <= estimate.standard_error)
        assert np.all(error[np.diag_indices(2)] > 1e-5)  # a real truncation error
        bars.append(estimate.standard_error.max())
    assert bars[1] < bars[0] / 3


@pytest.mark.parametrize(
    ("quantity", "formula"), [("jacobian", JACOBIAN), ("modewise_jacobian", MODEWISE), ("ntk", NTK)]
)
def test_the_step_passes_the_right_formula_and_rejects_slips(quantity, formula):
    spec = get_matrix_quantity(quantity)
    assert has_finite_differences(spec)
    right = finite_difference_check(spec, parse_matrix_formula(formula), seed=3)
    assert right is not None
    assert right.false_alarm_rate == FALSE_ALARM_RATE
    assert right.threshold == pytest.approx(z_threshold(FALSE_ALARM_RATE, right.n_tests))
    assert right.passed, right.max_abs_z
    assert {tuple(case.parameters["widths"]) for case in right.cases} == set(spec.widths)
    assert all(case.n_samples == 0 for case in right.cases)
    wrong = finite_difference_check(spec, parse_matrix_formula(f"11/10*({formula})"), seed=3)
    assert wrong is not None
    assert not wrong.passed
    assert wrong.max_abs_z > 1e3 * wrong.threshold


@pytest.mark.parametrize(
    ("quantity", "slip"),
    [
        ("jacobian", "kron(A_l, B_l.T)"),
        ("ntk", "Sum(kron(A_l*A_l.T, B_l.T*B_l), (l, 1, L))"),
        ("modewise_jacobian", "(v_a.T*v_a)*A_l.T*u_a*v_a.T*B_l.T"),  # right for unit v_a only
    ],
)
def test_structural_slips_are_rejected_by_the_step_alone(quantity, slip):
    spec = get_matrix_quantity(quantity)
    check = finite_difference_check(spec, parse_matrix_formula(slip), seed=0)
    assert check is not None
    assert not check.passed


def test_the_check_reports_it_as_its_second_step():
    result = check_matrix("ntk", NTK)
    assert result.verdict == Verdict.VERIFIED
    assert result.numeric is not None
    assert result.numeric.passed
    assert "finite differences agree at random weights" in result.message
    assert result.to_json()["numeric"]["passed"] is True
    assert result.to_json()["numeric_step"] == "finite_differences"
    assert "  finite differences: worst |z|" in result.text()
    skipped = check_matrix("ntk", NTK, monte_carlo=False)
    assert skipped.numeric is None
    same = check_matrix("ntk", NTK)
    assert same.numeric == result.numeric  # same seed, same numbers


def test_the_step_is_deterministic_in_the_seed():
    spec = get_matrix_quantity("jacobian")
    node = parse_matrix_formula(JACOBIAN)
    first = finite_difference_check(spec, node, seed=5)
    again = finite_difference_check(spec, node, seed=5)
    other = finite_difference_check(spec, node, seed=6)
    assert first == again
    assert first != other
    assert finite_difference_check(get_matrix_quantity("gradient"), node) is None


def test_bad_input_to_the_finite_differences_names_the_parameter():
    weights = _weights()
    with pytest.raises(InvalidParameter, match="l=4"):
        end_to_end_jacobian(weights, 4)
    with pytest.raises(InvalidParameter, match="step"):
        end_to_end_jacobian(weights, 1, step=0.0)
    with pytest.raises(InvalidParameter, match="u of shape"):
        modewise_jacobian(weights, np.ones(2), np.ones(2), 1)
    with pytest.raises(InvalidParameter, match="v of shape"):
        modewise_jacobian(weights, np.ones(3), np.full(2, np.nan), 1)
