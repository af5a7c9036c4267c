"""Hypothesis strategies shared by the test modules (on ``sys.path`` via ``pythonpath``).

``network_cases`` draws a teacher and random weights of a deep linear network: depth
``1..max_depth``, widths ``1..max_width`` (rectangular and hidden-wider cases included), any
teacher rank, with or without label noise, and a seeded generator for the test's own draws.
``check_points`` draws parameter points of a ``check`` quantity over the ranges ``check``
itself draws from.
"""

import numpy as np
from hypothesis import strategies as st

from derivations.conventions import PARAMETERS
from numerics.teacher import random_teacher
from numerics.weights import random_weights

SEEDS = st.integers(0, 2**32 - 1)


def check_points(*names):
    """Points ``{name: value}`` over the typical ranges of
    :data:`derivations.conventions.PARAMETERS` (the ranges ``check`` probes), depth 1-6."""
    strategies = {}
    for name in names:
        low, high = PARAMETERS[name].typical
        if PARAMETERS[name].integer:
            strategies[name] = st.integers(int(low), int(high))
        else:
            strategies[name] = st.floats(max(low, 1e-3), high)
    return st.fixed_dictionaries(strategies)


@st.composite
def network_cases(draw, max_depth=4, max_width=5):
    """(teacher, weights, rng): depth 1..max_depth, widths 1..max_width, any rank."""
    depth = draw(st.integers(1, max_depth))
    widths = tuple(
        draw(st.lists(st.integers(1, max_width), min_size=depth + 1, max_size=depth + 1))
    )
    rank = draw(st.integers(1, min(widths[0], widths[-1])))
    label_noise = draw(st.sampled_from([0.0, 0.3]))
    rng = np.random.default_rng(draw(SEEDS))
    teacher = random_teacher(
        rng.uniform(0.5, 2.0, size=rank),
        shape=(widths[-1], widths[0]),
        rng=rng,
        label_noise=label_noise,
    )
    return teacher, random_weights(widths, rng=rng), rng
