"""Plateau detection (numerics.plateaus) on synthetic staircases with known plateaus, the
gradient-descent recorder, and bad input."""

import numpy as np
import pytest

from dlnverify.errors import InvalidParameter
from numerics.plateaus import (
    find_plateaus,
    gradient_descent_trajectory,
    numeric_rank,
)
from numerics.teacher import random_teacher
from numerics.weights import small_gaussian_init

LEVELS = np.array([7.0, 3.0, 1.0, 0.25])
CENTRES = np.array([200.0, 500.0, 800.0])
WIDTH = 5.0


def _staircase(n=1200):
    """Loss drops from LEVELS[j] to LEVELS[j+1] around CENTRES[j] (logistic steps); the
    singular values switch on one by one at the same centres."""
    time = np.arange(n, dtype=float)
    steps = 1 / (1 + np.exp(-(time[:, None] - CENTRES) / WIDTH))
    loss = LEVELS[0] + steps @ np.diff(LEVELS)
    values = np.concatenate([steps * 2.0, np.zeros((n, 1))], axis=1)
    return loss, values


def test_staircase_plateaus_are_found_with_levels_and_ranks():
    loss, values = _staircase()
    plateaus = find_plateaus(loss, rtol=1e-2, min_length=20, singular_values=values, rank_tol=1.0)
    assert len(plateaus) == len(LEVELS)
    # far from a centre the logistic tail is below exp(-100 / WIDTH) ~ 2e-9
    edges = np.concatenate([[0.0], CENTRES, [len(loss)]])
    for j, plateau in enumerate(plateaus):
        assert edges[j] <= plateau.start <= plateau.flattest < plateau.stop <= edges[j + 1] + 1
        assert plateau.loss == pytest.approx(LEVELS[j], abs=1e-6)
        assert plateau.rank == j
    assert plateaus[0].start == 0
    assert plateaus[-1].stop == len(loss)


def test_short_flats_are_not_plateaus():
    loss, _ = _staircase()
    assert len(find_plateaus(loss, rtol=1e-2, min_length=400)) == 0
    assert [p.rank for p in find_plateaus(loss, rtol=1e-2, min_length=20)] == [None] * 4


def test_numeric_rank():
    assert numeric_rank([3.0, 0.6, 0.4, 0.0], 0.5) == 2
    assert numeric_rank([[1.0, 0.1], [1.0, 1.0]], 0.5).tolist() == [1, 2]


def test_gradient_descent_lowers_the_loss_and_records_shapes():
    rng = np.random.default_rng(3)
    teacher = random_teacher([2.0, 1.0], shape=(4, 3), rng=rng, label_noise=0.1)
    weights = small_gaussian_init((3, 5, 4), gamma=2.0, rng=rng)
    losses, values = gradient_descent_trajectory(weights, teacher, eta=0.05, steps=300)
    assert losses.shape == (301,)
    assert values.shape == (301, 3)
    assert np.all(np.diff(losses) <= 1e-12)
    assert np.all(np.diff(values, axis=1) <= 0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"losses": [1.0], "rtol": 0.1, "min_length": 1},
        {"losses": [1.0, 1.0, 1.0], "rtol": 0.1, "min_length": 1},
        {"losses": [1.0, np.nan], "rtol": 0.1, "min_length": 1},
        {"losses": [[1.0, 0.5]], "rtol": 0.1, "min_length": 1},
        {"losses": [1.0, 0.5], "rtol": 0.0, "min_length": 1},
        {"losses": [1.0, 0.5], "rtol": 1.0, "min_length": 1},
        {"losses": [1.0, 0.5], "rtol": 0.1, "min_length": 0},
        {"losses": [1.0, 0.5], "rtol": 0.1, "min_length": 1, "singular_values": [[1.0]] * 2},
        {
            "losses": [1.0, 0.5],
            "rtol": 0.1,
            "min_length": 1,
            "singular_values": [[1.0]] * 3,
            "rank_tol": 0.5,
        },
    ],
)
def test_bad_input_to_find_plateaus(kwargs):
    losses = kwargs.pop("losses")
    with pytest.raises(InvalidParameter):
        find_plateaus(losses, **kwargs)


def test_bad_input_to_the_recorder_and_rank():
    rng = np.random.default_rng(0)
    teacher = random_teacher([1.0], shape=(2, 2), rng=rng)
    weights = small_gaussian_init((2, 2, 2), gamma=2.0, rng=rng)
    with pytest.raises(InvalidParameter):
        gradient_descent_trajectory(weights, teacher, eta=0.0, steps=10)
    with pytest.raises(InvalidParameter):
        gradient_descent_trajectory(weights, teacher, eta=0.1, steps=0)
    batched = small_gaussian_init((2, 2, 2), gamma=2.0, rng=rng, batch_shape=(2,))
    with pytest.raises(InvalidParameter):
        gradient_descent_trajectory(batched, teacher, eta=0.1, steps=1)
    with pytest.raises(InvalidParameter):
        numeric_rank([1.0], -1.0)
    with pytest.raises(InvalidParameter):
        numeric_rank(1.0, 0.5)
