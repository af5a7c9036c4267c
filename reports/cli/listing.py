"""``dlnverify list``: the registered claims."""

from __future__ import annotations

import argparse

from reports.cli._common import ExitCode, print_json, table

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``list`` to ``subparsers``."""
    parser = subparsers.add_parser("list", help="list the registered claims")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the claims: id, paper reference and title (``--json``: also their quantities)."""
    from reports.claims import all_claims

    claims = list(all_claims())
    if args.json:
        print_json(
            [
                {
                    "id": c.id,
                    "title": c.title,
                    "paper_ref": c.paper_ref,
                    "quantities": list(c.quantities),
                }
                for c in claims
            ]
        )
    else:
        print(table([[c.id, c.paper_ref, c.title] for c in claims], ["claim", "paper", "title"]))
    return ExitCode.OK
