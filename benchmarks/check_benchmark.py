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
from dataclasses import asdict, dataclass, replace
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
_GF_SOLUTION = "sigma/(1+(sigma/s0-1)*exp(-2*sigma*t))"
_GF_TIME_L2 = "log(s*(sigma - s0)/(s0*(sigma - s)))/(2*sigma)"
_CROSS = "kappa*((s**2-s_b**2)/(s**(2/L)-s_b**(2/L)))**2*((sigma-s)**2+sigma_eps**2)"
_OWN_ITO = "kappa*L*(L-1)/2*s**(3-4/L)*(2*(sigma-s)**2+sigma_eps**2)"
_Q = "(s_b/s)**(2/L)"
_TWO_MODE = (
    f"{_OWN_ITO} + kappa*(sigma-s)*(sigma_b-s_b)*s**(2-2/L)*s_b**(1-2/L)"
    f"*{_Q}*(({_Q})**L - L*{_Q} + L - 1)/(1-{_Q})**2"
)
_SHIFT = "kappa*(L-1)*sigma**(1-2/L)*sigma_eps**2/2"
_DENSITY_L1 = "(2*(sigma-s)**2+sigma_eps**2)**(-1-1/(2*kappa))"
_HALF_L2 = "log(sigma/s0 - 1)/(2*sigma)"
_IMBALANCE = (
    "kappa*((sigma_b-s_b)**2-(sigma-s)**2)*s**(2/L)*(s**(2-2/L)-s_b**(2-2/L))/(s**(2/L)-s_b**(2/L))"
)
_NETWORK_MEAN = "sigma - kappa*sigma_eps**2/2*(L-1)*sigma**(1-2/L)*(1 + (m + n - 2)/L)"
_PLATEAU = "sigma**2*(r-k)*(r-k+1)*(2*(r-k)+1)/12 + m*sigma_eps**2/2"
_POPULATION_LOSS = "((sigma-s)**2 + (sigma_b-s_b)**2 + m*sigma_eps**2)/2"


@dataclass(frozen=True)
class _ListCase:
    """One formula for one quantity of ``check --list``, checked end to end as a user would:
    ``dlnverify check QUANTITY FORMULA --json [--at ...]`` (Monte Carlo where it has one)."""

    quantity: str
    kind: str  # "correct" or "wrong"
    formula: str
    at: str | None = None  # --at, for a quantity checked at one depth


#: A correct and a wrong formula for every scalar quantity of ``check --list``: the correct ones
#: are the hand-derived statements of the tests (tests/reports/claims/, formulas/), the wrong
#: ones off by a factor, an exponent or a term.  The list is checked against ``check --list``.
LIST_CASES = (
    *(_ListCase(c.quantity, c.kind, c.formula) for c in CASES),
    _ListCase("collapse_rate", "correct", "L*sigma**2/sigma**(2/L) + kappa*L**2*sigma**(4-4/L)"),
    _ListCase("collapse_rate", "wrong", "L*sigma**(2-2/L) + 1.1*kappa*L**2*sigma**(4-4/L)"),
    _ListCase("cross_mode_diffusion", "correct", _CROSS),
    _ListCase("cross_mode_diffusion", "wrong", f"1.1*{_CROSS}"),
    _ListCase(
        "gf_solution", "correct", "s0*sigma*exp(2*sigma*t)/(sigma + s0*(exp(2*sigma*t) - 1))"
    ),
    _ListCase("gf_solution", "wrong", _GF_SOLUTION.replace("-2*sigma*t", "-sigma*t")),
    _ListCase("gf_time", "correct", _GF_TIME_L2, at="L=2"),
    _ListCase("gf_time", "wrong", f"1.1*{_GF_TIME_L2}", at="L=2"),
    _ListCase("rebalancing_drift", "correct", "kappa*sigma_eps**2*(m-n)*sigma**2/sigma**(2/L)"),
    _ListCase("rebalancing_drift", "wrong", "1.1*kappa*sigma_eps**2*(m-n)*sigma**(2-2/L)"),
    _ListCase("singularity_exponent", "correct", "-2 - sigma**(2/L)/(kappa*L*sigma**2)"),
    _ListCase("singularity_exponent", "wrong", "-2 - 1.1/(kappa*L*sigma**(2-2/L))"),
    _ListCase("stationary_density", "correct", _DENSITY_L1, at="L=1"),
    _ListCase("stationary_density", "wrong", _DENSITY_L1.replace("-1-1/", "-1-1.1/"), at="L=1"),
    _ListCase("stationary_mode", "correct", f"sigma - 3*{_SHIFT}"),
    _ListCase("stationary_mode", "wrong", f"sigma - {_SHIFT}"),
    _ListCase("two_mode_drift", "correct", f"{_GRADIENT} + {_TWO_MODE}"),
    _ListCase("two_mode_drift", "wrong", f"{_GRADIENT} + {_OWN_ITO}"),
    _ListCase("two_mode_ito_drift", "correct", _TWO_MODE),
    _ListCase("two_mode_ito_drift", "wrong", f"1.1*({_TWO_MODE})"),
    _ListCase("batch_noise_factor", "correct", "(N-B)/(B*(N-1))"),
    _ListCase("batch_noise_factor", "wrong", "1.1*(N-B)/(B*(N-1))"),
    _ListCase("cross_mode_drift", "correct", "0"),
    _ListCase("cross_mode_drift", "wrong", "kappa*sigma_eps**2*s*s_b"),
    _ListCase("half_time", "correct", _HALF_L2, at="L=2"),
    _ListCase("half_time", "wrong", f"1.1*{_HALF_L2}", at="L=2"),
    _ListCase("imbalance_drift", "correct", _IMBALANCE),
    _ListCase("imbalance_drift", "wrong", f"1.1*{_IMBALANCE}"),
    _ListCase("isotropic_ito_drift", "correct", "0"),
    _ListCase("isotropic_ito_drift", "wrong", "T*(L-1)*s**(1-2/L)/2"),
    _ListCase("network_mean", "correct", _NETWORK_MEAN),
    _ListCase("network_mean", "wrong", f"1.1*({_NETWORK_MEAN})"),
    _ListCase("plateau_loss", "correct", _PLATEAU),
    _ListCase("plateau_loss", "wrong", f"2*({_PLATEAU})"),
    _ListCase("population_loss", "correct", _POPULATION_LOSS),
    _ListCase("population_loss", "wrong", f"1.1*{_POPULATION_LOSS}"),
)
#: Goal for the whole list, end to end: p95 under 5 s, no quantity over 15 s.
LIST_TARGETS = {"p95": 5.0, "max": 15.0}
#: The quantity also timed end to end through the command line.
CLI_QUANTITY = "diffusion"
QUICK_QUANTITIES = ("diffusion", "gradient_drift")


@dataclass(frozen=True)
class _Config:
    quantities: tuple[str, ...] | None  # None: every quantity of CASES
    cold_repeats: int  # k fresh processes per row (the median is judged)
    warm_repeats: int  # in-process repeats after the cold call, per fresh process
    cli_modes: tuple[str, ...]  # modes timed end to end through the command line
    sections: tuple[str, ...] = ("check", "list")  # what runs: the check() rows, the list
    profile: bool = True  # profile every listed quantity over the 5 s goal once


FULL = _Config(quantities=None, cold_repeats=3, warm_repeats=2, cli_modes=("symbolic", "with MC"))
QUICK = _Config(
    quantities=QUICK_QUANTITIES,
    cold_repeats=1,
    warm_repeats=1,
    cli_modes=("symbolic",),
    sections=("check",),
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


def _under(value: float | None, target: float) -> bool:
    return value is not None and value < target


def _summary(values: Sequence[float]) -> dict[str, float | None]:
    if not values:
        return {"median": None, "best": None, "worst": None}
    return {"median": statistics.median(values), "best": min(values), "worst": max(values)}


def _in_process_rows(config: _Config, *, seed: int, env: dict[str, str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for listed in CASES:
        if config.quantities is not None and listed.quantity not in config.quantities:
            continue
        modes = ("symbolic", "with MC") if listed.monte_carlo else ("symbolic",)
        rows += [{"case": listed, "mode": mode, "children": []} for mode in modes]
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
        "passed": _under(cold["median"], target),
    }


def _cli_rows(config: _Config, *, seed: int, env: dict[str, str]) -> list[dict[str, Any]]:
    cases = [c for c in CASES if c.quantity == CLI_QUANTITY]
    rows: list[dict[str, Any]] = [
        {"case": c, "mode": m, "times": []} for c in cases for m in config.cli_modes
    ]
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
                "passed": _under(cold["median"], target),
            }
        )
    return out_rows


# --- the whole `check --list`, end to end ---------------------------------------------------


def _listed_quantities(env: dict[str, str]) -> list[str]:
    """The scalar quantities ``dlnverify check --list --json`` names."""
    _, code, out, err = _run_child([*_cli_command(), "check", "--list", "--json"], env)
    require(code == 0, f"dlnverify check --list --json exited with {code}: {err.strip()[-500:]}")
    return [entry["name"] for entry in json.loads(out)["quantities"]]


def _list_command(case: _ListCase, seed: int) -> list[str]:
    command = ["check", case.quantity, case.formula, "--json", "--seed", str(seed)]
    return command + ([] if case.at is None else ["--at", case.at])


def _profile_line(case: _ListCase, seed: int, env: dict[str, str]) -> str:
    """Where a slow check spends its time: one more cold run under cProfile; the deepest
    function of the project holding at least half of the time, and the largest self time."""
    import pstats
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        stats_file = str(Path(folder) / "check.prof")
        code = (
            "import cProfile\nfrom reports.cli import main\nprofile = cProfile.Profile()\n"
            f"profile.enable()\ntry:\n    main({_list_command(case, seed)!r})\n"
            f"finally:\n    profile.disable()\n    profile.dump_stats({stats_file!r})\n"
        )
        _, exit_code, _, err = _run_child([sys.executable, "-c", code], env)
        if not Path(stats_file).exists():
            return f"no profile (exit {exit_code}: {err.strip()[-200:]})"
        stats = pstats.Stats(stats_file).stats  # type: ignore[attr-defined]
    total = max(entry[3] for entry in stats.values())
    root = str(_ROOT)
    holding = [
        (entry[3], f"{Path(file).relative_to(root)}:{name}")
        for (file, _, name), entry in stats.items()
        if file.startswith(root) and "/cli/" not in file and entry[3] >= total / 2
    ]
    self_time = max(stats.items(), key=lambda item: item[1][2])
    (file, _, name), entry = self_time
    deepest = f"{min(holding)[1]} {min(holding)[0]:.1f} s of {total:.1f} s" if holding else "-"
    return f"{deepest}; largest self time {Path(file).name}:{name} {entry[2]:.1f} s"


def _list_rows(config: _Config, *, seed: int, env: dict[str, str]) -> dict[str, Any]:
    """Every scalar quantity of ``check --list``, a correct and a wrong formula, each a cold
    ``dlnverify check ... --json`` process (Monte Carlo where the quantity has it), ``k``
    rounds round-robin; p50 and p95 over the rows' median times."""
    listed = _listed_quantities(env)
    covered = {case.quantity for case in LIST_CASES}
    require(
        covered == set(listed),
        f"the benchmark's cases {sorted(covered ^ set(listed))} do not match check --list",
    )
    rows: list[dict[str, Any]] = [
        {"case": case, "times": [], "verdicts": []} for case in LIST_CASES
    ]
    for _ in range(config.cold_repeats):
        for row in rows:
            case = row["case"]
            wall, code, out, err = _run_child([*_cli_command(), *_list_command(case, seed)], env)
            require(
                code in (0, 1) and out.strip().startswith("{"),
                f"dlnverify check {case.quantity} exited with {code}: {err.strip()[-2000:]}",
            )
            payload = json.loads(out)
            row["times"].append(wall)
            row["verdicts"].append(payload["verdict"])
            row["monte_carlo"] = payload.get("numeric") is not None
    finished = []
    for row in rows:
        case = row["case"]
        cold = _summary(row["times"])
        median = cold["median"]
        finished.append(
            {
                "quantity": case.quantity,
                "kind": case.kind,
                "formula": case.formula,
                "at": case.at,
                "verdicts": row["verdicts"],
                "expected": EXPECTED[case.kind],
                "right_verdict": all(v == EXPECTED[case.kind] for v in row["verdicts"]),
                "monte_carlo": row["monte_carlo"],
                "cold": cold,
                "over_goal": median is not None and median > LIST_TARGETS["p95"],
                "over_limit": median is not None and median > LIST_TARGETS["max"],
                "profile": None,
            }
        )
    for row, case in zip(finished, LIST_CASES, strict=True):
        if row["over_goal"] and config.profile:
            row["profile"] = _profile_line(case, seed, env)
    medians = sorted(r["cold"]["median"] for r in finished)
    p50, p95 = _percentile(medians, 50), _percentile(medians, 95)
    return {
        "rows": finished,
        "p50": p50,
        "p95": p95,
        "max": medians[-1],
        "passed": p95 < LIST_TARGETS["p95"] and medians[-1] <= LIST_TARGETS["max"],
    }


def _percentile(sorted_values: Sequence[float], percent: float) -> float:
    """Linear-interpolation percentile (NumPy's default) of sorted values."""
    position = (len(sorted_values) - 1) * percent / 100
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def _render_list(section: dict[str, Any]) -> list[str]:
    out = [
        "",
        "the whole check --list, end to end (dlnverify check QUANTITY FORMULA --json, Monte"
        " Carlo where the quantity has it; cold process; median of the repeats)",
    ]
    body = [
        [
            r["quantity"],
            r["kind"] + (f" (--at {r['at']})" if r["at"] else ""),
            "yes" if r["monte_carlo"] else "no",
            "/".join(sorted(set(r["verdicts"])))
            + ("" if r["right_verdict"] else f" (expected {r['expected']})"),
            _seconds(r["cold"]["median"]),
            "OVER 15 s" if r["over_limit"] else ("over 5 s" if r["over_goal"] else "ok"),
            r["profile"] or "-",
        ]
        for r in section["rows"]
    ]
    out.append(table(["quantity", "formula", "MC", "verdict", "cold", "", "profile"], body))
    out.append(
        f"p50 {_seconds(section['p50'])}, p95 {_seconds(section['p95'])} (goal < 5 s),"
        f" max {_seconds(section['max'])} (limit 15 s): "
        + ("PASS" if section["passed"] else "FAIL")
    )
    return out


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
    rows = []
    if "check" in config.sections:
        rows += _in_process_rows(config, seed=seed, env=env)
        rows += _cli_rows(config, seed=seed, env=env)
    whole = _list_rows(config, seed=seed, env=env) if "list" in config.sections else None
    meta["load_average_after"] = load_average()
    meta["wall_seconds"] = round(time.perf_counter() - started, 1)
    passed = all(r["passed"] for r in rows) and (whole is None or whole["passed"])
    return {"meta": meta, "rows": rows, "list": whole, "all_passed": passed}


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 1.0:
        return f"{value:.2f} s"
    return f"{value * 1e3:.0f} ms"


_HEADER = (
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
)


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
    if rows:
        out.append(table(_HEADER, table_rows))
    if results["list"] is not None:
        out += _render_list(results["list"])
    failed = [r for r in rows if not r["passed"]]
    out += [
        "",
        f"load average before {meta['load_average_before']}, after {meta['load_average_after']};"
        f" wall time {meta['wall_seconds']} s",
        "all targets passed"
        if results["all_passed"]
        else f"SOME TARGETS FAILED ({len(failed)} of {len(rows)} check() rows;"
        f" the whole list {'passes' if (results['list'] or {}).get('passed', True) else 'fails'})",
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
    parser.add_argument(
        "--only",
        choices=("check", "list"),
        help="run only the check() rows (check) or only the whole check --list end to end (list)",
    )
    parser.add_argument(
        "--no-profile", action="store_true", help="do not profile the quantities over 5 s"
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
    config = replace(
        config,
        cold_repeats=config.cold_repeats if args.repeats is None else args.repeats,
        sections=config.sections if args.only is None else (args.only,),
        profile=not args.no_profile,
    )
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
