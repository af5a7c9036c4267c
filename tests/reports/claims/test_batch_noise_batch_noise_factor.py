"""``batch_noise_factor`` (C4): c in Cov(batch mean) = c S for batches of B drawn without
replacement from N data points, S the empirical covariance normalised by 1/N (App. G).

By hand: three values 0, 1, 2 and batches of two: the batch means 1/2, 1, 3/2 about the mean
1 have variance 1/6, and S = 2/3, so c = 1/4 = (3 - 2)/(2 (3 - 1)).  The unbiased
normalisation of S (1/(N-1)) gives (N-B)/(B N) instead, and online batches 1/B.
"""

import numpy as np
import pytest
from check_assertions import assert_proven_and_simulated, assert_refuted_and_rejected

from dlnverify.errors import InvalidParameter
from numerics.batches import batch_mean_variance
from reports.formulas.engine import check
from reports.formulas.result import Verdict

#: Every test of the topic runs on one worker: its derivations (cached in-process) are
#: computed once per run (tests/README.md).
pytestmark = pytest.mark.xdist_group("batch_noise")

FACTOR = "(N-B)/(B*(N-1))"


def test_the_batch_mean_variance_of_a_hand_example_is_exact():
    estimate = batch_mean_variance([0.0, 1.0, 2.0], 2, rng=np.random.default_rng(0))
    assert estimate.n_samples == 3  # every batch
    assert float(estimate.value) == pytest.approx(1 / 6, rel=1e-14)  # round-off only


def test_sampled_batches_agree_with_the_enumeration_within_their_error():
    values = np.random.default_rng(1).standard_normal(12)
    exact = batch_mean_variance(values, 5, rng=np.random.default_rng(2))
    sampled = batch_mean_variance(values, 5, rng=np.random.default_rng(2), max_enumerated=10)
    assert exact.n_samples == 792
    assert sampled.n_samples == 200_000
    # 5 standard errors of the sampled mean (a false alarm about 1 in 10^6)
    assert abs(float(sampled.value) - float(exact.value)) < 5 * float(sampled.standard_error)


@pytest.mark.parametrize("formula", [FACTOR, "(1 - (B-1)/(N-1))/B"])
def test_the_finite_population_factor_is_proven_and_matches_the_batches(formula):
    result = assert_proven_and_simulated("batch_noise_factor", formula)
    # B is a parameter here, not the batch size of kappa = eta/B: no such reading
    assert result.reading == ()
    assert "kappa" not in result.message


@pytest.mark.parametrize(("at", "value"), [({"B": 7, "N": 7}, "0"), ({"B": 1, "N": 9}, "1")])
def test_the_boundaries_of_the_batch_size_are_allowed(at, value):
    result = check("batch_noise_factor", value, at=at)
    assert result.verdict == Verdict.VERIFIED, result.message


@pytest.mark.parametrize(
    "wrong",
    [
        "1.1*" + FACTOR,  # factor 1.1: the Monte Carlo power
        "(N-B)/(B*N)",  # S normalised by 1/(N-1) in the statement, 1/N in the factor
        "1/B",  # online batches
    ],
)
def test_slips_are_refuted_and_rejected_by_the_batches(wrong):
    assert_refuted_and_rejected("batch_noise_factor", wrong)


def test_a_batch_larger_than_the_data_is_refused():
    with pytest.raises(InvalidParameter, match="only where B <= N"):
        check("batch_noise_factor", FACTOR, at={"B": 5, "N": 3})
