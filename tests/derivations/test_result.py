"""``derivations.result.Finding``: a finding's text with its expressions kept apart for
typesetting, and the same text as a plain string wherever a string is expected."""

import pickle

import sympy as sp

from derivations.conventions import kappa, sigma, sigma_eps
from derivations.result import Finding, Math, Step


def test_a_finding_is_its_text_with_expressions_in_sympy_text_form():
    finding = Finding("The mean is ", sigma - kappa * sigma_eps**2, ", below sigma.")
    assert finding == "The mean is -kappa*sigma_eps**2 + sigma, below sigma."
    assert "below sigma" in finding
    assert isinstance(finding, str)


def test_a_finding_keeps_each_expression_as_latex_in_the_declared_spelling():
    finding = Finding("Rate ", sp.Rational(1, 2) * sigma_eps**2, ".")
    assert finding.pieces == (
        "Rate ",
        Math(r"\frac{\sigma_{\varepsilon}^{2}}{2}", "sigma_eps**2/2"),
        ".",
    )


def test_a_finding_of_text_alone_has_one_piece():
    assert Finding("plain").pieces == ("plain",)


def test_a_finding_survives_pickling_with_its_pieces():
    """``verify --jobs`` sends derivation results between processes."""
    finding = Finding("D = ", kappa * sigma, " at L = 1")
    copy = pickle.loads(pickle.dumps(finding))
    assert type(copy) is Finding
    assert copy == finding
    assert copy.pieces == finding.pieces


def test_a_hand_written_inline_math_part_is_kept_as_given():
    cross = Math(r"\sum_{b \ne a} s_b", "sum_{b != a} s_b")
    finding = Finding("with ", cross, ".")
    assert finding == "with sum_{b != a} s_b."
    assert finding.pieces[1] is cross


def test_a_step_prints_the_same_after_pickling():
    """``factor`` returns ``-(a + b)/2`` as an unevaluated product; unpickling rebuilds it
    through ``Mul``, which distributes the rational factor.  A step sent from a ``--jobs``
    worker must print as the derivation built it (C16's Khasminskii step did not)."""
    a, b = sp.symbols("a b", positive=True)
    factored = sp.factor(-a / 2 - b / 2)
    unpickled = pickle.loads(pickle.dumps(factored))
    assert sp.expand(unpickled - factored) == 0
    assert sp.sstr(unpickled) != sp.sstr(factored)  # the SymPy effect the step must not show
    step = Step("a factored sum", sp.Symbol("Q"), factored)
    copy = pickle.loads(pickle.dumps(step))
    assert copy.latex() == step.latex() == r"Q = - \frac{a + b}{2}"
    assert copy.text() == step.text() == "Q = -(a + b)/2"
