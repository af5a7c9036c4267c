r"""Tests of numerics.batch_last: the anisotropic-Langevin step with the networks on the last
axes is the step of :func:`numerics.sde._anisotropic_update` (the per-network matrix products
of the definition, paper Eq. 1), up to the order of the additions inside a product."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics.batch_last import (
    BatchLastStep,
    from_batch_last,
    matmul_batch_last,
    to_batch_last,
)
from numerics.sde import _anisotropic_update
from numerics.teacher import random_teacher

#: Relative round-off allowed: a few units in the last place of entries of order one, summed
#: over at most a few dozen products.
ROUND_OFF = 1e-12


@given(
    p=st.integers(1, 5),
    q=st.integers(1, 5),
    r=st.integers(1, 5),
    batch=st.tuples(st.integers(1, 3), st.integers(1, 4)),
    seed=st.integers(0, 2**32 - 1),
)
def test_the_product_is_the_matrix_product_of_every_network(p, q, r, batch, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal((*batch, p, q)), rng.standard_normal((*batch, q, r))
    product = from_batch_last((matmul_batch_last(*to_batch_last((a, b))),))[0]
    np.testing.assert_allclose(product, a @ b, rtol=ROUND_OFF, atol=ROUND_OFF)


def test_the_product_broadcasts_a_constant_matrix_against_the_networks():
    rng = np.random.default_rng(1)
    constant, stacked = rng.standard_normal((3, 2)), rng.standard_normal((4, 2, 5))
    product = matmul_batch_last(constant[:, :, None], to_batch_last((stacked,))[0])
    np.testing.assert_allclose(from_batch_last((product,))[0], constant @ stacked, rtol=ROUND_OFF)


def test_layouts_round_trip():
    layers = tuple(np.random.default_rng(2).standard_normal((2, 3, h, h + 1)) for h in (1, 2))
    back = from_batch_last(to_batch_last(layers))
    assert all(
        np.array_equal(a, b) and b.flags.c_contiguous for a, b in zip(layers, back, strict=True)
    )


@given(
    widths=st.lists(st.integers(1, 4), min_size=2, max_size=5),
    kappas=st.integers(1, 3),
    networks=st.integers(1, 5),
    label_noise=st.sampled_from([0.0, 0.7]),
    seed=st.integers(0, 2**32 - 1),
)
def test_the_step_is_the_per_network_step_of_the_definition(
    widths, kappas, networks, label_noise, seed
):
    rng = np.random.default_rng(seed)
    n, m = widths[0], widths[-1]
    teacher = random_teacher(np.array([1.5]), shape=(m, n), rng=rng, label_noise=label_noise)
    layers = tuple(
        rng.standard_normal((kappas, networks, widths[i + 1], widths[i]))
        for i in range(len(widths) - 1)
    )
    kappa = rng.uniform(0.001, 0.1, size=kappas)
    z1, z = rng.standard_normal((networks, n, n)), rng.standard_normal((networks, m, n))
    expected = _anisotropic_update(layers, teacher, 0.05, kappa.reshape(-1, 1, 1, 1), z1, z)
    stepped = BatchLastStep(teacher, batch_dims=2).advance(
        to_batch_last(layers),
        0.05,
        kappa.reshape(-1, 1),
        *(np.moveaxis(x, (1, 2), (0, 1))[:, :, None] for x in (z1, z)),
    )
    for got, want in zip(from_batch_last(stepped), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=ROUND_OFF, atol=ROUND_OFF)


@pytest.mark.parametrize("wrong", ["transposed noise", "no label noise"])
def test_a_wrong_step_is_told_apart_at_this_tolerance(wrong):
    """The comparison above can fail: a step with the noise factor transposed, or without the
    label noise, differs from the definition's by far more than the round-off allowed."""
    rng = np.random.default_rng(3)
    teacher = random_teacher(np.array([1.0]), shape=(3, 3), rng=rng, label_noise=0.7)
    layers = tuple(rng.standard_normal((1, 4, 3, 3)) for _ in range(2))
    z1, z = rng.standard_normal((4, 3, 3)), rng.standard_normal((4, 3, 3))
    expected = _anisotropic_update(layers, teacher, 0.05, np.full((1, 1, 1, 1), 0.1), z1, z)
    if wrong == "transposed noise":
        z = np.swapaxes(z, -1, -2)
    else:
        teacher = dataclasses.replace(teacher, label_noise_cov=np.zeros((3, 3)))
    stepped = BatchLastStep(teacher, batch_dims=2).advance(
        to_batch_last(layers),
        0.05,
        np.full((1, 1), 0.1),
        *(np.moveaxis(x, (1, 2), (0, 1))[:, :, None] for x in (z1, z)),
    )
    assert (
        max(
            np.max(np.abs(got - want))
            for got, want in zip(from_batch_last(stepped), expected, strict=True)
        )
        > 1e3 * ROUND_OFF
    )
