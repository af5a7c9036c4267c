"""What several ``dlnverify`` commands share: exit codes, the parser class, JSON and table
output, progress lines, argument types, ``--seed`` and ``--jobs``, verifying claims with
progress lines, compiling a report."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import textwrap
from collections.abc import Callable, Sequence
from enum import IntEnum
from functools import partial
from typing import Any

from dlnverify import DlnVerifyError
from reports.experiments.tables import Table, text_table
from reports.render.json import json_text

__all__ = [
    "ExitCode",
    "Parser",
    "Terminated",
    "UsageError",
    "add_at",
    "add_jobs",
    "add_seed",
    "assignment",
    "at_values",
    "available_cores",
    "compile_report",
    "integer_at_least",
    "nonempty_path",
    "nonnegative_seed",
    "print_json",
    "process_count",
    "progress",
    "progress_lines",
    "table",
    "usage",
    "verify_with_progress",
]


class ExitCode(IntEnum):
    """Process exit codes of ``dlnverify``."""

    OK = 0
    FAILED = 1
    BAD_INPUT = 2
    INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
    TERMINATED = 143  # 128 + SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread while :func:`reports.cli.main` runs.  A
    ``KeyboardInterrupt``, so that everything Ctrl-C cleans up (temporary output files, worker
    processes) is cleaned up for it too."""


class UsageError(SystemExit):
    """A command line argparse cannot read: exit code 2, with the one-line ``message`` that
    :func:`reports.cli.main` prints."""

    def __init__(self, message: str) -> None:
        super().__init__(ExitCode.BAD_INPUT)
        self.message = message


class Parser(argparse.ArgumentParser):
    """Argument parser whose usage errors raise :class:`UsageError` (exit code 2, one line),
    and whose operands may stand anywhere among the options (``check diffusion --at L=2
    FORMULA``)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        """As :meth:`argparse.ArgumentParser.parse_known_args`, then an operand that followed
        an option (which argparse leaves over) fills the next operand still empty: an
        optional one (``nargs="?"``) left at ``None``, or a list (``nargs="*"``/``"+"``)."""
        parsed, extras = super().parse_known_args(args, namespace)
        operands = [
            action
            for action in self._actions
            if not action.option_strings
            and action.nargs in ("?", "*", "+")
            and action.type is None
            and action.choices is None
        ]
        remaining = []
        for item in extras:
            target = next(
                (a for a in operands if getattr(parsed, a.dest, None) in (None, [])), None
            ) or next((a for a in operands if a.nargs in ("*", "+")), None)
            if item.startswith("-") or item == "--" or target is None:
                remaining.append(item)
            elif target.nargs == "?":
                setattr(parsed, target.dest, item)
            else:
                setattr(parsed, target.dest, [*(getattr(parsed, target.dest) or []), item])
        return parsed, remaining


def usage(message: str) -> DlnVerifyError:
    """The error of a command line that cannot run (exit code 2), to raise."""
    from dlnverify.errors import InvalidParameter

    return InvalidParameter(message)


def print_json(payload: Any) -> None:
    """Print ``payload`` as strict, indented JSON."""
    print(json_text(payload, indent=2))


#: Narrowest the last column of a terminal table is wrapped to, however narrow the terminal.
_MIN_LAST_COLUMN = 30


def table(rows: list[list[Any]], header: list[str]) -> str:
    """Aligned columns.  On a terminal (or with ``COLUMNS`` set) the last column
    (descriptions) wraps to its width, continuation lines under its start; piped output keeps
    one line per row, for ``grep``."""
    cells = [[str(cell) for cell in row] for row in rows]
    if not (sys.stdout.isatty() or "COLUMNS" in os.environ):
        return text_table(Table(tuple(header), tuple(map(tuple, cells))))
    leading = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header) - 1)]
    width = shutil.get_terminal_size().columns - sum(leading) - 2 * len(leading)
    width = max(width, _MIN_LAST_COLUMN)
    wrapped: list[tuple[str, ...]] = []
    for row in cells:
        lines = textwrap.wrap(row[-1], width, break_on_hyphens=False) or [""]
        wrapped.append((*row[:-1], lines[0]))
        wrapped += [(*("" for _ in leading), line) for line in lines[1:]]
    return text_table(Table(tuple(header), tuple(wrapped)))


def progress(args: argparse.Namespace, text: str) -> None:
    """Print a progress line on stderr, unless ``--quiet``."""
    if not getattr(args, "quiet", False):
        print(text, file=sys.stderr, flush=True)


def progress_lines(args: argparse.Namespace) -> Callable[[str], None] | None:
    """Where a run's progress lines go: stderr, or nowhere (``None``) with ``--quiet``."""
    return None if args.quiet else partial(print, file=sys.stderr, flush=True)


def integer_at_least(minimum: int, name: str) -> Callable[[str], int]:
    """An argparse type: an integer ``>= minimum``; ``name`` says what it counts."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"got {value}, but {name} must be >= {minimum}")
        return value

    return parse


#: ``--seed``: an integer >= 0 (NumPy's generators take no negative seeds).
nonnegative_seed = integer_at_least(0, "a seed")
#: ``--jobs``: processes to verify claims in.
process_count = integer_at_least(1, "the number of processes")


def nonempty_path(text: str) -> str:
    """An argparse type for a file or directory: any non-empty text (``''`` would mean the
    current directory, or be taken for an absent option)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("got an empty path")
    return text


def add_at(parser: argparse.ArgumentParser, what: str) -> None:
    """``--at NAME=VALUE`` (repeatable) of ``check`` and ``check-steps``; ``what`` says what
    the value is held fixed in."""
    parser.add_argument(
        "--at",
        metavar="NAME=VALUE",
        type=assignment,
        action="append",
        default=[],
        help=f"hold a parameter fixed, e.g. --at L=3 (repeatable): {what}",
    )


def assignment(text: str) -> tuple[str, str]:
    """``--at NAME=VALUE``: the pair, the value still text (checked by ``reports.check``)."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise argparse.ArgumentTypeError(f"got {text!r}, but it must look like L=3")
    return name.strip(), value.strip()


def at_values(pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    """The ``--at`` pairs as a mapping; a name given twice is a usage error."""
    at: dict[str, str] = {}
    for name, value in pairs:
        if name in at:
            raise usage(f"Got --at {name}=... twice; give each parameter once.")
        at[name] = value
    return at


def add_seed(parser: argparse.ArgumentParser) -> None:
    """``--seed S`` of ``verify``, ``report`` and ``check``."""
    parser.add_argument(
        "--seed", type=nonnegative_seed, default=0, help="seed of every random draw (default 0)"
    )


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def add_jobs(parser: argparse.ArgumentParser) -> None:
    """``--jobs N`` of ``verify`` and ``report`` (default: :func:`available_cores`)."""
    parser.add_argument(
        "--jobs",
        "-j",
        type=process_count,
        default=available_cores(),
        metavar="N",
        help=f"verify claims in N processes (default: the cores available, {available_cores()}"
        " here); the results do not depend on N",
    )


def verify_with_progress(args: argparse.Namespace) -> list[Any]:
    """Derive and check the claims named in ``args.claims`` (all by default) at ``--seed``,
    in ``--jobs`` processes, with progress lines."""
    from reports.claims import all_claims, get_claim
    from reports.engine.verify import verify_claims

    claims = [get_claim(c) for c in args.claims] if args.claims else list(all_claims())
    jobs = min(args.jobs, len(claims))
    parallel = jobs > 1

    def started(index: int, claim: Any, ellipsis: str = " ...") -> None:
        progress(args, f"[{index}/{len(claims)}] {claim.id}: {claim.title}{ellipsis}")

    def finished(index: int, outcome: Any) -> None:
        if parallel:  # finished out of order: name the claim above its result
            started(index, outcome.claim, ellipsis="")
        progress(
            args,
            f"      symbolic {outcome.symbolic_verdict}, Monte Carlo {outcome.numeric_verdict} "
            f"({outcome.symbolic_seconds + outcome.numeric_seconds:.1f} s)",
        )

    if parallel:
        progress(args, f"verifying {len(claims)} claims in {jobs} processes ...")
    return verify_claims(
        claims,
        seed=args.seed,
        numeric=not args.symbolic_only,
        jobs=jobs,
        started=started,
        finished=finished,
    )


def compile_report(args: argparse.Namespace, tex: Any, *, pdf: str, can_compile: bool) -> Any:
    """Compile ``tex`` and return the PDF's path, unless ``pdf`` is ``"no"``; without pdflatex
    say so (``"auto"``) and return ``None``."""
    from reports.render.latex import compile_pdf

    if pdf != "no" and can_compile:
        progress(args, f"compiling {tex} ...")
        return compile_pdf(tex)
    if pdf != "no":
        progress(args, "no pdflatex on PATH: wrote the LaTeX source only (compile it elsewhere)")
    return None
