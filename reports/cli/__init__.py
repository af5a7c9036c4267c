"""The ``dlnverify`` console script: ``list``, ``show``, ``verify``, ``check``,
``check-steps``, ``report``, ``simulate``, ``cache``.

Each command is a module of this package (``listing``, ``show``, ``verify``, ``check``,
``check_steps``, ``report``, ``simulate``, ``cache``) with ``add_parser(subparsers)`` and
``run(args)``; what several share is in ``_common``.  Exit codes are :class:`ExitCode`: 0
verified/ok, 1 refuted/failed, 2 bad input, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM).  :func:`main` maps errors to
them in one place: a usage error and every :class:`dlnverify.DlnVerifyError` become one line
on stderr and exit code 2 (:class:`dlnverify.errors.RunFailed`, a run that could not
complete for a reason outside its input: exit code 1), Ctrl-C one line and 130, SIGTERM one
line and 143.  A run that runs out of memory in its own work raises
:class:`dlnverify.errors.InsufficientMemory`, so exit code 2 with the sizes to lower; a
``MemoryError`` raised anywhere else is not this run's sizes and is not reported as them: it
ends in its traceback (exit code 1).  ``--json`` gives machine-readable output everywhere,
errors included: ``{"error": MESSAGE, "exit_code": CODE}`` on stdout, besides the line on
stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from dlnverify import DlnVerifyError, __version__
from dlnverify.errors import RunFailed
from reports.cli import cache, check, check_steps, listing, report, show, simulate, verify
from reports.cli._common import ExitCode, Parser, Terminated, UsageError, print_json

__all__ = ["ExitCode", "build_parser", "main"]

#: The commands, in the order ``dlnverify --help`` lists them.
_COMMANDS = (listing, show, verify, report, check, check_steps, simulate, cache)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = Parser(
        prog="dlnverify",
        description="Symbolic-plus-numeric verifier for SGD on deep linear networks.",
    )
    parser.add_argument("--version", action="version", version=f"dlnverify {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for command in _COMMANDS:
        command.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code (a usage error raises
    ``SystemExit(2)``, as argparse does)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    # the command line itself rides along: a run's report names the command that made it
    args = argparse.Namespace(argv=arguments)
    with _sigterm_raises():
        try:
            _parse(parser, arguments, args)
            if args.command is None:
                parser.print_help()
                code = int(ExitCode.OK)
            else:
                code = int(args.handler(args))
            # a reader that closed the pipe early shows here, in the handler below, rather
            # than at exit, where buffered stdout (no PYTHONUNBUFFERED) would fail with exit
            # code 120
            sys.stdout.flush()
            return code
        except UsageError as error:  # before the command ran: --json only as written
            _report_error(
                f"error: {error.message}",
                error.message,
                ExitCode.BAD_INPUT,
                as_json=_asks_for_json(arguments),
            )
            raise
        except (DlnVerifyError, KeyboardInterrupt, BrokenPipeError) as error:
            return _failure(error, as_json=getattr(args, "json", False))


def _parse(parser: argparse.ArgumentParser, arguments: list[str], args: argparse.Namespace) -> None:
    """Parse ``arguments`` into ``args``; everything after a ``--`` is an operand of the
    command, wherever its other operands and options stand (``check drift --latex --
    '-s^2'``: a formula that starts with ``-``).

    argparse alone takes ``--`` only right after the operands that precede it: an optional
    operand (``nargs="?"``) met by an option first is filled with nothing, and what follows
    ``--`` is then refused.  So the part before ``--`` is parsed, and the part after it
    fills the command's operands that are still empty, in order; one too many is a usage
    error."""
    if "--" not in arguments:
        parser.parse_args(arguments, namespace=args)
        return
    cut = arguments.index("--")
    parser.parse_args(arguments[:cut], namespace=args)
    rest = arguments[cut + 1 :]
    command = _command_parser(parser, args.command) or parser
    for action in command._actions:
        if action.option_strings or isinstance(action, argparse._SubParsersAction) or not rest:
            continue
        if action.nargs == "?" and getattr(args, action.dest, None) is None:
            setattr(args, action.dest, _operand(command, action, rest.pop(0)))
        elif action.nargs in ("*", "+"):
            given = list(getattr(args, action.dest, None) or [])
            setattr(args, action.dest, given + [_operand(command, action, v) for v in rest])
            rest = []
    if rest:
        command.error("unrecognized arguments after '--': " + " ".join(rest))


def _command_parser(
    parser: argparse.ArgumentParser, command: str | None
) -> argparse.ArgumentParser | None:
    """The sub-parser of ``command`` (``None`` without one)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command is not None:
            chosen: argparse.ArgumentParser = action.choices[command]
            return chosen
    return None


def _operand(command: argparse.ArgumentParser, action: argparse.Action, text: str) -> Any:
    """``text`` as the operand ``action`` (its ``type`` and ``choices`` applied, as argparse
    applies them)."""
    value = action.type(text) if callable(action.type) else text
    if action.choices is not None and value not in action.choices:
        command.error(f"argument {action.dest}: invalid choice: {text!r}")
    return value


def _failure(error: BaseException, *, as_json: bool) -> ExitCode:
    """The exit code of a run that raised ``error``, after its one line on stderr (and with
    ``--json``, the error object on stdout)."""
    if isinstance(error, BrokenPipeError):  # the reader closed stdout early: stop quietly
        _discard_stdout()
        return ExitCode.FAILED
    if isinstance(error, Terminated):  # SIGTERM (kill, a scheduler, systemd): one line
        code, message = ExitCode.TERMINATED, "terminated (SIGTERM)."
        line = message
    elif isinstance(error, KeyboardInterrupt):  # Ctrl-C during a long run: one line
        code, message = ExitCode.INTERRUPTED, "interrupted (Ctrl-C)."
        line = message
    else:
        code = ExitCode.FAILED if isinstance(error, RunFailed) else ExitCode.BAD_INPUT
        message = str(error)
        line = f"error: {message}"
    _report_error(line, message, code, as_json=as_json)
    return code


def _report_error(line: str, message: str, code: ExitCode, *, as_json: bool) -> None:
    """Report an error: ``dlnverify: LINE`` on stderr and, with ``--json``,
    ``{"error": MESSAGE, "exit_code": CODE}`` on stdout."""
    print(f"dlnverify: {line}", file=sys.stderr)
    if as_json:
        try:
            print_json({"error": message, "exit_code": int(code)})
            sys.stdout.flush()
        except BrokenPipeError:
            _discard_stdout()


def _discard_stdout() -> None:
    """Point stdout at the null device, after its reader closed the pipe (``dlnverify ... |
    head``), as the Python documentation recommends: the flush at exit cannot fail then."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _asks_for_json(arguments: Sequence[str]) -> bool:
    """Whether ``--json`` (or a prefix of it that argparse would take for it, down to
    ``--js``) stands among the options, before any ``--``."""
    options = arguments[: arguments.index("--")] if "--" in arguments else arguments
    return any(a.startswith("--js") and "--json".startswith(a) for a in options)


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """While the block runs, SIGTERM raises :class:`Terminated` in the main thread, as Ctrl-C
    raises ``KeyboardInterrupt``, after passing SIGTERM on to the worker processes the run
    started (``--jobs``, a sweep's ``processes``), as a terminal sends Ctrl-C to all of them:
    a pool would otherwise wait for its running tasks.  The previous handler is restored
    afterwards.  Outside the main thread (where no handler can be installed) the block runs
    unchanged.  A process forked inside the block that inherits the handler ends on SIGTERM as
    it would without it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    owner = os.getpid()

    def terminate(signum: int, frame: Any) -> None:
        if os.getpid() != owner:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        import multiprocessing

        for worker in multiprocessing.active_children():
            worker.terminate()
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
