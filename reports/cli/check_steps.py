"""``dlnverify check-steps FILE``: a derivation checked step by step, the first wrong step
named (:mod:`reports.formulas.chain`)."""

from __future__ import annotations

import argparse

from reports.cli._common import (
    add_at,
    add_seed,
    at_values,
    integer_at_least,
    nonempty_path,
    print_json,
    progress_lines,
)
from reports.formulas.file_text import MAX_FILE_BYTES

__all__ = ["add_parser", "run"]


def _seconds(text: str) -> float:
    """A positive number of seconds (the limit on it is checked by ``check_steps``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number of seconds: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"got {text}, but a time limit must be positive")
    return value


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``check-steps`` to ``subparsers``."""
    parser = subparsers.add_parser(
        "check-steps",
        help="check a derivation step by step and name the first wrong step",
        description="Check every step of every derivation chain of FILE: each = as an"
        " identity, \\propto up to a constant factor, \\approx/\\simeq/\\sim with an order"
        " term (+ O(\\kappa^2)) to that order. FILE is a .tex file (every equation, align,"
        " gather, multline, \\[...\\] and $$...$$ is read; the TeX is never run) or a file"
        " of one expression per line, a line starting with = continuing the chain above. A"
        " chain that names a matrix (W_l, A_l, \\Delta, ...) has its shapes checked and its"
        " steps decided at exact shapes.",
    )
    parser.add_argument(
        "file",
        metavar="FILE",
        type=nonempty_path,
        help=f"the derivation; '-' reads standard input; at most {MAX_FILE_BYTES:,} bytes,"
        " UTF-8 without a byte-order mark",
    )
    parser.add_argument(
        "--format",
        choices=("auto", "tex", "lines"),
        default="auto",
        help="how FILE holds its chains (default: tex for a .tex file or text with a display"
        " environment, else lines)",
    )
    parser.add_argument(
        "--quantity",
        metavar="Q",
        help="anchor the first chain: its first formula must equal the derived quantity Q"
        " (see check --list; a matrix quantity such as gradient for a chain that names"
        " matrices), checked as check does",
    )
    add_at(parser, "an anchor's first formula is checked at that value only, as check --at")
    parser.add_argument(
        "--no-anchor",
        action="store_true",
        help="do not anchor a chain whose first left-hand side names a quantity (D(s), p(s))",
    )
    parser.add_argument(
        "--monte-carlo",
        action="store_true",
        help="also run check's Monte Carlo comparison for an anchor (default: symbolic only)",
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=30.0,
        help="seconds per step before it is 'undecided' (default 30)",
    )
    parser.add_argument(
        "--total-timeout",
        type=_seconds,
        default=600.0,
        help="seconds for the whole file; later steps are 'undecided' (default 600)",
    )
    parser.add_argument(
        "--points",
        type=integer_at_least(1, "the number of points"),
        default=8,
        help="sampled points per step SymPy cannot decide (default 8)",
    )
    add_seed(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Check the file; exit 0 if no checked step is refuted or undecided, 1 otherwise."""
    from reports.formulas.chain import check_steps_file

    result = check_steps_file(
        args.file,
        file_format=args.format,
        quantity=args.quantity,
        anchor=not args.no_anchor,
        at=at_values(args.at),
        timeout=args.timeout,
        total_timeout=args.total_timeout,
        seed=args.seed,
        n_points=args.points,
        monte_carlo=args.monte_carlo,
        progress=progress_lines(args),
    )
    if args.json:
        print_json(result.to_json())
    else:
        print(result.text())
    return result.exit_code
