"""``dlnverify simulate``: train a network, run a stationary ensemble, the collapse experiment
or a sweep of them; the run is planned by :func:`reports.experiments.plan.plan_run` and run
by :func:`reports.experiments.runs.run_plan`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from reports.cli._common import (
    ExitCode,
    compile_report,
    nonempty_path,
    print_json,
    progress,
    progress_lines,
    table,
    usage,
)
from reports.experiments.tables import format_text

if TYPE_CHECKING:
    from reports.experiments.plan import RunPlan
    from reports.experiments.runs import Run

__all__ = ["add_parser", "run"]

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
    ("dtype", str, "working precision of the anisotropic step: float64 (default) or float32"),
    (
        "diffusion_samples",
        int,
        "record the empirical modewise diffusion from N fresh samples per record and compare "
        "it with Eq. 7 (default 0: off)",
    ),
)


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``simulate`` to ``subparsers``."""
    parser = subparsers.add_parser(
        "simulate",
        help="train a network (GD, SGD, Langevin) and record modes, loss, imbalance",
        description="Train a deep linear network from small initialisation on a random teacher "
        "and record the population loss, mode and cross-mode amplitudes and the layer imbalance "
        "over time t = k*dt (dt = eta unless --dt). Values: defaults, then --experiment NAME, "
        "then --config FILE.toml, then flags.",
    )
    _add_configuration(parser)
    _add_sweep(parser)
    _add_files(parser)
    _add_kinds(parser)
    _add_report(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable summary")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    # what --list-experiments would ignore: every option of a run (all default to None or False)
    run_options = {
        action.dest: action.option_strings[0]
        for action in parser._actions
        if action.option_strings and action.dest not in _LISTING_OPTIONS
    }
    parser.set_defaults(handler=run, run_options=run_options)


#: Options that ``--list-experiments`` uses (the others describe a run, which it does not make).
_LISTING_OPTIONS = ("help", "list_experiments", "json", "quiet")


def _add_configuration(parser: argparse.ArgumentParser) -> None:
    """``--experiment``, ``--list-experiments``, ``--config`` and a flag per parameter."""
    parser.add_argument(
        "--experiment",
        metavar="NAME",
        help="start from a shipped experiment file reproducing a figure of the paper "
        "(see --list-experiments)",
    )
    parser.add_argument(
        "--list-experiments", action="store_true", help="list the shipped experiments and exit"
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        type=nonempty_path,
        help="TOML experiment file: parameters (top level or [simulate]), optional stationary, "
        "collapse, start and a [sweep] table; applied after --experiment",
    )
    for name, kind, text in _SIMULATE_FLAGS:
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            dest=name,
            type=_ascii_number(kind) if kind in (int, float) else kind,
            help=text,
        )


def _ascii_number(kind: type) -> Any:
    """An argparse type: ``kind(text)`` of text in ASCII (``int`` and ``float`` also read
    digits of other scripts, ``'٤'`` and ``'４'`` as 4: the number given is the one written)."""

    def parse(text: str) -> int | float:
        if not text.isascii():
            raise argparse.ArgumentTypeError(
                f"got {text!r}, but a number is written in ASCII (digits 0-9)"
            )
        try:
            return kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid {kind.__name__} value: {text!r}") from None

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


def _add_sweep(parser: argparse.ArgumentParser) -> None:
    """``--sweep`` and where a sweep runs."""
    parser.add_argument(
        "--sweep",
        action="append",
        metavar="KEY=V1,V2",
        help="run every combination of these values (repeatable; singular_values as "
        "'3,2,1;2,1'); summaries only",
    )
    parser.add_argument(
        "--scheduler",
        type=_scheduler,
        help="Dask scheduler of a sweep (refused without one): processes (default), threads, "
        "synchronous, or a dask.distributed address tcp://host:port",
    )
    parser.add_argument(
        "--workers",
        type=_ascii_number(int),
        help="local workers of a sweep on processes or threads (default: one per core)",
    )


def _scheduler(text: str) -> str:
    """An argparse type: a local Dask scheduler's name or a ``tcp://HOST:PORT`` address
    (:func:`reports.experiments.cluster.scheduler_address`), read before anything runs."""
    from dlnverify.errors import InvalidParameter
    from reports.experiments.cluster import scheduler_address
    from reports.experiments.sweep import LOCAL_SCHEDULERS

    if text not in LOCAL_SCHEDULERS:
        try:
            scheduler_address(text, local=LOCAL_SCHEDULERS)
        except InvalidParameter as error:
            raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _add_files(parser: argparse.ArgumentParser) -> None:
    """``--output`` and ``--figure``."""
    parser.add_argument(
        "--output",
        metavar="PATH",
        type=nonempty_path,
        help="save the trajectory (.npz, .json or .csv)",
    )
    parser.add_argument(
        "--figure",
        metavar="PATH",
        type=nonempty_path,
        help="with --diffusion-samples: plot the diffusion along training vs Eq. 7; with "
        "--stationary: histograms of the final modes vs the derived density; with --collapse: "
        "E log|sigma_a - s_a| over time vs the rates (.pdf/.png)",
    )


def _add_kinds(parser: argparse.ArgumentParser) -> None:
    """``--stationary``, ``--collapse`` and their starts."""
    parser.add_argument(
        "--stationary",
        action="store_true",
        help="run an ensemble to stationarity (label noise needed) and compare the final mode "
        "amplitudes with the derived stationary law, paper Fig. 4 and App. K (own defaults: depth 2, "
        "width 4, teacher 2,1, label noise 0.5, anisotropic, 1024 networks, 4000 steps)",
    )
    parser.add_argument(
        "--collapse",
        action="store_true",
        help="without label noise: run an ensemble from near the teacher at dt and dt/2 and "
        "compare the collapse rate of each mode with C11's, paper Fig. 4 at sigma_eps = 0 (own "
        "defaults: depth 2, width 4, teacher 2,1, kappa 0.05, dt 0.0125, 2048 networks, t = 6)",
    )
    parser.add_argument(
        "--start",
        choices=("aligned", "small"),
        help="with --stationary: start at the teacher on the aligned-balanced manifold "
        "(default) or from the small Gaussian initialisation",
    )
    parser.add_argument(
        "--start-gap",
        type=_ascii_number(float),
        metavar="G",
        help="with --collapse: every network starts at s_a = sigma_a (1 - G), 0 < G < 1 "
        "(default 0.01)",
    )


def _add_report(parser: argparse.ArgumentParser) -> None:
    """``--report`` and ``--pdf``."""
    parser.add_argument(
        "--report",
        metavar="DIR",
        type=nonempty_path,
        help="also write the run as a report with its figure: DIR/report.html (self-contained),"
        " DIR/report.tex, DIR/report.md and, when pdflatex is available, DIR/report.pdf",
    )
    parser.add_argument(
        "--pdf",
        choices=("auto", "yes", "no"),
        help="with --report: compile report.pdf: auto (if pdflatex is found, default), yes "
        "(required), no",
    )


def run(args: argparse.Namespace) -> int:
    """List the shipped experiments, or plan and run one run; draw its figure, write its
    report, print its summary."""
    if args.list_experiments:
        return _list_experiments(args)
    from reports.experiments.runs import run_plan

    plan = _plan(args)
    done = run_plan(
        plan,
        scheduler=args.scheduler or "processes",  # the default of a sweep's --scheduler
        workers=args.workers,
        progress=progress_lines(args),
        sweep_figure=plan.report is not None,  # a report carries its figure, a sweep's too
    )
    payload = dict(done.payload)
    if plan.figure and done.draw is not None:
        payload["figure"] = str(done.draw(plan.figure))
        progress(args, f"figure written to {payload['figure']}")
    if plan.report:
        payload["report"] = _write_run_report(args, plan, done)
    if args.json:
        print_json(payload)
    else:
        print(format_text(done.results))
    return ExitCode.OK


def _list_experiments(args: argparse.Namespace) -> int:
    """``--list-experiments``: the shipped experiments and what each reproduces; an option
    of a run beside it, which it would ignore, is refused naming it."""
    from reports.experiments.files import shipped_experiments

    given = [
        flag for dest, flag in args.run_options.items() if getattr(args, dest) not in (None, False)
    ]
    if given:
        raise usage(
            f"--list-experiments lists the shipped experiments and runs nothing, but"
            f" {', '.join(given)} describe{'s' if len(given) == 1 else ''} a run; drop"
            f" {'it' if len(given) == 1 else 'them'}, or drop --list-experiments"
        )

    shipped = shipped_experiments()
    if args.json:
        print_json({"experiments": [{"name": n, "description": t} for n, t in shipped.items()]})
    else:
        rows = [[name, text] for name, text in shipped.items()]
        print(table(rows, ["experiment", "what it reproduces"]))
    return ExitCode.OK


def _plan(args: argparse.Namespace) -> RunPlan:
    """The run the flags ask for (:func:`reports.experiments.plan.plan_run`)."""
    from reports.experiments.kind import ExperimentKind
    from reports.experiments.plan import plan_run

    flags = {name: getattr(args, name) for name, _, _ in _SIMULATE_FLAGS}
    return plan_run(
        experiment=args.experiment,
        config_file=args.config,
        parameters={name: value for name, value in flags.items() if value is not None},
        kinds=[
            kind
            for kind, asked in (
                (ExperimentKind.STATIONARY, args.stationary),
                (ExperimentKind.COLLAPSE, args.collapse),
            )
            if asked
        ],
        start=args.start,
        start_gap=args.start_gap,
        sweep=args.sweep or [],
        output=args.output,
        figure=args.figure,
        report=args.report,
        pdf=args.pdf,
        scheduler=args.scheduler,
        workers=args.workers,
    )


def _write_run_report(args: argparse.Namespace, plan: RunPlan, done: Run) -> dict[str, Any]:
    """``--report DIR``: the run's tables, parameters and figure (drawn to ``DIR/figures/``)
    as ``DIR/report.{html,tex,md}``, and ``report.pdf`` when it compiles; the files written."""
    import shlex
    from pathlib import Path

    from reports.documents.experiment import ExperimentReport, write_experiment_report
    from reports.render.figures import svg_copies

    directory = Path(str(plan.report))
    draw = done.draw
    with svg_copies() as svg:  # drawn once: PDF for report.tex, SVG for report.html
        figure = None if draw is None else draw(directory / "figures" / f"{done.results.kind}.pdf")
    report = ExperimentReport(
        plan.name,
        done.results,
        done.parameters,
        # the run's own arguments: presentation flags do not change what it computes
        command="dlnverify " + shlex.join(a for a in args.argv if a not in ("--quiet", "--json")),
        description=plan.description,
        kind=plan.figure_kind,
    )
    files = write_experiment_report(report, directory, figure=figure, svg=svg)
    pdf = compile_report(args, files.tex, pdf=plan.pdf, can_compile=plan.can_compile)
    progress(args, f"report written to {directory}")
    return {
        "html": str(files.html),
        "tex": str(files.tex),
        "markdown": str(files.markdown),
        "pdf": None if pdf is None else str(pdf),
        "figure": None if figure is None else str(figure),
    }
