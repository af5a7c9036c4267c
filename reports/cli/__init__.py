"""The ``dlnverify`` console script: ``list``, ``show``, ``verify``, ``check``, ``report``, ``simulate``.

Exit codes live in one place, :class:`ExitCode`: 0 verified/ok, 1 refuted/failed, 2 bad
input, 130 interrupted.  Every :class:`dlnverify.DlnVerifyError` (and a ``MemoryError``)
becomes a one-line message and exit code 2, Ctrl-C one line and 130; ``--json`` gives
machine-readable output everywhere.
"""

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

from dlnverify import DlnVerifyError, __version__
from reports.experiments.tables import Table, format_text, text_table
from reports.render.json import json_text

__all__ = ["ExitCode", "build_parser", "main"]


class ExitCode(IntEnum):
    """Process exit codes of ``dlnverify``."""

    OK = 0
    FAILED = 1
    BAD_INPUT = 2
    INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C


class _Parser(argparse.ArgumentParser):
    """Argument parser whose usage errors are one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(ExitCode.BAD_INPUT, f"dlnverify: error: {message}\n")


def _print_json(payload: Any) -> None:
    print(json_text(payload, indent=2))


#: Narrowest the last column of a terminal table is wrapped to, however narrow the terminal.
_MIN_LAST_COLUMN = 30


def _table(rows: list[list[Any]], header: list[str]) -> str:
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


def _progress(args: argparse.Namespace, text: str) -> None:
    if not getattr(args, "quiet", False):
        print(text, file=sys.stderr, flush=True)


# --- list ---------------------------------------------------------------------------------


def _cmd_list(args: argparse.Namespace) -> int:
    from reports.claims import all_claims

    claims = list(all_claims())
    if args.json:
        _print_json(
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
        print(_table([[c.id, c.paper_ref, c.title] for c in claims], ["claim", "paper", "title"]))
    return ExitCode.OK


# --- show ---------------------------------------------------------------------------------


def _cmd_show(args: argparse.Namespace) -> int:
    import sympy as sp

    from reports.claims import get_claim
    from reports.documents.markdown import finding_markdown

    claim = get_claim(args.claim)
    result = claim.derive()
    if args.json:
        _print_json(
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
        return ExitCode.OK
    render = sp.latex if args.latex else sp.pretty
    print(f"{claim.id}  {claim.title}  [{claim.paper_ref}]")
    print(f"statement: {claim.statement}")
    print(f"symbolic verdict: {'proven' if result.holds else 'REFUTED'}")
    derived = result.derived if isinstance(result.derived, dict) else {"derived": result.derived}
    for name, value in derived.items():
        print(f"\n{name}:\n{render(value)}")
    if result.steps:
        print("\nsteps:")
        for i, step in enumerate(result.steps, 1):
            lhs_rhs = step.latex() if args.latex else f"{sp.sstr(step.lhs)} = {sp.sstr(step.rhs)}"
            print(f"  {i}. {step.description}: {lhs_rhs}")
    for finding in result.findings:
        print(f"\nfinding: {finding_markdown(finding) if args.latex else finding}")
    for remark in claim.remarks:
        print(f"\nsimulation remark: {remark}")
    if claim.quantities:
        names = ", ".join(claim.quantities)
        print(
            f"\ncheck your own formula: dlnverify check QUANTITY FORMULA, QUANTITY one of {names}"
        )
    return ExitCode.OK


def _sympy_json(value: Any, render: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _sympy_json(v, render) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_sympy_json(v, render) for v in value]
    return render(value)


# --- verify -------------------------------------------------------------------------------


def _verify_claims(args: argparse.Namespace) -> list[Any]:
    """Derive and check the claims named in ``args.claims`` (all by default), with progress."""
    from reports.claims import all_claims, get_claim
    from reports.engine.verify import verify_claims

    claims = [get_claim(c) for c in args.claims] if args.claims else list(all_claims())
    jobs = min(args.jobs, len(claims))
    parallel = jobs > 1

    def started(index: int, claim: Any, ellipsis: str = " ...") -> None:
        _progress(args, f"[{index}/{len(claims)}] {claim.id}: {claim.title}{ellipsis}")

    def finished(index: int, outcome: Any) -> None:
        if parallel:  # finished out of order: name the claim above its result
            started(index, outcome.claim, ellipsis="")
        _progress(
            args,
            f"      symbolic {outcome.symbolic_verdict}, Monte Carlo {outcome.numeric_verdict} "
            f"({outcome.symbolic_seconds + outcome.numeric_seconds:.1f} s)",
        )

    if parallel:
        _progress(args, f"verifying {len(claims)} claims in {jobs} processes ...")
    return verify_claims(
        claims,
        seed=args.seed,
        numeric=not args.symbolic_only,
        jobs=jobs,
        started=started,
        finished=finished,
    )


def _cmd_verify(args: argparse.Namespace) -> int:
    if args.report:
        from pathlib import Path

        if Path(args.report).is_dir():  # refused before the claims are verified
            raise _usage(f"Got --report {args.report!r}, but it is a directory; give a file.")
    outcomes = _verify_claims(args)
    if args.report:
        from reports.documents.markdown import write_report

        path = write_report(outcomes, args.report, seed=args.seed)
        _progress(args, f"report written to {path}")
    if args.json:
        _print_json(
            {"all_hold": all(o.holds for o in outcomes), "claims": [o.to_json() for o in outcomes]}
        )
    else:
        rows = [
            [
                o.claim.id,
                o.symbolic_verdict,
                o.numeric_verdict,
                "-"
                if o.numeric is None
                else f"{o.numeric.max_abs_z:.2f} / {o.numeric.threshold:.2f}",
                f"{o.symbolic_seconds + o.numeric_seconds:.1f}",
            ]
            for o in outcomes
        ]
        print(_table(rows, ["claim", "symbolic", "Monte Carlo", "worst |z| / limit", "seconds"]))
        for o in outcomes:
            for finding in o.derivation.findings:
                print(f"\n{o.claim.id} finding: {finding}")
    return ExitCode.OK if all(o.holds for o in outcomes) else ExitCode.FAILED


# --- report -------------------------------------------------------------------------------


def _cmd_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from reports.documents.markdown import write_report
    from reports.documents.verification import write_latex_report
    from reports.formulas.files import check_formulas, load_formulas, named_json
    from reports.render.latex import check_report_output, relative_inside

    directory = Path(args.output)
    can_compile = check_report_output(args.output, flag="--output", pdf=args.pdf)
    names = _experiment_names(args.experiment or [])
    entries = [] if args.check is None else load_formulas(args.check)  # refused before any work
    outcomes = _verify_claims(args)
    results = check_formulas(
        entries,
        seed=args.seed,
        monte_carlo=not args.symbolic_only,
        progress=partial(_progress, args),
    )
    formulas = list(zip(entries, results, strict=True))
    experiments = [
        _report_experiment(args, name, directory, f"[{index}/{len(names)}]")
        for index, name in enumerate(names, 1)
    ]
    files = write_latex_report(
        outcomes,
        directory,
        seed=args.seed,
        figures=not args.no_figures,
        experiments=experiments,
        formulas=formulas,
    )
    sections = [
        (report, None if figure is None else relative_inside(figure, directory))
        for report, figure in experiments
    ]
    markdown = write_report(
        outcomes,
        directory / "report.md",
        seed=args.seed,
        experiments=sections,
        formulas=formulas,
    )
    pdf = _compile(args, files.tex, pdf=args.pdf, can_compile=can_compile)
    figures = [*files.figures, *(figure for _, figure in experiments if figure is not None)]
    written: dict[str, Any] = {
        "tex": str(files.tex),
        "markdown": str(markdown),
        "pdf": None if pdf is None else str(pdf),
        "figures": [str(f) for f in figures],
    }
    all_verified = all(result.verified for result in results)
    all_hold = all(o.holds for o in outcomes)
    if args.json:
        runs = [
            {"name": report.name, "verdict": report.results.verdict, "holds": report.results.holds}
            for report, _ in experiments
        ]
        _print_json(
            {
                "all_hold": all_hold,
                "files": written,
                "claims": [o.to_json() for o in outcomes],
                "formulas": [named_json(e, r) for e, r in formulas],
                "experiments": runs,
            }
        )
    else:
        held = sum(o.holds for o in outcomes)
        print(f"{held} of {len(outcomes)} claims hold.")
        if formulas:
            verified = sum(r.verified for r in results)
            print(f"{verified} of {len(formulas)} of your formulas verified.")
        for report, _ in experiments:
            verdict = f": {report.results.verdict}" if report.results.verdict else ""
            print(f"experiment {report.name}{verdict}")
        for kind in ("pdf", "tex", "markdown"):
            if written[kind]:
                print(f"{kind}: {written[kind]}")
        print(f"figures: {len(figures)} in {directory / 'figures'}")
    return ExitCode.OK if all_hold and all_verified else ExitCode.FAILED


def _compile(args: argparse.Namespace, tex: Any, *, pdf: str, can_compile: bool) -> Any:
    """Compile ``tex`` unless ``pdf`` is ``"no"``; without pdflatex say so (``"auto"``)."""
    from reports.render.latex import compile_pdf

    if pdf != "no" and can_compile:
        _progress(args, f"compiling {tex} ...")
        return compile_pdf(tex)
    if pdf != "no":
        _progress(args, "no pdflatex on PATH: wrote the LaTeX source only (compile it elsewhere)")
    return None


def _experiment_names(names: list[str]) -> list[str]:
    """``report --experiment``: the shipped experiments named (``all``: every one), checked
    before any work; each once, in the order given."""
    from reports.experiments.files import shipped_experiment, shipped_experiments

    shipped = list(shipped_experiments())
    chosen: list[str] = []
    for name in names:
        for item in shipped if name == "all" else [name]:
            shipped_experiment(item)  # a one-line error naming the shipped ones
            if item not in chosen:
                chosen.append(item)
    return chosen


def _report_experiment(
    args: argparse.Namespace, name: str, directory: Any, counter: str
) -> tuple[Any, Any]:
    """Run the shipped experiment ``name`` at the report's seed, as ``simulate --experiment
    NAME --seed S`` would, and return its report and figure (in ``directory/figures``);
    progress lines start with ``counter`` and end with the time taken."""
    import shlex
    import time

    from reports.documents.experiment import ExperimentReport
    from reports.experiments.plan import plan_run
    from reports.experiments.runs import run_plan

    _progress(args, f"{counter} experiment {name} ...")
    start = time.perf_counter()
    plan = plan_run(experiment=name, parameters={"seed": args.seed})
    run = run_plan(plan, progress=_progress_lines(args))
    figure = None
    if run.draw is not None and not args.no_figures:
        figure = run.draw(directory / "figures" / f"experiment-{name}.pdf")
    verdict = run.results.verdict or "done"
    _progress(args, f"      {verdict} ({time.perf_counter() - start:.1f} s)")
    argv = ["simulate", "--experiment", name, "--seed", str(args.seed)]
    report = ExperimentReport(
        name,
        run.results,
        run.parameters,
        command="dlnverify " + shlex.join(argv),
        description=plan.description,
    )
    return report, figure


# --- check --------------------------------------------------------------------------------


def _cmd_check(args: argparse.Namespace) -> int:
    from reports.claims import all_quantities

    if args.list:
        quantities = all_quantities()
        if args.json:
            _print_json(
                {
                    "quantities": [q.to_json() for q in quantities],
                    "planned": [],  # every quantity of DESIGN.md §7 is built; kept for the schema
                }
            )
        else:
            rows = [[q.name, ", ".join(q.parameters), q.description] for q in quantities]
            print(_table(rows, ["quantity", "symbols", "meaning"]))
            print(
                "conventions: loss 1/2||y-Wx||^2, ds = mu dt + sqrt(D) dW (D = full variance rate),"
            )
            print("             kappa = eta/B, t = k*eta; see README 'Conventions'.")
        return ExitCode.OK
    if args.file is not None:
        return _check_file(args)
    if args.quantity is None or args.formula is None:
        raise _usage("check needs QUANTITY and FORMULA (or --file, or --list)")
    from reports.formulas.engine import check

    syntax = "latex" if args.latex else "sympy" if args.sympy else "auto"
    at: dict[str, str] = {}
    for name, value in args.at:
        if name in at:
            raise _usage(f"Got --at {name}=... twice; give each parameter once.")
        at[name] = value
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
        _print_json(result.to_json())
    else:
        _print_check(result)
    return result.exit_code


def _check_file(args: argparse.Namespace) -> int:
    """``check --file FILE``: every formula of the file, a summary table, details of those
    not verified; exit 0 only if all are verified."""
    from reports.formulas.files import check_formulas, load_formulas, named_json

    given = [args.quantity is not None, args.at, args.latex or args.sympy]
    for flag, present in zip(("QUANTITY FORMULA", "--at", "--latex/--sympy"), given, strict=True):
        if present:
            raise _usage(f"--file cannot be combined with {flag}; write it in the file's entries")
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
        _print_json({"file": args.file, "verified": verified, "checks": checks})
    else:
        rows = [
            [e.name, e.quantity, r.verdict, ", ".join(f"{k}={v:g}" for k, v in r.at.items())]
            for e, r in zip(entries, results, strict=True)
        ]
        print(_table(rows, ["name", "quantity", "verdict", "at"]))
        for entry, result in zip(entries, results, strict=True):
            if not result.verified:
                print(f"\n{entry.name}:")
                _print_check(result)
    return max(result.exit_code for result in results)


def _usage(message: str) -> DlnVerifyError:
    from dlnverify.errors import InvalidParameter

    return InvalidParameter(message)


def _print_check(result: Any) -> None:
    import sympy as sp

    from derivations.conventions import to_latex

    print(f"{result.verdict.upper()}: {result.quantity} — {result.message}")
    if result.at:
        print(f"  at:         {', '.join(f'{k} = {v:g}' for k, v in result.at.items())}")
    if result.derived is not None:
        print(f"  derived:    {sp.sstr(result.derived)}")
    if result.parsed is not None:
        print(f"  formula:    {sp.sstr(result.parsed)}")
    if result.symbolic == "different" and result.difference is not None:
        print(f"  difference: {to_latex(result.difference)}   (LaTeX)")
    if result.convention:
        print(f"  convention: {result.convention}")
    if result.counterexample:
        print(f"  counterexample: {result.counterexample_text()}")
    if result.numeric is not None:
        for case in result.numeric.cases:
            print(
                f"  Monte Carlo at {case.parameters_text}: {case.estimate:.6g} ± {case.standard_error:.2g}"
                f" vs formula {case.closed_form:.6g} (z = {case.z:.2f}, samples {case.samples})"
            )


# --- simulate -----------------------------------------------------------------------------

#: ``simulate`` flags that map to :class:`reports.experiments.training.SimulationConfig` fields.
_SIMULATE_FLAGS = (
    ("optimizer", str, "gd, sgd, anisotropic or isotropic (default sgd)"),
    ("depth", int, "depth L (default 2)"),
    ("width", int, "input = output dimension d (default 12)"),
    ("hidden", int, "hidden width (default: = width)"),
    ("singular_values", str, "teacher singular values, e.g. '3,2,1' (default)"),
    ("label_noise", float, "sigma_eps (default 0)"),
    ("gamma", float, "init entries N(0, d^-gamma) (default 2)"),
    ("eta", float, "learning rate: the step of gd and sgd, the default dt (default 0.01)"),
    ("dt", float, "Euler-Maruyama step of anisotropic/isotropic, t = k*dt (default: = eta)"),
    ("batch_size", int, "batch size B; kappa = eta/B (default 1)"),
    ("temperature", float, "T of isotropic Langevin (default 0)"),
    ("steps", int, "number of steps (default 3000)"),
    ("duration", float, "run to time t = duration instead: steps = duration/dt (default 0: off)"),
    ("record_every", int, "record every this many steps (default 10)"),
    ("ensemble", int, "independent networks run together (default 1)"),
    ("seed", int, "seed of teacher, init and noise (default 0)"),
    (
        "diffusion_samples",
        int,
        "record the empirical modewise diffusion from N fresh samples per record and compare "
        "it with Eq. 7 (default 0: off)",
    ),
)


def _cmd_simulate(args: argparse.Namespace) -> int:
    if args.list_experiments:
        from reports.experiments.files import shipped_experiments

        shipped = shipped_experiments()
        if args.json:
            _print_json(
                {"experiments": [{"name": n, "description": t} for n, t in shipped.items()]}
            )
        else:
            rows = [[name, text] for name, text in shipped.items()]
            print(_table(rows, ["experiment", "what it reproduces"]))
        return ExitCode.OK
    from reports.experiments.runs import run_plan

    plan = _plan(args)
    run = run_plan(
        plan, scheduler=args.scheduler, workers=args.workers, progress=_progress_lines(args)
    )
    payload = dict(run.payload)
    if plan.figure and run.draw is not None:
        payload["figure"] = str(run.draw(plan.figure))
        _progress(args, f"figure written to {payload['figure']}")
    if plan.report:
        payload["report"] = _write_run_report(args, plan, run)
    if args.json:
        _print_json(payload)
    else:
        print(format_text(run.results))
    return ExitCode.OK


def _plan(args: argparse.Namespace) -> Any:
    """The run the flags ask for (:func:`reports.experiments.plan.plan_run`)."""
    from reports.experiments.plan import plan_run

    flags = {name: getattr(args, name) for name, _, _ in _SIMULATE_FLAGS}
    return plan_run(
        experiment=args.experiment,
        config_file=args.config,
        parameters={name: value for name, value in flags.items() if value is not None},
        stationary=args.stationary,
        collapse=args.collapse,
        start=args.start,
        start_gap=args.start_gap,
        sweep=args.sweep or [],
        output=args.output,
        figure=args.figure,
        report=args.report,
        pdf=args.pdf,
    )


def _progress_lines(args: argparse.Namespace) -> Callable[[str], None] | None:
    """Where a run's progress lines go: stderr, or nowhere with ``--quiet``."""
    return None if args.quiet else partial(print, file=sys.stderr, flush=True)


def _write_run_report(args: argparse.Namespace, plan: Any, run: Any) -> dict[str, Any]:
    """``--report DIR``: the run's tables, parameters and figure (drawn to ``DIR/figures/``)
    as ``DIR/report.{tex,md}``, and ``report.pdf`` when it compiles."""
    import shlex
    from pathlib import Path

    from reports.documents.experiment import ExperimentReport, write_experiment_report

    directory = Path(plan.report)
    draw = run.draw
    figure = None if draw is None else draw(directory / "figures" / f"{run.results.kind}.pdf")
    report = ExperimentReport(
        plan.name,
        run.results,
        run.parameters,
        # the run's own arguments: presentation flags do not change what it computes
        command="dlnverify " + shlex.join(a for a in args.argv if a not in ("--quiet", "--json")),
        description=plan.description,
    )
    files = write_experiment_report(report, directory, figure=figure)
    pdf = _compile(args, files.tex, pdf=plan.pdf, can_compile=plan.can_compile)
    _progress(args, f"report written to {directory}")
    return {
        "tex": str(files.tex),
        "markdown": str(files.markdown),
        "pdf": None if pdf is None else str(pdf),
        "figure": None if figure is None else str(figure),
    }


# --- parser -------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = _Parser(
        prog="dlnverify",
        description="Symbolic-plus-numeric verifier for SGD on deep linear networks.",
    )
    parser.add_argument("--version", action="version", version=f"dlnverify {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("list", help="list the registered claims")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=_cmd_list)

    p = sub.add_parser("show", help="print a claim's derived result and derivation steps")
    p.add_argument("claim", help="claim id, e.g. C7")
    p.add_argument("--latex", action="store_true", help="print LaTeX")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=_cmd_show)

    p = sub.add_parser("verify", help="derive and Monte-Carlo-check claims (all by default)")
    p.add_argument("claims", nargs="*", metavar="CLAIM", help="claim ids (default: all)")
    p.add_argument("--seed", type=_seed, default=0, help="seed of every random draw (default 0)")
    p.add_argument("--symbolic-only", action="store_true", help="skip the Monte Carlo checks")
    _add_jobs(p)
    p.add_argument(
        "--report", metavar="PATH", type=_path, help="also write a Markdown report to PATH"
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(handler=_cmd_verify)

    p = sub.add_parser(
        "report",
        help="verify claims and write the LaTeX/PDF report (plus Markdown) to a directory",
        description="Derive and Monte-Carlo-check claims (all by default) and write "
        "DIR/report.tex with figures, DIR/report.md and, when pdflatex is available, "
        "DIR/report.pdf. Exit 0 only if every claim holds.",
    )
    p.add_argument("claims", nargs="*", metavar="CLAIM", help="claim ids (default: all)")
    p.add_argument(
        "--output",
        "-o",
        metavar="DIR",
        type=_path,
        default="report",
        help="directory (default: report)",
    )
    p.add_argument(
        "--pdf",
        choices=("auto", "yes", "no"),
        default="auto",
        help="compile report.pdf: auto (if pdflatex is found, default), yes (required), no",
    )
    p.add_argument("--no-figures", action="store_true", help="skip the matplotlib figures")
    p.add_argument(
        "--experiment",
        action="append",
        metavar="NAME",
        help="also run a shipped experiment (simulate --list-experiments; 'all': every one) at"
        " the report's seed and add its section after the claims (repeatable; information, not"
        " part of the exit code)",
    )
    p.add_argument(
        "--check",
        metavar="FILE",
        type=_path,
        help="also check the formulas of FILE (as check --file) and add a section for each;"
        " the exit code is 1 unless all are verified",
    )
    p.add_argument("--seed", type=_seed, default=0, help="seed of every random draw (default 0)")
    p.add_argument("--symbolic-only", action="store_true", help="skip the Monte Carlo checks")
    _add_jobs(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(handler=_cmd_report)

    p = sub.add_parser("check", help="check a formula of your own for a quantity")
    p.add_argument("quantity", nargs="?", help="e.g. diffusion (see --list)")
    p.add_argument("formula", nargs="?", help="SymPy syntax or LaTeX, e.g. 'kappa*L**2*s**(4-4/L)'")
    p.add_argument("--list", action="store_true", help="list quantities, symbols and conventions")
    p.add_argument(
        "--file",
        metavar="FILE",
        type=_path,
        help="check every formula of a TOML file ([[check]] tables with quantity, formula and"
        " optional name, at, syntax) instead of one",
    )
    syntax = p.add_mutually_exclusive_group()
    syntax.add_argument("--latex", action="store_true", help="the formula is LaTeX")
    syntax.add_argument("--sympy", action="store_true", help="the formula is SymPy syntax")
    p.add_argument(
        "--timeout", type=float, default=30.0, help="seconds before 'undecided' (default 30)"
    )
    p.add_argument(
        "--at",
        metavar="NAME=VALUE",
        type=_assignment,
        action="append",
        default=[],
        help="hold a parameter fixed, e.g. --at L=3 (repeatable): the formula is checked at"
        " that value only",
    )
    p.add_argument("--seed", type=_seed, default=0, help="seed of every random draw (default 0)")
    p.add_argument("--symbolic-only", action="store_true", help="skip the Monte Carlo check")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr (--file)")
    p.set_defaults(handler=_cmd_check)

    p = sub.add_parser(
        "simulate",
        help="train a network (GD, SGD, Langevin) and record modes, loss, imbalance",
        description="Train a deep linear network from small initialisation on a random teacher "
        "and record the population loss, mode and cross-mode amplitudes and the layer imbalance "
        "over time t = k*dt (dt = eta unless --dt). Values: defaults, then --experiment NAME, "
        "then --config FILE.toml, then flags.",
    )
    p.add_argument(
        "--experiment",
        metavar="NAME",
        help="start from a shipped experiment file reproducing a figure of the paper "
        "(see --list-experiments)",
    )
    p.add_argument(
        "--list-experiments", action="store_true", help="list the shipped experiments and exit"
    )
    p.add_argument(
        "--config",
        metavar="FILE",
        type=_path,
        help="TOML experiment file: parameters (top level or [simulate]), optional stationary, "
        "collapse, start and a [sweep] table; applied after --experiment",
    )
    for name, kind, text in _SIMULATE_FLAGS:
        p.add_argument(f"--{name.replace('_', '-')}", dest=name, type=kind, help=text)
    p.add_argument(
        "--sweep",
        action="append",
        metavar="KEY=V1,V2",
        help="run every combination of these values (repeatable; singular_values as "
        "'3,2,1;2,1'); summaries only",
    )
    p.add_argument(
        "--scheduler",
        default="processes",
        help="Dask scheduler of a sweep: processes (default), threads, synchronous, or a "
        "dask.distributed address tcp://host:port",
    )
    p.add_argument("--workers", type=int, help="local workers of a sweep (default: one per core)")
    p.add_argument(
        "--output", metavar="PATH", type=_path, help="save the trajectory (.npz, .json or .csv)"
    )
    p.add_argument(
        "--figure",
        metavar="PATH",
        type=_path,
        help="with --diffusion-samples: plot the diffusion along training vs Eq. 7; with "
        "--stationary: histograms of the final modes vs the derived density; with --collapse: "
        "E log|sigma_a - s_a| over time vs the rates (.pdf/.png)",
    )
    p.add_argument(
        "--stationary",
        action="store_true",
        help="run an ensemble to stationarity (label noise needed) and compare the final mode "
        "amplitudes with the derived stationary law, paper Fig. 4 and App. K (own defaults: depth 2, "
        "width 4, teacher 2,1, label noise 0.5, anisotropic, 1024 networks, 4000 steps)",
    )
    p.add_argument(
        "--collapse",
        action="store_true",
        help="without label noise: run an ensemble from near the teacher at dt and dt/2 and "
        "compare the collapse rate of each mode with C11's, paper Fig. 4 at sigma_eps = 0 (own "
        "defaults: depth 2, width 4, teacher 2,1, kappa 0.05, dt 0.0125, 2048 networks, t = 6)",
    )
    p.add_argument(
        "--start",
        choices=("aligned", "small"),
        help="with --stationary: start at the teacher on the aligned-balanced manifold "
        "(default) or from the small Gaussian initialisation",
    )
    p.add_argument(
        "--start-gap",
        type=float,
        metavar="G",
        help="with --collapse: every network starts at s_a = sigma_a (1 - G), 0 < G < 1 "
        "(default 0.01)",
    )
    p.add_argument(
        "--report",
        metavar="DIR",
        type=_path,
        help="also write the run as a report: DIR/report.tex with its figure, DIR/report.md and,"
        " when pdflatex is available, DIR/report.pdf",
    )
    p.add_argument(
        "--pdf",
        choices=("auto", "yes", "no"),
        help="with --report: compile report.pdf: auto (if pdflatex is found, default), yes "
        "(required), no",
    )
    p.add_argument("--json", action="store_true", help="machine-readable summary")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(handler=_cmd_simulate)
    return parser


def _add_jobs(parser: argparse.ArgumentParser) -> None:
    """``--jobs N`` of ``verify`` and ``report``."""
    parser.add_argument(
        "--jobs",
        "-j",
        type=_jobs,
        default=1,
        metavar="N",
        help="verify claims in N processes (default 1); the results do not depend on N",
    )


def _integer_at_least(minimum: int, name: str) -> Callable[[str], int]:
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
_seed = _integer_at_least(0, "a seed")
#: ``--jobs``: processes to verify claims in.
_jobs = _integer_at_least(1, "the number of processes")


def _assignment(text: str) -> tuple[str, str]:
    """``--at NAME=VALUE``: the pair, the value still text (checked by ``reports.check``)."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise argparse.ArgumentTypeError(f"got {text!r}, but it must look like L=3")
    return name.strip(), value.strip()


def _path(text: str) -> str:
    """A file or directory argument: any non-empty text (``''`` would mean the current
    directory, or be taken for an absent option)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("got an empty path")
    return text


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
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
    except DlnVerifyError as error:
        print(f"dlnverify: error: {error}", file=sys.stderr)
        return ExitCode.BAD_INPUT
    except MemoryError as error:  # e.g. --width 100000: one line, not a traceback
        detail = f" ({error})" if str(error) else ""
        print(
            f"dlnverify: error: not enough memory for this run{detail}; use smaller sizes"
            " (width, hidden, ensemble, diffusion samples).",
            file=sys.stderr,
        )
        return ExitCode.BAD_INPUT
    except KeyboardInterrupt:  # Ctrl-C during a long run: one line, not a traceback
        print("dlnverify: interrupted (Ctrl-C).", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # the reader closed stdout early (``dlnverify ... | head``): stop quietly, as the
        # Python documentation recommends (stdout to devnull so the exit flush cannot fail)
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
