r"""Input validation shared by the simulator modules (private).

Every public function of :mod:`numerics` validates its inputs at the boundary and raises
:class:`dlnverify.errors.InvalidParameter` with a one-line message naming the parameter, what
came in, and the constraint, so that NumPy internals never leak.  The checks live here, in one
place, so that the same parameter (a width, a variance, an orthogonal basis) is judged by the
same rule and the same words everywhere; the module is private because it holds machinery, not
mathematics.

Tolerances used for "is orthogonal / symmetric / PSD" are round-off tolerances, relative to the
scale of the matrix: they accept matrices that are exact up to floating-point error and reject
anything that is genuinely off (see :data:`ROUNDOFF_RTOL`).
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dlnverify.errors import InvalidParameter

__all__ = [
    "ROUNDOFF_RTOL",
    "as_psd_matrix",
    "as_real_array",
    "check_finite_real",
    "check_generator",
    "check_nonnegative_real",
    "check_positive_int",
    "check_positive_real",
    "check_shape_tuple",
    "check_widths",
]

ROUNDOFF_RTOL = 1e-10
r"""Relative round-off tolerance for structural checks (orthogonality, symmetry, PSD).

Products of a few float64 matrices of size :math:`d \lesssim 10^3` carry relative errors of
order :math:`d\,\epsilon_\text{mach} \approx 10^{-13}`; :math:`10^{-10}` leaves three orders of
magnitude of margin and still rejects any matrix that is wrong at the level a user could mean.
"""


def check_positive_int(name: str, value: Any) -> int:
    """Return ``value`` as an ``int`` if it is an integer ``>= 1`` (``bool`` is rejected)."""
    if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
        raise InvalidParameter(f"Got {name}={value!r}, but {name} must be an integer >= 1.")
    return int(value)


def _real_scalar(name: str, value: Any, constraint: str) -> float:
    if not isinstance(value, Real) or isinstance(value, bool):
        raise InvalidParameter(f"Got {name}={value!r}, but {name} must be {constraint}.")
    result = float(value)
    if not np.isfinite(result):
        raise InvalidParameter(f"Got {name}={value!r}, but {name} must be {constraint}.")
    return result


def check_finite_real(name: str, value: Any) -> float:
    """Return ``value`` as a ``float`` if it is a finite real number."""
    return _real_scalar(name, value, "a finite real number")


def check_positive_real(name: str, value: Any) -> float:
    """Return ``value`` as a ``float`` if it is a finite real number ``> 0``."""
    result = _real_scalar(name, value, "a finite real number > 0")
    if result <= 0:
        raise InvalidParameter(
            f"Got {name}={value!r}, but {name} must be a finite real number > 0."
        )
    return result


def check_nonnegative_real(name: str, value: Any) -> float:
    """Return ``value`` as a ``float`` if it is a finite real number ``>= 0``."""
    result = _real_scalar(name, value, "a finite real number >= 0")
    if result < 0:
        raise InvalidParameter(
            f"Got {name}={value!r}, but {name} must be a finite real number >= 0."
        )
    return result


def check_generator(rng: Any) -> np.random.Generator:
    """Return ``rng`` if it is a :class:`numpy.random.Generator` (seeded by the caller)."""
    if not isinstance(rng, np.random.Generator):
        raise InvalidParameter(
            f"Got rng of type {type(rng).__name__}, but rng must be a numpy.random.Generator"
            " (e.g. numpy.random.default_rng(seed))."
        )
    return rng


def as_real_array(name: str, value: Any, *, ndim: int | None = None) -> NDArray[np.float64]:
    """Convert ``value`` to a finite float64 array (a copy), optionally of a given ``ndim``.

    Booleans, complex numbers, objects and strings are rejected rather than cast.
    """
    array = np.asarray(value)
    if array.dtype.kind not in "iuf":
        raise InvalidParameter(
            f"Got {name} with dtype {array.dtype}, but {name} must be a real (integer or float)"
            " array."
        )
    array = np.array(array, dtype=np.float64)
    if ndim is not None and array.ndim != ndim:
        raise InvalidParameter(
            f"Got {name} of shape {array.shape}, but {name} must be {ndim}-dimensional."
        )
    if not np.all(np.isfinite(array)):
        raise InvalidParameter(f"Got {name} with NaN or inf entries, but {name} must be finite.")
    return array


def as_psd_matrix(name: str, value: Any, size: int) -> NDArray[np.float64]:
    r"""Validate a symmetric positive semi-definite ``(size, size)`` matrix.

    Symmetry and the sign of the smallest eigenvalue are judged up to
    :data:`ROUNDOFF_RTOL` times the largest absolute entry; the returned matrix is the exact
    symmetric part :math:`(C + C^\top)/2`.
    """
    matrix = as_real_array(name, value, ndim=2)
    if matrix.shape != (size, size):
        raise InvalidParameter(
            f"Got {name} of shape {matrix.shape}, but {name} must have shape ({size}, {size})."
        )
    scale = max(float(np.max(np.abs(matrix), initial=0.0)), np.finfo(np.float64).tiny)
    if np.max(np.abs(matrix - matrix.T), initial=0.0) > ROUNDOFF_RTOL * scale:
        raise InvalidParameter(f"Got a non-symmetric {name}, but {name} must be symmetric.")
    matrix = 0.5 * (matrix + matrix.T)
    smallest = float(np.linalg.eigvalsh(matrix)[0]) if size else 0.0
    if smallest < -ROUNDOFF_RTOL * scale * size:
        raise InvalidParameter(
            f"Got {name} with smallest eigenvalue {smallest:.3g}, but {name} must be positive"
            " semi-definite."
        )
    return matrix


def check_widths(widths: Any, name: str = "widths") -> tuple[int, ...]:
    """Validate layer widths ``(h_0, ..., h_L)``: at least two integers ``>= 1`` (depth ``>= 1``)."""
    if isinstance(widths, np.ndarray):
        widths = widths.tolist()
    if not isinstance(widths, Sequence) or isinstance(widths, str):
        raise InvalidParameter(
            f"Got {name}={widths!r}, but {name} must be a sequence (h_0, ..., h_L) of integers"
            " >= 1 with L >= 1."
        )
    if len(widths) < 2:
        raise InvalidParameter(
            f"Got {name}={tuple(widths)!r} (depth L={len(widths) - 1}), but {name} must hold"
            " h_0, ..., h_L with depth L >= 1."
        )
    return tuple(check_positive_int(f"{name}[{i}]", h) for i, h in enumerate(widths))


def check_shape_tuple(name: str, value: Any) -> tuple[int, ...]:
    """Validate a batch shape: a tuple of integers ``>= 1`` (possibly empty)."""
    if isinstance(value, Integral) and not isinstance(value, bool):
        value = (value,)
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise InvalidParameter(
            f"Got {name}={value!r}, but {name} must be a tuple of integers >= 1."
        )
    return tuple(check_positive_int(f"{name}[{i}]", h) for i, h in enumerate(value))
