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
4. **Coupled runs of small networks.**  One step of the runs of the stationary checks (C17's
   4x2x4 and 4x2x2x4 networks, C18's 9x1x1, one run per noise scale) with the networks on the
   last axes (:mod:`numerics.batch_last`) against one matrix product per network
   (``numerics.sde._anisotropic_update``), from the same normals, checked to agree first.

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
from functools import partial
from typing import Any

import numpy as np
from _common import load_average, require, table
from numpy.typing import NDArray

from numerics.batch_last import BatchLastStep, from_batch_last, to_batch_last
from numerics.data import sample_data
from numerics.ensemble import AnisotropicEnsembleStep
from numerics.network import per_sample_gradients
from numerics.noise import dense_gradient_noise, dense_noise_covariance, factored_gradient_noise
from numerics.sde import _anisotropic_update, anisotropic_langevin_step
from numerics.teacher import Teacher, random_teacher
from numerics.weights import random_weights, small_gaussian_init

__all__ = ["main"]

Layers = tuple[NDArray[Any], ...]

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
#: The small networks of the coupled runs of the stationary checks: (widths, noise scales,
#: networks, label noise) of C17's two points and C18's long run
#: (reports.claims.network_mean, reports.claims.minima_flow).
SMALL_NETWORKS = (
    ((4, 2, 4), 2, 512, 0.5),
    ((4, 2, 2, 4), 2, 1024, 0.5),
    ((9, 1, 1), 3, 128, 2.0),
)
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

#: NumPy's bit generators compared for the normal draws (all pass NumPy's test battery).
BIT_GENERATORS: dict[str, Callable[[np.random.SeedSequence], np.random.BitGenerator]] = {
    "PCG64": np.random.PCG64,
    "PCG64DXSM": np.random.PCG64DXSM,
    "SFC64": np.random.SFC64,
    "Philox": np.random.Philox,
}
#: Working precisions of the ensemble step.
DTYPES = ("float64", "float32")
#: Steps over which the float32 step is compared with the float64 step from the same normals.
PRECISION_STEPS = 50


def _generator(name: str, seed: int, *key: int) -> np.random.Generator:
    """A generator of bit generator ``name`` seeded from the ``SeedSequence`` of :func:`_rng`."""
    return np.random.Generator(BIT_GENERATORS[name](np.random.SeedSequence([seed, *key])))


def _normals_row(size: int, config: _Config, seed: int) -> dict[str, Any]:
    """Standard normals per second of each bit generator and dtype, ``size`` per call, drawn
    into a preallocated buffer (``Generator.standard_normal(out=..., dtype=...)``)."""
    funcs: dict[str, Callable[[], object]] = {}
    for dtype in DTYPES:
        buffer = np.empty(size, dtype=dtype)
        for name in BIT_GENERATORS:
            generator = _generator(name, seed, 4, size)
            funcs[f"{name} {dtype}"] = partial(generator.standard_normal, out=buffer, dtype=dtype)
    times = _time(funcs, repeats=config.repeats, long_repeats=config.long_repeats)
    rates = {key: size / t.best for key, t in times.items()}
    fastest = {dtype: max(BIT_GENERATORS, key=partial(_rate, rates, dtype)) for dtype in DTYPES}
    return {"size": size, "normals_per_s": rates, "fastest": fastest}


def _rate(rates: dict[str, float], dtype: str, name: str) -> float:
    return rates[f"{name} {dtype}"]


def _product_operands(
    layers: Layers, teacher: Teacher, z1: NDArray[Any], z: NDArray[Any]
) -> list[tuple[NDArray[Any], NDArray[Any]]]:
    r"""The operands of every batched matrix product of one ensemble step, in its order
    (:class:`numerics.ensemble.AnisotropicEnsembleStep`): the partial products
    :math:`A_l, B_l` (identities not formed), :math:`A_1 W_1`, :math:`\Delta G`,
    :math:`\Sigma_\varepsilon^{1/2} Z` and one sandwich :math:`A_l^\top M B_l^\top` per layer."""
    pairs: list[tuple[NDArray[Any], NDArray[Any]]] = []

    def mul(a: NDArray[Any], b: NDArray[Any]) -> NDArray[Any]:
        pairs.append((a, b))
        return a @ b

    dtype = layers[0].dtype
    depth = len(layers)
    rights: list[NDArray[Any] | None] = [None] * depth
    for l in range(1, depth):
        previous = rights[l - 1]
        rights[l] = layers[l - 1] if previous is None else mul(layers[l - 1], previous)
    lefts: list[NDArray[Any] | None] = [None] * depth
    for l in range(depth - 2, -1, -1):
        following = lefts[l + 1]
        lefts[l] = layers[l + 1] if following is None else mul(following, layers[l + 1])
    first = lefts[0]
    gap = teacher.matrix.astype(dtype) - (layers[0] if first is None else mul(first, layers[0]))
    goe = (z1 + np.swapaxes(z1, -1, -2)) / math.sqrt(2.0)
    middle = DT * gap - mul(gap, goe) - mul(teacher.label_noise_sqrt.astype(dtype), z)
    for left, right in zip(lefts, rights, strict=True):
        update = middle if left is None else mul(np.swapaxes(left, -1, -2), middle)
        if right is not None:
            mul(update, np.swapaxes(right, -1, -2))
    return pairs


def _products(pairs: list[tuple[NDArray[Any], NDArray[Any]]]) -> Callable[[], None]:
    """The batched products alone, written into preallocated outputs."""
    work = [(a, b, np.empty_like(a @ b)) for a, b in pairs]

    def run() -> None:
        for a, b, out in work:
            np.matmul(a, b, out=out)

    return run


def _precision_error(start: Layers, teacher: Teacher, seed: int) -> tuple[float, float]:
    """Largest difference between float32 and float64 steps driven by the same (float32)
    normals over :data:`PRECISION_STEPS` steps, and the largest weight (its scale)."""
    batch = start[0].shape[:-2]
    single = AnisotropicEnsembleStep(
        batch, teacher, dt=DT, kappa=KAPPA, rng=_rng(seed, 3, 0), dtype="float32"
    )
    double = AnisotropicEnsembleStep(batch, teacher, dt=DT, kappa=KAPPA, rng=_rng(seed, 3, 0))
    low = tuple(w.astype(np.float32) for w in start)
    high = tuple(w.astype(np.float64) for w in low)
    for _ in range(PRECISION_STEPS):
        z1, z = single.draw_normals()
        low = single.advance(low, z1, z)
        high = double.advance(high, z1.astype(np.float64), z.astype(np.float64))
    error = max(float(np.max(np.abs(a - b))) for a, b in zip(low, high, strict=True))
    return error, max(float(np.max(np.abs(w))) for w in high)


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


def _ensemble_row(
    depth: int, d: int, config: _Config, seed: int, fastest: dict[str, str]
) -> dict[str, Any]:
    rng = _rng(seed, 3, depth, d)
    teacher = _teacher(d, rng)
    start64 = small_gaussian_init(
        (d,) * (depth + 1), gamma=GAMMA, rng=rng, batch_shape=(config.ensemble,)
    )
    batch = (config.ensemble,)

    # the float64 ensemble step is the library step byte for byte (same stream)
    library = anisotropic_langevin_step(
        start64, teacher, dt=DT, kappa=KAPPA, rng=_rng(seed, 3, depth, d, 1)
    )
    ours = AnisotropicEnsembleStep(
        batch, teacher, dt=DT, kappa=KAPPA, rng=_rng(seed, 3, depth, d, 1)
    )(start64)
    require(
        all(a.tobytes() == b.tobytes() for a, b in zip(library, ours, strict=True)),
        f"the float64 ensemble step differs from anisotropic_langevin_step at {depth=}, {d=}",
    )
    error, scale = _precision_error(start64, teacher, seed)
    require(
        error <= PRECISION_STEPS * float(np.finfo(np.float32).eps) * scale,
        f"float32 and float64 steps differ by {error:.3g} after {PRECISION_STEPS} steps",
    )

    funcs: dict[str, Callable[[], object]] = {}
    runs: dict[str, _Trajectory] = {}
    for dtype in DTYPES:
        start = tuple(w.astype(dtype) for w in start64)
        for bits in dict.fromkeys(("PCG64", fastest[dtype])):
            step = AnisotropicEnsembleStep(
                batch,
                teacher,
                dt=DT,
                kappa=KAPPA,
                rng=_generator(bits, seed, 3, depth, d),
                dtype=dtype,
            )
            runs[f"step {bits} {dtype}"] = _Trajectory(start, step)
        draws = AnisotropicEnsembleStep(
            batch,
            teacher,
            dt=DT,
            kappa=KAPPA,
            rng=_generator(fastest[dtype], seed, 5, depth, d),
            dtype=dtype,
        )
        funcs[f"draws {dtype}"] = draws.draw_normals
        funcs[f"products {dtype}"] = _products(
            _product_operands(start, teacher, *draws.draw_normals())
        )
    runs["library float64"] = _Trajectory(
        start64, lambda w: anisotropic_langevin_step(w, teacher, dt=DT, kappa=KAPPA, rng=rng)
    )
    funcs |= {name: run.step for name, run in runs.items()}
    times = _time(funcs, repeats=config.repeats, long_repeats=config.long_repeats)
    for name, run in runs.items():
        require(
            all(np.all(np.isfinite(w)) for w in run.state),
            f"the {name} trajectory at {depth=}, {d=} is not finite after {run.steps} steps",
        )
    row: dict[str, Any] = {
        "L": depth,
        "d": d,
        "ensemble": config.ensemble,
        "float32_vs_float64_error": error,
        "weight_scale": scale,
        "times": {name: asdict(t) for name, t in times.items()},
        "library_over_floor64": None,
        "target": None,
        "passed": None,
    }
    for dtype in DTYPES:
        floor = times[f"draws {dtype}"].best + times[f"products {dtype}"].best
        pcg = times[f"step PCG64 {dtype}"].best
        best = times[f"step {fastest[dtype]} {dtype}"].best
        row[dtype] = {
            "fastest_bit_generator": fastest[dtype],
            "floor": floor,
            "step_pcg64": pcg,
            "step_fastest": best,
            "network_steps_per_s": config.ensemble / best,
            "step_over_floor": best / floor,
            "step_pcg64_over_floor": pcg / floor,
        }
    row["library_over_floor64"] = times["library float64"].best / row["float64"]["floor"]
    return row


def _small_networks_row(
    widths: tuple[int, ...],
    kappas: int,
    networks: int,
    label_noise: float,
    config: _Config,
    seed: int,
) -> dict[str, Any]:
    """One step of the coupled runs (numerics.coupled) of ``networks`` small networks at
    ``kappas`` noise scales: networks on the last axes (numerics.batch_last) against one
    matrix product per network (numerics.sde._anisotropic_update), same normals, checked to
    agree to FLOOR_AGREEMENT first."""
    rng = _rng(seed, 4, *widths)
    teacher = random_teacher(
        np.array([1.0]), shape=(widths[-1], widths[0]), rng=rng, label_noise=label_noise
    )
    layers = tuple(
        0.5 * rng.standard_normal((kappas, networks, widths[i + 1], widths[i]))
        for i in range(len(widths) - 1)
    )
    scales = np.linspace(0.01, 0.02, kappas)
    z1 = rng.standard_normal((networks, widths[0], widths[0]))
    z = rng.standard_normal((networks, widths[-1], widths[0]))
    stepper = BatchLastStep(teacher, batch_dims=2)
    last = to_batch_last(layers)
    z1_last, z_last = (np.moveaxis(x, (1, 2), (0, 1))[:, :, None] for x in (z1, z))
    per_network = partial(
        _anisotropic_update, layers, teacher, DT, scales.reshape(-1, 1, 1, 1), z1, z
    )
    batch_last = partial(stepper.advance, last, DT, scales.reshape(-1, 1), z1_last, z_last)
    error = max(
        float(np.max(np.abs(a - b)))
        for a, b in zip(per_network(), from_batch_last(batch_last()), strict=True)
    )
    require(error <= FLOOR_AGREEMENT, f"the batch-last step differs by {error:.3g} at {widths=}")
    times = _time(
        {"per network": per_network, "batch last": batch_last},
        repeats=config.repeats,
        long_repeats=config.long_repeats,
    )
    return {
        "widths": list(widths),
        "kappas": kappas,
        "networks": networks,
        "times": {name: asdict(t) for name, t in times.items()},
        "speedup": times["per network"].best / times["batch last"].best,
        "target": None,
        "passed": None,
    }


# --- driver and output ---------------------------------------------------------------------


@dataclass
class _Results:
    meta: dict[str, Any]
    gradients: list[dict[str, Any]] = field(default_factory=list)
    noise: list[dict[str, Any]] = field(default_factory=list)
    normals: list[dict[str, Any]] = field(default_factory=list)
    ensemble: list[dict[str, Any]] = field(default_factory=list)
    small: list[dict[str, Any]] = field(default_factory=list)

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
    for d in sorted({d for _, d in config.shapes}):
        results.normals.append(_normals_row(config.ensemble * 2 * d * d, config, seed))
    fastest = {
        d: row["fastest"]
        for d, row in zip(sorted({d for _, d in config.shapes}), results.normals, strict=True)
    }
    for depth, d in config.shapes:
        results.ensemble.append(_ensemble_row(depth, d, config, seed, fastest[d]))
    for widths, kappas, networks, label_noise in SMALL_NETWORKS:
        results.small.append(
            _small_networks_row(widths, kappas, networks, label_noise, config, seed)
        )
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
        "3a. standard normals into a preallocated buffer (Generator.standard_normal(out=...,"
        " dtype=...)), millions per second; size = one ensemble step's draws",
    ]
    out.append(
        table(
            ["size", *(f"{name} {dtype}" for dtype in DTYPES for name in BIT_GENERATORS)],
            [
                [
                    str(r["size"]),
                    *(
                        f"{r['normals_per_s'][f'{name} {dtype}'] / 1e6:.0f}"
                        for dtype in DTYPES
                        for name in BIT_GENERATORS
                    ),
                ]
                for r in results.normals
            ],
        )
    )
    out += [
        "",
        f"3b. one step of an ensemble of {config['ensemble']} networks"
        " (numerics.ensemble.AnisotropicEnsembleStep); floor = the step's batched products"
        " alone + its normal draws alone with the fastest bit generator",
    ]
    out.append(
        table(
            [
                "L",
                "d",
                "dtype",
                "bits",
                "step",
                "network-steps/s",
                "floor",
                "step/floor",
                "PCG64 step/floor",
                "old library step/floor",
            ],
            [
                [
                    str(r["L"]),
                    str(r["d"]),
                    dtype,
                    r[dtype]["fastest_bit_generator"],
                    _seconds(r[dtype]["step_fastest"]),
                    f"{r[dtype]['network_steps_per_s']:.3g}",
                    _seconds(r[dtype]["floor"]),
                    f"{r[dtype]['step_over_floor']:.2f}",
                    f"{r[dtype]['step_pcg64_over_floor']:.2f}",
                    f"{r['library_over_floor64']:.2f}" if dtype == "float64" else "-",
                ]
                for r in results.ensemble
                for dtype in DTYPES
            ],
        )
    )
    out += [
        "",
        "4. one step of the coupled runs of the stationary checks (C17, C18: small networks,"
        " one run per noise scale): networks on the last axes (numerics.batch_last) vs one"
        " matrix product per network",
    ]
    out.append(
        table(
            ["widths", "noise scales", "networks", "per network", "batch last", "speed-up"],
            [
                [
                    "x".join(map(str, r["widths"])),
                    str(r["kappas"]),
                    str(r["networks"]),
                    _seconds(r["times"]["per network"]["best"]),
                    _seconds(r["times"]["batch last"]["best"]),
                    f"{r['speedup']:.2f}x",
                ]
                for r in results.small
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
            "normals": results.normals,
            "ensemble": results.ensemble,
            "small_networks": results.small,
            "all_passed": results.all_passed,
        }
        print(json.dumps(payload, indent=2))
    else:
        print(_render(results))
    return 0 if results.all_passed else 1


if __name__ == "__main__":
    sys.exit(main())
