"""A wall-clock limit on a block of code, by ``SIGALRM``.

SymPy offers no way to bound the time of ``simplify``, ``limit`` or an assumption query, so
:func:`reports.formulas.engine.check` runs under :func:`time_limit`: the interval timer
``ITIMER_REAL`` raises :class:`TimeLimitReached` in the main thread when the time is up.  Where
signals cannot be used (another thread, or a platform without ``SIGALRM``) the block runs
without a limit.  Blocks nest: an inner block (a share of a step's time,
:mod:`reports.formulas.step_comparison`) ends at the earlier of its own limit and the outer
one's, and the outer timer goes on, with what is left of it, when the inner block ends.  Each
block yields a token that the exception it raises carries (:attr:`TimeLimitReached.limit`),
so that code which goes on after its own inner limit can let an outer one through::

    try:
        with time_limit(2.0) as share:
            ...
    except TimeLimitReached as reached:
        if reached.limit is not share:
            raise

Once the time is up the alarm repeats every :data:`REPEAT_SECONDS` until the block ends: an
exception raised where Python cannot propagate it (a garbage-collector callback, such as the
one hypothesis installs to time collections, reports it as "ignored") is raised again.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

__all__ = ["Limit", "MAX_SECONDS", "REPEAT_SECONDS", "TimeLimitReached", "time_limit"]

#: Seconds between repeated alarms once a limit is reached (module docstring).
REPEAT_SECONDS = 0.05
#: The longest time limit a check accepts: one day (the interval timer takes no more than
#: the platform's ``time_t`` range, and a longer limit is no limit).
MAX_SECONDS = 86_400.0


class Limit:
    """The token of one :func:`time_limit` block."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


class TimeLimitReached(Exception):
    """Raised inside a :func:`time_limit` block when its time is up; :attr:`limit` is the
    token of the block whose time it is."""

    def __init__(self, limit: Limit | None = None) -> None:
        super().__init__()
        self.limit = limit


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[Limit | None]:
    """Raise :class:`TimeLimitReached` after ``seconds`` (main thread only; elsewhere, or for
    ``None`` or a time that is not positive, no limit, and the token is ``None``)."""
    usable = hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()
    if seconds is None or not seconds > 0 or not usable:
        yield None
        return
    token = Limit(float(seconds))

    def _raise(signum: int, frame: Any) -> None:
        raise TimeLimitReached(token)

    previous = signal.signal(signal.SIGALRM, _raise)
    outer, outer_interval = signal.getitimer(signal.ITIMER_REAL)
    started = time.monotonic()
    first = min(float(seconds), outer) if outer else float(seconds)
    signal.setitimer(signal.ITIMER_REAL, first, REPEAT_SECONDS)
    try:
        yield token
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer:  # the outer block's timer goes on (and fires at once if it is up)
            left = outer - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-6), outer_interval)
