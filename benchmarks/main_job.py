r"""Wall time of the main job: ``dlnverify verify`` and ``dlnverify report``, cold and warm.

A script, not a test: ``python benchmarks/main_job.py`` prints a table (``--json`` the same
numbers as JSON) of the wall time, from ``fork`` to exit, of

* ``dlnverify verify`` (every claim, default settings: one process per available core), with
  an empty derivation cache (**cold**: every claim derived) and then with the cache that run
  left (**warm**: the derivations read back, :mod:`reports.engine.derivation_cache`);
* ``dlnverify report --output DIR`` (the README's main job; the PDF is compiled where
  ``pdflatex`` is on ``PATH``), warm, as a user runs it after every change to their notes.

Targets (issue 29, goal 1, "on two cores"): ``verify`` in 60 s or less and the main job in
90 s or less.  Each row also gives the per-claim symbolic and Monte Carlo seconds that
``verify --json`` reports (summed over claims: CPU time of the workers, not wall time).
The derivation cache lives in a temporary directory of the script's own
(``DLNVERIFY_CACHE_DIR``), so the user's cache is neither used nor touched.  BLAS threads are
set to 1 (``OPENBLAS_NUM_THREADS`` etc.; each worker is single-threaded NumPy on small
matrices).  Exit status 0 if every target passes, 1 if one fails, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import load_average, table

__all__ = ["main"]

#: (row, target seconds or None).
TARGETS = {"verify, cold cache": None, "verify, warm cache": 60.0, "report, warm cache": 90.0}


def _run(command: list[str], environment: dict[str, str]) -> tuple[float, str, int]:
    started = time.perf_counter()
    finished = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, finished.stdout, finished.returncode


def _claim_seconds(stdout: str) -> tuple[float, float]:
    outcomes = json.loads(stdout)
    rows = outcomes["claims"] if isinstance(outcomes, dict) else outcomes
    return (
        sum(row["symbolic_seconds"] for row in rows),
        sum(row["numeric_seconds"] for row in rows),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--jobs", type=int, default=None, help="pass --jobs N to dlnverify")
    args = parser.parse_args(argv)
    executable = shutil.which("dlnverify")
    if executable is None:
        parser.error("dlnverify is not on PATH (pip install . first)")
    jobs = [] if args.jobs is None else ["--jobs", str(args.jobs)]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="dlnverify-bench-") as scratch:
        environment = os.environ | {
            "DLNVERIFY_CACHE_DIR": str(Path(scratch) / "cache"),
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
        environment.pop("DLNVERIFY_CACHE", None)
        for name, command in (
            ("verify, cold cache", [executable, "verify", "--json", *jobs]),
            ("verify, warm cache", [executable, "verify", "--json", *jobs]),
            (
                "report, warm cache",
                [executable, "report", "--output", str(Path(scratch) / "report"), *jobs],
            ),
        ):
            seconds, stdout, code = _run(command, environment)
            symbolic, numeric = _claim_seconds(stdout) if "verify" in command else (None, None)
            target = TARGETS[name]
            rows.append(
                {
                    "row": name,
                    "seconds": round(seconds, 1),
                    "exit_code": code,
                    "symbolic_seconds": None if symbolic is None else round(symbolic, 1),
                    "numeric_seconds": None if numeric is None else round(numeric, 1),
                    "target": target,
                    "passed": None if target is None else seconds <= target,
                }
            )
    machine = {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_after": load_average(),
        "pdflatex": shutil.which("pdflatex") is not None,
    }
    if args.json:
        print(json.dumps({"machine": machine, "rows": rows}, indent=2))
    else:
        print(
            table(
                ["run", "wall s", "exit", "symbolic s", "Monte Carlo s", "target s", "met"],
                [
                    [
                        r["row"],
                        f"{r['seconds']:.1f}",
                        str(r["exit_code"]),
                        "-" if r["symbolic_seconds"] is None else f"{r['symbolic_seconds']:.1f}",
                        "-" if r["numeric_seconds"] is None else f"{r['numeric_seconds']:.1f}",
                        "-" if r["target"] is None else f"{r['target']:.0f}",
                        "-" if r["passed"] is None else ("yes" if r["passed"] else "NO"),
                    ]
                    for r in rows
                ],
            )
        )
        print(f"machine: {machine}")
    return 0 if all(r["passed"] is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
