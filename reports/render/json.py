"""JSON text that every JSON parser reads: non-finite numbers become ``null``.

Python's :func:`json.dumps` writes ``NaN`` and ``Infinity`` for non-finite floats, which
RFC 8259 does not allow (``jq``, JavaScript's ``JSON.parse`` and most other readers reject
them).  A z-score of a formula that overflows, or a formula that is not real at a point, is
such a number; so is a diverged trajectory.  Everything ``dlnverify`` writes as JSON goes
through :func:`json_text`, which writes them as ``null``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

__all__ = ["json_text"]


def _finite_or_none(value: Any) -> Any:
    """``value`` with every non-finite float (at any depth of lists, tuples and mappings)
    replaced by ``None``."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {key: _finite_or_none(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite_or_none(item) for item in value]
    return value


def json_text(payload: Any, *, indent: int | None = None) -> str:
    """``payload`` as strict JSON text (no ``NaN``/``Infinity``: they are written ``null``).

    Objects JSON has no type for are written as their ``str``, as before.
    """
    return json.dumps(_finite_or_none(payload), indent=indent, default=str, allow_nan=False)
