"""How long each claim took last time, so that a run with several processes starts the longest
claims first.

Verifying the claims in ``--jobs`` processes is a scheduling problem: the wall time is at least
the longest claim, and claims handed out in registry order leave the longest (C17) for last,
after every other claim has been shared out.  Starting the longest first (longest processing
time first) brings the wall time close to ``max(longest claim, total / jobs)``.  The seconds
of the last run are kept in ``claim-seconds.json`` in the derivation cache's directory
(:func:`reports.engine.derivation_cache.cache_directory`; off with it); a claim never timed
goes first.  Only the order in which work is handed out depends on them: every claim draws
from its own generator, so the results do not.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from reports.engine.claim import Claim
from reports.engine.derivation_cache import cache_directory, cache_enabled, write_cache_file

__all__ = ["last_seconds", "longest_first", "record_seconds"]

_FILE = "claim-seconds.json"


def _path() -> Path:
    return cache_directory() / _FILE


def last_seconds() -> dict[str, float]:
    """Seconds per claim id of the last runs, ``{}`` when there are none (or the cache is
    off, or the file is unreadable)."""
    if not cache_enabled():
        return {}
    try:
        stored = json.loads(_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(stored, dict):
        return {}
    return {
        str(key): float(value)
        for key, value in stored.items()
        if isinstance(value, int | float) and math.isfinite(value) and value >= 0
    }


def longest_first(claims: Sequence[Claim]) -> list[Claim]:
    """``claims`` by decreasing :func:`last_seconds`, claims never timed first, ties in the
    given order."""
    seconds = last_seconds()
    return sorted(claims, key=lambda claim: -seconds.get(claim.id, math.inf))


def record_seconds(seconds: Mapping[str, float]) -> None:
    """Keep ``seconds`` (claim id -> seconds) for :func:`longest_first`, over the earlier
    values of the same claims; written atomically, and skipped when the directory cannot be
    written (the order is never required)."""
    if not cache_enabled() or not seconds:
        return
    merged = last_seconds() | {key: round(float(value), 3) for key, value in seconds.items()}
    write_cache_file(_path(), json.dumps(merged, sort_keys=True).encode())
