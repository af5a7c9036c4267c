"""Bad input to the simulator (issue 3): one table, every case raises InvalidParameter whose
message names the parameter and the constraint.

Each row is (id, call, regex): the call is made on valid objects except for one parameter.
"""

import math

import numpy as np
import pytest

from dlnverify.errors import InvalidParameter
from numerics.data import sample_data
from numerics.network import (
    end_to_end,
    flatten_layers,
    minibatch_gradient,
    mode_amplitudes,
    network_widths,
    per_sample_gradients,
    population_gradient,
    population_loss,
    sample_loss,
    unflatten_layers,
    validate_weights,
)
from numerics.noise import (
    dense_gradient_noise,
    dense_noise_covariance,
    empirical_gradient_noise,
    factored_gradient_noise,
)
from numerics.sde import (
    anisotropic_langevin_step,
    gradient_descent_step,
    isotropic_langevin_step,
    sgd_step,
)
from numerics.teacher import Teacher, random_orthogonal, random_teacher
from numerics.weights import (
    aligned_balanced_weights,
    layer_imbalance,
    random_weights,
    small_gaussian_init,
)

RNG = np.random.default_rng(0)
TEACHER = random_teacher([2.0, 1.0], shape=(3, 4), rng=RNG, label_noise=0.1)  # m = 3, n = 4
WEIGHTS = random_weights((4, 5, 3), rng=RNG)  # W_1 (5, 4), W_2 (3, 5)
X, Y = sample_data(TEACHER, 6, rng=RNG)
NAN_LAYER = WEIGHTS[0].copy()
NAN_LAYER[1, 2] = math.nan
NOT_PSD = np.diag([1.0, -0.5, 0.2])
NOT_SYMMETRIC = np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
NOT_ORTHOGONAL = TEACHER.left + 1e-3


def _rng():
    return np.random.default_rng(1)


CASES = [
    # ---- dimensions
    ("orthogonal-size-zero", lambda: random_orthogonal(0, rng=_rng()), r"n=0.*integer >= 1"),
    (
        "teacher-shape-zero",
        lambda: random_teacher([1.0], shape=(0, 3), rng=_rng()),
        r"shape\[0\]=0.*>= 1",
    ),
    (
        "teacher-shape-float",
        lambda: random_teacher([1.0], shape=(2.5, 3), rng=_rng()),
        r"shape\[0\]=2.5.*integer",
    ),
    (
        "teacher-shape-not-pair",
        lambda: random_teacher([1.0], shape=(3,), rng=_rng()),
        r"shape.*pair \(m, n\)",
    ),
    ("widths-zero", lambda: random_weights((4, 0, 3), rng=_rng()), r"widths\[1\]=0.*integer >= 1"),
    (
        "widths-negative",
        lambda: small_gaussian_init((4, -2, 3), gamma=1.5, rng=_rng()),
        r"widths\[1\]=-2.*>= 1",
    ),
    ("widths-depth-zero", lambda: random_weights((4,), rng=_rng()), r"depth L=0.*L >= 1"),
    ("n-samples-zero", lambda: sample_data(TEACHER, 0, rng=_rng()), r"n_samples=0.*integer >= 1"),
    (
        "n-samples-bool",
        lambda: sample_data(TEACHER, True, rng=_rng()),
        r"n_samples=True.*integer >= 1",
    ),
    (
        "batch-shape-zero",
        lambda: sample_data(TEACHER, 2, rng=_rng(), batch_shape=(0,)),
        r"batch_shape\[0\]=0.*>= 1",
    ),
    (
        "n-draws-zero",
        lambda: factored_gradient_noise(WEIGHTS, TEACHER, 0, rng=_rng()),
        r"n_draws=0.*>= 1",
    ),
    (
        "dense-n-draws-zero",
        lambda: dense_gradient_noise(WEIGHTS, TEACHER, 0, rng=_rng()),
        r"n_draws=0.*>= 1",
    ),
    (
        "empirical-n-samples-zero",
        lambda: empirical_gradient_noise(WEIGHTS, TEACHER, 0, rng=_rng()),
        r"n_samples=0",
    ),
    (
        "batch-size-zero",
        lambda: sgd_step(WEIGHTS, TEACHER, eta=0.1, batch_size=0, rng=_rng()),
        r"batch_size=0.*>= 1",
    ),
    # ---- rank larger than the widths
    (
        "teacher-rank-too-large",
        lambda: random_teacher([3.0, 2.0, 1.0], shape=(2, 4), rng=_rng()),
        r"rank r=3.*<= min\(m, n\) = 2",
    ),
    (
        "teacher-class-rank-too-large",
        lambda: Teacher(np.eye(1), [1.0, 2.0], np.eye(2), np.zeros((1, 1))),
        r"rank r=2.*<= min\(m, n\) = 1",
    ),
    (
        "modes-more-than-widths",
        lambda: aligned_balanced_weights(TEACHER, [1.0, 1.0, 1.0], (4, 2, 3), rng=_rng()),
        r"3 amplitudes.*k <= min\(widths\) = 2",
    ),
    (
        "modes-none",
        lambda: aligned_balanced_weights(TEACHER, [], (4, 3), rng=_rng()),
        r"0 amplitudes.*1 <= k",
    ),
    # ---- singular values, variances, label noise
    (
        "singular-value-negative",
        lambda: random_teacher([1.0, -0.5], shape=(3, 4), rng=_rng()),
        r"singular values must be > 0",
    ),
    (
        "singular-value-zero",
        lambda: random_teacher([0.0], shape=(3, 4), rng=_rng()),
        r"singular values must be > 0",
    ),
    (
        "singular-value-nan",
        lambda: random_teacher([math.nan], shape=(3, 4), rng=_rng()),
        r"singular_values.*finite",
    ),
    (
        "singular-values-2d",
        lambda: random_teacher([[1.0]], shape=(3, 4), rng=_rng()),
        r"singular_values.*1-dimensional",
    ),
    (
        "label-noise-negative",
        lambda: random_teacher([1.0], shape=(3, 4), rng=_rng(), label_noise=-0.1),
        r"label_noise=-0.1.*>= 0",
    ),
    (
        "label-noise-inf",
        lambda: random_teacher([1.0], shape=(3, 4), rng=_rng(), label_noise=math.inf),
        r"label_noise=inf.*finite",
    ),
    (
        "label-noise-nan",
        lambda: random_teacher([1.0], shape=(3, 4), rng=_rng(), label_noise=math.nan),
        r"label_noise=nan.*finite",
    ),
    (
        "label-noise-not-psd",
        lambda: random_teacher([1.0], shape=(3, 4), rng=_rng(), label_noise=NOT_PSD),
        r"label_noise.*positive semi-definite",
    ),
    (
        "label-noise-not-symmetric",
        lambda: random_teacher([1.0], shape=(3, 4), rng=_rng(), label_noise=NOT_SYMMETRIC),
        r"non-symmetric label_noise.*symmetric",
    ),
    (
        "label-noise-wrong-shape",
        lambda: random_teacher([1.0], shape=(3, 4), rng=_rng(), label_noise=np.eye(4)),
        r"label_noise of shape \(4, 4\).*\(3, 3\)",
    ),
    (
        "label-noise-complex",
        lambda: random_teacher([1.0], shape=(3, 4), rng=_rng(), label_noise=np.eye(3) * 1j),
        r"label_noise.*real",
    ),
    (
        "teacher-class-not-psd",
        lambda: Teacher(TEACHER.left, [1.0], TEACHER.right, NOT_PSD),
        r"label_noise_cov.*positive semi-definite",
    ),
    (
        "gamma-nan",
        lambda: small_gaussian_init((4, 3), gamma=math.nan, rng=_rng()),
        r"gamma=nan.*finite",
    ),
    ("d-zero", lambda: small_gaussian_init((4, 3), gamma=1.5, d=0, rng=_rng()), r"d=0.*> 0"),
    ("scale-negative", lambda: random_weights((4, 3), rng=_rng(), scale=-1.0), r"scale=-1.0.*>= 0"),
    (
        "amplitude-negative",
        lambda: aligned_balanced_weights(TEACHER, [1.0, -1.0], (4, 3), rng=_rng()),
        r"amplitudes.*>= 0",
    ),
    (
        "amplitude-nan",
        lambda: aligned_balanced_weights(TEACHER, [math.nan], (4, 3), rng=_rng()),
        r"amplitudes.*finite",
    ),
    ("eta-zero", lambda: gradient_descent_step(WEIGHTS, TEACHER, eta=0.0), r"eta=0.0.*> 0"),
    (
        "eta-negative",
        lambda: sgd_step(WEIGHTS, TEACHER, eta=-0.1, batch_size=2, rng=_rng()),
        r"eta=-0.1.*> 0",
    ),
    (
        "dt-nan",
        lambda: anisotropic_langevin_step(WEIGHTS, TEACHER, dt=math.nan, kappa=0.1, rng=_rng()),
        r"dt=nan.*finite",
    ),
    (
        "kappa-negative",
        lambda: anisotropic_langevin_step(WEIGHTS, TEACHER, dt=0.1, kappa=-0.1, rng=_rng()),
        r"kappa=-0.1.*>= 0",
    ),
    (
        "temperature-inf",
        lambda: isotropic_langevin_step(WEIGHTS, TEACHER, dt=0.1, temperature=math.inf, rng=_rng()),
        r"temperature=inf.*finite",
    ),
    # ---- weights: depth, finiteness, shapes
    ("weights-empty", lambda: validate_weights(()), r"depth L=0.*depth L must be >= 1"),
    ("weights-empty-end-to-end", lambda: end_to_end([]), r"depth L=0"),
    (
        "weights-not-a-sequence",
        lambda: network_widths(WEIGHTS[0]),
        r"weights.*tuple \(W_1, \.\.\., W_L\)",
    ),
    (
        "weights-nan",
        lambda: population_loss((NAN_LAYER, WEIGHTS[1]), TEACHER),
        r"W_1.*NaN or inf.*finite",
    ),
    ("weights-inf", lambda: end_to_end((WEIGHTS[0], WEIGHTS[1] * math.inf)), r"W_2.*finite"),
    (
        "weights-1d-layer",
        lambda: validate_weights((np.ones(4),)),
        r"W_1.*shape \(4,\).*\(\.\.\., h_l, h_\{l-1\}\)",
    ),
    (
        "weights-zero-width",
        lambda: validate_weights((np.ones((0, 4)),)),
        r"W_1.*widths h_l must be integers >= 1",
    ),
    (
        "weights-not-chained",
        lambda: end_to_end((WEIGHTS[0], np.ones((3, 4)))),
        r"W_2 of shape \(3, 4\).*must chain",
    ),
    (
        "weights-batch-mismatch",
        lambda: end_to_end((np.ones((2, 5, 4)), np.ones((3, 3, 5)))),
        r"W_2 with batch shape \(3,\).*batch shape \(2,\)",
    ),
    ("weights-complex", lambda: validate_weights((WEIGHTS[0] * 1j,)), r"W_1.*complex.*real"),
    (
        "weights-teacher-mismatch",
        lambda: population_gradient((np.ones((3, 3)),), TEACHER),
        r"teacher of shape \(3, 4\).*\(h_L, h_0\) = \(3, 3\)",
    ),
    (
        "weights-not-a-teacher",
        lambda: mode_amplitudes(WEIGHTS, TEACHER.matrix),
        r"teacher.*numerics.teacher.Teacher",
    ),
    (
        "x-wrong-width",
        lambda: per_sample_gradients(WEIGHTS, X[:, :3], Y),
        r"x of shape \(6, 3\).*\(n_samples, 4\).*input width n=4",
    ),
    (
        "minibatch-x-wrong-width",
        lambda: minibatch_gradient(WEIGHTS, X[:, :3], Y),
        r"x of shape \(6, 3\).*\(n_samples, 4\).*input width n=4",
    ),
    (
        "minibatch-no-samples",
        lambda: minibatch_gradient(WEIGHTS, X[:0], Y[:0]),
        r"0 samples.*n_samples must be >= 1",
    ),
    (
        "x-batch-mismatch",
        lambda: sample_loss(WEIGHTS, X[None], Y[None]),
        r"x of shape \(1, 6, 4\).*batch shape \(\)",
    ),
    (
        "y-wrong-shape",
        lambda: per_sample_gradients(WEIGHTS, X, Y[:5]),
        r"y of shape \(5, 3\).*\(6, 3\)",
    ),
    (
        "dense-batched",
        lambda: dense_noise_covariance(
            random_weights((4, 3), rng=_rng(), batch_shape=(2,)), TEACHER
        ),
        r"batch shape \(2,\).*single network",
    ),
    ("imbalance-nan", lambda: layer_imbalance((NAN_LAYER, WEIGHTS[1])), r"W_1.*finite"),
    # ---- bases, vectorisation, rng
    (
        "teacher-not-orthogonal",
        lambda: Teacher(NOT_ORTHOGONAL, [1.0], TEACHER.right, np.zeros((3, 3))),
        r"left.*must be orthogonal",
    ),
    (
        "teacher-not-square-basis",
        lambda: Teacher(TEACHER.left, [1.0], np.ones((4, 3)), np.zeros((3, 3))),
        r"right of shape \(4, 3\).*square orthogonal",
    ),
    (
        "aligned-widths-mismatch",
        lambda: aligned_balanced_weights(TEACHER, [1.0], (3, 3), rng=_rng()),
        r"\(h_0, h_L\) = \(3, 3\).*\(n, m\) = \(4, 3\)",
    ),
    (
        "unflatten-wrong-length",
        lambda: unflatten_layers(np.ones(7), (2, 3)),
        r"vec of shape \(7,\).*length.*= 6",
    ),
    ("flatten-empty", lambda: flatten_layers([]), r"layers.*depth L=0"),
    (
        "flatten-mismatched-lead",
        lambda: flatten_layers([np.ones((2, 3, 3)), np.ones((3, 3, 3))]),
        r"layers\[1\] of shape \(3, 3, 3\).*common leading shape",
    ),
    (
        "rng-int-seed",
        lambda: sample_data(TEACHER, 2, rng=0),
        r"rng of type int.*numpy.random.Generator",
    ),
    (
        "rng-legacy",
        lambda: random_orthogonal(3, rng=np.random.RandomState(0)),
        r"rng of type RandomState.*Generator",
    ),
]


@pytest.mark.parametrize(("call", "pattern"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_raises_invalid_parameter(call, pattern):
    with pytest.raises(InvalidParameter, match=pattern):
        call()


def test_invalid_parameter_is_a_value_error():
    with pytest.raises(ValueError, match="depth"):
        validate_weights([])
