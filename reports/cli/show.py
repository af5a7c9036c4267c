"""``dlnverify show CLAIM``: a claim's derived result and derivation steps."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from reports.cli._common import ExitCode, print_json

__all__ = ["LONG", "add_parser", "run"]

#: Longest derived value or step printed in full without ``--full`` (C1's Kronecker
#: matrices and C3's covariance blocks run to a megabyte).
LONG = 2000


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``show`` to ``subparsers``."""
    parser = subparsers.add_parser(
        "show", help="print a claim's derived result and derivation steps"
    )
    parser.add_argument("claim", help="claim id, e.g. C7")
    parser.add_argument("--latex", action="store_true", help="print LaTeX")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument(
        "--full",
        action="store_true",
        help=f"print every derived value and step in full (by default one longer than"
        f" {LONG} characters is summarised)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Derive the claim and print its statement, verdict, result, steps and findings."""
    from reports.claims import get_claim
    from reports.engine.derivation_cache import derive

    claim = get_claim(args.claim)
    result = derive(claim)
    if args.json:
        _print_json(claim, result)
    else:
        _print_text(claim, result, latex=args.latex, full=args.full)
    return ExitCode.OK


def _print_json(claim: Any, result: Any) -> None:
    import sympy as sp

    from reports.documents.markdown import finding_markdown

    print_json(
        {
            "claim": claim.id,
            "title": claim.title,
            "paper_ref": claim.paper_ref,
            "statement_latex": claim.statement,
            "holds": result.holds,
            "derived": _sympy_json(result.derived, str),
            "derived_latex": _sympy_json(result.derived, sp.latex),
            "steps": [{"description": s.description, "latex": s.latex()} for s in result.steps],
            "cases": list(result.cases),
            "findings": list(result.findings),
            "findings_markdown": [finding_markdown(f) for f in result.findings],
            "remarks": list(claim.remarks),
        }
    )


def _shown(text: str, full: bool) -> str:
    """``text``, or a note of its size when it is longer than :data:`LONG` (``--full``)."""
    if full or len(text) <= LONG:
        return text
    return f"({len(text):,} characters; dlnverify show --full prints them)"


def _print_text(claim: Any, result: Any, *, latex: bool, full: bool) -> None:
    import sympy as sp

    from reports.documents.markdown import finding_markdown

    render = sp.latex if latex else sp.pretty
    print(f"{claim.id}  {claim.title}  [{claim.paper_ref}]")
    print(f"statement: {claim.statement}")
    print(f"symbolic verdict: {'proven' if result.holds else 'REFUTED'}")
    derived = result.derived if isinstance(result.derived, dict) else {"derived": result.derived}
    for name, value in derived.items():
        print(f"\n{name}:\n{_shown(render(value), full)}")
    if result.steps:
        print("\nsteps:")
        for i, step in enumerate(result.steps, 1):
            lhs_rhs = step.latex() if latex else step.text()
            print(f"  {i}. {step.description}: {_shown(lhs_rhs, full)}")
    for finding in result.findings:
        print(f"\nfinding: {finding_markdown(finding) if latex else finding}")
    for remark in claim.remarks:
        print(f"\nsimulation remark: {remark}")
    if claim.quantities:
        names = ", ".join(claim.quantities)
        print(
            f"\ncheck your own formula: dlnverify check QUANTITY FORMULA, QUANTITY one of {names}"
        )


def _sympy_json(value: Any, render: Callable[[Any], str]) -> Any:
    """``value`` (an expression, or a dict or sequence of them) with each expression
    rendered."""
    if isinstance(value, dict):
        return {str(k): _sympy_json(v, render) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_sympy_json(v, render) for v in value]
    return render(value)
