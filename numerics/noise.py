r"""The one-sample gradient noise :math:`\xi_l = \nabla_{W_l}\ell - \nabla_{W_l} L` and its samplers.

Paper Prop. 3.2 and App. B.  For one sample, :math:`y - Wx = \Delta x + \varepsilon`, so

.. math:: \xi_l = -A_l^\top N B_l^\top, \qquad
          N = \Delta (x x^\top - I_n) + \varepsilon x^\top .

Four ways to get at it, from the definition to the fast exact sampler (DESIGN.md §6):

(a) :func:`empirical_gradient_noise` simulates the definition: sample data, per-sample
    gradients minus the population gradient;
(b) :func:`factored_gradient_noise` draws a *Gaussian* with exactly the covariance of (a):
    :math:`\operatorname{Cov}(\operatorname{vec} N)` equals that of
    :math:`\Delta G + \Sigma_\varepsilon^{1/2} Z` with :math:`G = (Z_1 + Z_1^\top)/\sqrt2`
    (GOE) and :math:`Z_1, Z` standard Gaussian, so :math:`-A_l^\top N B_l^\top` is an exact
    sample of the SDE noise at cost :math:`O(L d^3)`, without ever forming :math:`\Sigma`;
(c) :func:`dense_noise_covariance` builds :math:`\Sigma = \operatorname{Cov}(\operatorname{vec}
    \xi)` from the definition, with the Gaussian fourth moments of :math:`x` evaluated on
    numbers by Isserlis' theorem (no Kronecker/commutation closed form is typed in);
(d) :func:`dense_gradient_noise` samples :math:`N(0, \Sigma)` through an eigendecomposition of
    (c): the slow reference sampler for tests and benchmarks.

The samplers live together because the tests compare them with one another.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dlnverify.errors import InvalidParameter
from numerics._validation import ROUNDOFF_RTOL, check_generator, check_positive_int
from numerics.data import sample_data
from numerics.network import (
    Weights,
    _partial_products,
    _product,
    _teacher_iv,
    per_sample_gradients,
    population_gradient,
    validate_weights,
)
from numerics.teacher import Teacher

__all__ = [
    "dense_gradient_noise",
    "dense_noise_covariance",
    "empirical_gradient_noise",
    "factored_gradient_noise",
]

_PAIRINGS = (((0, 1), (2, 3)), ((0, 2), (1, 3)), ((0, 3), (1, 2)))
"""The three perfect matchings of four indices (Isserlis/Wick)."""


def empirical_gradient_noise(
    weights: Sequence[ArrayLike],
    teacher: Teacher,
    n_samples: int,
    *,
    rng: np.random.Generator,
) -> Weights:
    r"""Gradient noise by simulating its definition (paper Sec. 2.2, App. B).

    Draws fresh data :math:`(x_s, y_s)` for every network of the batch and returns
    :math:`\xi_{l,s} = \nabla_{W_l}\ell(x_s, y_s) - \nabla_{W_l} L`.

    Parameters
    ----------
    weights : sequence of array_like
        Layers of shape ``(..., h_l, h_{l-1})``.
    teacher : Teacher
        Data distribution.
    n_samples : int
        Number of samples per network, ``>= 1``.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    tuple of numpy.ndarray
        ``xi_l`` of shape ``(..., n_samples, h_l, h_{l-1})``.
    """
    layers = validate_weights(weights)
    teacher = _teacher_iv(layers, teacher)
    n_samples = check_positive_int("n_samples", n_samples)
    rng = check_generator(rng)
    x, y = sample_data(teacher, n_samples, rng=rng, batch_shape=layers[0].shape[:-2])
    gradients = per_sample_gradients(layers, x, y)
    means = population_gradient(layers, teacher)
    return tuple(g - mean[..., None, :, :] for g, mean in zip(gradients, means, strict=True))


def _output_normals(
    batch: tuple[int, ...], teacher: Teacher, n_draws: int, *, rng: np.random.Generator
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""The standard normals :math:`(Z_1, Z)` behind draws of :math:`N` (see
    :func:`_output_noise_from_normals`), shapes ``(*batch, n_draws, n, n)`` and
    ``(*batch, n_draws, m, n)``, drawn in that order."""
    z1 = rng.standard_normal((*batch, n_draws, teacher.n, teacher.n))
    z = rng.standard_normal((*batch, n_draws, teacher.m, teacher.n))
    return z1, z


def _output_noise_from_normals(
    gap: NDArray[np.float64],
    teacher: Teacher,
    z1: NDArray[np.float64],
    z: NDArray[np.float64],
) -> NDArray[np.float64]:
    r""":math:`N = \Delta G + \Sigma_\varepsilon^{1/2} Z` with :math:`G = (Z_1 +
    Z_1^\top)/\sqrt2` (see :func:`factored_gradient_noise`), the output-space factor of the
    gradient noise, :math:`\xi_l = -A_l^\top N B_l^\top`, from given standard normals.

    :math:`N` is linear in :math:`(Z_1, Z)`, so Gaussian increments of a Brownian motion in
    :math:`(Z_1, Z)` give the SDE's increments: sums of normals couple step sizes
    (:mod:`numerics.coupled`).  ``gap`` is :math:`\Delta = W^* - W` of shape ``(..., m, n)``
    (already validated), broadcast against the normals.
    """
    goe = (z1 + np.swapaxes(z1, -1, -2)) / np.sqrt(2.0)
    return gap @ goe + teacher.label_noise_sqrt @ z


def _output_noise_factor(
    gap: NDArray[np.float64], teacher: Teacher, n_draws: int, *, rng: np.random.Generator
) -> NDArray[np.float64]:
    r"""``n_draws`` draws of :math:`N` per network (:func:`_output_noise_from_normals`):
    ``gap`` of shape ``(..., m, n)``, the result of shape ``(..., n_draws, m, n)``."""
    z1, z = _output_normals(gap.shape[:-2], teacher, n_draws, rng=rng)
    return _output_noise_from_normals(gap[..., None, :, :], teacher, z1, z)


def factored_gradient_noise(
    weights: Sequence[ArrayLike],
    teacher: Teacher,
    n_draws: int,
    *,
    rng: np.random.Generator,
) -> Weights:
    r"""Exact Gaussian sampler of the SGD noise, :math:`O(L d^3)` per draw (DESIGN.md §6).

    .. math:: \xi_l = -A_l^\top N B_l^\top, \qquad
              N = \Delta G + \Sigma_\varepsilon^{1/2} Z, \qquad G = (Z_1 + Z_1^\top)/\sqrt2,

    :math:`Z_1 \in \mathbb{R}^{n\times n}`, :math:`Z \in \mathbb{R}^{m \times n}` independent
    standard Gaussian.  Why it is exact: for :math:`x \sim N(0, I_n)`, Isserlis gives
    :math:`\operatorname{Cov}(\operatorname{vec}(xx^\top)) = I + K` (:math:`K` the commutation
    matrix), and :math:`\operatorname{Cov}(\operatorname{vec} G) = \tfrac12 (I + K)(I + K)^\top
    = I + K` as :math:`K^2 = I`; the label term :math:`\varepsilon x^\top` has covariance
    :math:`I_n \otimes \Sigma_\varepsilon`, like :math:`\Sigma_\varepsilon^{1/2} Z`; cross
    terms vanish on both sides.  So :math:`\operatorname{vec}\xi` has the covariance
    :math:`\Sigma` of paper Prop. 3.2, and it is Gaussian, as the SDE (Eq. 1) requires.

    Parameters
    ----------
    weights : sequence of array_like
        Layers of shape ``(..., h_l, h_{l-1})``; every network gets its own draws.
    teacher : Teacher
        Teacher :math:`W^*` and :math:`\Sigma_\varepsilon`.
    n_draws : int
        Number of independent draws per network, ``>= 1``.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    tuple of numpy.ndarray
        ``xi_l`` of shape ``(..., n_draws, h_l, h_{l-1})``.
    """
    layers = validate_weights(weights)
    teacher = _teacher_iv(layers, teacher)
    n_draws = check_positive_int("n_draws", n_draws)
    rng = check_generator(rng)
    gap = teacher.matrix - _product(layers)
    n_matrix = _output_noise_factor(gap, teacher, n_draws, rng=rng)
    lefts, rights = _partial_products(layers)
    return tuple(
        -(
            np.swapaxes(a_l, -1, -2)[..., None, :, :]
            @ n_matrix
            @ np.swapaxes(b_l, -1, -2)[..., None, :, :]
        )
        for a_l, b_l in zip(lefts, rights, strict=True)
    )


def _isserlis_fourth_moment(cov: NDArray[np.float64]) -> NDArray[np.float64]:
    r""":math:`\mathbb{E}[x_i x_j x_k x_l]` for :math:`x \sim N(0, C)`, by summing the three pairings.

    Isserlis: :math:`\mathbb{E}[x_{i_0} x_{i_1} x_{i_2} x_{i_3}]
    = \sum_{\text{pairings}} \prod_{(a,b)} C_{i_a i_b}`, evaluated on numbers.
    """
    letters = "ijkl"
    moment = np.zeros((cov.shape[0],) * 4)
    for (a, b), (c, d) in _PAIRINGS:
        spec = f"{letters[a]}{letters[b]},{letters[c]}{letters[d]}->{letters}"
        moment += np.einsum(spec, cov, cov)
    return moment


def _column_major_matrix(tensor: NDArray[np.float64]) -> NDArray[np.float64]:
    r"""Matrix of a 4-tensor :math:`T_{ijkl}` acting between column-major vecs of ``(i, j)``
    and ``(k, l)`` matrices: row ``i + j * I``, column ``k + l * K``."""
    i, j, k, l = tensor.shape
    return tensor.transpose(1, 0, 3, 2).reshape(j * i, l * k)


def dense_noise_covariance(weights: Sequence[ArrayLike], teacher: Teacher) -> NDArray[np.float64]:
    r"""The noise covariance :math:`\Sigma = \operatorname{Cov}(\operatorname{vec}\xi)`, built
    from the definition (paper Prop. 3.2, App. B).

    With :math:`N = \Delta(xx^\top - I) + \varepsilon x^\top` and :math:`\mathbb{E} N = 0`,

    .. math:: \mathbb{E}[N_{ij} N_{kl}] = \sum_{p,q} \Delta_{ip}\Delta_{kq}
              \bigl(\mathbb{E}[x_p x_j x_q x_l] - \delta_{pj}\delta_{ql}\bigr)
              + (\Sigma_\varepsilon)_{ik}\,\delta_{jl},

    the cross terms vanishing because :math:`\varepsilon` is centred and independent of
    :math:`x`; the fourth moment is evaluated on numbers by Isserlis' theorem
    (:func:`_isserlis_fourth_moment`).  Then
    :math:`\operatorname{vec}\xi_l = T_l \operatorname{vec} N` with
    :math:`(T_l)_{(a,b),(i,j)} = -(A_l)_{ia} (B_l)_{bj}` and :math:`\Sigma_{lk} = T_l
    \operatorname{Cov}(\operatorname{vec} N) T_k^\top`.  The closed form with the commutation
    matrix is *not* used: it is what the derivations check against this.

    Parameters
    ----------
    weights : sequence of array_like
        Layers of shape ``(h_l, h_{l-1})`` (no batch dimensions).
    teacher : Teacher
        Teacher :math:`W^*` and :math:`\Sigma_\varepsilon`.

    Returns
    -------
    numpy.ndarray, shape (P, P)
        Symmetric PSD, in the order of :func:`numerics.network.flatten_layers`,
        :math:`P = \sum_l h_l h_{l-1}`.  Cost :math:`O(m^2 n^4 + P^2 m n)`: small networks only.
    """
    layers = validate_weights(weights)
    teacher = _teacher_iv(layers, teacher)
    if layers[0].ndim != 2:
        raise InvalidParameter(
            f"Got weights with batch shape {layers[0].shape[:-2]}, but dense_noise_covariance"
            " takes a single network (layers of shape (h_l, h_{l-1}))."
        )
    n = teacher.n
    gap = teacher.matrix - _product(layers)
    second = np.eye(n)  # E[x x^T], whitened inputs
    centred_fourth = _isserlis_fourth_moment(second) - np.einsum("pj,ql->pjql", second, second)
    cov_n = np.einsum("ip,kq,pjql->ijkl", gap, gap, centred_fourth, optimize=True)
    cov_n += np.einsum("ik,jl->ijkl", teacher.label_noise_cov, second)
    cov_vec_n = _column_major_matrix(cov_n)
    lefts, rights = _partial_products(layers)
    transfer = np.concatenate(
        [
            _column_major_matrix(-np.einsum("ia,bj->abij", a_l, b_l))
            for a_l, b_l in zip(lefts, rights, strict=True)
        ],
        axis=0,
    )
    sigma = transfer @ cov_vec_n @ transfer.T
    return 0.5 * (sigma + sigma.T)


def dense_gradient_noise(
    weights: Sequence[ArrayLike],
    teacher: Teacher,
    n_draws: int,
    *,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    r"""Reference sampler of :math:`N(0, \Sigma)` through the dense covariance.

    :math:`\Sigma = Q \Lambda Q^\top` (:func:`numpy.linalg.eigh` of
    :func:`dense_noise_covariance`), draws :math:`Q \Lambda^{1/2} z`, :math:`z \sim N(0, I_P)`.
    :math:`\Sigma` is PSD by construction (a congruence of a covariance), so negative
    eigenvalues can only come from round-off: those down to
    :math:`-10^{-10}\,P\,\lambda_\text{max}` are set to zero, and anything more negative is
    reported as an internal error.  Cost :math:`O(P^3)` with :math:`P = L d^2`: slow on purpose.

    Parameters
    ----------
    weights : sequence of array_like
        Layers of shape ``(h_l, h_{l-1})`` (no batch dimensions).
    teacher : Teacher
        Teacher :math:`W^*` and :math:`\Sigma_\varepsilon`.
    n_draws : int
        Number of draws, ``>= 1``.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    numpy.ndarray, shape (n_draws, P)
        Draws of :math:`\operatorname{vec}\xi` in :func:`numerics.network.flatten_layers` order.
    """
    sigma = dense_noise_covariance(weights, teacher)
    n_draws = check_positive_int("n_draws", n_draws)
    rng = check_generator(rng)
    values, vectors = np.linalg.eigh(sigma)
    size = sigma.shape[0]
    floor = -ROUNDOFF_RTOL * size * max(float(np.max(np.abs(values))), np.finfo(float).tiny)
    if values[0] < floor:
        raise RuntimeError(
            f"dense_noise_covariance has eigenvalue {values[0]:.3g} < {floor:.3g}: not PSD"
            " beyond round-off (internal error)."
        )
    root = vectors * np.sqrt(np.clip(values, 0.0, None))
    return rng.standard_normal((n_draws, size)) @ root.T
