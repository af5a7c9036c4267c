r"""Numbered layers in matrix formulas: ``W_1``, ``W_L``, ``W_{L-1}``, ``A_L``, ``B_1``.

A numbered layer has the shape DESIGN.md §3 gives it (``W_1``: :math:`h_1 \times n`,
``W_L``: :math:`m \times h_{L-1}`, ``A_j``: :math:`m \times h_j`, ``B_j``:
:math:`h_{j-1} \times n`, so ``A_L = I_m`` and ``B_1 = I_n``) and is checked at every depth
where it exists; a formula for a layer-indexed quantity that names a numbered layer instead
of ``l`` is checked at that layer only.  The expected results are the paper's: the gradient
of layer ``l`` is :math:`-A_l^\top\Delta B_l^\top`, so that of the first layer is
:math:`-A_1^\top\Delta` and that of the last :math:`-\Delta B_L^\top`.
"""

import pytest

from dlnverify.errors import FormulaError
from reports.formulas.chain import check_steps
from reports.formulas.chain_result import StepVerdict
from reports.formulas.matrix_check import check_matrix
from reports.formulas.matrix_names import name_entry
from reports.formulas.matrix_parse import parse_matrix_formula
from reports.formulas.result import Verdict

ALL = ((2, 3), (3, 2), (3, 2, 2), (2, 3, 2), (2, 2, 3, 2))
DEEP = ((3, 2, 2), (2, 3, 2), (2, 2, 3, 2))


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("W_1", ("h_1", "n")),
        ("W_2", ("h_2", "h_1")),
        ("W_L", ("m", "h_{L-1}")),
        ("W_{L-1}", ("h_{L-1}", "h_{L-2}")),
        ("A_1", ("m", "h_1")),
        ("A_L", ("m", "m")),
        ("B_1", ("n", "n")),
        ("B_L", ("h_{L-1}", "n")),
    ],
)
def test_a_numbered_layer_has_the_shape_of_design_section_3(name, shape):
    entry = name_entry(name)
    assert (str(entry.rows), str(entry.cols)) == shape


@pytest.mark.parametrize(
    ("formula", "widths", "layer"),
    [
        (r"-A_1^\top \Delta B_1^\top", ALL, "l = 1"),
        (r"-A_1^\top \Delta", ALL, "l = 1"),  # B_1 = I
        (r"-\Delta B_L^\top", ALL, "l = L"),  # A_L = I
        ("-transpose(A_L)*Delta*transpose(B_L)", ALL, "l = L"),
        (r"-A_2^\top \Delta B_2^\top", DEEP, "l = 2"),  # W_2 needs L >= 2
        (r"-A_{L-1}^\top \Delta B_{L-1}^\top", DEEP, "l = L-1"),
    ],
)
def test_the_gradient_of_a_numbered_layer_is_verified_where_it_exists(formula, widths, layer):
    result = check_matrix("gradient", formula, monte_carlo=False)
    assert result.verdict == Verdict.VERIFIED, result.message
    assert result.widths == widths
    assert f"the layer {layer} the formula names" in result.message


@pytest.mark.parametrize(
    "formula",
    [
        r"-\Delta B_L^\top W_L^\top W_L",  # a shape-correct extra factor
        r"-A_2^\top \Delta B_2",  # B_2 = W_1 is h_1 x n: B_2^T dropped is refused, so
    ],
)
def test_a_wrong_numbered_layer_is_refuted_or_refused(formula):
    if formula.endswith("B_2"):
        with pytest.raises(FormulaError, match="shapes do not chain"):
            check_matrix("gradient", formula, monte_carlo=False)
        return
    result = check_matrix("gradient", formula, monte_carlo=False)
    assert result.verdict == Verdict.REFUTED
    assert result.counterexample is not None


def test_the_gradient_of_the_wrong_layer_is_refuted():
    # the first layer's form written with the second layer's partial products: shape h_2 x h_1
    # is the gradient's at l = 2, where it holds; at l = 1 the formula names no layer 1
    result = check_matrix("gradient", r"-A_2^\top \Delta B_2^\top \cdot 2", monte_carlo=False)
    assert result.verdict == Verdict.REFUTED
    assert result.factor == "2"
    assert result.widths == DEEP


def test_the_monte_carlo_step_compares_the_named_layer_only():
    result = check_matrix("gradient", r"-\Delta B_L^\top", seed=0)
    assert result.verdict == Verdict.VERIFIED, result.message
    assert "Monte Carlo agrees" in result.message


@pytest.mark.parametrize(
    ("quantity", "formula", "layer"),
    [
        ("jacobian", "kron(B_1.T, A_1)", lambda depth: 1),
        ("modewise_jacobian", "A_L.T*u_a*v_a.T*B_L.T", lambda depth: depth),
    ],
)
def test_the_finite_difference_step_compares_the_named_layer_only(quantity, formula, layer):
    """A deterministic quantity's second step (finite differences) keeps to the named layer
    too: at the other layers the formula is not the quantity, and comparing there would
    refute a right formula."""
    result = check_matrix(quantity, formula, seed=0)
    assert result.verdict == Verdict.VERIFIED, result.message
    assert "finite differences agree" in result.message
    assert result.numeric is not None
    assert all(
        case.parameters["l"] == layer(len(case.parameters["widths"]) - 1)
        for case in result.numeric.cases
    )


@pytest.mark.parametrize(
    ("formula", "reason"),
    [
        ("W_0", "W_0 names no layer"),
        (r"W_{L+1}", "W_{L+1} names no layer"),
        ("W_0*W_l", "W_0 names no layer"),
        ("W_12", "write W_{12}"),
    ],
)
def test_a_layer_outside_1_to_L_is_refused_naming_it(formula, reason):
    with pytest.raises(FormulaError, match=None) as raised:
        parse_matrix_formula(formula, syntax="latex" if formula == "W_12" else "auto")
    assert reason in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_layer_deeper_than_the_networks_checked_is_refused():
    with pytest.raises(FormulaError, match="exists from depth 4 on"):
        check_matrix("gradient", r"-A_4^\top \Delta B_4^\top", monte_carlo=False)


def test_the_layer_index_l_still_means_every_layer():
    result = check_matrix("gradient", r"-A_l^\top \Delta B_l^\top", monte_carlo=False)
    assert result.verdict == Verdict.VERIFIED
    assert "every layer l" in result.message


def test_numbered_layers_in_a_chain():
    text = r"""
The first layer ($B_1 = I$) and the last ($A_L = I$):
\[ -A_1^\top \Delta B_1^\top = -A_1^\top \Delta = -(\Delta^\top A_1)^\top \]
\[ -A_L^\top \Delta B_L^\top = -\Delta B_L^\top \]
\[ W_L B_L = W = A_1 W_1 \]
\[ W_{L-1} B_{L-1} = B_L \]
\[ W_L W_1 = W \]
"""
    with pytest.raises(FormulaError, match=r"line 7: shapes do not chain.*h_{L-1} != h_1"):
        check_steps(text)  # W_L W_1 chains only at depth 2
    good = text.replace(r"\[ W_L W_1 = W \]", r"\[ W_2 W_1 = B_3 \]")
    result = check_steps(good)
    assert [step.verdict for step in result.steps] == [StepVerdict.SAMPLED] * 7
    assert "holds at 3 shapes (widths (3, 2, 2)," in result.steps[5].message  # W_{L-1}
    assert "holds at 1 shape (widths (2, 2, 3, 2))" in result.steps[6].message  # B_3
    wrong = check_steps(
        good.replace(r"= -A_1^\top \Delta =", r"= -A_1^\top \Delta B_1 W_1^\top W_1 =")
    )
    assert wrong.first_wrong.step == 1
    anchored = check_steps(
        r"\[ -A_1^\top \Delta B_1^\top = -A_1^\top \Delta \]", quantity="gradient"
    )
    assert [step.verdict for step in anchored.steps] == [StepVerdict.SAMPLED] * 2
    assert "the layer l = 1 the formula names" in anchored.steps[0].message
    with pytest.raises(FormulaError, match=r"line 1: .*W_0 names no layer"):
        check_steps(r"\[ W_0 = W_l \]")
