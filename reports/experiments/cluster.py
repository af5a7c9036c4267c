r"""The ``dask.distributed`` scheduler of a sweep, reached in bounded time or refused.

A sweep on a cluster (``dlnverify simulate --sweep ... --scheduler tcp://HOST:PORT``) talks
to a Dask scheduler.  :func:`scheduler_client` makes the ``Client`` only after
:func:`check_scheduler` has found a Dask scheduler at the address, within
:data:`CONNECT_TIMEOUT` seconds in all, in three steps, each a one-line
:class:`~dlnverify.errors.InvalidParameter` naming the address when it fails:

1. the address is read by a whitelist (:func:`scheduler_address`): ``tcp://``, a host name,
   an IPv4 address or a bracketed IPv6 address, and a port from 1 to 65535;
2. a TCP connection is opened and its first bytes are awaited: a closed port is refused at
   once; a service that accepts but says nothing (an HTTP server waiting for a request, a
   stalled process) is refused when the time is up, because a Dask server speaks first (it
   sends its handshake as soon as it accepts a connection);
3. the Dask handshake and an ``identity`` request, through ``distributed``'s own
   ``connect``: an answer that is not the Dask protocol (an HTTP reply, bytes that are not
   Dask frames) is refused with its first bytes, and a Dask server that is not a scheduler
   (a worker, a nanny) is refused naming its type.

``distributed``'s own connect bounds the TCP connect but not the handshake read that follows
it, and reads a length it is sent before it checks it: without these steps an HTTP server
hung the sweep for ever, and an HTTP reply was taken for a frame of 3 EiB and reported as
"not enough memory".
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import re
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from dlnverify.errors import InvalidParameter, RunFailed

__all__ = [
    "CONNECT_TIMEOUT",
    "SchedulerAddress",
    "check_scheduler",
    "cluster_results",
    "scheduler_address",
    "scheduler_client",
]

#: Seconds within which a scheduler address must answer as a Dask scheduler, in all.
CONNECT_TIMEOUT = 10.0
#: Bytes of a foreign answer quoted in the error.
_QUOTED_BYTES = 16

_ADDRESS = re.compile(
    r"tcp://(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)"
    r":(?P<port>[0-9]{1,5})"
)


@dataclass(frozen=True)
class SchedulerAddress:
    """A ``dask.distributed`` scheduler address ``tcp://HOST:PORT``.

    Attributes
    ----------
    host : str
        Host name or IP address (an IPv6 address without its brackets).
    port : int
        TCP port, 1 to 65535.
    """

    host: str
    port: int

    @property
    def uri(self) -> str:
        """The address as ``distributed`` takes it: ``tcp://HOST:PORT``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"tcp://{host}:{self.port}"


def scheduler_address(text: str, *, local: tuple[str, ...] = ()) -> SchedulerAddress:
    """``text`` read as ``tcp://HOST:PORT``, else a one-line error listing the ``local``
    scheduler names too."""
    match = _ADDRESS.fullmatch(text)
    port = int(match["port"]) if match else 0
    if match is None or not 1 <= port <= 65535:
        choices = "".join(f"{name}, " for name in local)
        raise InvalidParameter(
            f"Got scheduler {text!r}, but it must be {choices}or the address of a"
            " dask.distributed scheduler, tcp://HOST:PORT with a port from 1 to 65535."
        )
    return SchedulerAddress(match["host"].strip("[]"), port)


def check_scheduler(address: SchedulerAddress, *, timeout: float | None = None) -> None:
    """Return when a Dask scheduler answers at ``address`` within ``timeout`` seconds
    (default :data:`CONNECT_TIMEOUT`), else raise a one-line
    :class:`~dlnverify.errors.InvalidParameter` naming the address and what answered."""
    distributed = _distributed(address)  # imported before the clock starts
    seconds = CONNECT_TIMEOUT if timeout is None else timeout
    deadline = time.monotonic() + seconds
    first = _first_bytes(address, deadline, seconds)
    identity = _identity(distributed.connect, address, deadline, first)
    kind = identity.get("type") if isinstance(identity, dict) else None
    if not (isinstance(kind, str) and kind.endswith("Scheduler")):
        what = f"a Dask {kind}" if isinstance(kind, str) and kind.isidentifier() else None
        raise InvalidParameter(
            f"{address.uri} is not a Dask scheduler: "
            + (f"it is {what}" if what else "its answer to 'identity' names no scheduler")
            + "; give the scheduler's address (a Dask cluster prints it at start)."
        )


def scheduler_client(address: SchedulerAddress, *, timeout: float | None = None) -> Any:
    """A ``dask.distributed.Client`` of the scheduler at ``address``, after
    :func:`check_scheduler`."""
    seconds = CONNECT_TIMEOUT if timeout is None else timeout
    check_scheduler(address, timeout=seconds)
    try:
        return _distributed(address).Client(address.uri, timeout=seconds)
    except (OSError, TimeoutError) as error:  # it went away since it answered
        raise InvalidParameter(f"Cannot reach the Dask scheduler {address.uri}: {error}") from None


def cluster_results(tasks: Sequence[Any], address: SchedulerAddress) -> list[Any]:
    """The results of the Dask ``tasks``, computed on the scheduler at ``address``
    (:func:`scheduler_client`), in their order.

    A worker that dies running a task is survived: the scheduler runs the task again on
    another worker (or the one its nanny restarts), up to
    ``distributed.scheduler.allowed-failures`` times (3 by default), and the result is the
    same, since each run's randomness comes from its own seed.  Past that, or when the
    connection to the scheduler is lost (the client then cancels the runs, after trying to
    reconnect), the sweep ends with a one-line :class:`~dlnverify.errors.RunFailed` naming
    the address and what happened; ``distributed``'s own log lines are held back meanwhile.
    """
    killed_worker = _distributed(address).KilledWorker
    client = scheduler_client(address)
    # distributed logs a lost connection, with tracebacks, until the client is closed:
    # what happened is said once, below
    with _distributed_logs_silenced(), client:
        try:
            return list(client.gather(client.compute(list(tasks))))
        except killed_worker as error:
            deaths = error.allowed_failures + 1
            raise RunFailed(
                f"The sweep on the Dask scheduler {address.uri} failed: the workers running"
                f" one of its runs died {deaths} time{'s' if deaths > 1 else ''}, more than the"
                f" scheduler allows (distributed.scheduler.allowed-failures ="
                f" {error.allowed_failures}); see the workers' logs."
            ) from None
        except concurrent.futures.CancelledError as error:  # the client cancelled the runs
            raise RunFailed(
                f"The sweep on the Dask scheduler {address.uri} failed: {_cancelled(error)}."
            ) from None
        except (OSError, asyncio.CancelledError) as error:
            raise RunFailed(
                f"The sweep on the Dask scheduler {address.uri} failed: the connection to"
                f" the scheduler was lost ({type(error).__name__}: {_first_line(error)})."
            ) from None


def _cancelled(error: concurrent.futures.CancelledError) -> str:
    """Why the client cancelled a run, from ``distributed``'s ``FutureCancelledError``
    (its ``reason``; its message names the task by a random key, which is left out)."""
    reason = getattr(error, "reason", None)
    if reason == "scheduler-connection-lost":
        return "the connection to the scheduler was lost while its runs ran"
    return f"its runs were cancelled ({reason or 'no reason given'})"


def _first_line(error: BaseException) -> str:
    """The first line of an error's message (or its type's name)."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _distributed(address: SchedulerAddress) -> Any:
    """The ``dask.distributed`` module, or a one-line error naming the extra that installs it."""
    try:
        import dask.distributed
    except ImportError:
        raise InvalidParameter(
            f"Got scheduler {address.uri!r}: a cluster address needs dask.distributed"
            " (pip install 'dlnverify[cluster]')."
        ) from None
    return dask.distributed


def _first_bytes(address: SchedulerAddress, deadline: float, seconds: float) -> bytes:
    """The first bytes the service at ``address`` sends on a new connection (step 2)."""
    try:
        connection = socket.create_connection(
            (address.host, address.port), timeout=max(deadline - time.monotonic(), 0.01)
        )
    except TimeoutError:
        raise InvalidParameter(
            f"Cannot reach the Dask scheduler {address.uri}: no connection within {seconds:g} s."
        ) from None
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        raise InvalidParameter(
            f"Cannot reach the Dask scheduler {address.uri}: {reason.lower()}."
        ) from None
    with connection:
        try:
            connection.settimeout(max(deadline - time.monotonic(), 0.01))
            first = connection.recv(_QUOTED_BYTES)
        except TimeoutError:
            first = b""
            silent = f"but sent nothing within {seconds:g} s"
        except OSError as error:
            first = b""
            silent = f"and dropped it ({error.strerror or error})"
        else:
            silent = "and closed it without a word"
    if not first:
        raise InvalidParameter(
            f"{address.uri} is not a Dask scheduler: it accepted a connection {silent},"
            " where a Dask scheduler sends its handshake at once."
        )
    return first


def _identity(connect: Any, address: SchedulerAddress, deadline: float, first: bytes) -> Any:
    """The answer of the server at ``address`` to the Dask handshake and an ``identity``
    request (step 3), through ``distributed``'s ``connect``, got in a thread of its own (a
    caller's event loop, as in Jupyter, is left alone) and by ``deadline``."""

    async def ask() -> Any:
        comm = await connect(address.uri, timeout=max(deadline - time.monotonic(), 0.01))
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    async def bounded() -> Any:
        return await asyncio.wait_for(ask(), timeout=max(deadline - time.monotonic(), 0.01))

    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["answer"] = asyncio.run(bounded())
        except BaseException as error:  # any failure: the service does not speak Dask
            outcome["error"] = error

    with _distributed_logs_silenced():
        thread = threading.Thread(target=run, name="dlnverify-scheduler-check", daemon=True)
        thread.start()
        thread.join(max(deadline - time.monotonic(), 0.0) + 1.0)
    if "answer" in outcome:
        return outcome["answer"]
    error = outcome.get("error")
    if error is None or isinstance(error, TimeoutError):
        reason = "it did not complete the Dask handshake in time"
    else:
        reason = "its answer is not the Dask protocol"
    raise InvalidParameter(
        f"{address.uri} is not a Dask scheduler: {reason} (it began {_quoted(first)})."
    )


def _quoted(first: bytes) -> str:
    """The first bytes of an answer, printable ASCII as it is, any other byte escaped."""
    text = "".join(
        chr(b) if 32 <= b < 127 and b != 92 else f"\\x{b:02x}" for b in first[:_QUOTED_BYTES]
    )
    return f"'{text}'"


@contextlib.contextmanager
def _distributed_logs_silenced() -> Iterator[None]:
    """While the block runs, ``distributed`` logs nothing: a foreign answer makes it log a
    traceback ("Failed to deserialize"), a lost scheduler several, besides the exception
    this module turns into one line.  Its loggers with a level of their own
    (``distributed.client`` has one) are silenced each, the parent's level not applying to
    them."""
    names = [
        name
        for name, logger in logging.root.manager.loggerDict.items()
        if name.startswith("distributed.") and isinstance(logger, logging.Logger)
    ]
    loggers = [logging.getLogger("distributed"), *map(logging.getLogger, names)]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
