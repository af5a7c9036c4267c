"""Benchmark of the Wick engine (derivations/wick.py) and of the C3 proof.

1. The expectation of the same degree-4 polynomial in three jointly Gaussian variables, by
   the Wick engine (conversion included) and by ``sympy.stats.E`` (in a subprocess with a
   60 s timeout, timing the call to ``E`` only), for the
   correlated vector given directly (``MultivariateNormal``) and as a linear map of
   independent normals.
2. The time to prove the C3 identity (every layer pair, general symmetric label noise) at
   depth 3, widths up to 3.

Targets: the whole C3 proof at depth 3 in under 10 s; the engine >= 50x faster than
sympy.stats wherever sympy.stats finishes.

Run ``python benchmarks/wick_benchmark.py`` (a table) or with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap
import time

import sympy as sp

from derivations.noise_covariance import noise_covariance_claim
from derivations.wick import GaussianVector, gaussian_expectation

TIMEOUT = 60.0
M = [[1, 0, 0], [1, 1, 0], [0, 1, 1]]  # x = M z: covariance M M^T, correlated neighbours
POLY = "(x1 + 2*x2 - x3)**2 * (x1*x3 + x2**2) + x1**3*x2"

_STATS_SCRIPTS = {
    "sympy.stats MultivariateNormal": f"""
        import sympy as sp
        from sympy.stats import E, MultivariateNormal
        M = sp.Matrix({M})
        X = MultivariateNormal("X", [0, 0, 0], M * M.T)
        x1, x2, x3 = X[0], X[1], X[2]
        import time
        start = time.perf_counter()
        value = sp.nsimplify(sp.simplify(E(sp.expand({POLY}))))
        print(time.perf_counter() - start)
        print(value)
    """,
    "sympy.stats independent normals, x = M z": f"""
        import sympy as sp
        from sympy.stats import E, Normal
        z = [Normal(f"z{{i}}", 0, 1) for i in range(3)]
        x1, x2, x3 = list(sp.Matrix({M}) * sp.Matrix(z))
        import time
        start = time.perf_counter()
        value = sp.nsimplify(sp.simplify(E(sp.expand({POLY}))))
        print(time.perf_counter() - start)
        print(value)
    """,
}


def _engine_time(repeat: int = 20) -> tuple[float, sp.Expr]:
    x = sp.symbols("x1:4")
    C = sp.Matrix(M) * sp.Matrix(M).T
    poly = sp.expand(sp.sympify(POLY, locals=dict(zip(("x1", "x2", "x3"), x, strict=True))))
    start = time.perf_counter()
    for _ in range(repeat):
        value = gaussian_expectation(poly, [GaussianVector(x, sp.ImmutableMatrix(C))])
    return (time.perf_counter() - start) / repeat, value


def _stats_time(script: str) -> tuple[float | None, str]:
    try:
        out = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(script)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None, f"did not finish in {TIMEOUT:.0f} s"
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["?"])[-1]
        return None, f"failed: {last[:80]}"
    elapsed, value = out.stdout.strip().splitlines()[-2:]
    return float(elapsed), value  # time of E(...) only, not of the interpreter start-up


def _c3_rows() -> list[dict]:
    rows = []
    for widths in [(2, 2, 2, 2), (2, 3, 3, 2), (3, 2, 3, 2), (3, 3, 3, 3)]:
        start = time.perf_counter()
        result = noise_covariance_claim(shapes=[widths], label_noise=[True])
        rows.append(
            {
                "widths": list(widths),
                "seconds": time.perf_counter() - start,
                "holds": result.holds,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)

    engine_seconds, engine_value = _engine_time()
    wick_rows = []
    for name, script in _STATS_SCRIPTS.items():
        seconds, output = _stats_time(script)
        agrees = None
        if seconds is not None:
            try:
                agrees = sp.simplify(sp.sympify(output) - engine_value) == 0
            except (sp.SympifyError, TypeError):
                agrees = False
        wick_rows.append(
            {
                "method": name,
                "seconds": seconds,
                "note": output if seconds is None else "",
                "agrees_with_engine": agrees,
                "speedup": None if seconds is None else seconds / engine_seconds,
            }
        )
    c3 = _c3_rows()
    report = {
        "polynomial": POLY,
        "covariance": "M M^T, M = " + str(M),
        "engine_seconds": engine_seconds,
        "engine_value": str(engine_value),
        "sympy_stats": wick_rows,
        "c3_depth3": c3,
        "c3_depth3_total_seconds": sum(r["seconds"] for r in c3),
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"E[{POLY}],  x ~ N(0, M M^T), M = {M}")
    print(f"{'method':45s} {'seconds':>10s} {'speed-up':>10s}  note")
    print(
        f"{'Wick engine (derivations.wick)':45s} {engine_seconds:10.4f} {'1':>10s}  = {engine_value}"
    )
    for row in wick_rows:
        secs = "-" if row["seconds"] is None else f"{row['seconds']:.3f}"
        speed = "-" if row["speedup"] is None else f"{row['speedup']:.0f}x"
        note = row["note"] or f"agrees: {row['agrees_with_engine']}"
        print(f"{row['method']:45s} {secs:>10s} {speed:>10s}  {note}")
    print()
    print("C3 proof, every layer pair, general symmetric Sigma_eps, depth 3")
    print(f"{'widths':20s} {'seconds':>10s}  holds")
    for row in c3:
        print(f"{row['widths']!s:20s} {row['seconds']:10.2f}  {row['holds']}")
    print(f"{'total':20s} {report['c3_depth3_total_seconds']:10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
