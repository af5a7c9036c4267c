r"""One step of each optimiser: GD, online SGD, anisotropic and isotropic Langevin.

Paper Sec. 2.1-2.2 and Eq. 1 (DESIGN.md §3): SGD
:math:`\theta_{k+1} = \theta_k - \eta\,\hat g_B` with an online batch of size :math:`B`; its
continuous model, the *anisotropic Langevin* SDE

.. math:: d\theta = -\nabla L\,dt + \sqrt{\kappa\,\Sigma(\theta)}\,dW_t, \qquad \kappa = \eta/B,

integrated by Euler-Maruyama with the exact factored noise sampler of
:mod:`numerics.noise`; and the isotropic Langevin comparison
:math:`d\theta = -\nabla L\,dt + \sqrt{2T}\,dW_t`.  Every step acts on a batch of independent
networks at once (leading dimensions of the weights), each with its own randomness.  Steps are
functions (not a driver loop) so that tests can check one-step increments; trajectories are
built from them elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from numerics._validation import (
    check_generator,
    check_nonnegative_real,
    check_positive_int,
    check_positive_real,
)
from numerics.data import sample_data
from numerics.network import (
    Weights,
    _partial_products,
    _teacher_iv,
    minibatch_gradient,
    population_gradient,
    validate_weights,
)
from numerics.noise import _output_noise_from_normals, _output_normals
from numerics.teacher import Teacher

__all__ = [
    "anisotropic_langevin_step",
    "gradient_descent_step",
    "isotropic_langevin_step",
    "sgd_step",
]


def gradient_descent_step(weights: Sequence[ArrayLike], teacher: Teacher, *, eta: float) -> Weights:
    r"""One step of gradient descent on the population loss.

    .. math:: W_l \leftarrow W_l - \eta\,\nabla_{W_l} L = W_l + \eta A_l^\top \Delta B_l^\top

    (paper Prop. 3.1 for the gradient; Eqs. 2-3 are its continuous-time limit).

    Parameters
    ----------
    weights : sequence of array_like
        Layers of shape ``(..., h_l, h_{l-1})``.
    teacher : Teacher
        The teacher.
    eta : float
        Learning rate, finite and ``> 0``.

    Returns
    -------
    tuple of numpy.ndarray
        The new layers.
    """
    layers = validate_weights(weights)
    step = check_positive_real("eta", eta)
    gradient = population_gradient(layers, teacher)
    return tuple(w - step * g for w, g in zip(layers, gradient, strict=True))


def sgd_step(
    weights: Sequence[ArrayLike],
    teacher: Teacher,
    *,
    eta: float,
    batch_size: int,
    rng: np.random.Generator,
) -> Weights:
    r"""One step of online SGD with a fresh batch of size :math:`B` per network (paper Sec. 2.1).

    .. math:: W_l \leftarrow W_l - \frac{\eta}{B} \sum_{s=1}^{B} \nabla_{W_l}\ell(x_s, y_s),
              \qquad (x_s, y_s) \text{ i.i.d. from the teacher.}

    The mean gradient comes from :func:`numerics.network.minibatch_gradient`, without forming
    the :math:`B` per-sample gradients.

    Parameters
    ----------
    weights : sequence of array_like
        Layers of shape ``(..., h_l, h_{l-1})``.
    teacher : Teacher
        Data distribution.
    eta : float
        Learning rate, finite and ``> 0``.
    batch_size : int
        :math:`B \ge 1`.
    rng : numpy.random.Generator
        Source of the data.

    Returns
    -------
    tuple of numpy.ndarray
        The new layers.
    """
    layers = validate_weights(weights)
    teacher = _teacher_iv(layers, teacher)
    step = check_positive_real("eta", eta)
    batch_size = check_positive_int("batch_size", batch_size)
    rng = check_generator(rng)
    x, y = sample_data(teacher, batch_size, rng=rng, batch_shape=layers[0].shape[:-2])
    gradient = minibatch_gradient(layers, x, y)
    return tuple(w - step * g for w, g in zip(layers, gradient, strict=True))


def anisotropic_langevin_step(
    weights: Sequence[ArrayLike],
    teacher: Teacher,
    *,
    dt: float,
    kappa: float,
    rng: np.random.Generator,
) -> Weights:
    r"""One Euler-Maruyama step of the anisotropic Langevin SDE (paper Eq. 1).

    .. math:: W_l \leftarrow W_l - \nabla_{W_l} L\,dt + \sqrt{\kappa\,dt}\;\xi_l,

    with :math:`\xi` an exact draw of :math:`N(0, \Sigma(\theta))` from
    :func:`numerics.noise.factored_gradient_noise`, so that the increment has mean
    :math:`-\nabla L\,dt` and covariance :math:`\kappa\,dt\,\Sigma`.

    Parameters
    ----------
    weights : sequence of array_like
        Layers of shape ``(..., h_l, h_{l-1})``.
    teacher : Teacher
        The teacher.
    dt : float
        Time step, finite and ``> 0``.
    kappa : float
        Noise scale :math:`\kappa = \eta / B`, finite and ``>= 0``.
    rng : numpy.random.Generator
        Source of the noise.

    Returns
    -------
    tuple of numpy.ndarray
        The new layers.
    """
    layers = validate_weights(weights)
    step = check_positive_real("dt", dt)
    scale = check_nonnegative_real("kappa", kappa)
    rng = check_generator(rng)
    teacher = _teacher_iv(layers, teacher)
    z1, z = _output_normals(layers[0].shape[:-2], teacher, 1, rng=rng)
    return _anisotropic_update(layers, teacher, step, scale, z1[..., 0, :, :], z[..., 0, :, :])


def _anisotropic_update(
    layers: Weights,
    teacher: Teacher,
    dt: float,
    kappa: float | NDArray[np.float64],
    z1: NDArray[np.float64],
    z: NDArray[np.float64],
) -> Weights:
    r"""The Euler-Maruyama step of :func:`anisotropic_langevin_step` driven by given standard
    normals :math:`(Z_1, Z)` (:func:`numerics.noise._output_noise_from_normals`), arguments
    already validated.  ``kappa`` may be an array broadcast against the batch shape (several
    noise scales stepped at once, :mod:`numerics.coupled`)."""
    lefts, rights = _partial_products(layers)
    gap = teacher.matrix - lefts[0] @ layers[0]  # Delta = W* - A_1 W_1
    noise = _output_noise_from_normals(gap, teacher, z1, z)
    # -grad L dt + sqrt(kappa dt) xi = A_l^T (Delta dt - sqrt(kappa dt) N) B_l^T: one sandwich.
    middle = dt * gap - np.sqrt(kappa * dt) * noise
    return tuple(
        w + np.swapaxes(a_l, -1, -2) @ middle @ np.swapaxes(b_l, -1, -2)
        for w, a_l, b_l in zip(layers, lefts, rights, strict=True)
    )


def isotropic_langevin_step(
    weights: Sequence[ArrayLike],
    teacher: Teacher,
    *,
    dt: float,
    temperature: float,
    rng: np.random.Generator,
) -> Weights:
    r"""One Euler-Maruyama step of isotropic Langevin dynamics (paper Sec. 3, remark).

    .. math:: W_l \leftarrow W_l - \nabla_{W_l} L\,dt + \sqrt{2 T\,dt}\;Z_l,
              \qquad Z_l \text{ standard Gaussian } h_l \times h_{l-1}.

    Parameters
    ----------
    weights : sequence of array_like
        Layers of shape ``(..., h_l, h_{l-1})``.
    teacher : Teacher
        The teacher.
    dt : float
        Time step, finite and ``> 0``.
    temperature : float
        :math:`T`, finite and ``>= 0``.
    rng : numpy.random.Generator
        Source of the noise.

    Returns
    -------
    tuple of numpy.ndarray
        The new layers.
    """
    layers = validate_weights(weights)
    step = check_positive_real("dt", dt)
    heat = check_nonnegative_real("temperature", temperature)
    rng = check_generator(rng)
    gradient = population_gradient(layers, teacher)
    amplitude = np.sqrt(2.0 * heat * step)
    return tuple(
        w - step * g + amplitude * rng.standard_normal(w.shape)
        for w, g in zip(layers, gradient, strict=True)
    )
