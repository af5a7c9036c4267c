"""``dlnverify report [CLAIM ...]``: verify claims and write the report to a directory: HTML
(the file to open), LaTeX/PDF and Markdown, with sections for shipped experiments and
formulas of one's own; every figure is drawn once, for the PDF and the HTML."""

from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path
from typing import Any

from reports.cli._common import (
    ExitCode,
    add_jobs,
    add_seed,
    compile_report,
    nonempty_path,
    print_json,
    progress,
    progress_lines,
    usage,
    verify_with_progress,
)

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``report`` to ``subparsers``."""
    parser = subparsers.add_parser(
        "report",
        help="verify claims and write the report (HTML, LaTeX/PDF, Markdown) to a directory",
        description="Derive and Monte-Carlo-check claims (all by default) and write "
        "DIR/report.html (one self-contained file to open in a browser), DIR/report.tex with "
        "figures, DIR/report.md and, when pdflatex is available, DIR/report.pdf. Exit 0 only "
        "if every claim holds, every formula of --check is verified and no step of "
        "--check-steps is refuted or undecided.",
    )
    parser.add_argument("claims", nargs="*", metavar="CLAIM", help="claim ids (default: all)")
    parser.add_argument(
        "--output",
        "-o",
        metavar="DIR",
        type=nonempty_path,
        default="report",
        help="directory (default: report)",
    )
    parser.add_argument(
        "--pdf",
        choices=("auto", "yes", "no"),
        default="auto",
        help="compile report.pdf: auto (if pdflatex is found, default), yes (required), no",
    )
    parser.add_argument("--no-figures", action="store_true", help="skip the matplotlib figures")
    _add_sections(parser)
    add_seed(parser)
    parser.add_argument("--symbolic-only", action="store_true", help="skip the Monte Carlo checks")
    add_jobs(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.set_defaults(handler=run)


def _add_sections(parser: argparse.ArgumentParser) -> None:
    """``--experiment``, ``--check`` and ``--check-steps``: sections after the claims."""
    parser.add_argument(
        "--experiment",
        action="append",
        metavar="NAME",
        help="also run a shipped experiment (simulate --list-experiments; 'all': every one) at"
        " the report's seed and add its section after the claims (repeatable; information, not"
        " part of the exit code)",
    )
    parser.add_argument(
        "--check",
        metavar="FILE",
        type=nonempty_path,
        help="also check the formulas of FILE (as check --file) and add a section for each;"
        " the exit code is 1 unless all are verified",
    )
    parser.add_argument(
        "--check-steps",
        metavar="FILE",
        type=nonempty_path,
        help="also check the derivation chains of FILE step by step (as check-steps FILE, at"
        " the report's seed; '-' reads standard input) and add a section per chain; FILE is"
        " checked before the claims, so a bad one is refused at once; the exit code is 1 when"
        " a step is refuted or undecided",
    )


def run(args: argparse.Namespace) -> int:
    """Check the options and the formula file, check the derivation file step by step,
    verify the claims, check the formulas, run the experiments, write the report; exit 0
    only if every claim holds, every formula is verified and no step of the derivation is
    refuted or undecided (its exit code)."""
    from reports.formulas.files import check_formulas, load_formulas
    from reports.render.figures import svg_copies
    from reports.render.latex import check_report_output

    if args.check == args.check_steps == "-":
        raise usage("--check and --check-steps cannot both read standard input ('-'); give a file")
    directory = Path(args.output)
    can_compile = check_report_output(args.output, flag="--output", pdf=args.pdf)
    names = _experiment_names(args.experiment or [])
    entries = [] if args.check is None else load_formulas(args.check)  # refused before any work
    steps = None if args.check_steps is None else _checked_steps(args)  # refused, or checked
    outcomes = verify_with_progress(args)
    results = check_formulas(
        entries,
        seed=args.seed,
        monte_carlo=not args.symbolic_only,
        progress=partial(progress, args),
    )
    formulas = list(zip(entries, results, strict=True))
    with svg_copies() as svg:  # each figure drawn once: PDF for report.tex, SVG for report.html
        experiments = [
            _report_experiment(args, name, directory, f"[{index}/{len(names)}]")
            for index, name in enumerate(names, 1)
        ]
        written = _write(args, directory, outcomes, formulas, experiments, steps, can_compile, svg)
    all_verified = all(result.verified for result in results)
    all_hold = all(o.holds for o in outcomes)
    steps_hold = steps is None or steps.exit_code == ExitCode.OK
    if args.json:
        _print_json(all_hold, written, outcomes, formulas, experiments, steps)
    else:
        _print_summary(directory, written, outcomes, formulas, experiments, steps)
    return ExitCode.OK if all_hold and all_verified and steps_hold else ExitCode.FAILED


def _checked_steps(args: argparse.Namespace) -> Any:
    """``report --check-steps FILE``: the file checked as ``check-steps FILE`` does (its
    default limits, the report's seed), before any claim: bad input is refused at once."""
    from reports.formulas.chain import check_steps_file

    return check_steps_file(args.check_steps, seed=args.seed, progress=progress_lines(args))


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
    args: argparse.Namespace, name: str, directory: Path, counter: str
) -> tuple[Any, Any]:
    """Run the shipped experiment ``name`` at the report's seed, as ``simulate --experiment
    NAME --seed S`` would, and return its report and figure (in ``directory/figures``);
    progress lines start with ``counter`` and end with the time taken."""
    import shlex
    import time

    from reports.documents.experiment import ExperimentReport
    from reports.experiments.plan import plan_run
    from reports.experiments.runs import run_plan

    progress(args, f"{counter} experiment {name} ...")
    start = time.perf_counter()
    plan = plan_run(experiment=name, parameters={"seed": args.seed})
    run = run_plan(plan, progress=progress_lines(args), sweep_figure=not args.no_figures)
    figure = None
    if run.draw is not None and not args.no_figures:
        figure = run.draw(directory / "figures" / f"experiment-{name}.pdf")
    verdict = run.results.verdict or "done"
    progress(args, f"      {verdict} ({time.perf_counter() - start:.1f} s)")
    argv = ["simulate", "--experiment", name, "--seed", str(args.seed)]
    report = ExperimentReport(
        name,
        run.results,
        run.parameters,
        command="dlnverify " + shlex.join(argv),
        description=plan.description,
        kind=plan.figure_kind,
    )
    return report, figure


def _write(
    args: argparse.Namespace,
    directory: Path,
    outcomes: list[Any],
    formulas: list[tuple[Any, Any]],
    experiments: list[tuple[Any, Any]],
    steps: Any,
    can_compile: bool,
    svg: dict[Path, str],
) -> dict[str, Any]:
    """Write ``report.tex`` with its figures, ``report.md`` and ``report.html`` (the figures
    inlined from their ``svg`` copies), compile ``report.pdf``; the files written."""
    from reports.documents.html import write_html_report
    from reports.documents.markdown import write_report
    from reports.documents.verification import write_latex_report
    from reports.render.latex import relative_inside

    files = write_latex_report(
        outcomes,
        directory,
        seed=args.seed,
        figures=not args.no_figures,
        experiments=experiments,
        formulas=formulas,
        steps=steps,
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
        steps=steps,
    )
    html = write_html_report(
        outcomes,
        directory,
        seed=args.seed,
        figures=files.claim_figures,
        svg=svg,
        experiments=experiments,
        formulas=formulas,
        steps=steps,
    )
    pdf = compile_report(args, files.tex, pdf=args.pdf, can_compile=can_compile)
    figures = [*files.figures, *(figure for _, figure in experiments if figure is not None)]
    return {
        "html": str(html),
        "tex": str(files.tex),
        "markdown": str(markdown),
        "pdf": None if pdf is None else str(pdf),
        "figures": [str(f) for f in figures],
    }


def _print_json(
    all_hold: bool,
    written: dict[str, Any],
    outcomes: list[Any],
    formulas: list[tuple[Any, Any]],
    experiments: list[tuple[Any, Any]],
    steps: Any,
) -> None:
    from reports.formulas.files import named_json

    runs = [
        {"name": report.name, "verdict": report.results.verdict, "holds": report.results.holds}
        for report, _ in experiments
    ]
    print_json(
        {
            "all_hold": all_hold,
            "files": written,
            "claims": [o.to_json() for o in outcomes],
            "formulas": [named_json(e, r) for e, r in formulas],
            "experiments": runs,
            "steps": None if steps is None else steps.to_json(),
        }
    )


def _print_summary(
    directory: Path,
    written: dict[str, Any],
    outcomes: list[Any],
    formulas: list[tuple[Any, Any]],
    experiments: list[tuple[Any, Any]],
    steps: Any,
) -> None:
    held = sum(o.holds for o in outcomes)
    print(f"{held} of {len(outcomes)} claims hold.")
    if formulas:
        verified = sum(r.verified for _, r in formulas)
        print(f"{verified} of {len(formulas)} of your formulas verified.")
    if steps is not None:
        print(f"your derivation: {steps.summary()}")
    for report, _ in experiments:
        verdict = f": {report.results.verdict}" if report.results.verdict else ""
        print(f"experiment {report.name}{verdict}")
    for kind in ("html", "pdf", "tex", "markdown"):
        if written[kind]:
            print(f"{kind}: {written[kind]}")
    print(f"figures: {len(written['figures'])} in {directory / 'figures'}")
