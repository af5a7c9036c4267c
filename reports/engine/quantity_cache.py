r"""The derived expressions of ``dlnverify check``'s quantities kept on disk, derived once.

A quantity's derived result (:meth:`~reports.engine.quantity.Quantity.components_at`, a dict
of SymPy expressions by convention kind) depends on the source of :mod:`derivations`, on the
module that defines the quantity and its neighbours (the catalogue, :mod:`reports.claims`),
on the depth it is taken at (``--at L=...``) and on SymPy alone: no seed, no formula.  So it
is stored, pickled, next to the claims' derivations (:mod:`reports.engine.derivation_cache`:
same directory, same switch ``DLNVERIFY_CACHE=off``, listed by ``dlnverify cache info`` and
removed by ``dlnverify cache clear``), under a key that digests

* the quantity's name and the depth,
* every source file of :mod:`derivations` and every source file beside the module that
  defines the quantity's derivation (``reports/claims/*.py``),
* the versions of SymPy and of Python.

An entry is written only if it reads back structurally identical (``==``) to the derived
expressions: an expression built unevaluated (``Mul(1/12, ...)`` kept factored) would come
back evaluated from a pickle, so such a quantity is derived every time instead.

Any change to that source, or another SymPy, gives another key: a stale entry is never read.
The cache is never required: a missing or unreadable entry, or one whose expressions use
other symbols than the quantity's parameters (:data:`derivations.conventions.PARAMETERS`,
with their assumptions), is derived again and rewritten atomically; a run without it gives
the same answers (SymPy symbols with the same name and assumptions are the same symbol, so
an unpickled expression equals the freshly derived one).
"""

from __future__ import annotations

import hashlib
import pickle
import sys
from functools import cache
from pathlib import Path

import sympy as sp

from derivations.conventions import PARAMETERS
from reports.engine.derivation_cache import (
    _source_digest,
    cache_directory,
    cache_enabled,
    write_cache_file,
)
from reports.engine.quantity import Quantity

__all__ = ["cached_components"]

_SUFFIX = ".derivation.pickle"
_PREFIX = "quantity."


@cache
def _directory_digest(directory: str) -> str:
    """SHA-256 of every ``.py`` file directly in ``directory``."""
    digest = hashlib.sha256()
    for path in sorted(Path(directory).glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _defining_directory(spec: Quantity) -> str | None:
    function = spec.at_depth if spec.at_depth is not None else spec.components
    module = sys.modules.get(getattr(function, "__module__", ""), None)
    file = getattr(module, "__file__", None)
    return None if file is None else str(Path(file).resolve().parent)


def _key(spec: Quantity, depth: int | None) -> str | None:
    directory = _defining_directory(spec)
    if directory is None:
        return None  # no source to key on: never cached
    parts = (
        spec.name,
        repr(depth),
        _source_digest(None),
        _directory_digest(directory),
        sp.__version__,
        sys.version,
    )
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def _allowed_symbols() -> frozenset[sp.Symbol]:
    return frozenset(parameter.symbol for parameter in PARAMETERS.values())


def _read(path: Path) -> dict[str, sp.Expr] | None:
    try:
        with path.open("rb") as file:
            loaded = pickle.load(file)
    except Exception:  # any unreadable entry (missing, truncated, foreign) is derived again
        return None
    if not isinstance(loaded, dict) or not all(
        isinstance(kind, str) and isinstance(expr, sp.Expr) for kind, expr in loaded.items()
    ):
        return None
    allowed = _allowed_symbols()
    if not all(expr.free_symbols <= allowed for expr in loaded.values()):
        return None
    return loaded


def cached_components(spec: Quantity, depth: int | None = None) -> dict[str, sp.Expr]:
    """``spec.components_at(depth)``, read from the cache when an entry with the current key
    exists, else derived and stored (module docstring)."""
    key = _key(spec, depth) if cache_enabled() else None
    if key is None:
        return spec.components_at(depth)
    depth_part = "" if depth is None else f"@L{depth}"
    path = cache_directory() / f"{_PREFIX}{spec.name}{depth_part}-{key}{_SUFFIX}"
    components = _read(path)
    if components is None:
        components = spec.components_at(depth)
        try:
            data = pickle.dumps(components, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):  # not picklable: not kept
            return components
        if pickle.loads(data) == components:  # kept only if read back the very same
            write_cache_file(path, data)
    return components
