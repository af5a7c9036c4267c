r"""Online data from the teacher: :math:`x \sim N(0, I_n)`, :math:`y = W^* x + \varepsilon`.

DESIGN.md §3 and the paper's Sec. 2.3-2.4 (whitened Gaussian inputs, online learning): every
call draws fresh samples, as online SGD does; label noise
:math:`\varepsilon = \Sigma_\varepsilon^{1/2} z`, :math:`z \sim N(0, I_m)`, is independent of
:math:`x`.  Kept apart from :mod:`numerics.network` because the network is deterministic and the
data are the only source of randomness of SGD.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from dlnverify.errors import InvalidParameter
from numerics._validation import check_generator, check_positive_int, check_shape_tuple
from numerics.teacher import Teacher

__all__ = ["sample_data"]


def sample_data(
    teacher: Teacher,
    n_samples: int,
    *,
    rng: np.random.Generator,
    batch_shape: tuple[int, ...] = (),
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Draw i.i.d. samples :math:`(x, y)` from the teacher's data distribution.

    .. math:: x \sim N(0, I_n), \qquad y = W^* x + \Sigma_\varepsilon^{1/2} z,
              \qquad z \sim N(0, I_m) \text{ independent of } x.

    Parameters
    ----------
    teacher : Teacher
        The teacher :math:`W^*` and label-noise covariance :math:`\Sigma_\varepsilon`.
    n_samples : int
        Number of samples per batch entry, ``>= 1``.
    rng : numpy.random.Generator
        Source of randomness.
    batch_shape : tuple of int, optional
        Leading shape, e.g. the batch shape of an ensemble of networks (independent data for
        each network).

    Returns
    -------
    x : numpy.ndarray, shape (*batch_shape, n_samples, n)
    y : numpy.ndarray, shape (*batch_shape, n_samples, m)
    """
    if not isinstance(teacher, Teacher):
        raise InvalidParameter(
            f"Got teacher of type {type(teacher).__name__}, but teacher must be a"
            " numerics.teacher.Teacher."
        )
    n_samples = check_positive_int("n_samples", n_samples)
    rng = check_generator(rng)
    batch = check_shape_tuple("batch_shape", batch_shape)
    x = rng.standard_normal((*batch, n_samples, teacher.n))
    z = rng.standard_normal((*batch, n_samples, teacher.m))
    # rows: y_s^T = x_s^T W*^T + z_s^T S^{1/2} (S^{1/2} is symmetric)
    y = x @ teacher.matrix.T + z @ teacher.label_noise_sqrt
    return x, y
