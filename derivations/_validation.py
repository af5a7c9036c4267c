"""Validation of the integer arguments of the derivations: one-line errors naming the value."""

from __future__ import annotations

from collections.abc import Container
from typing import Any

from dlnverify.errors import InvalidParameter

__all__ = ["integer_among", "integer_at_least"]


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def integer_at_least(value: Any, name: str, minimum: int) -> int:
    """``value`` if it is an integer ``>= minimum`` (``bool`` refused), else
    :class:`~dlnverify.errors.InvalidParameter`: ``Got name=value, but name must be an
    integer >= minimum.``"""
    if not _is_integer(value) or value < minimum:
        raise InvalidParameter(f"Got {name}={value!r}, but {name} must be an integer >= {minimum}.")
    return int(value)


def integer_among(value: Any, name: str, allowed: Container[int], requirement: str) -> int:
    """``value`` if it is an integer in ``allowed`` (``bool`` refused), else
    :class:`~dlnverify.errors.InvalidParameter`: ``Got name=value, but requirement.``"""
    if not _is_integer(value) or value not in allowed:
        raise InvalidParameter(f"Got {name}={value!r}, but {requirement}.")
    return int(value)
