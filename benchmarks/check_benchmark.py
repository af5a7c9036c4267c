r"""Time per ``dlnverify check`` of a correct and of a wrong formula.

A script, not a test: ``python benchmarks/check_benchmark.py`` prints a table, ``--json`` the
same numbers as JSON, ``--quick`` runs a reduced set as a smoke test.

For several quantities of ``dlnverify check --list``, :func:`reports.check` is timed on

* a **correct** formula written differently from the derived expression (expanded, factored,
  split into powers), whose verdict must be ``verified``, and
* a **wrong** formula (off by a factor 1.1, or with a wrong exponent), whose verdict must be
  ``refuted`` with a counterexample,

each once with ``monte_carlo=False`` (the symbolic verdict, **target under 2 s**) and once with
``monte_carlo=True`` (the verdict with its Monte Carlo check, **target under 15 s**).  A row
whose verdict is not the expected one stops the benchmark with :class:`AssertionError`: the
time of a wrong verdict means nothing.

Cold and warm.  SymPy caches results (``sympy.core.cache``), and the check engine caches its
compiled expressions, so the first call in a process is slower than the next ones.  Every
cold time is therefore the first call of ``check`` in a **fresh subprocess** (after the
imports, which are timed separately); that subprocess then repeats the same call in-process
for the warm times.  The cold calls of all rows run round-robin, ``k`` rounds, so that a
burst of load from other processes spreads over the rows.  The target is judged on the
**median** of the ``k`` cold times: a latency target is about what a user waits, and the
first call of a fresh ``dlnverify`` process is always cold.

End to end.  A user of the command line also pays for the interpreter start and the imports
(SciPy, SymPy, NumPy).  So one quantity is also timed as ``dlnverify check ... --json`` in a
subprocess, wall time from ``fork`` to exit, against the same targets.

BLAS threads: the issue states the targets "on two cores", so by default the child processes
run with ``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS`` and ``MKL_NUM_THREADS`` set to 2
(``--threads``; 0 leaves the environment alone), what OpenBLAS would choose by itself on a
two-core machine.  ``benchmarks/run.py`` defaults to 1 because it compares contenders that
should share the same single core; here there are no contenders, only a latency, and the
check itself is single-threaded Python (SymPy, hypothesis, mpmath) except for the small
NumPy products of the Monte Carlo part.  Exit status 0 if every target passes, 1 if one
fails, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from _common import load_average, require, table

__all__ = ["main"]

#: Seconds allowed for the symbolic verdict and for the verdict with its Monte Carlo check.
TARGETS = {"symbolic": 2.0, "with MC": 15.0}
#: Expected verdict of each kind of formula.
EXPECTED = {"correct": "verified", "wrong": "refuted"}
#: Environment variables that set the thread count of NumPy's BLAS (read at import).
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
#: A child that takes longer than this is killed (the check's own limit is 30 s).
_CHILD_TIMEOUT = 300.0
_ROOT = Path(__file__).resolve().parent.parent

_DIFFUSION = "kappa*L**2*s**(4-4/L)*(2*(sigma-s)**2+sigma_eps**2)"
_GRADIENT = "L*s**(2-2/L)*(sigma-s)"
_ITO = "kappa*L*(L-1)*s**(3-4/L)*((sigma-s)**2+sigma_eps**2/2)"
_PEAK = "((5*L-4)*sigma - sqrt(L**2*sigma**2 - 4*(3*L-2)*(L-1)*sigma_eps**2))/(2*(3*L-2))"
_THRESHOLD = "L*sigma/(2*sqrt((3*L-2)*(L-1)))"
_MEAN_ABOVE = "sigma + kappa*(L-1)*sigma**(1-2/L)*sigma_eps**2/2"


@dataclass(frozen=True)
class _Case:
    quantity: str
    kind: str  # "correct" or "wrong"
    formula: str
    how: str  # how the formula differs from the derived expression
    monte_carlo: bool = True  # False: the quantity has no Monte Carlo observable


#: (correct, wrong) formula per quantity.  The correct ones are the paper's statements (README,
#: tests/reports/test_check.py) rewritten so that SymPy must do work to see them equal.
CASES = (
    _Case(
        "diffusion",
        "correct",
        "kappa*L**2*s**4*s**(-4/L)*(2*sigma**2-4*sigma*s+2*s**2+sigma_eps**2)",
        "square expanded, power split",
    ),
    _Case("diffusion", "wrong", "1.1*" + _DIFFUSION, "factor 1.1"),
    _Case("gradient_drift", "correct", "L*sigma*s**(2-2/L) - L*s**(3-2/L)", "expanded"),
    _Case("gradient_drift", "wrong", _GRADIENT.replace("2-2/L", "2-3/L"), "exponent 2-3/L"),
    _Case(
        "ito_drift",
        "correct",
        "kappa*L*(L-1)*s**3*s**(-4/L)*(sigma**2-2*sigma*s+s**2+sigma_eps**2/2)",
        "square expanded, power split",
    ),
    _Case("ito_drift", "wrong", "1.1*" + _ITO, "factor 1.1"),
    _Case("drift", "correct", f"{_GRADIENT} + {_ITO}", "sum of the two parts"),
    _Case("drift", "wrong", f"{_GRADIENT} + 1.1*{_ITO}", "Ito part times 1.1"),
    _Case("diffusion_peak", "correct", _PEAK, "discriminant factored"),
    _Case("diffusion_peak", "wrong", f"1.1*{_PEAK}", "factor 1.1"),
    _Case("isotropic_diffusion", "correct", "T*L*s**2/s**(2/L)", "power split"),
    _Case("isotropic_diffusion", "wrong", "T*L*s**(2-1/L)", "exponent 2-1/L"),
    _Case("peak_threshold", "correct", _THRESHOLD, "radicand factored", monte_carlo=False),
    _Case("peak_threshold", "wrong", f"1.1*{_THRESHOLD}", "factor 1.1", monte_carlo=False),
    _Case(
        "stationary_mean",
        "correct",
        "sigma - kappa*(L-1)*sigma*sigma**(-2/L)*sigma_eps**2/2",
        "power split",
    ),
    _Case("stationary_mean", "wrong", _MEAN_ABOVE, "the paper's sign (+)"),
    _Case(
        "stationary_variance",
        "correct",
        "kappa*L*sigma**2/sigma**(2/L)*sigma_eps**2/2",
        "power split",
    ),
    _Case(
        "stationary_variance", "wrong", "kappa*L*sigma**(2-1/L)*sigma_eps**2/2", "exponent 2-1/L"
    ),
)
#: The quantity also timed end to end through the command line.
CLI_QUANTITY = "diffusion"
QUICK_QUANTITIES = ("diffusion", "gradient_drift")


@dataclass(frozen=True)
class _Config:
    quantities: tuple[str, ...] | None  # None: every quantity of CASES
    cold_repeats: int  # k fresh processes per row (the median is judged)
    warm_repeats: int  # in-process repeats after the cold call, per fresh process
    cli_modes: tuple[str, ...]  # modes timed end to end through the command line


FULL = _Config(quantities=None, cold_repeats=3, warm_repeats=2, cli_modes=("symbolic", "with MC"))
QUICK = _Config(
    quantities=QUICK_QUANTITIES, cold_repeats=1, warm_repeats=1, cli_modes=("symbolic",)
)


# --- the child process ---------------------------------------------------------------------


def _worker(spec_text: str) -> int:
    """Time one case in this (fresh) process; print a JSON line.  Runs in the child."""
    spec = json.loads(spec_text)
    start = time.perf_counter()
    from reports.formulas.engine import check  # the imports a first call needs, timed apart

    import_seconds = time.perf_counter() - start

    def run() -> tuple[Any, float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        result = check(
            spec["quantity"], spec["formula"], seed=spec["seed"], monte_carlo=spec["monte_carlo"]
        )
        return result, time.perf_counter() - wall, time.process_time() - cpu

    result, cold, cold_cpu = run()
    warm, verdicts = [], [result.verdict]
    for _ in range(spec["warm_repeats"]):
        again, seconds, _ = run()
        warm.append(seconds)
        verdicts.append(again.verdict)
    numeric = result.numeric
    print(
        json.dumps(
            {
                "import_seconds": import_seconds,
                "cold_seconds": cold,
                "cold_cpu_seconds": cold_cpu,
                "warm_seconds": warm,
                "verdicts": verdicts,
                "symbolic": result.symbolic,
                "counterexample": result.counterexample,
                "has_numeric": numeric is not None,
                "numeric_passed": None if numeric is None else numeric.passed,
                "max_abs_z": None if numeric is None else numeric.max_abs_z,
                "threshold": None if numeric is None else numeric.threshold,
                "message": result.message,
            }
        )
    )
    return 0


# --- the parent ----------------------------------------------------------------------------


def _child_env(threads: int) -> dict[str, str]:
    env = dict(os.environ)
    if threads:
        env.update(dict.fromkeys(_THREAD_VARIABLES, str(threads)))
    return env


def _run_child(command: Sequence[str], env: dict[str, str]) -> tuple[float, int, str, str]:
    """Wall seconds from start to exit, exit code, stdout, stderr."""
    start = time.perf_counter()
    done = subprocess.run(
        list(command),
        capture_output=True,
        text=True,
        env=env,
        cwd=_ROOT,
        timeout=_CHILD_TIMEOUT,
        check=False,
    )
    return time.perf_counter() - start, done.returncode, done.stdout, done.stderr


def _cli_command() -> list[str]:
    """The installed console script next to this interpreter, else on PATH, else its module."""
    beside = Path(sys.executable).with_name("dlnverify")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("dlnverify")
    if found:
        return [found]
    return [sys.executable, "-c", "import sys; from reports.cli import main; sys.exit(main())"]


def _summary(values: Sequence[float]) -> dict[str, float | None]:
    if not values:
        return {"median": None, "best": None, "worst": None}
    return {"median": statistics.median(values), "best": min(values), "worst": max(values)}


def _in_process_rows(config: _Config, *, seed: int, env: dict[str, str]) -> list[dict[str, Any]]:
    rows = []
    for case in CASES:
        if config.quantities is not None and case.quantity not in config.quantities:
            continue
        modes = ("symbolic", "with MC") if case.monte_carlo else ("symbolic",)
        rows += [{"case": case, "mode": mode, "children": []} for mode in modes]
    for _ in range(config.cold_repeats):  # round-robin: one cold call of every row per round
        for row in rows:
            case: _Case = row["case"]
            spec = {
                "quantity": case.quantity,
                "formula": case.formula,
                "monte_carlo": row["mode"] == "with MC",
                "seed": seed,
                "warm_repeats": config.warm_repeats,
            }
            command = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec)]
            wall, code, out, err = _run_child(command, env)
            require(
                code == 0,
                f"the child for {case.quantity} ({case.kind}, {row['mode']}) exited with {code}:"
                f" {err.strip()[-2000:]}",
            )
            child = json.loads(out.strip().splitlines()[-1])
            child["process_seconds"] = wall
            _validate(case, row["mode"], child)
            row["children"].append(child)
    return [_finish_in_process(row) for row in rows]


def _validate(case: _Case, mode: str, child: dict[str, Any]) -> None:
    """The benchmark times right verdicts only."""
    expected = EXPECTED[case.kind]
    where = f"{case.quantity} {case.formula!r} ({mode})"
    require(
        all(v == expected for v in child["verdicts"]),
        f"{where}: verdicts {child['verdicts']}, expected {expected}: {child['message']}",
    )
    if case.kind == "wrong":
        require(child["counterexample"] is not None, f"{where}: refuted without a counterexample")
    if mode == "with MC":
        require(child["has_numeric"], f"{where}: no Monte Carlo check was run")
        if case.kind == "correct":
            require(child["numeric_passed"], f"{where}: the Monte Carlo check rejects it")


def _finish_in_process(row: dict[str, Any]) -> dict[str, Any]:
    case: _Case = row["case"]
    children = row["children"]
    cold = _summary([c["cold_seconds"] for c in children])
    target = TARGETS[row["mode"]]
    numeric = [c["numeric_passed"] for c in children if c["has_numeric"]]
    return {
        "quantity": case.quantity,
        "kind": case.kind,
        "how": case.how,
        "formula": case.formula,
        "mode": row["mode"],
        "route": "check()",
        "verdict": children[0]["verdicts"][0],
        "symbolic": children[0]["symbolic"],
        "counterexample": children[0]["counterexample"],
        "monte_carlo": None if not numeric else ("agrees" if numeric[0] else "rejects"),
        "max_abs_z": children[0]["max_abs_z"],
        "cold": cold,
        "cold_cpu": _summary([c["cold_cpu_seconds"] for c in children]),
        "warm": _summary([s for c in children for s in c["warm_seconds"]]),
        "imports": _summary([c["import_seconds"] for c in children]),
        "process": _summary([c["process_seconds"] for c in children]),
        "cold_repeats": len(children),
        "warm_repeats": sum(len(c["warm_seconds"]) for c in children),
        "target": target,
        "passed": cold["median"] < target,
    }


def _cli_rows(config: _Config, *, seed: int, env: dict[str, str]) -> list[dict[str, Any]]:
    cases = [c for c in CASES if c.quantity == CLI_QUANTITY]
    rows = [{"case": c, "mode": m, "times": []} for c in cases for m in config.cli_modes]
    base = [*_cli_command(), "check"]
    for _ in range(config.cold_repeats):
        for row in rows:
            case: _Case = row["case"]
            command = [*base, case.quantity, case.formula, "--json", "--seed", str(seed)]
            if row["mode"] == "symbolic":
                command.append("--symbolic-only")
            wall, code, out, err = _run_child(command, env)
            expected = EXPECTED[case.kind]
            require(
                code in (0, 1) and out.strip().startswith("{"),
                f"dlnverify check {case.quantity} exited with {code}: {err.strip()[-2000:]}",
            )
            payload = json.loads(out)
            require(
                payload["verdict"] == expected and code == (0 if expected == "verified" else 1),
                f"dlnverify check {case.quantity} {case.formula!r}: verdict"
                f" {payload['verdict']} (exit {code}), expected {expected}",
            )
            row["times"].append(wall)
            row["verdict"] = payload["verdict"]
    out_rows = []
    for row in rows:
        case = row["case"]
        cold = _summary(row["times"])
        target = TARGETS[row["mode"]]
        out_rows.append(
            {
                "quantity": case.quantity,
                "kind": case.kind,
                "how": case.how,
                "formula": case.formula,
                "mode": row["mode"],
                "route": "CLI end to end",
                "verdict": row["verdict"],
                "cold": cold,
                "warm": _summary([]),
                "cold_repeats": len(row["times"]),
                "target": target,
                "passed": cold["median"] < target,
            }
        )
    return out_rows


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _usable_cpus() -> int | None:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count()


def _run(config: _Config, *, seed: int, threads: int, mode: str) -> dict[str, Any]:
    env = _child_env(threads)
    meta: dict[str, Any] = {
        "mode": mode,
        "seed": seed,
        "python": platform.python_version(),
        **{name: _version(name) for name in ("dlnverify", "sympy", "numpy", "hypothesis")},
        "mpmath": _version("mpmath"),
        "scipy": _version("scipy"),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "usable_cpus": _usable_cpus(),
        "threads": threads,
        "thread_env": {k: env.get(k) for k in _THREAD_VARIABLES},
        "cli_command": _cli_command(),
        "load_average_before": load_average(),
        "timing": (
            "time.perf_counter; cold = first check() call in a fresh subprocess (imports timed"
            " apart), k subprocesses per row run round-robin over the rows; warm = the same"
            " call repeated in those subprocesses; CLI = wall time of the whole"
            " `dlnverify check --json` process; targets judged on the median cold time"
        ),
        "targets_seconds": TARGETS,
        "config": asdict(config),
    }
    started = time.perf_counter()
    wall, _, _, _ = _run_child([sys.executable, "-c", "pass"], env)
    meta["interpreter_start_seconds"] = wall
    rows = _in_process_rows(config, seed=seed, env=env)
    rows += _cli_rows(config, seed=seed, env=env)
    meta["load_average_after"] = load_average()
    meta["wall_seconds"] = round(time.perf_counter() - started, 1)
    return {"meta": meta, "rows": rows, "all_passed": all(r["passed"] for r in rows)}


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 1.0:
        return f"{value:.2f} s"
    return f"{value * 1e3:.0f} ms"


def _render(results: dict[str, Any]) -> str:
    meta, rows = results["meta"], results["rows"]
    config = meta["config"]
    out = [
        f"dlnverify check benchmark ({meta['mode']}): dlnverify {meta['dlnverify']},"
        f" python {meta['python']}, sympy {meta['sympy']}, numpy {meta['numpy']},"
        f" hypothesis {meta['hypothesis']}; {meta['usable_cpus']} usable cpus, BLAS threads"
        f" {meta['thread_env']['OPENBLAS_NUM_THREADS'] or 'default'}, seed {meta['seed']}",
        f"cold = first check() in a fresh process, median of {config['cold_repeats']}"
        f" (best in brackets); warm = in-process repeat, median of"
        f" {config['cold_repeats'] * config['warm_repeats']};"
        f" imports {_seconds(_median(rows, 'imports'))} and interpreter start"
        f" {_seconds(meta['interpreter_start_seconds'])} not included (see the CLI rows)",
        "",
    ]
    table_rows = []
    for r in rows:
        cold = f"{_seconds(r['cold']['median'])} [{_seconds(r['cold']['best'])}]"
        table_rows.append(
            [
                r["quantity"],
                f"{r['kind']} ({r['how']})",
                r["mode"],
                r["route"],
                r["verdict"],
                r.get("monte_carlo") or "-",
                cold,
                _seconds(r["cold_cpu"]["median"]) if "cold_cpu" in r else "-",
                _seconds(r["warm"]["median"]),
                f"< {r['target']:g} s",
                "PASS" if r["passed"] else "FAIL",
            ]
        )
    out.append(
        table(
            [
                "quantity",
                "formula",
                "mode",
                "route",
                "verdict",
                "MC",
                "cold [best]",
                "cold cpu",
                "warm",
                "target",
                "status",
            ],
            table_rows,
        )
    )
    failed = [r for r in rows if not r["passed"]]
    out += [
        "",
        f"load average before {meta['load_average_before']}, after {meta['load_average_after']};"
        f" wall time {meta['wall_seconds']} s",
        "all targets passed"
        if not failed
        else f"SOME TARGETS FAILED ({len(failed)} of {len(rows)} rows)",
    ]
    return "\n".join(out)


def _median(rows: Sequence[dict[str, Any]], key: str) -> float | None:
    values = [r[key]["median"] for r in rows if key in r]
    return statistics.median(values) if values else None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; return 0 if every target passes, 1 otherwise."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"only {', '.join(QUICK_QUANTITIES)}, one cold run each, a smoke test (~35 s)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed passed to check (default 0)")
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help=f"fresh processes per row (default {FULL.cold_repeats}, --quick"
        f" {QUICK.cold_repeats}); the median cold time is judged",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=2,
        help="BLAS/OpenMP threads of the timed processes (default 2: the targets are for two"
        " cores; 0 leaves the environment alone)",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker is not None:
        return _worker(args.worker)
    if args.seed < 0:
        parser.error(f"Got --seed {args.seed}, but --seed must be an integer >= 0.")
    if args.threads < 0:
        parser.error(f"Got --threads {args.threads}, but --threads must be an integer >= 0.")
    if args.repeats is not None and args.repeats < 1:
        parser.error(f"Got --repeats {args.repeats}, but --repeats must be an integer >= 1.")
    config = QUICK if args.quick else FULL
    if args.repeats is not None:
        config = _Config(config.quantities, args.repeats, config.warm_repeats, config.cli_modes)
    results = _run(
        config, seed=args.seed, threads=args.threads, mode="quick" if args.quick else "full"
    )
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(_render(results))
    return 0 if results["all_passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
