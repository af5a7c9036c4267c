"""A bound on the CPU time of a block, for tests that refuse input "within bounded time"."""

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["cpu_seconds_below"]


@contextmanager
def cpu_seconds_below(limit: float) -> Iterator[None]:
    """Fail unless the block takes under ``limit`` seconds of this process's CPU time.

    CPU time, with the garbage collector paused: neither the load of other processes (the
    suite runs on every core) nor a collection of this worker's heap (SymPy's caches after
    the derivation tests) is the block's own time; a block that blows up still shows.
    """
    gc.disable()
    start = time.process_time()
    try:
        yield
    finally:
        elapsed = time.process_time() - start
        gc.enable()
    assert elapsed < limit, f"took {elapsed:.2f} s of CPU time (limit {limit:g} s)"
