r"""The project's ensemble step side by side with the same step in JAX and PyTorch.

A script, not a test (needs the optional extra ``bench``: ``pip install -e '.[bench]'``).
The step is one Euler-Maruyama step of the anisotropic Langevin SDE (paper Eq. 1) for an
ensemble of networks, in the factored form of :class:`numerics.ensemble.AnisotropicEnsembleStep`,

.. math:: W_l \leftarrow W_l + A_l^\top \bigl(\Delta\,dt - \sqrt{\kappa\,dt}\,
          (\Delta G + \Sigma_\varepsilon^{1/2} Z)\bigr) B_l^\top,
          \qquad G = (Z_1 + Z_1^\top)/\sqrt2 .

Contenders, each on one core (the process is pinned to one CPU; BLAS, PyTorch and XLA run
one thread):

* ``project``: :class:`numerics.ensemble.AnisotropicEnsembleStep` (NumPy, ``PCG64``);
* ``jax vmap``: the step of one network, ``jax.vmap``-ed over the ensemble and ``jax.jit``-ed,
  normals from ``jax.random.normal`` inside the jitted function; the trajectory calls it from
  a Python loop;
* ``jax scan``: the same step inside ``jax.lax.scan`` over the whole trajectory (one call);
* ``torch eager``: batched ``@`` on tensors, normals from ``torch.randn`` into preallocated
  buffers;
* ``torch compile``: the same step's arithmetic through ``torch.compile`` (draws outside),
  when it compiles on this machine (otherwise the table says why not).

First, every contender is fed the same standard normals (drawn once by NumPy) and must give
the project's trajectory over :data:`CHECK_STEPS` steps to round-off of its dtype (at most one
round-off of the weights' scale per step).  Then each is timed with its own normals, for one
ensemble step and for a :data:`TRAJECTORY_STEPS`-step trajectory, in float32 and float64; the
contenders' repeats are interleaved round-robin and the best of them counts.  The table gives
time per network-step and each contender's time over the project's (above 1: the project is
faster).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

#: One core for every contender: thread counts are read when the libraries load.
_THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
    "JAX_PLATFORMS": "cpu",
}

import numpy as np  # noqa: E402
from _common import load_average, require, table  # noqa: E402

from numerics.ensemble import AnisotropicEnsembleStep  # noqa: E402
from numerics.teacher import Teacher, random_teacher  # noqa: E402
from numerics.weights import small_gaussian_init  # noqa: E402

__all__ = ["main"]

Arrays = tuple[Any, ...]

SINGULAR_VALUES = (1.0, 2.0, 3.0)
LABEL_NOISE = 0.1
DT, KAPPA, GAMMA = 0.01, 0.001, 1.5
#: Steps of the trajectory each contender runs when timed.
TRAJECTORY_STEPS = 2000
#: Steps over which the contenders must reproduce the project's trajectory from fed normals.
CHECK_STEPS = 50
DTYPES = ("float32", "float64")
FULL_SHAPES = ((2, 12), (4, 12), (4, 24))
QUICK_SHAPES = ((2, 6), (4, 6))
#: Minimum duration of one repeat of a one-step timing.
MIN_REPEAT = 0.05


def _step_math(
    layers: Arrays, z1: Any, z: Any, target: Any, noise_sqrt: Any, swap: Callable[[Any], Any]
) -> Arrays:
    """The step's arithmetic on any array library with ``@`` (``swap`` transposes the last
    two axes), identities not formed: the same operations in the same order as the project."""
    depth = len(layers)
    rights: list[Any] = [None] * depth
    for l in range(1, depth):
        rights[l] = layers[l - 1] if rights[l - 1] is None else layers[l - 1] @ rights[l - 1]
    lefts: list[Any] = [None] * depth
    for l in range(depth - 2, -1, -1):
        lefts[l] = layers[l + 1] if lefts[l + 1] is None else lefts[l + 1] @ layers[l + 1]
    gap = target - (layers[0] if lefts[0] is None else lefts[0] @ layers[0])
    goe = (z1 + swap(z1)) / math.sqrt(2.0)
    middle = DT * gap - math.sqrt(KAPPA * DT) * (gap @ goe + noise_sqrt @ z)
    new = []
    for w, left, right in zip(layers, lefts, rights, strict=True):
        update = middle if left is None else swap(left) @ middle
        new.append(w + (update if right is None else update @ swap(right)))
    return tuple(new)


class _Problem:
    """One shape and dtype: teacher, start and the fed normals of the agreement check."""

    def __init__(self, depth: int, d: int, ensemble: int, dtype: str, seed: int) -> None:
        rng = np.random.default_rng([seed, depth, d])
        self.depth, self.d, self.ensemble, self.dtype = depth, d, ensemble, dtype
        self.teacher: Teacher = random_teacher(
            SINGULAR_VALUES, shape=(d, d), rng=rng, label_noise=LABEL_NOISE
        )
        start = small_gaussian_init(
            (d,) * (depth + 1), gamma=GAMMA, rng=rng, batch_shape=(ensemble,)
        )
        self.start = tuple(w.astype(dtype) for w in start)
        self.target = self.teacher.matrix.astype(dtype)
        self.noise_sqrt = self.teacher.label_noise_sqrt.astype(dtype)
        self.z1 = rng.standard_normal((CHECK_STEPS, ensemble, d, d)).astype(dtype)
        self.z = rng.standard_normal((CHECK_STEPS, ensemble, d, d)).astype(dtype)

    def project_step(self, seed: int) -> AnisotropicEnsembleStep:
        rng = np.random.default_rng([seed, 7, self.depth, self.d])
        batch = (self.ensemble,)
        return AnisotropicEnsembleStep(
            batch, self.teacher, dt=DT, kappa=KAPPA, rng=rng, dtype=self.dtype
        )

    def reference(self) -> Arrays:
        """The project's trajectory from the fed normals."""
        step = self.project_step(0)
        layers = self.start
        for k in range(CHECK_STEPS):
            layers = step.advance(layers, self.z1[k], self.z[k])
        return layers


class _Contender:
    """A named implementation: ``fed(problem)`` runs :data:`CHECK_STEPS` steps from the fed
    normals and returns NumPy layers; ``timers(problem)`` returns ``(one step, trajectory)``
    callables that draw their own normals (each blocks until its result is ready)."""

    name = ""

    def fed(self, problem: _Problem) -> Arrays:
        raise NotImplementedError

    def timers(self, problem: _Problem) -> tuple[Callable[[], object], Callable[[], object]]:
        raise NotImplementedError


class _Project(_Contender):
    name = "project"

    def fed(self, problem: _Problem) -> Arrays:
        return problem.reference()

    def timers(self, problem: _Problem) -> tuple[Callable[[], object], Callable[[], object]]:
        step = problem.project_step(1)
        state = {"layers": problem.start}

        def one() -> None:
            state["layers"] = step(problem.start)

        def trajectory() -> None:
            layers = problem.start
            for _ in range(TRAJECTORY_STEPS):
                layers = step(layers)
            state["layers"] = layers

        return one, trajectory


class _Jax(_Contender):
    def __init__(self, scan: bool) -> None:
        import jax

        jax.config.update("jax_enable_x64", True)
        self.scan = scan
        self.name = "jax scan" if scan else "jax vmap"

    def _functions(self, problem: _Problem) -> tuple[Any, Any]:
        import jax
        import jax.numpy as jnp

        target, noise_sqrt = jnp.asarray(problem.target), jnp.asarray(problem.noise_sqrt)

        def one_network(layers: Arrays, z1: Any, z: Any) -> Arrays:
            return _step_math(layers, z1, z, target, noise_sqrt, jnp.transpose)

        batched = jax.vmap(one_network)
        dtype = jnp.dtype(problem.dtype)
        shape = (problem.ensemble, problem.d, problem.d)

        def drawn(layers: Arrays, key: Any) -> tuple[Arrays, Any]:
            key, first, second = jax.random.split(key, 3)
            z1 = jax.random.normal(first, shape, dtype)
            z = jax.random.normal(second, shape, dtype)
            return batched(layers, z1, z), key

        return batched, drawn

    def fed(self, problem: _Problem) -> Arrays:
        import jax
        import jax.numpy as jnp

        batched, _ = self._functions(problem)
        layers = tuple(jnp.asarray(w) for w in problem.start)
        if self.scan:

            def body(carry: Arrays, normals: Arrays) -> tuple[Arrays, None]:
                return batched(carry, *normals), None

            run = jax.jit(lambda ws, z1, z: jax.lax.scan(body, ws, (z1, z))[0])
            layers = run(layers, jnp.asarray(problem.z1), jnp.asarray(problem.z))
        else:
            step = jax.jit(batched)
            for k in range(CHECK_STEPS):
                layers = step(layers, jnp.asarray(problem.z1[k]), jnp.asarray(problem.z[k]))
        return tuple(np.asarray(w) for w in layers)

    def timers(self, problem: _Problem) -> tuple[Callable[[], object], Callable[[], object]]:
        import jax
        import jax.numpy as jnp

        _, drawn = self._functions(problem)
        start = tuple(jnp.asarray(w) for w in problem.start)
        key = jax.random.key(1)
        step = jax.jit(drawn)

        def one() -> None:
            jax.block_until_ready(step(start, key))

        if self.scan:

            def body(carry: tuple[Arrays, Any], _: Any) -> tuple[tuple[Arrays, Any], None]:
                return drawn(*carry), None

            scanned = jax.jit(
                lambda ws, k: jax.lax.scan(body, (ws, k), None, length=TRAJECTORY_STEPS)[0]
            )

            def trajectory() -> None:
                jax.block_until_ready(scanned(start, key))

        else:

            def trajectory() -> None:
                layers, k = start, key
                for _ in range(TRAJECTORY_STEPS):
                    layers, k = step(layers, k)
                jax.block_until_ready(layers)

        return one, trajectory


class _Torch(_Contender):
    def __init__(self, compiled: bool) -> None:
        import torch

        torch.set_num_threads(1)
        self.compiled = compiled
        self.name = "torch compile" if compiled else "torch eager"

    def _math(self, problem: _Problem) -> Callable[..., Arrays]:
        import torch

        target = torch.from_numpy(problem.target)
        noise_sqrt = torch.from_numpy(problem.noise_sqrt)

        def math_step(layers: Arrays, z1: Any, z: Any) -> Arrays:
            return _step_math(
                layers, z1, z, target, noise_sqrt, lambda a: torch.transpose(a, -1, -2)
            )

        return torch.compile(math_step, dynamic=False) if self.compiled else math_step

    def fed(self, problem: _Problem) -> Arrays:
        import torch

        step = self._math(problem)
        layers = tuple(torch.from_numpy(w.copy()) for w in problem.start)
        with torch.no_grad():
            for k in range(CHECK_STEPS):
                layers = step(
                    layers, torch.from_numpy(problem.z1[k]), torch.from_numpy(problem.z[k])
                )
        return tuple(w.numpy() for w in layers)

    def timers(self, problem: _Problem) -> tuple[Callable[[], object], Callable[[], object]]:
        import torch

        step = self._math(problem)
        generator = torch.Generator().manual_seed(1)
        dtype = getattr(torch, problem.dtype)
        shape = (problem.ensemble, problem.d, problem.d)
        z1, z = torch.empty(shape, dtype=dtype), torch.empty(shape, dtype=dtype)
        start = tuple(torch.from_numpy(w.copy()) for w in problem.start)

        def advance(layers: Arrays) -> Arrays:
            torch.randn(shape, generator=generator, out=z1)
            torch.randn(shape, generator=generator, out=z)
            return step(layers, z1, z)

        def one() -> None:
            with torch.no_grad():
                advance(start)

        def trajectory() -> None:
            with torch.no_grad():
                layers = start
                for _ in range(TRAJECTORY_STEPS):
                    layers = advance(layers)

        return one, trajectory


def _contenders() -> tuple[list[_Contender], dict[str, str]]:
    """The contenders that load here, and why the others do not."""
    found: list[_Contender] = [_Project()]
    missing: dict[str, str] = {}
    for name, make in (
        ("jax vmap", lambda: _Jax(scan=False)),
        ("jax scan", lambda: _Jax(scan=True)),
        ("torch eager", lambda: _Torch(compiled=False)),
        ("torch compile", lambda: _Torch(compiled=True)),
    ):
        try:
            found.append(make())
        except ImportError as error:
            missing[name] = f"not installed ({error.name}); pip install -e '.[bench]'"
    return found, missing


def _agreement(contenders: list[_Contender], problem: _Problem) -> dict[str, float | str]:
    """Each contender's largest difference from the project's trajectory from fed normals;
    a contender that fails to run is reported with its error (and not timed)."""
    reference = problem.reference()
    scale = max(float(np.max(np.abs(w))) for w in reference)
    tolerance = CHECK_STEPS * float(np.finfo(problem.dtype).eps) * scale
    result: dict[str, float | str] = {}
    for contender in contenders:
        try:
            layers = contender.fed(problem)
        except Exception as failure:  # a contender that does not work here: say why
            result[contender.name] = f"{type(failure).__name__}: {str(failure).splitlines()[0]}"
            continue
        require(
            all(np.asarray(w).dtype == np.dtype(problem.dtype) for w in layers),
            f"{contender.name} does not compute in {problem.dtype}",
        )
        error = max(float(np.max(np.abs(a - b))) for a, b in zip(layers, reference, strict=True))
        require(
            error <= tolerance,
            f"{contender.name} differs from the project by {error:.3g} > {tolerance:.3g} at"
            f" L={problem.depth}, d={problem.d}, {problem.dtype}",
        )
        result[contender.name] = error
    return result


def _time(funcs: dict[str, Callable[[], object]], repeats: int, minimum: float) -> dict[str, float]:
    """Best seconds per call of each function, after a warm-up (which also compiles), the
    repeats interleaved round-robin; a repeat loops a function for at least ``minimum`` s."""
    numbers = {}
    for name, func in funcs.items():
        func()  # warm-up and compilation
        if minimum <= 0:
            numbers[name] = 1
            continue
        start = time.perf_counter()
        func()
        numbers[name] = max(1, math.ceil(minimum / max(time.perf_counter() - start, 1e-7)))
    best = dict.fromkeys(funcs, math.inf)
    for _ in range(repeats):
        for name, func in funcs.items():
            start = time.perf_counter()
            for _ in range(numbers[name]):
                func()
            best[name] = min(best[name], (time.perf_counter() - start) / numbers[name])
    return best


def _row(contenders: list[_Contender], problem: _Problem, repeats: int) -> dict[str, Any]:
    agreement = _agreement(contenders, problem)
    working = [c for c in contenders if not isinstance(agreement[c.name], str)]
    timers = {c.name: c.timers(problem) for c in working}
    one = _time({name: t[0] for name, t in timers.items()}, repeats, MIN_REPEAT)
    trajectory = _time({name: t[1] for name, t in timers.items()}, max(2, repeats // 3), 0.0)
    per_step = {
        "step": {name: t / problem.ensemble for name, t in one.items()},
        "trajectory": {
            name: t / (problem.ensemble * TRAJECTORY_STEPS) for name, t in trajectory.items()
        },
    }
    return {
        "L": problem.depth,
        "d": problem.d,
        "dtype": problem.dtype,
        "ensemble": problem.ensemble,
        "agreement": agreement,
        "seconds_per_network_step": per_step,
        "load_average": load_average(),
    }


def _render(rows: list[dict[str, Any]], names: list[str], meta: dict[str, Any]) -> str:
    out = [
        f"anchors: numpy {meta['numpy']}, jax {meta['jax']}, torch {meta['torch']}, python"
        f" {meta['python']}, one core (cpu {meta['cpu']}), ensemble {meta['ensemble']},"
        f" trajectory {TRAJECTORY_STEPS} steps",
        "time per network-step (best of the interleaved repeats) [ratio to the project]",
        "",
    ]
    body = []
    for row in rows:
        for mode in ("step", "trajectory"):
            times = row["seconds_per_network_step"][mode]
            cells = []
            for name in names:
                if name not in times:
                    cells.append("-")
                    continue
                ratio = times[name] / times["project"]
                cells.append(f"{times[name] * 1e9:.0f} ns [{ratio:.2f}]")
            load = row["load_average"]
            body.append([f"({row['L']},{row['d']})", row["dtype"], mode, *cells, f"{load[0]:.2f}"])
    out.append(table(["(L,d)", "dtype", "mode", *names, "load"], body))
    failed = {
        f"{name} ({row['dtype']}, L={row['L']}, d={row['d']})": text
        for row in rows
        for name, text in row["agreement"].items()
        if isinstance(text, str)
    }
    out += [f"not timed: {name}: {text}" for name, text in failed.items()]
    out += [f"missing: {name}: {text}" for name, text in meta["missing"].items()]
    out.append(
        f"load average before {meta['load_average_before']}, after"
        f" {meta['load_average_after']}; wall time {meta['wall_seconds']} s"
    )
    return "\n".join(out)


def _pin_one_core(raw_argv: Sequence[str]) -> int:
    """Re-execute with one thread everywhere (read at import) and pin to one CPU."""
    if any(os.environ.get(k) != v for k, v in _THREAD_ENV.items()):
        sys.stdout.flush()
        script = os.path.abspath(__file__)
        os.execve(
            sys.executable, [sys.executable, script, *raw_argv], {**os.environ, **_THREAD_ENV}
        )
    cpu = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def main(argv: Sequence[str] | None = None) -> int:
    """Check every contender against the project, then time them; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--quick", action="store_true", help="small shapes, a smoke test")
    parser.add_argument("--seed", type=int, default=0, help="seed of the set-up (default 0)")
    parser.add_argument("--repeats", type=int, default=7, help="repeats of one step (default 7)")
    raw = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(raw)
    if args.seed < 0 or args.repeats < 1:
        parser.error("--seed must be >= 0 and --repeats >= 1")
    cpu = _pin_one_core(raw)
    contenders, missing = _contenders()
    ensemble = 64 if args.quick else 256
    meta: dict[str, Any] = {
        "numpy": np.__version__,
        "python": platform.python_version(),
        "jax": _version("jax"),
        "torch": _version("torch"),
        "cpu": cpu,
        "ensemble": ensemble,
        "missing": missing,
        "load_average_before": load_average(),
    }
    started = time.perf_counter()
    rows = [
        _row(contenders, _Problem(depth, d, ensemble, dtype, args.seed), args.repeats)
        for depth, d in (QUICK_SHAPES if args.quick else FULL_SHAPES)
        for dtype in DTYPES
    ]
    meta["load_average_after"] = load_average()
    meta["wall_seconds"] = round(time.perf_counter() - started, 1)
    names = [c.name for c in contenders]
    if args.json:
        print(json.dumps({"meta": meta, "rows": rows}, indent=2))
    else:
        print(_render(rows, names, meta))
    return 0


def _version(module: str) -> str:
    try:
        return str(__import__(module).__version__)
    except ImportError:
        return "not installed"


if __name__ == "__main__":
    sys.exit(main())
