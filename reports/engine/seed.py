"""The one check every seeded entry point of :mod:`reports` makes on its ``seed``."""

from __future__ import annotations

from numbers import Integral
from typing import Any

from dlnverify.errors import InvalidParameter

__all__ = ["check_seed"]


def check_seed(seed: Any) -> int:
    """``seed`` as an ``int`` if it is an integer ``>= 0`` (NumPy's generators take no
    negative seeds; ``bool`` is refused), else a one-line
    :class:`~dlnverify.errors.InvalidParameter` naming it."""
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise InvalidParameter(f"Got {seed=}, but a seed must be an integer >= 0.")
    return int(seed)
