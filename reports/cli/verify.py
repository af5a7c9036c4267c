"""``dlnverify verify [CLAIM ...]``: derive and Monte-Carlo-check claims (all by default)."""

from __future__ import annotations

import argparse
from typing import Any

from reports.cli._common import (
    ExitCode,
    add_jobs,
    add_seed,
    nonempty_path,
    print_json,
    progress,
    table,
    verify_with_progress,
)
from reports.render.files import check_output_location

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``verify`` to ``subparsers``."""
    parser = subparsers.add_parser(
        "verify", help="derive and Monte-Carlo-check claims (all by default)"
    )
    parser.add_argument("claims", nargs="*", metavar="CLAIM", help="claim ids (default: all)")
    add_seed(parser)
    parser.add_argument("--symbolic-only", action="store_true", help="skip the Monte Carlo checks")
    add_jobs(parser)
    parser.add_argument(
        "--report", metavar="PATH", type=nonempty_path, help="also write a Markdown report to PATH"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Verify the claims, write ``--report``, print a table; exit 0 only if all hold."""
    if args.report:  # refused before the claims are verified
        check_output_location(args.report, option="--report")
    outcomes = verify_with_progress(args)
    if args.report:
        from reports.documents.markdown import write_report

        written = write_report(outcomes, args.report, seed=args.seed)
        progress(args, f"report written to {written}")
    if args.json:
        print_json(
            {"all_hold": all(o.holds for o in outcomes), "claims": [o.to_json() for o in outcomes]}
        )
    else:
        _print_table(outcomes)
    return ExitCode.OK if all(o.holds for o in outcomes) else ExitCode.FAILED


def _print_table(outcomes: list[Any]) -> None:
    rows = [
        [
            o.claim.id,
            o.symbolic_verdict,
            o.numeric_verdict,
            "-" if o.numeric is None else f"{o.numeric.max_abs_z:.2f} / {o.numeric.threshold:.2f}",
            f"{o.symbolic_seconds + o.numeric_seconds:.1f}",
        ]
        for o in outcomes
    ]
    print(table(rows, ["claim", "symbolic", "Monte Carlo", "worst |z| / limit", "seconds"]))
    for o in outcomes:
        for finding in o.derivation.findings:
            print(f"\n{o.claim.id} finding: {finding}")
