"""The ``dlnverify`` console script.

Exit codes live in one place, :class:`ExitCode`: 0 verified/ok, 1 refuted/failed, 2 bad input.
Every :class:`dlnverify.DlnVerifyError` becomes a one-line message and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from enum import IntEnum

from dlnverify import DlnVerifyError, __version__

__all__ = ["ExitCode", "main"]


class ExitCode(IntEnum):
    """Process exit codes of ``dlnverify``."""

    OK = 0
    FAILED = 1
    BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """Argument parser whose usage errors are one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(ExitCode.BAD_INPUT, f"dlnverify: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="dlnverify",
        description="Symbolic-plus-numeric verifier for SGD on deep linear networks.",
    )
    parser.add_argument("--version", action="version", version=f"dlnverify {__version__}")
    parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            parser.print_help()
            return ExitCode.OK
        return int(args.handler(args))
    except DlnVerifyError as error:
        print(f"dlnverify: error: {error}", file=sys.stderr)
        return ExitCode.BAD_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
