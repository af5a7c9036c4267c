r"""The teacher of the student-teacher setting: :math:`W^* = U \operatorname{diag}(\sigma) V^\top`.

DESIGN.md §3 and the paper's Sec. 2.3: data are generated as :math:`y = W^* x + \varepsilon`
with whitened inputs :math:`x \sim N(0, I_n)` and label noise
:math:`\varepsilon \sim N(0, \Sigma_\varepsilon)` independent of :math:`x`.  The teacher is kept
in factored form (full orthogonal bases :math:`U`, :math:`V` and the positive singular values)
because every observable of the paper is expressed in that basis: mode amplitudes
:math:`s_a = u_a^\top W v_a`, aligned-balanced weights, cross-modes.  It lives in its own
module because the network, the data, the weights and the noise all take it as input, and it is
the one object shared by an ensemble of networks.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dlnverify.errors import InvalidParameter
from numerics._validation import (
    ROUNDOFF_RTOL,
    as_psd_matrix,
    as_real_array,
    check_generator,
    check_nonnegative_real,
    check_positive_int,
)

__all__ = ["Teacher", "random_orthogonal", "random_teacher"]


def random_orthogonal(n: int, *, rng: np.random.Generator) -> NDArray[np.float64]:
    r"""A Haar-distributed random orthogonal :math:`n \times n` matrix.

    QR decomposition of a standard Gaussian matrix :math:`Z = QR`, with the signs of the
    columns of :math:`Q` fixed by :math:`\operatorname{sign}(\operatorname{diag} R)` so that the
    distribution is exactly Haar (Mezzadri, *How to generate random matrices from the classical
    compact groups*, 2007).

    Parameters
    ----------
    n : int
        Size, ``n >= 1``.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    numpy.ndarray, shape (n, n)
        :math:`Q` with :math:`Q^\top Q = I_n`.
    """
    n = check_positive_int("n", n)
    rng = check_generator(rng)
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    signs = np.sign(np.diag(r))
    signs[signs == 0] = 1.0
    return q * signs


def _orthogonal(name: str, value: Any) -> NDArray[np.float64]:
    matrix = as_real_array(name, value, ndim=2)
    if matrix.shape[0] != matrix.shape[1] or matrix.shape[0] < 1:
        raise InvalidParameter(
            f"Got {name} of shape {matrix.shape}, but {name} must be a square orthogonal matrix."
        )
    size = matrix.shape[0]
    error = float(np.max(np.abs(matrix.T @ matrix - np.eye(size))))
    if error > ROUNDOFF_RTOL * size:
        raise InvalidParameter(
            f"Got {name} with max|{name}^T {name} - I| = {error:.3g}, but {name} must be"
            " orthogonal."
        )
    return matrix


def _readonly(array: NDArray[np.float64]) -> NDArray[np.float64]:
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Teacher:
    r"""A teacher :math:`W^* = U_r \operatorname{diag}(\sigma) V_r^\top` with label noise.

    Attributes
    ----------
    left : numpy.ndarray, shape (m, m)
        Orthogonal :math:`U`; its first :math:`r` columns are the left singular vectors
        :math:`u_a`.
    singular_values : numpy.ndarray, shape (r,)
        Positive singular values :math:`\sigma_a`, :math:`r \le \min(m, n)` (any order).
    right : numpy.ndarray, shape (n, n)
        Orthogonal :math:`V`; its first :math:`r` columns are the right singular vectors
        :math:`v_a`.
    label_noise_cov : numpy.ndarray, shape (m, m)
        Symmetric positive semi-definite :math:`\Sigma_\varepsilon` (zeros: no label noise).

    Notes
    -----
    Arrays are validated (orthogonality and PSD up to round-off), copied to float64 and made
    read-only.  Invalid fields raise :class:`dlnverify.errors.InvalidParameter`.  Teachers
    compare by identity (``eq=False``): equality of arrays has no single truth value.
    """

    left: NDArray[np.float64]
    singular_values: NDArray[np.float64]
    right: NDArray[np.float64]
    label_noise_cov: NDArray[np.float64]

    def __post_init__(self) -> None:
        left = _orthogonal("left", self.left)
        right = _orthogonal("right", self.right)
        values = as_real_array("singular_values", self.singular_values, ndim=1)
        if np.any(values <= 0):
            raise InvalidParameter(
                f"Got singular_values={values.tolist()}, but singular values must be > 0."
            )
        m, n = left.shape[0], right.shape[0]
        if values.size > min(m, n):
            raise InvalidParameter(
                f"Got rank r={values.size} (len(singular_values)), but the rank must be"
                f" <= min(m, n) = {min(m, n)} for a teacher of shape ({m}, {n})."
            )
        cov = as_psd_matrix("label_noise_cov", self.label_noise_cov, m)
        object.__setattr__(self, "left", _readonly(left))
        object.__setattr__(self, "right", _readonly(right))
        object.__setattr__(self, "singular_values", _readonly(values))
        object.__setattr__(self, "label_noise_cov", _readonly(cov))

    @property
    def m(self) -> int:
        """Output dimension :math:`m = h_L`."""
        return int(self.left.shape[0])

    @property
    def n(self) -> int:
        """Input dimension :math:`n = h_0`."""
        return int(self.right.shape[0])

    @property
    def rank(self) -> int:
        """Number :math:`r` of non-zero singular values."""
        return int(self.singular_values.size)

    @property
    def left_vectors(self) -> NDArray[np.float64]:
        r""":math:`U_r = [u_1, \dots, u_r]`, shape (m, r)."""
        return self.left[:, : self.rank]

    @property
    def right_vectors(self) -> NDArray[np.float64]:
        r""":math:`V_r = [v_1, \dots, v_r]`, shape (n, r)."""
        return self.right[:, : self.rank]

    @cached_property
    def matrix(self) -> NDArray[np.float64]:
        r""":math:`W^* = U_r \operatorname{diag}(\sigma) V_r^\top`, shape (m, n)."""
        return _readonly((self.left_vectors * self.singular_values) @ self.right_vectors.T)

    @cached_property
    def label_noise_sqrt(self) -> NDArray[np.float64]:
        r"""Symmetric PSD square root :math:`\Sigma_\varepsilon^{1/2}`, shape (m, m).

        From :func:`numpy.linalg.eigh`; eigenvalues that are negative by round-off only (the
        covariance was checked PSD at construction) are set to zero.
        """
        values, vectors = np.linalg.eigh(self.label_noise_cov)
        root = (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T
        return _readonly(0.5 * (root + root.T))


def random_teacher(
    singular_values: ArrayLike,
    *,
    shape: tuple[int, int],
    rng: np.random.Generator,
    label_noise: float | ArrayLike | None = None,
) -> Teacher:
    r"""A teacher with given singular values and Haar-random singular bases.

    :math:`U` and :math:`V` are independent :func:`random_orthogonal` matrices; the teacher is
    :math:`W^* = \sum_{a \le r} \sigma_a u_a v_a^\top` (paper Sec. 2.3).

    Parameters
    ----------
    singular_values : array_like, shape (r,)
        Positive singular values, :math:`r \le \min(m, n)`.
    shape : tuple of int
        :math:`(m, n)`, output and input dimensions, both ``>= 1``.
    rng : numpy.random.Generator
        Source of randomness.
    label_noise : None, float or array_like, optional
        ``None`` (no label noise), a float :math:`\sigma_\varepsilon \ge 0` giving
        :math:`\Sigma_\varepsilon = \sigma_\varepsilon^2 I_m`, or an :math:`m \times m`
        symmetric PSD covariance.

    Returns
    -------
    Teacher
    """
    if not isinstance(shape, tuple | list) or len(shape) != 2:
        raise InvalidParameter(f"Got {shape=}, but shape must be a pair (m, n) of integers >= 1.")
    m = check_positive_int("shape[0]", shape[0])
    n = check_positive_int("shape[1]", shape[1])
    rng = check_generator(rng)
    values = as_real_array("singular_values", singular_values, ndim=1)
    if values.size > min(m, n):
        raise InvalidParameter(
            f"Got rank r={values.size} (len(singular_values)), but the rank must be"
            f" <= min(m, n) = {min(m, n)} for {shape=}."
        )
    if label_noise is None:
        cov = np.zeros((m, m))
    elif np.ndim(label_noise) == 0:
        sigma_eps = check_nonnegative_real("label_noise", label_noise)
        cov = sigma_eps**2 * np.eye(m)
    else:
        cov = as_psd_matrix("label_noise", label_noise, m)
    return Teacher(
        left=random_orthogonal(m, rng=rng),
        singular_values=values,
        right=random_orthogonal(n, rng=rng),
        label_noise_cov=cov,
    )
