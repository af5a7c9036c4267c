r"""Claims' symbolic derivations kept on disk, so that each is computed once.

A claim's derivation (:attr:`~reports.engine.claim.Claim.derive`, a
:class:`~derivations.result.DerivationResult`) is a function of the source of
:mod:`derivations` and of SymPy alone: no seed, no parameter.  So it is stored, pickled, in a
user cache directory (:func:`platformdirs.user_cache_dir`, or ``$DLNVERIFY_CACHE_DIR``),
under a key that digests

* the claim id and the derive function's qualified name,
* every source file of the :mod:`derivations` package and the derive function's own module,
* the versions of SymPy and of Python (pickles of SymPy objects are read back by the same).

Any change to a derivation's source, or another SymPy, gives another key: a stale entry is
never read.  The cache is never required: a missing or unreadable entry is derived again and
rewritten (atomically, so that parallel processes never read half a file), and
``DLNVERIFY_CACHE=off`` turns it off; a run without it gives the same answers.  ``dlnverify
cache info`` shows it and ``dlnverify cache clear`` empties it.

Only whole :class:`~derivations.result.DerivationResult` values are stored, never
intermediate expressions that a later computation would combine with fresh SymPy objects.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import derivations
from derivations.result import DerivationResult
from reports.engine.atomic_file import write_bytes_atomically
from reports.engine.claim import Claim

__all__ = [
    "CACHE_DIRECTORY_VARIABLE",
    "CACHE_SWITCH_VARIABLE",
    "CacheInfo",
    "cache_directory",
    "cache_enabled",
    "cache_info",
    "clear_cache",
    "derive",
    "write_cache_file",
]

#: Environment variable naming the cache directory (default: the user cache directory).
CACHE_DIRECTORY_VARIABLE = "DLNVERIFY_CACHE_DIR"
#: Environment variable that turns the cache off when set to ``off`` (or ``0``, ``no``).
CACHE_SWITCH_VARIABLE = "DLNVERIFY_CACHE"
_SUFFIX = ".derivation.pickle"


def cache_directory() -> Path:
    """Where derivations are kept: ``$DLNVERIFY_CACHE_DIR``, else
    ``platformdirs.user_cache_dir("dlnverify")/derivations``."""
    chosen = os.environ.get(CACHE_DIRECTORY_VARIABLE)
    if chosen:
        return Path(chosen)
    import platformdirs

    return Path(platformdirs.user_cache_dir("dlnverify")) / "derivations"


def cache_enabled() -> bool:
    """``False`` when ``$DLNVERIFY_CACHE`` is ``off``, ``0``, ``no`` or ``false``."""
    return os.environ.get(CACHE_SWITCH_VARIABLE, "").strip().lower() not in {
        "off",
        "0",
        "no",
        "false",
    }


@cache
def _source_digest(module_file: str | None) -> str:
    """SHA-256 of every ``.py`` file of :mod:`derivations` and of ``module_file``."""
    package = Path(derivations.__file__).parent
    files = sorted(package.rglob("*.py"))
    if module_file is not None and Path(module_file) not in files:
        files.append(Path(module_file))
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(path.parent.parent)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _key(claim: Claim) -> str:
    import sympy

    function = claim.derive
    module = sys.modules.get(getattr(function, "__module__", ""), None)
    parts = (
        claim.id,
        getattr(function, "__qualname__", repr(function)),
        _source_digest(getattr(module, "__file__", None)),
        sympy.__version__,
        sys.version,
    )
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def _entry(claim: Claim) -> Path:
    return cache_directory() / f"{claim.id}-{_key(claim)}{_SUFFIX}"


def _read(path: Path, claim: Claim) -> DerivationResult | None:
    try:
        with path.open("rb") as file:
            result = pickle.load(file)
    except Exception:  # any unreadable entry (missing, truncated, foreign) is derived again
        return None
    if not isinstance(result, DerivationResult) or result.claim != claim.id:
        return None
    return result


def write_cache_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (in the cache directory) atomically
    (:func:`~reports.engine.atomic_file.write_bytes_atomically`), so that parallel processes
    never read half a file; a cache that cannot be written is skipped (it is never
    required)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomically(path, data)
    except OSError:
        return


def derive(claim: Claim) -> DerivationResult:
    """``claim.derive()``, read from the cache when an entry with the current key exists,
    else derived and stored (module docstring)."""
    if not cache_enabled():
        return claim.derive()
    path = _entry(claim)
    result = _read(path, claim)
    if result is None:
        result = claim.derive()
        try:
            data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):  # not picklable: not kept
            return result
        write_cache_file(path, data)
    return result


@dataclass(frozen=True)
class CacheInfo:
    """What the cache holds.

    Attributes
    ----------
    directory : pathlib.Path
        The cache directory (it may not exist yet).
    enabled : bool
        ``False`` when ``$DLNVERIFY_CACHE`` turns it off.
    entries : tuple[str, ...]
        The stored claims' ids, sorted (one per file; stale entries included).
    size : int
        Their total size in bytes.
    """

    directory: Path
    enabled: bool
    entries: tuple[str, ...]
    size: int


def _files() -> list[Path]:
    directory = cache_directory()
    return sorted(directory.glob(f"*{_SUFFIX}")) if directory.is_dir() else []


def cache_info() -> CacheInfo:
    """The directory, the stored entries and their size."""
    files = _files()
    return CacheInfo(
        directory=cache_directory(),
        enabled=cache_enabled(),
        entries=tuple(sorted(f.name.split("-", 1)[0] for f in files)),
        size=sum(f.stat().st_size for f in files),
    )


def clear_cache() -> int:
    """Remove every stored derivation; the number removed."""
    removed = 0
    for path in _files():
        path.unlink(missing_ok=True)
        removed += 1
    return removed
