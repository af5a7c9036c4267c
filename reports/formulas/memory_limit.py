"""A memory limit on a block of code, by ``RLIMIT_AS``.

SymPy offers no way to bound the memory of ``simplify`` or ``integrate`` any more than their
time, so :func:`reports.formulas.chain.check_steps` checks a file's steps under
:func:`memory_limit`: while the block runs, this process's address space may grow by at most
the given number of bytes beyond its size at the start, and an allocation beyond raises
``MemoryError`` (which the caller turns into an ``undecided`` step).  The previous limit is
restored afterwards.  Where the platform has no ``resource`` module or does not report the
address space (``/proc/self/statm``), the block runs without a limit.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

__all__ = ["MAX_MEMORY_BYTES", "address_space", "memory_limit"]

#: Default growth of the address space allowed while a chain file is checked: 2 GiB.
MAX_MEMORY_BYTES = 2 * 1024**3


def address_space() -> int | None:
    """This process's address space (virtual memory) in bytes, or ``None`` if unknown."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


@contextlib.contextmanager
def memory_limit(extra_bytes: int | None) -> Iterator[None]:
    """Limit the address space to its current size plus ``extra_bytes`` while the block
    runs (``None``: no limit; module docstring)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not a POSIX platform
        resource = None  # type: ignore[assignment]
    current = address_space()
    if extra_bytes is None or resource is None or current is None:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = current + extra_bytes
    for bound in (soft, hard):
        if bound != resource.RLIM_INFINITY:
            limit = min(limit, bound)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
