"""The ensemble step in a working precision (numerics.ensemble): float64 is the library step
byte for byte, float32 follows float64 from the same normals to float32 round-off, seeds
reproduce per dtype, and anything but the two dtype names is refused."""

import numpy as np
import pytest

from dlnverify.errors import InvalidParameter
from numerics.ensemble import AnisotropicEnsembleStep, WorkingDtype, check_working_dtype
from numerics.sde import anisotropic_langevin_step
from numerics.teacher import random_teacher
from numerics.trajectory import simulate_trajectory
from numerics.weights import small_gaussian_init

DT, KAPPA, BATCH = 0.05, 0.02, (8,)
#: float32 machine epsilon.
EPS32 = float(np.finfo(np.float32).eps)


@pytest.fixture
def setup():
    rng = np.random.default_rng(5)
    teacher = random_teacher([2.0, 1.0], shape=(4, 3), rng=rng, label_noise=0.1)
    weights = small_gaussian_init((3, 5, 6, 4), gamma=1.0, rng=rng, batch_shape=BATCH)
    return teacher, weights


def _step(teacher, seed, dtype="float64", kappa=KAPPA):
    rng = np.random.default_rng(seed)
    return AnisotropicEnsembleStep(BATCH, teacher, dt=DT, kappa=kappa, rng=rng, dtype=dtype)


def test_float64_step_is_the_library_step_byte_for_byte(setup):
    teacher, weights = setup
    step, rng = _step(teacher, 1), np.random.default_rng(1)
    library = ours = weights
    for _ in range(20):
        library = anisotropic_langevin_step(library, teacher, dt=DT, kappa=KAPPA, rng=rng)
        ours = step(ours)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(library, ours, strict=True))
    # a different stream is a different run: the comparison can fail
    other = _step(teacher, 2)(weights)
    assert not np.array_equal(
        other[0],
        anisotropic_langevin_step(
            weights, teacher, dt=DT, kappa=KAPPA, rng=np.random.default_rng(1)
        )[0],
    )


def _float32_and_float64(weights, teacher, *, steps, kappa64=KAPPA):
    """Run float32 and float64 steps from the same float32 normals (cast up for float64)."""
    single, double = _step(teacher, 3, "float32"), _step(teacher, 3, kappa=kappa64)
    low = tuple(w.astype(np.float32) for w in weights)
    high = tuple(w.astype(np.float64) for w in low)
    for _ in range(steps):
        z1, z = single.draw_normals()
        low = single.advance(low, z1, z)
        high = double.advance(high, z1.astype(np.float64), z.astype(np.float64))
    return low, high


def test_float32_follows_float64_from_the_same_normals_to_float32_roundoff(setup):
    teacher, weights = setup
    steps = 100
    low, high = _float32_and_float64(weights, teacher, steps=steps)
    assert all(w.dtype == np.float32 for w in low)
    scale = max(float(np.max(np.abs(w))) for w in high)
    # at most one float32 round-off of the weights' scale per step
    tolerance = steps * EPS32 * scale
    error = max(float(np.max(np.abs(a - b))) for a, b in zip(low, high, strict=True))
    assert error <= tolerance
    # ... and it is float32 arithmetic: float64 round-off would be 1e9 times smaller
    assert error > 1e3 * steps * float(np.finfo(np.float64).eps) * scale
    # a wrong step (noise scale off by 0.1 %) is told apart at this tolerance
    _, wrong = _float32_and_float64(weights, teacher, steps=steps, kappa64=KAPPA * 1.001)
    off = max(float(np.max(np.abs(a - b))) for a, b in zip(low, wrong, strict=True))
    assert off > 10 * tolerance


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_same_seed_same_bytes_per_dtype_and_the_dtypes_differ(setup, dtype):
    teacher, weights = setup

    def run(seed):
        return simulate_trajectory(
            weights,
            teacher,
            optimizer="anisotropic",
            eta=DT,
            steps=30,
            batch_size=2,
            record_every=10,
            rng=np.random.default_rng(seed),
            dtype=dtype,
        )

    first, again, other = run(0), run(0), run(1)
    assert all(w.dtype == np.dtype(dtype) for w in first.weights)
    for name, array in first.arrays().items():
        assert array.tobytes() == again.arrays()[name].tobytes(), name
    assert first.loss.tobytes() != other.loss.tobytes()


def test_float64_trajectory_is_the_repeated_library_step(setup):
    teacher, weights = setup
    run = simulate_trajectory(
        weights,
        teacher,
        optimizer="anisotropic",
        eta=DT,
        steps=12,
        batch_size=2,
        rng=np.random.default_rng(4),
    )
    layers, rng = weights, np.random.default_rng(4)
    for _ in range(12):
        layers = anisotropic_langevin_step(layers, teacher, dt=DT, kappa=DT / 2, rng=rng)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(run.weights, layers, strict=True))


@pytest.mark.parametrize(
    "bad", ["float16", "Float32", "float32 ", "f4", "", None, np.float32, np.dtype("float32"), 32]
)
def test_anything_but_the_two_dtype_names_is_refused(bad):
    with pytest.raises(InvalidParameter, match="dtype must be one of 'float64', 'float32'"):
        check_working_dtype(bad)


def test_both_documented_dtypes_are_accepted():
    assert check_working_dtype("float32") is WorkingDtype.FLOAT32
    assert check_working_dtype("float64") is WorkingDtype.FLOAT64
    assert check_working_dtype(WorkingDtype.FLOAT32) is WorkingDtype.FLOAT32


@pytest.mark.parametrize("optimizer", ["gd", "sgd", "isotropic"])
def test_float32_is_refused_by_the_optimisers_without_a_float32_path(setup, optimizer):
    teacher, weights = setup
    with pytest.raises(InvalidParameter, match="float32 is the working precision of the aniso"):
        simulate_trajectory(
            weights,
            teacher,
            optimizer=optimizer,
            eta=DT,
            steps=2,
            rng=np.random.default_rng(0),
            dtype="float32",
        )
