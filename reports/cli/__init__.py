"""The ``dlnverify`` console script: ``list``, ``show``, ``verify``, ``check``, ``report``,
``simulate``, ``cache``.

Each command is a module of this package (``listing``, ``show``, ``verify``, ``check``,
``report``, ``simulate``, ``cache``) with ``add_parser(subparsers)`` and ``run(args)``; what several
share is in ``_common``.  Exit codes are :class:`ExitCode`: 0 verified/ok, 1 refuted/failed,
2 bad input, 130 interrupted.  :func:`main` maps errors to them in one place: every
:class:`dlnverify.DlnVerifyError` (and a ``MemoryError``) becomes a one-line message and
exit code 2, Ctrl-C one line and 130; ``--json`` gives machine-readable output everywhere.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from dlnverify import DlnVerifyError, __version__
from reports.cli import cache, check, listing, report, show, simulate, verify
from reports.cli._common import ExitCode, Parser

__all__ = ["ExitCode", "build_parser", "main"]

#: The commands, in the order ``dlnverify --help`` lists them.
_COMMANDS = (listing, show, verify, report, check, simulate, cache)


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
    """Entry point of the console script; returns the exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    # the command line itself rides along: a run's report names the command that made it
    args = parser.parse_args(arguments, namespace=argparse.Namespace(argv=arguments))
    try:
        if args.command is None:
            parser.print_help()
            code = int(ExitCode.OK)
        else:
            code = int(args.handler(args))
        # a reader that closed the pipe early shows here, in the handler below, rather than
        # at exit, where buffered stdout (no PYTHONUNBUFFERED) would fail with exit code 120
        sys.stdout.flush()
        return code
    except (DlnVerifyError, MemoryError, KeyboardInterrupt, BrokenPipeError) as error:
        return _failure(error)


def _failure(error: BaseException) -> ExitCode:
    """The exit code of a run that raised ``error``, after its one line on stderr."""
    if isinstance(error, DlnVerifyError):
        print(f"dlnverify: error: {error}", file=sys.stderr)
        return ExitCode.BAD_INPUT
    if isinstance(error, MemoryError):  # e.g. --width 100000: one line, not a traceback
        detail = f" ({error})" if str(error) else ""
        print(
            f"dlnverify: error: not enough memory for this run{detail}; use smaller sizes"
            " (width, hidden, ensemble, diffusion samples).",
            file=sys.stderr,
        )
        return ExitCode.BAD_INPUT
    if isinstance(error, KeyboardInterrupt):  # Ctrl-C during a long run: one line
        print("dlnverify: interrupted (Ctrl-C).", file=sys.stderr)
        return ExitCode.INTERRUPTED
    # BrokenPipeError: the reader closed stdout early (``dlnverify ... | head``): stop
    # quietly, as the Python documentation recommends (stdout to devnull so the exit flush
    # cannot fail)
    import os

    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return ExitCode.FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
