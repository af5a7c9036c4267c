"""The typed summaries of a run, and their JSON form.

Every kind of run (:mod:`reports.experiments.kinds`) sums up its numbers in frozen
dataclasses, read by attribute; :meth:`Summary.to_json` gives the dictionary that
``simulate --json`` prints and sweeps write: one key per field, in field order, nested
summaries and tuples as their JSON forms, any other value with a ``to_json`` method (a
:class:`~reports.experiments.training.SimulationConfig`) as what it returns, and the
optional fields named in ``OPTIONAL`` left out while ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar

__all__ = ["Summary"]


@dataclass(frozen=True)
class Summary:
    """Base of the typed summaries: :meth:`to_json` is their JSON form."""

    #: Fields left out of the JSON form while ``None`` (what a run adds to its figures).
    OPTIONAL: ClassVar[tuple[str, ...]] = ()

    def to_json(self) -> dict[str, Any]:
        """The summary as a JSON-friendly dictionary, keys in field order."""
        return {
            field.name: _json(getattr(self, field.name))
            for field in fields(self)
            if not (field.name in self.OPTIONAL and getattr(self, field.name) is None)
        }


def _json(value: Any) -> Any:
    to_json = getattr(value, "to_json", None)
    if callable(to_json):
        return to_json()
    if isinstance(value, tuple):
        return [_json(item) for item in value]
    return value
