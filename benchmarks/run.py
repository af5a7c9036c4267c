r"""Timing benchmarks for the simulator's fast paths (DESIGN.md §6).

A script, not a test: ``python benchmarks/run.py`` prints a table, ``--json`` prints the same
numbers as JSON, ``--quick`` runs reduced sizes as a smoke test.  Three measurements, each at
the depth/width pairs :math:`(L, d) \in \{(2, 12), (4, 12), (4, 24)\}` (all widths :math:`d`,
a teacher with singular values :math:`(1, 2, 3)`, label noise :math:`\sigma_\varepsilon = 0.1`):

1. **Per-sample gradients.**  :func:`numerics.network.per_sample_gradients` (closed form
   :math:`\nabla_{W_l}\ell = -(A_l^\top r)(B_l x)^\top`, batched over samples) against a Python
   loop that back-propagates one sample at a time with plain NumPy matrix-vector products.  The
   two are checked to agree to :math:`10^{-10}` before anything is timed.  Both return fresh
   arrays of :math:`S \times P` floats (:math:`P = L d^2`), so the table also shows the time to
   allocate and write that much memory: no implementation that returns the gradients can beat it.
   The row has no target: the batched call runs at that floor.
2. **One exact anisotropic-Langevin noise draw.**  The factored sampler
   :func:`numerics.noise.factored_gradient_noise` (:math:`O(L d^3)`) against the dense route an
   Euler-Maruyama step would need without the factorisation: build
   :math:`\Sigma \in \mathbb{R}^{P \times P}` (:func:`numerics.noise.dense_noise_covariance`),
   take its ``eigh`` square root and draw once (:func:`numerics.noise.dense_gradient_noise`),
   :math:`O(P^3)`.
3. **Ensemble trajectories.**  :func:`numerics.sde.anisotropic_langevin_step` on 256 networks
   stacked on a leading batch axis, against a floor written here in plain NumPy that does only
   the batched products and normal draws one step needs.  The floor is checked to produce the
   same new weights as the library step from the same random stream.

Timing: :func:`time.perf_counter`; every contender gets one warm-up call, then ``k`` repeats,
each the mean over enough back-to-back calls to last at least 50 ms, the repeats of the
contenders of one row interleaved (round-robin) so that load from other processes hits them
alike; the table reports the **best (minimum) of the k repeats**, the JSON also the median.
A call that takes longer than 1 s is not warmed up separately: its first call counts as a
repeat.  The machine is shared, so the minimum is the estimate least disturbed by other
processes; the load average before and after the run is printed with the results.  BLAS runs
on one thread unless ``--threads`` says otherwise (the script re-executes itself with
``OPENBLAS_NUM_THREADS`` etc. set): every contender then gets the same single core, and
OpenBLAS's threading of tall-skinny products, which is erratic on a loaded machine, stays out
of the numbers.  Exit status 0 if every target passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from _common import load_average, require, table
from numpy.typing import NDArray

from numerics.data import sample_data
from numerics.network import per_sample_gradients
from numerics.noise import dense_gradient_noise, dense_noise_covariance, factored_gradient_noise
from numerics.sde import anisotropic_langevin_step
from numerics.teacher import Teacher, random_teacher
from numerics.weights import random_weights, small_gaussian_init

__all__ = ["main"]

Layers = tuple[NDArray[np.float64], ...]

#: Teacher singular values: three, in arithmetic progression (paper App. H.1).
SINGULAR_VALUES = (1.0, 2.0, 3.0)
#: Label-noise standard deviation, :math:`\Sigma_\varepsilon = 0.1^2 I_m`.
LABEL_NOISE = 0.1
#: Required speed-up of one factored noise draw over one dense draw, per (L, d).
NOISE_TARGETS = {(4, 12): 300.0, (4, 24): 1000.0}
#: Loop and batched gradients must agree to this absolute tolerance (entries are O(1)-O(10):
#: weights with unit-gain scaling, teacher singular values up to 3; round-off is ~1e-14).
GRADIENT_AGREEMENT = 1e-10
#: The floor step and the library step must agree to this (same random stream, same algebra
#: up to the order of floating-point operations; weights O(0.1)).
FLOOR_AGREEMENT = 1e-12
#: Euler-Maruyama time step and noise scale of the ensemble trajectories (values do not
#: affect the cost; chosen so that trajectories from a small init stay bounded).
DT, KAPPA = 0.01, 0.001
#: Ensemble trajectories restart from their initial state every this many steps.
RESTART = 200
#: Small-initialisation exponent of the ensemble trajectories (rich regime, paper App. H.2).
GAMMA = 1.5
#: Environment variables that set the thread count of NumPy's BLAS (read at import).
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True)
class _Config:
    shapes: tuple[tuple[int, int], ...]
    n_samples: int  # samples per per_sample_gradients call
    ensemble: int  # networks stepped together
    repeats: int  # k in "best of k" for calls shorter than LONG_CALL
    long_repeats: int  # k for calls longer than LONG_CALL (the dense covariance at P = 2304)


FULL = _Config(
    shapes=((2, 12), (4, 12), (4, 24)), n_samples=2048, ensemble=256, repeats=15, long_repeats=2
)
QUICK = _Config(
    shapes=((2, 6), (4, 6), (4, 12)), n_samples=256, ensemble=64, repeats=5, long_repeats=1
)
#: Minimum duration of one repeat (calls are looped until a repeat lasts this long).
MIN_REPEAT = 0.05
#: Calls longer than this are not warmed up separately.
LONG_CALL = 1.0


@dataclass(frozen=True)
class _Timing:
    best: float  # seconds per call, minimum over repeats
    median: float  # seconds per call, median over repeats
    repeats: int
    calls_per_repeat: int


def _time(
    funcs: dict[str, Callable[[], object]], *, repeats: int, long_repeats: int
) -> dict[str, _Timing]:
    """Best and median seconds per call of each function, repeats interleaved.

    Each function is warmed up (one call, also used to choose how many calls make a repeat of
    at least :data:`MIN_REPEAT` seconds); then rounds run one repeat of every function in turn,
    so that a burst of load from other processes hits all contenders alike.  A function whose
    warm-up call took :data:`LONG_CALL` seconds or more runs one call per repeat, its warm-up
    counting as the first repeat, and stops after ``long_repeats``.
    """
    samples: dict[str, list[float]] = {}
    numbers: dict[str, int] = {}
    wanted: dict[str, int] = {}
    for name, func in funcs.items():
        start = time.perf_counter()
        func()  # warm-up
        first = time.perf_counter() - start
        if first >= LONG_CALL:
            samples[name], numbers[name], wanted[name] = [first], 1, max(long_repeats, 1)
        else:
            samples[name], wanted[name] = [], repeats
            numbers[name] = max(1, math.ceil(MIN_REPEAT / max(first, 1e-7)))
    while any(len(samples[name]) < wanted[name] for name in funcs):
        for name, func in funcs.items():
            if len(samples[name]) >= wanted[name]:
                continue
            number = numbers[name]
            start = time.perf_counter()
            for _ in range(number):
                func()
            samples[name].append((time.perf_counter() - start) / number)
    return {
        name: _Timing(min(s), statistics.median(s), len(s), numbers[name])
        for name, s in samples.items()
    }


def _teacher(d: int, rng: np.random.Generator) -> Teacher:
    return random_teacher(SINGULAR_VALUES, shape=(d, d), rng=rng, label_noise=LABEL_NOISE)


def _rng(seed: int, *key: int) -> np.random.Generator:
    """An independent stream per (seed, benchmark, L, d, ...): rows do not share randomness,
    so a row's set-up does not depend on how many draws the timer took in earlier rows."""
    return np.random.default_rng([seed, *key])


# --- 1. per-sample gradients -------------------------------------------------------------


def _looped_gradients(
    layers: Layers, x: NDArray[np.float64], y: NDArray[np.float64]
) -> list[NDArray[np.float64]]:
    r"""Per-sample gradients by back-propagation, one sample at a time.

    Forward :math:`h_0 = x`, :math:`h_l = W_l h_{l-1}`; residual :math:`\delta_L = y - h_L`;
    backward :math:`\delta_{l-1} = W_l^\top \delta_l`; gradient
    :math:`\nabla_{W_l}\ell = -\delta_l h_{l-1}^\top`.  (:math:`\delta_l = A_l^\top r` and
    :math:`h_{l-1} = B_l x`, so this is the same closed form, computed independently.)
    """
    n_samples = x.shape[0]
    out = [np.empty((n_samples, *w.shape)) for w in layers]
    for s in range(n_samples):
        activations = [x[s]]
        for w in layers:
            activations.append(w @ activations[-1])
        delta = activations[-1] - y[s]  # = -(y - W x): the minus sign of the gradient
        for l in range(len(layers) - 1, -1, -1):
            np.multiply.outer(delta, activations[l], out=out[l][s])
            if l:
                delta = layers[l].T @ delta
    return out


def _write_floor(shapes: Sequence[tuple[int, ...]]) -> list[NDArray[np.float64]]:
    """Allocate and fill arrays of the output shapes: the memory traffic any method pays."""
    return [np.full(shape, 1.0) for shape in shapes]


def _rewrite_floor(buffers: Sequence[NDArray[np.float64]]) -> None:
    """Fill arrays that already exist: the memory traffic alone, no allocation or page faults.
    Loop time over this time bounds the speedup of any method that writes dense gradients."""
    for buffer in buffers:
        buffer.fill(1.0)


def _gradient_row(depth: int, d: int, config: _Config, seed: int) -> dict[str, Any]:
    rng = _rng(seed, 1, depth, d)
    teacher = _teacher(d, rng)
    layers = random_weights((d,) * (depth + 1), rng=rng)
    x, y = sample_data(teacher, config.n_samples, rng=rng)
    batched = per_sample_gradients(layers, x, y)
    looped = _looped_gradients(layers, x, y)
    error = max(float(np.max(np.abs(b - lp))) for b, lp in zip(batched, looped, strict=True))
    require(
        error <= GRADIENT_AGREEMENT,
        f"loop and batched gradients differ by {error:.3g} > {GRADIENT_AGREEMENT}"
        f" at {depth=}, {d=}",
    )
    shapes = [g.shape for g in batched]
    del batched, looped
    buffers = _write_floor(shapes)
    timing = {"repeats": config.repeats, "long_repeats": config.long_repeats}
    times = _time(
        {
            "batched": lambda: per_sample_gradients(layers, x, y),
            "loop": lambda: _looped_gradients(layers, x, y),
            "write": lambda: _write_floor(shapes),
            "rewrite": lambda: _rewrite_floor(buffers),
        },
        **timing,
    )
    t_batched, t_loop, t_write = times["batched"], times["loop"], times["write"]
    t_rewrite = times["rewrite"]
    speedup = t_loop.best / t_batched.best
    return {
        "L": depth,
        "d": d,
        "n_samples": config.n_samples,
        "max_abs_difference": error,
        "batched": asdict(t_batched),
        "loop": asdict(t_loop),
        "write_floor": asdict(t_write),
        "batched_samples_per_s": config.n_samples / t_batched.best,
        "loop_samples_per_s": config.n_samples / t_loop.best,
        "write_floor_samples_per_s": config.n_samples / t_write.best,
        "rewrite_floor": asdict(t_rewrite),
        "rewrite_floor_samples_per_s": config.n_samples / t_rewrite.best,
        "speedup_ceiling": t_loop.best / t_rewrite.best,
        "speedup": speedup,
        # no target: the batched call runs at the floor of writing its output (module docstring)
        "target": None,
        "passed": None,
    }


# --- 2. one exact noise draw ---------------------------------------------------------------


def _noise_row(depth: int, d: int, config: _Config, seed: int) -> dict[str, Any]:
    rng = _rng(seed, 2, depth, d)
    teacher = _teacher(d, rng)
    layers = random_weights((d,) * (depth + 1), rng=rng)
    timing = {"repeats": config.repeats, "long_repeats": config.long_repeats}
    times = _time(
        {
            "factored": lambda: factored_gradient_noise(layers, teacher, 1, rng=rng),
            "build": lambda: dense_noise_covariance(layers, teacher),
            "dense": lambda: dense_gradient_noise(layers, teacher, 1, rng=rng),
        },
        **timing,
    )
    t_factored, t_build, t_dense = times["factored"], times["build"], times["dense"]
    speedup = t_dense.best / t_factored.best
    target = NOISE_TARGETS.get((depth, d))
    return {
        "L": depth,
        "d": d,
        "P": depth * d * d,
        "factored": asdict(t_factored),
        "dense_build": asdict(t_build),
        "dense": asdict(t_dense),
        "speedup": speedup,
        "target": target,
        "passed": None if target is None else speedup >= target,
    }


# --- 3. ensemble trajectories --------------------------------------------------------------


def _floor_step(
    layers: Layers,
    target: NDArray[np.float64],
    noise_sqrt: NDArray[np.float64],
    *,
    dt: float,
    amplitude: float,
    rng: np.random.Generator,
) -> Layers:
    r"""The work one anisotropic-Langevin step needs, and nothing else.

    Partial products :math:`A_l, B_l` (identities not formed), gap :math:`\Delta = W^* - W`,
    :math:`N = \Delta G + \Sigma_\varepsilon^{1/2} Z` with :math:`G = (Z_1 + Z_1^\top)/\sqrt2`,
    and, since drift and noise share the sandwich,

    .. math:: -\nabla_{W_l} L\,dt + \sqrt{\kappa\,dt}\,\xi_l
              = A_l^\top \bigl(\Delta\,dt - \sqrt{\kappa\,dt}\,N\bigr) B_l^\top,

    one pair of products per layer.  Draws in the order of
    :func:`numerics.noise.factored_gradient_noise` (:math:`Z_1` then :math:`Z`), so the same
    stream gives the same step.
    """
    depth = len(layers)
    batch = layers[0].shape[:-2]
    m, n = target.shape
    rights: list[NDArray[np.float64] | None] = [None] * depth  # B_l; B_1 = I
    for l in range(1, depth):
        previous = rights[l - 1]
        rights[l] = layers[l - 1] if previous is None else layers[l - 1] @ previous
    lefts: list[NDArray[np.float64] | None] = [None] * depth  # A_l; A_L = I
    for l in range(depth - 2, -1, -1):
        following = lefts[l + 1]
        lefts[l] = layers[l + 1] if following is None else following @ layers[l + 1]
    first_left = lefts[0]
    product = layers[0] if first_left is None else first_left @ layers[0]
    gap = target - product
    z1 = rng.standard_normal((*batch, n, n))
    goe = (z1 + np.swapaxes(z1, -1, -2)) * (1.0 / math.sqrt(2.0))
    z = rng.standard_normal((*batch, m, n))
    kick = dt * gap - amplitude * (gap @ goe + noise_sqrt @ z)
    new = []
    for w, left, right in zip(layers, lefts, rights, strict=True):
        update = kick if left is None else np.swapaxes(left, -1, -2) @ kick
        if right is not None:
            update = update @ np.swapaxes(right, -1, -2)
        new.append(w + update)
    return tuple(new)


class _Trajectory:
    r"""A trajectory that restarts from its initial state every :data:`RESTART` steps.

    The cost of a step does not depend on the state, but how many steps the timer takes
    depends on the machine; restarting keeps every run in the same early stretch of the
    dynamics (:math:`t \le` ``RESTART * DT``), wherever the timer stops.
    """

    def __init__(self, start: Layers, step: Callable[[Layers], Layers]) -> None:
        self.start, self.state, self._step, self.steps = start, start, step, 0

    def step(self) -> None:
        if self.steps % RESTART == 0:
            self.state = self.start
        self.state = self._step(self.state)
        self.steps += 1


def _ensemble_row(depth: int, d: int, config: _Config, seed: int) -> dict[str, Any]:
    rng = _rng(seed, 3, depth, d)
    teacher = _teacher(d, rng)
    start = small_gaussian_init(
        (d,) * (depth + 1), gamma=GAMMA, rng=rng, batch_shape=(config.ensemble,)
    )
    target, noise_sqrt = np.asarray(teacher.matrix), np.asarray(teacher.label_noise_sqrt)
    amplitude = math.sqrt(KAPPA * DT)

    library = anisotropic_langevin_step(
        start, teacher, dt=DT, kappa=KAPPA, rng=_rng(seed, 3, depth, d, 1)
    )
    floor = _floor_step(
        start, target, noise_sqrt, dt=DT, amplitude=amplitude, rng=_rng(seed, 3, depth, d, 1)
    )
    error = max(float(np.max(np.abs(a - b))) for a, b in zip(library, floor, strict=True))
    require(
        error <= FLOOR_AGREEMENT,
        f"floor step and library step differ by {error:.3g} > {FLOOR_AGREEMENT} at {depth=}, {d=}",
    )

    library_run = _Trajectory(
        start, lambda w: anisotropic_langevin_step(w, teacher, dt=DT, kappa=KAPPA, rng=rng)
    )
    floor_run = _Trajectory(
        start,
        lambda w: _floor_step(w, target, noise_sqrt, dt=DT, amplitude=amplitude, rng=rng),
    )
    timing = {"repeats": config.repeats, "long_repeats": config.long_repeats}
    times = _time({"step": library_run.step, "floor": floor_run.step}, **timing)
    t_step, t_floor = times["step"], times["floor"]
    for name, run in (("library", library_run), ("floor", floor_run)):
        require(
            all(np.all(np.isfinite(w)) for w in run.state),
            f"the {name} trajectory at {depth=}, {d=} is not finite after {run.steps} steps",
        )
    return {
        "L": depth,
        "d": d,
        "ensemble": config.ensemble,
        "max_abs_difference": error,
        "steps_taken": {"step": library_run.steps, "floor": floor_run.steps},
        "step": asdict(t_step),
        "floor": asdict(t_floor),
        "steps_per_s": 1.0 / t_step.best,
        "network_steps_per_s": config.ensemble / t_step.best,
        "floor_steps_per_s": 1.0 / t_floor.best,
        "step_over_floor": t_step.best / t_floor.best,
        "target": None,
        "passed": None,
    }


# --- driver and output ---------------------------------------------------------------------


@dataclass
class _Results:
    meta: dict[str, Any]
    gradients: list[dict[str, Any]] = field(default_factory=list)
    noise: list[dict[str, Any]] = field(default_factory=list)
    ensemble: list[dict[str, Any]] = field(default_factory=list)

    @property
    def all_passed(self) -> bool:
        rows = self.gradients + self.noise + self.ensemble
        return all(row["passed"] is not False for row in rows)


def _run(config: _Config, *, seed: int, mode: str) -> _Results:
    threads = {k: os.environ.get(k) for k in _THREAD_VARIABLES}
    meta: dict[str, Any] = {
        "mode": mode,
        "seed": seed,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "thread_env": threads,
        "load_average_before": load_average(),
        "timing": (
            "time.perf_counter; one warm-up call, then k repeats of >= 50 ms each, interleaved"
            " round-robin between the contenders of a row (calls > 1 s: first call counts, no"
            " warm-up); 'best' = minimum over repeats"
        ),
        "singular_values": list(SINGULAR_VALUES),
        "label_noise": LABEL_NOISE,
        "config": asdict(config),
    }
    results = _Results(meta=meta)
    started = time.perf_counter()
    for depth, d in config.shapes:
        results.gradients.append(_gradient_row(depth, d, config, seed))
    for depth, d in config.shapes:
        results.noise.append(_noise_row(depth, d, config, seed))
    for depth, d in config.shapes:
        results.ensemble.append(_ensemble_row(depth, d, config, seed))
    meta["load_average_after"] = load_average()
    meta["wall_seconds"] = round(time.perf_counter() - started, 2)
    return results


def _seconds(value: float) -> str:
    if value >= 1.0:
        return f"{value:.3g} s"
    if value >= 1e-3:
        return f"{value * 1e3:.3g} ms"
    return f"{value * 1e6:.3g} us"


def _status(row: dict[str, Any]) -> str:
    return {True: "PASS", False: "FAIL", None: "-"}[row["passed"]]


def _target(row: dict[str, Any]) -> str:
    return "-" if row["target"] is None else f">= {row['target']:g}x"


def _render(results: _Results) -> str:
    meta = results.meta
    config = meta["config"]
    out = [
        f"dlnverify benchmarks ({meta['mode']}): numpy {meta['numpy']}, python {meta['python']},"
        f" {meta['cpu_count']} cpus, BLAS threads"
        f" {meta['thread_env']['OPENBLAS_NUM_THREADS'] or 'default'}, seed {meta['seed']}",
        "times: best of k repeats after a warm-up (see --json for medians and k)",
        "",
        f"1. per-sample gradients, {config['n_samples']} samples per call"
        f" (loop and batched agree to {GRADIENT_AGREEMENT:g})",
    ]
    out.append(
        table(
            [
                "L",
                "d",
                "batched [samples/s]",
                "loop [samples/s]",
                "speedup",
                "target",
                "status",
                "alloc+write floor [samples/s]",
                "write-only floor [samples/s]",
                "ceiling",
            ],
            [
                [
                    str(r["L"]),
                    str(r["d"]),
                    f"{r['batched_samples_per_s']:.3g}",
                    f"{r['loop_samples_per_s']:.3g}",
                    f"{r['speedup']:.1f}x",
                    _target(r),
                    _status(r),
                    f"{r['write_floor_samples_per_s']:.3g}",
                    f"{r['rewrite_floor_samples_per_s']:.3g}",
                    f"{r['speedup_ceiling']:.0f}x",
                ]
                for r in results.gradients
            ],
        )
    )
    out += ["", "2. one exact anisotropic-Langevin noise draw (dense = build Sigma + eigh + draw)"]
    out.append(
        table(
            [
                "L",
                "d",
                "P",
                "factored",
                "dense",
                "of which build",
                "speedup",
                "target",
                "status",
            ],
            [
                [
                    str(r["L"]),
                    str(r["d"]),
                    str(r["P"]),
                    _seconds(r["factored"]["best"]),
                    _seconds(r["dense"]["best"]),
                    _seconds(r["dense_build"]["best"]),
                    f"{r['speedup']:.3g}x",
                    _target(r),
                    _status(r),
                ]
                for r in results.noise
            ],
        )
    )
    out += [
        "",
        f"3. anisotropic_langevin_step on an ensemble of {config['ensemble']} networks"
        " (floor = the same step's matmuls and draws in plain numpy)",
    ]
    out.append(
        table(
            ["L", "d", "step", "steps/s", "network-steps/s", "floor", "step/floor", "status"],
            [
                [
                    str(r["L"]),
                    str(r["d"]),
                    _seconds(r["step"]["best"]),
                    f"{r['steps_per_s']:.3g}",
                    f"{r['network_steps_per_s']:.3g}",
                    _seconds(r["floor"]["best"]),
                    f"{r['step_over_floor']:.2f}",
                    _status(r),
                ]
                for r in results.ensemble
            ],
        )
    )
    out += [
        "",
        f"load average before {meta['load_average_before']}, after {meta['load_average_after']};"
        f" wall time {meta['wall_seconds']} s",
        "all targets passed" if results.all_passed else "SOME TARGETS FAILED",
    ]
    return "\n".join(out)


def _apply_threads(threads: int, raw_argv: Sequence[str]) -> None:
    """Re-execute with the thread variables set, if they differ (BLAS reads them at import)."""
    if threads == 0 or all(os.environ.get(k) == str(threads) for k in _THREAD_VARIABLES):
        return
    env = {**os.environ, **dict.fromkeys(_THREAD_VARIABLES, str(threads))}
    script = os.path.abspath(__file__)
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, script, *raw_argv], env)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks; return 0 if every target passes, 1 otherwise."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--quick", action="store_true", help="reduced sizes, a smoke test (well under 20 s)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of numpy.random.default_rng")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="BLAS/OpenMP threads (default 1, the same single core for every contender;"
        " 0 leaves the environment alone); the script re-executes itself to apply it",
    )
    raw = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(raw)
    if args.seed < 0:
        parser.error(f"Got --seed {args.seed}, but --seed must be an integer >= 0.")
    if args.threads < 0:
        parser.error(f"Got --threads {args.threads}, but --threads must be an integer >= 0.")
    _apply_threads(args.threads, raw)
    mode = "quick" if args.quick else "full"
    results = _run(QUICK if args.quick else FULL, seed=args.seed, mode=mode)
    if args.json:
        payload = {
            "meta": results.meta,
            "gradients": results.gradients,
            "noise": results.noise,
            "ensemble": results.ensemble,
            "all_passed": results.all_passed,
        }
        print(json.dumps(payload, indent=2))
    else:
        print(_render(results))
    return 0 if results.all_passed else 1


if __name__ == "__main__":
    sys.exit(main())
