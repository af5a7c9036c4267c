r"""Matrix formulas in derivation chains (:mod:`reports.formulas.chain_matrix`).

A chain that names a matrix is read by the matrix parser, every side's shape checked
symbolically, and each step decided by exact evaluation at the networks matrix ``check``
uses.  Correct chains hold at every shape; each deliberately wrong chain (swapped Kronecker
factors, a dropped transpose, a factor 2, all in step 2 and all shape-correct, so that only
the evaluation can catch them) is refuted at step 2, on its line, with the factor named
where there is one; a step whose sides differ in shape is bad input naming the line and both
shapes.  The expected verdicts come from linear algebra (vec(AXB) = (B^T ⊗ A) vec X, the
cyclic trace, K vec X = vec X^T), not from the implementation.
"""

import json

import pytest

from dlnverify.errors import FormulaError
from reports.cli import ExitCode, main
from reports.formulas.chain import check_steps
from reports.formulas.chain_result import StepVerdict

S, R, N = StepVerdict.SAMPLED, StepVerdict.REFUTED, StepVerdict.NOT_CHECKED

#: The population gradient rewritten through A_l, B_l and Delta in three steps (LaTeX).
GRADIENT_TEX = r"""The gradient of layer $l$:
\begin{align}
-A_l^\top (W^\star - W) B_l^\top
  &= -A_l^\top W^\star B_l^\top + A_l^\top W B_l^\top \\
  &= -A_l^\top \Delta B_l^\top \\
  &= -(B_l \Delta^\top A_l)^\top
\end{align}
"""

#: The same chain in SymPy syntax, one expression per line.
GRADIENT_LINES = """# the gradient of layer l
-transpose(A_l)*(Wstar - W)*transpose(B_l)
= -transpose(A_l)*Wstar*transpose(B_l) + transpose(A_l)*W*transpose(B_l)
= -transpose(A_l)*Delta*transpose(B_l)
= -transpose(B_l*transpose(Delta)*A_l)
"""

#: vec(W) through the Jacobian of layer l (lines 1-4, SymPy syntax).
VEC_LINES = """vec(W)
= vec(A_l*W_l*B_l)
= kron(transpose(B_l), A_l)*vec(W_l)
= vec(A_l*(W_l*B_l))
"""

#: A squared Frobenius norm by the cyclic trace (LaTeX, relations on lines 4-6).
TRACE_TEX = r"""
\begin{align*}
\|W^\top W^\star\|_F^2
  &= \operatorname{tr}\bigl((W^\top W^\star)^\top (W^\top W^\star)\bigr) \\
  &= \operatorname{tr}\bigl((W^\top W^\star)(W^\top W^\star)^\top\bigr) \\
  &= \|(W^\star)^\top W\|_F^2
\end{align*}
"""

#: The commutation matrix, up to a constant factor (line 2).
COMMUTATION_TEX = r"""
\[ K \operatorname{vec}(W_k) \propto -2\operatorname{vec}(W_k^\top) \]
"""


def _verdicts(result):
    return [[step.verdict for step in chain.steps] for chain in result.chains]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GRADIENT_TEX, [[S, S, S]]),
        (GRADIENT_LINES, [[S, S, S]]),
        (VEC_LINES, [[S, S, S]]),
        (TRACE_TEX, [[S, S, S]]),
        (COMMUTATION_TEX, [[S]]),
    ],
    ids=["gradient tex", "gradient lines", "vec", "trace", "commutation"],
)
def test_correct_matrix_chains_hold_at_every_shape(text, expected):
    result = check_steps(text, seed=0)
    assert _verdicts(result) == expected
    assert result.first_wrong is None
    assert result.exit_code == 0
    for step in result.steps:
        assert step.message.startswith("holds at 5 shapes (widths (2, 3), (3, 2), (3, 2, 2),") or (
            step.checked_as == "proportional"
        ), step.message
        assert step.points >= 5


def test_a_step_states_which_shapes_and_layers_it_holds_at():
    step = check_steps(GRADIENT_TEX).steps[1]
    assert step.lines == (4, 5)
    assert step.checked_as == "identity"
    assert step.left == "-transpose(A_l)*Wstar*transpose(B_l) + transpose(A_l)*W*transpose(B_l)"
    assert step.right == "-transpose(A_l)*Delta*transpose(B_l)"
    assert step.right_latex == r"-A_l^{\top} \Delta B_l^{\top}"
    assert "(2, 2, 3, 2); every layer l)" in step.message
    assert "not proven for other widths" in step.message


WRONG = [
    (
        "swapped kronecker factors",
        VEC_LINES.replace("kron(transpose(B_l), A_l)", "kron(A_l, transpose(B_l))"),
        3,
        None,
    ),
    (
        "dropped transpose",
        TRACE_TEX.replace(
            r"(W^\top W^\star)^\top\bigr)",
            r"(W^\top W^\star)\bigr)",
        ),
        5,
        None,
    ),
    (
        "factor 2",
        TRACE_TEX.replace(
            r"&= \operatorname{tr}\bigl((W^\top W^\star)(",
            r"&= 2\operatorname{tr}\bigl((W^\top W^\star)(",
        ),
        5,
        "left = 1/2 × right",
    ),
    (
        "factor 2 in the gradient, sympy syntax",
        GRADIENT_LINES.replace("= -transpose(A_l)*Delta", "= -2*transpose(A_l)*Delta"),
        4,
        "left = 1/2 × right",
    ),
]


@pytest.mark.parametrize(("name", "text", "line", "factor"), WRONG, ids=[w[0] for w in WRONG])
def test_a_wrong_step_2_is_the_first_wrong_step_on_its_line(name, text, line, factor):
    result = check_steps(text, seed=0)
    wrong = result.first_wrong
    assert wrong is not None
    assert (wrong.chain, wrong.step, wrong.line) == (1, 2, line)
    assert result.chains[0].steps[0].verdict == S  # step 1 holds
    assert result.exit_code == 1
    assert wrong.message.startswith("the two sides differ at widths (")
    if factor is None:
        assert wrong.factor is None
    else:
        assert wrong.factor.startswith(factor)
        assert factor in wrong.message
    evidence = wrong.counterexample
    assert evidence is not None
    assert set(evidence) == {"widths", "layers", "values", "entries"}
    assert "W_1" in evidence["values"]
    assert evidence["entries"]
    for entry in evidence["entries"]:
        assert entry["left"] != entry["right"]
    assert "entry (" in wrong.counterexample_text
    payload = json.loads(json.dumps(result.to_json()))
    assert payload["first_wrong"] == {"chain": 1, "step": 2, "line": line}
    assert payload["verdict"] == "refuted"


def test_a_proportional_step_names_its_constant_and_refutes_a_non_constant_ratio():
    held = check_steps(COMMUTATION_TEX).steps[0]
    assert held.verdict == S
    assert held.factor == "left = -1/2 × right"
    assert "every layer k)" in held.message
    wrong = check_steps(COMMUTATION_TEX.replace(r"(W_k^\top)", "(W_k)")).steps[0]
    assert wrong.verdict == R
    assert "not one constant multiple of each other" in wrong.message


def test_a_scalar_step_between_one_by_one_sides():
    text = r"\[ \operatorname{tr}(\Delta^\top \Delta) = \|\Delta\|_F^2 = \operatorname{tr}(\Delta \Delta^\top) \]"
    assert _verdicts(check_steps(text)) == [[S, S]]
    wrong = check_steps(text.replace(r"= \operatorname{tr}(\Delta \Delta^\top)", "= 2"))
    assert wrong.first_wrong.step == 2


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        (
            "\\begin{align}\n-A_l^\\top \\Delta B_l^\\top\n &= -B_l \\Delta^\\top A_l\n\\end{align}\n",
            3,
            "different shapes: left h_l x h_{l-1}, right h_{l-1} x h_l",
        ),
        ("vec(W)\n= W\n", 2, "different shapes: left m n x 1, right m x n"),
        (
            "\\[ A_l^\\top \\Delta = A_l \\Delta \\]\n",
            1,
            "shapes do not chain in a product: 'A_l' (m x h_l) times 'Delta' (m x n)",
        ),
        ("\\[ W_l = W_l + x \\]\n", 1, "a chain that names matrices has matrix formulas only"),
    ],
    ids=["transposed", "vec against matrix", "product", "scalar letter"],
)
def test_shape_errors_are_bad_input_naming_the_line(tmp_path, capsys, text, line, reason):
    with pytest.raises(FormulaError, match=f"line {line}: ") as raised:
        check_steps(text, name="derivation")
    assert reason in str(raised.value)
    path = tmp_path / ("derivation.tex" if "\\" in text else "derivation.txt")
    path.write_text(text, encoding="utf-8")
    assert main(["check-steps", str(path), "--json", "--quiet"]) == ExitCode.BAD_INPUT
    captured = capsys.readouterr()
    error = json.loads(captured.out)
    assert error["exit_code"] == 2
    assert reason in error["error"]
    assert captured.err.count("\n") == 1


def test_quantity_anchors_a_matrix_chain_to_the_derived_gradient():
    result = check_steps(GRADIENT_TEX, quantity="gradient")
    anchor = result.steps[0]
    assert (anchor.checked_as, anchor.verdict, anchor.quantity) == ("anchor", S, "gradient")
    assert anchor.left == "gradient (derived): -transpose(A_l)*Delta*transpose(B_l)"
    assert "equal to the derived gradient" in anchor.message
    assert [step.verdict for step in result.steps] == [S, S, S, S]
    wrong = check_steps(
        GRADIENT_TEX.replace("-A_l^\\top (W^\\star", "-2A_l^\\top (W^\\star"), quantity="gradient"
    )
    first = wrong.first_wrong
    assert (first.step, first.line, first.verdict) == (1, 3, R)
    assert "loss_without_half" in first.message
    assert first.factor == "right = 2 × left, the convention loss_without_half"
    assert first.counterexample["entries"]


def test_a_gradient_label_anchors_its_chain_and_no_anchor_turns_it_off():
    text = "\\[ \\nabla_{W_l} \\mathcal{L} = -A_l^\\top \\Delta B_l^\\top = -(B_l \\Delta^\\top A_l)^\\top \\]"
    anchored = check_steps(text)
    assert anchored.steps[0].checked_as == "anchor"
    assert anchored.steps[0].verdict == S
    off = check_steps(text, anchor=False)
    assert off.steps[0].verdict == N
    assert "anchoring is off" in off.steps[0].message
    wrong = check_steps(text.replace("= -A_l^\\top", "= A_l^\\top"))
    assert wrong.first_wrong.step == 1
    assert wrong.first_wrong.factor == "right = -1 × left"


@pytest.mark.parametrize(
    ("quantity", "text", "reason"),
    [
        (
            "gradient",
            "(x+1)^2\n= x^2 + 2*x + 1\n",
            "matrix quantity gradient, but it names no matrix",
        ),
        ("diffusion", VEC_LINES, "diffusion is not a matrix quantity"),
        ("gradient", VEC_LINES, "the formula is m n x 1, but gradient is h_l x h_{l-1}"),
    ],
)
def test_an_anchor_of_the_wrong_kind_is_bad_input(quantity, text, reason):
    with pytest.raises(FormulaError, match="line 1: ") as raised:
        check_steps(text, quantity=quantity)
    assert reason in str(raised.value)


def test_scalar_chains_with_free_letters_stay_scalar():
    result = check_steps("(x+1)^2\n= x^2 + 2x + 1\n")
    assert result.steps[0].verdict == StepVerdict.PROVEN
