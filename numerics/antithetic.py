r"""Antithetic normals: two generators whose standard normal draws are negatives of each other.

A functional :math:`f` of a Gaussian-driven path whose mean is a *second-order* effect of the
noise (the stationary mean shift of a mode, of order :math:`\kappa`, against fluctuations of
order :math:`\sqrt\kappa`) is estimated far better from the antithetic pair
:math:`\bigl(f(Z) + f(-Z)\bigr)/2`: the terms odd in the normals, among them the whole linear
response, cancel exactly in every pair, and what is left varies at the order of the mean
itself.  Each pair is one sample; pairs built from independent seeds are independent, so the
spread over pairs gives a valid standard error (:func:`numerics.montecarlo.mean_estimate`).

:func:`mirrored_generators` gives the pair of generators: the same bit-generator state, the
second's :meth:`~MirroredGenerator.standard_normal` negated.  It mirrors ``standard_normal``
only: a simulation that draws anything else (uniforms, integers) is not mirrored, and must
not be paired this way.  The Langevin runs of :mod:`numerics.coupled` draw standard normals
only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from numerics._validation import check_positive_int

__all__ = ["MirroredGenerator", "mirrored_generators"]


class MirroredGenerator(np.random.Generator):
    """A :class:`numpy.random.Generator` whose ``standard_normal`` draws are negated."""

    def standard_normal(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return -super().standard_normal(*args, **kwargs)


def mirrored_generators(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """A plain generator and its mirror, both seeded with ``seed`` (an integer >= 1): their
    ``k``-th standard normal draws are ``z`` and ``-z``."""
    seed = check_positive_int("seed", seed)
    return (
        np.random.Generator(np.random.PCG64(seed)),
        MirroredGenerator(np.random.PCG64(seed)),
    )
