"""``dlnverify check``: a formula of one's own for a quantity (``QUANTITY FORMULA``), every
formula of a file (``--file``), or the quantities that can be checked (``--list``)."""

from __future__ import annotations

import argparse
import sys
from functools import partial
from typing import Any

from reports.cli._common import (
    ExitCode,
    add_at,
    add_seed,
    at_values,
    nonempty_path,
    print_json,
    table,
    usage,
)
from reports.formulas.file_text import MAX_FILE_BYTES

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``check`` to ``subparsers``."""
    parser = subparsers.add_parser("check", help="check a formula of your own for a quantity")
    parser.add_argument("quantity", nargs="?", help="e.g. diffusion (see --list)")
    parser.add_argument(
        "formula", nargs="?", help="SymPy syntax or LaTeX, e.g. 'kappa*L**2*s**(4-4/L)'"
    )
    parser.add_argument(
        "--list", action="store_true", help="list quantities, symbols and conventions"
    )
    parser.add_argument(
        "--file",
        metavar="FILE",
        type=nonempty_path,
        help="check every formula of a TOML file ([[check]] tables with quantity, formula and"
        f" optional name, at, syntax) instead of one; '-' reads standard input; at most"
        f" {MAX_FILE_BYTES:,} bytes, UTF-8 without a byte-order mark",
    )
    syntax = parser.add_mutually_exclusive_group()
    syntax.add_argument("--latex", action="store_true", help="the formula is LaTeX")
    syntax.add_argument("--sympy", action="store_true", help="the formula is SymPy syntax")
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds before 'undecided' (default 30)"
    )
    add_at(parser, "the formula is checked at that value only")
    add_seed(parser)
    parser.add_argument(
        "--symbolic-only",
        action="store_true",
        help="skip the numeric step (the Monte Carlo check; the finite differences of a deterministic matrix quantity)",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr (--file)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """``--list``, ``--file`` or one formula; the exit code of the check (0 verified)."""
    if args.list:
        return _list(args)
    if args.file is not None:
        return _check_file(args)
    if args.quantity is None or args.formula is None:
        raise usage("check needs QUANTITY and FORMULA (or --file, or --list)")
    return _check_one(args)


def _list(args: argparse.Namespace) -> int:
    """``check --list``: the quantities, their symbols and meaning, and the conventions."""
    from reports.claims import all_quantities
    from reports.formulas.matrix_quantities import MATRIX_QUANTITIES
    from reports.render.conventions import conventions_footer

    quantities = all_quantities()
    if args.json:
        print_json(
            {
                "quantities": [q.to_json() for q in quantities],
                "matrix_quantities": [q.to_json() for q in MATRIX_QUANTITIES.values()],
                "planned": [],  # every quantity of DESIGN.md §7 is built; kept for the schema
            }
        )
    else:
        rows = [[q.name, ", ".join(q.parameters), q.description] for q in quantities]
        rows += [
            [q.name, f"matrix {q.shape.text()}", f"{q.description}; names: {' '.join(q.names)}"]
            for q in MATRIX_QUANTITIES.values()
        ]
        print(table(rows, ["quantity", "symbols", "meaning"]))
        print(conventions_footer())
    return ExitCode.OK


def _check_one(args: argparse.Namespace) -> int:
    """``check QUANTITY FORMULA``: the check's verdict and details."""
    from reports.formulas.engine import check
    from reports.formulas.matrix_quantities import is_matrix_quantity

    if is_matrix_quantity(args.quantity):
        return _check_matrix(args)
    syntax = "latex" if args.latex else "sympy" if args.sympy else "auto"
    at = at_values(args.at)
    result = check(
        args.quantity,
        args.formula,
        at=at,
        syntax=syntax,
        timeout=args.timeout,
        seed=args.seed,
        monte_carlo=not args.symbolic_only,
    )
    if args.json:
        print_json(result.to_json())
    else:
        _print_check(result)
    return result.exit_code


def _check_matrix(args: argparse.Namespace) -> int:
    """``check QUANTITY FORMULA`` for a matrix quantity (``gradient``, ``ntk``, ...): checked
    at every network and layer, so ``--at`` does not apply."""
    from reports.formulas.matrix_check import check_matrix

    if args.at:
        raise usage(
            f"--at does not apply to the matrix quantity {args.quantity}: it is checked at"
            " every network and layer"
        )
    result = check_matrix(
        args.quantity,
        args.formula,
        syntax="latex" if args.latex else "sympy" if args.sympy else "auto",
        timeout=args.timeout,
        seed=args.seed,
        monte_carlo=not args.symbolic_only,
    )
    print_json(result.to_json()) if args.json else print(result.text())
    return result.exit_code


def _check_file(args: argparse.Namespace) -> int:
    """``check --file FILE``: every formula of the file, a summary table, details of those
    not verified; exit 0 only if all are verified."""
    from reports.formulas.files import check_formulas, load_formulas, named_json

    given = [args.quantity is not None, args.at, args.latex or args.sympy]
    for flag, present in zip(("QUANTITY FORMULA", "--at", "--latex/--sympy"), given, strict=True):
        if present:
            raise usage(f"--file cannot be combined with {flag}; write it in the file's entries")
    entries = load_formulas(args.file)
    results = check_formulas(
        entries,
        seed=args.seed,
        timeout=args.timeout,
        monte_carlo=not args.symbolic_only,
        progress=None if args.quiet else partial(print, file=sys.stderr, flush=True),
    )
    if args.json:
        checks = [named_json(e, r) for e, r in zip(entries, results, strict=True)]
        verified = sum(r.verified for r in results)
        print_json({"file": args.file, "verified": verified, "checks": checks})
    else:
        from reports.formulas.result import at_text

        rows = [
            [e.name, e.quantity, r.verdict, at_text(_at(r), "=")]
            for e, r in zip(entries, results, strict=True)
        ]
        print(table(rows, ["name", "quantity", "verdict", "at"]))
        for entry, result in zip(entries, results, strict=True):
            if not result.verified:
                print(f"\n{entry.name}:")
                _print_check(result)
    return max(result.exit_code for result in results)


def _at(result: Any) -> dict[str, Any]:
    """The values a check held fixed (none for a matrix check)."""
    from reports.formulas.result import CheckResult

    return result.at if isinstance(result, CheckResult) else {}


def _print_check(result: Any) -> None:
    """One check's verdict and what it rests on (:meth:`CheckResult.text`)."""
    print(result.text())
