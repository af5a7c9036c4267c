r"""The anisotropic-Langevin step of an ensemble of networks, in a working precision.

The same Euler-Maruyama step as :func:`numerics.sde.anisotropic_langevin_step` (paper Eq. 1),

.. math:: W_l \leftarrow W_l + A_l^\top \bigl(\Delta\,dt - \sqrt{\kappa\,dt}\,N\bigr) B_l^\top,
          \qquad N = \Delta G + \Sigma_\varepsilon^{1/2} Z, \quad G = (Z_1 + Z_1^\top)/\sqrt2,

(:func:`numerics.noise.factored_gradient_noise` for :math:`N`), built once for a run instead
of once per step: the teacher, the step and the noise scale are validated and converted to the
working dtype when the step is made; the standard normals :math:`(Z_1, Z)` are drawn directly
in that dtype into buffers allocated once (:meth:`numpy.random.Generator.standard_normal` with
``out=``); no identity partial product (:math:`A_L = I`, :math:`B_1 = I`) is multiplied.

In ``float64`` the step gives the same bytes as :func:`numerics.sde.anisotropic_langevin_step`
from the same generator (the same draws in the same order, the same operations in the same
order; a product with an identity is exact).  In ``float32`` NumPy draws its normals with a
float32 ziggurat, so the stream differs from the float64 one; it is reproducible per seed all
the same.
"""

from __future__ import annotations

import enum
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dlnverify.errors import InvalidParameter
from numerics._validation import (
    check_generator,
    check_nonnegative_real,
    check_positive_real,
    check_shape_tuple,
)
from numerics.teacher import Teacher

__all__ = ["AnisotropicEnsembleStep", "Layers", "WorkingDtype", "check_working_dtype"]

#: The layers of a batch of networks in a working precision.
Layers = tuple[NDArray[Any], ...]


class WorkingDtype(enum.StrEnum):
    """Floating-point precision a simulation runs in."""

    FLOAT64 = "float64"
    FLOAT32 = "float32"

    @property
    def numpy(self) -> np.dtype[Any]:
        """The NumPy dtype."""
        return np.dtype(self.value)


def check_working_dtype(value: Any) -> WorkingDtype:
    """``value`` as a :class:`WorkingDtype`: exactly the text ``"float64"`` or ``"float32"``
    (or the enum member); anything else is refused naming the choices."""
    if isinstance(value, str) and value in WorkingDtype.__members__.values():
        return WorkingDtype(value)
    choices = ", ".join(repr(member.value) for member in WorkingDtype)
    raise InvalidParameter(f"Got dtype={value!r}, but dtype must be one of {choices}.")


class AnisotropicEnsembleStep:
    r"""One Euler-Maruyama step of the anisotropic Langevin SDE for a batch of networks.

    Parameters
    ----------
    batch : tuple of int
        Batch shape of the weights (independent networks).
    teacher : Teacher
        The teacher :math:`W^*` and :math:`\Sigma_\varepsilon^{1/2}`.
    dt : float
        Time step, finite and ``> 0``.
    kappa : float
        Noise scale :math:`\kappa = \eta/B`, finite and ``>= 0``.
    rng : numpy.random.Generator
        Source of the noise: :math:`Z_1` then :math:`Z` at every step.
    dtype : {"float64", "float32"}
        Working precision of the weights, the normals and every product.

    Calling the step on layers of the working dtype (shapes ``(*batch, h_l, h_{l-1})``,
    already validated, widths matching the teacher) returns the new layers.
    """

    def __init__(
        self,
        batch: tuple[int, ...],
        teacher: Teacher,
        *,
        dt: float,
        kappa: float,
        rng: np.random.Generator,
        dtype: str = "float64",
    ) -> None:
        if not isinstance(teacher, Teacher):
            raise InvalidParameter(
                f"Got teacher of type {type(teacher).__name__}, but teacher must be a"
                " numerics.teacher.Teacher."
            )
        self.batch = check_shape_tuple("batch", batch)
        self.dtype = check_working_dtype(dtype)
        self.dt = check_positive_real("dt", dt)
        self.kappa = check_nonnegative_real("kappa", kappa)
        self.rng = check_generator(rng)
        working = self.dtype.numpy
        self._target = np.asarray(teacher.matrix).astype(working)
        self._noise_sqrt = np.asarray(teacher.label_noise_sqrt).astype(working)
        # Python floats: weak scalars, so a float32 array stays float32 (NEP 50).
        self._amplitude = float(np.sqrt(self.kappa * self.dt))
        self._root2 = float(np.sqrt(2.0))
        self._z1: NDArray[Any] = np.empty((*self.batch, teacher.n, teacher.n), dtype=working)
        self._z: NDArray[Any] = np.empty((*self.batch, teacher.m, teacher.n), dtype=working)

    def draw_normals(self) -> tuple[NDArray[Any], NDArray[Any]]:
        r"""Fresh standard normals :math:`(Z_1, Z)`, in that order, into the step's buffers
        (overwritten by the next draw), shapes ``(*batch, n, n)`` and ``(*batch, m, n)``."""
        working = self.dtype.numpy
        self.rng.standard_normal(out=self._z1, dtype=working)
        self.rng.standard_normal(out=self._z, dtype=working)
        return self._z1, self._z

    def advance(self, layers: Layers, z1: NDArray[Any], z: NDArray[Any]) -> Layers:
        r"""The step driven by the given standard normals :math:`(Z_1, Z)`."""
        depth = len(layers)
        rights: list[NDArray[Any] | None] = [None] * depth  # B_l; None is B_1 = I
        for l in range(1, depth):
            previous = rights[l - 1]
            rights[l] = layers[l - 1] if previous is None else layers[l - 1] @ previous
        lefts: list[NDArray[Any] | None] = [None] * depth  # A_l; None is A_L = I
        for l in range(depth - 2, -1, -1):
            following = lefts[l + 1]
            lefts[l] = layers[l + 1] if following is None else following @ layers[l + 1]
        first = lefts[0]
        gap = self._target - (layers[0] if first is None else first @ layers[0])
        goe = (z1 + np.swapaxes(z1, -1, -2)) / self._root2
        noise = gap @ goe + self._noise_sqrt @ z
        middle = self.dt * gap - self._amplitude * noise
        new = []
        for w, left, right in zip(layers, lefts, rights, strict=True):
            update = middle if left is None else np.swapaxes(left, -1, -2) @ middle
            if right is not None:
                update = update @ np.swapaxes(right, -1, -2)
            new.append(w + update)
        return tuple(new)

    def __call__(self, layers: Layers) -> Layers:
        """One step with fresh normals (:meth:`draw_normals`, then :meth:`advance`)."""
        z1, z = self.draw_normals()
        return self.advance(layers, z1, z)
