"""The rows of a Monte Carlo table (``reports.engine.verdict``): which entries of an array
observable are shown, and under which name.

The verdict itself (threshold, round-off allowance, power) is tested with the claims in
``claims/test_catalogue.py``; here the estimates are hand-made, so every expected row is known.
"""

import numpy as np
import pytest

from numerics.montecarlo import Estimate
from reports.engine.verdict import Comparison, numeric_check

#: Three entries; the second is 4 standard errors off, the others agree exactly.
VALUES = np.array([1.0, 2.4, 3.0])
CLOSED = np.array([1.0, 2.0, 3.0])
ERRORS = np.array([0.1, 0.1, 0.1])


def _comparison(**options):
    return Comparison({"L": 2}, Estimate(VALUES, ERRORS, 500), CLOSED, **options)


def test_labelled_entries_each_get_a_row_under_their_name():
    check = numeric_check([_comparison(labels=("mean", "variance", "mode"))])
    assert [case.parameters for case in check.cases] == [
        {"L": 2, "observable": "mean"},
        {"L": 2, "observable": "variance"},
        {"L": 2, "observable": "mode"},
    ]
    assert [case.estimate for case in check.cases] == VALUES.tolist()
    assert [case.closed_form for case in check.cases] == CLOSED.tolist()
    assert [case.standard_error for case in check.cases] == ERRORS.tolist()
    assert all(case.n_samples == 500 for case in check.cases)
    assert check.cases[1].z == pytest.approx(4.0)  # (2.4 - 2.0) / 0.1
    assert check.n_tests == 3


def test_worst_only_shows_the_worst_labelled_entry():
    check = numeric_check([_comparison(labels=("a", "b", "c"), worst_only=True)])
    (case,) = check.cases
    assert case.parameters == {"L": 2, "observable": "b"}
    assert (case.estimate, case.closed_form) == (2.4, 2.0)
    assert check.n_tests == 3  # every entry is still a test


def test_an_unlabelled_array_names_its_worst_entry_by_its_one_based_index():
    (case,) = numeric_check([_comparison()]).cases
    assert case.parameters == {"L": 2, "worst entry": "2 of 3"}
    matrix = np.zeros((2, 3))
    matrix[1, 0] = 0.5  # 5 standard errors off at row 2, column 1
    check = numeric_check([Comparison({}, Estimate(matrix, 0.1, 10), np.zeros((2, 3)))])
    (case,) = check.cases
    assert case.parameters == {"worst entry": "(2, 1) of 2x3"}
    assert case.estimate == 0.5


def test_a_scalar_keeps_its_parameters_unchanged():
    (case,) = numeric_check([Comparison({"s": 1.0}, Estimate(1.0, 0.1, 10), 1.0)]).cases
    assert case.parameters == {"s": 1.0}


def test_a_label_replaces_a_general_observable_name():
    comparison = Comparison(
        {"observable": "moments"}, Estimate(VALUES, ERRORS, 5), CLOSED, labels=("x", "y", "z")
    )
    assert [c.parameters["observable"] for c in numeric_check([comparison]).cases] == [
        "x",
        "y",
        "z",
    ]


def test_labels_must_match_the_number_of_entries():
    with pytest.raises(ValueError, match="Got 2 labels for an observable with 3 entries"):
        numeric_check([_comparison(labels=("mean", "variance"))])


def test_row_parameters_print_floats_to_four_significant_digits():
    case = numeric_check(
        [
            Comparison(
                {"L": 3, "dt": [0.005227977938227936, 0.0026], "ok": True},
                Estimate(1.0, 0.1, 1),
                1.0,
            )
        ]
    ).cases[0]
    assert case.parameters_text == "L=3, dt=[0.005228, 0.0026], ok=True"
