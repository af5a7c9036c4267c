r"""Euler-Maruyama of the anisotropic Langevin SDE at :math:`dt` and :math:`dt/2` on one
Brownian path, at several noise scales from the same normals.

Richardson extrapolation, :math:`2 f(dt/2) - f(dt)`, removes the :math:`O(dt)` weak error of
Euler-Maruyama (paper App. K measures at fixed :math:`\kappa`).  From two *independent* runs
its variance is :math:`4\operatorname{Var} f(dt/2) + \operatorname{Var} f(dt) \approx
5\operatorname{Var} f`.  Here both runs are driven by one Brownian motion (common random
numbers): each coarse step uses the sum of the two fine steps' increments,

.. math:: \sqrt{dt}\,\frac{Z_a + Z_b}{\sqrt2} = \sqrt{dt/2}\,Z_a + \sqrt{dt/2}\,Z_b,

with :math:`Z_a, Z_b` the standard normals :math:`(Z_1, Z)` of the exact noise factor
(:func:`numerics.noise._output_noise_from_normals`: the noise is linear in them, so these are
Brownian increments of the SDE's driving motion).  The two runs then differ by the
discretisation only (strong error :math:`O(dt^{1/2})`), and the extrapolation's variance is
close to :math:`\operatorname{Var} f`.  The runs at the noise scales ``kappas`` are driven by
the same normals too, so a difference or extrapolation in :math:`\kappa` is as well resolved.

Each network (leading batch index) has its own normals, so the networks are independent of
one another and any per-network combination of the runs (an extrapolated time average, say)
is an i.i.d. sample over networks: its spread over networks gives a valid standard error
(:func:`numerics.montecarlo.mean_estimate`), whatever the coupling inside a network.

The runs step the networks in the layout of :mod:`numerics.batch_last` (networks on the last
axes), from the normals drawn as :func:`numerics.sde.anisotropic_langevin_step` draws them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dlnverify.errors import InvalidParameter
from numerics._validation import check_generator, check_positive_int, check_positive_real
from numerics.batch_last import BatchLastStep, from_batch_last, to_batch_last
from numerics.network import Weights, _teacher_iv, validate_weights
from numerics.noise import _output_normals
from numerics.teacher import Teacher
from numerics.trajectory import Trajectory, record

__all__ = ["CoupledRuns", "coupled_langevin_runs"]


@dataclass(frozen=True)
class CoupledRuns:
    r"""Runs at step :math:`dt` (``coarse``) and :math:`dt/2` (``fine``), one per noise scale,
    recorded at the same times, all driven by one Brownian path per network.

    Attributes
    ----------
    kappas : tuple of float
        The noise scales :math:`\kappa`.
    dt : float
        The coarse step.
    coarse, fine : tuple of Trajectory
        ``coarse[k]`` and ``fine[k]`` at ``kappas[k]``; ``steps`` counts each run's own steps.
    """

    kappas: tuple[float, ...]
    dt: float
    coarse: tuple[Trajectory, ...]
    fine: tuple[Trajectory, ...]


def _kappas_iv(kappas: Any) -> tuple[float, ...]:
    if isinstance(kappas, str | bytes) or not isinstance(kappas, Sequence) or not kappas:
        raise InvalidParameter(
            f"Got kappas={kappas!r}, but kappas must be a non-empty sequence of noise scales."
        )
    return tuple(check_positive_real("kappa", k) for k in kappas)


def _split(
    records: list[dict[str, NDArray[np.float64]]],
    marks: NDArray[np.int64],
    times: NDArray[np.float64],
    layers: Weights,
) -> tuple[Trajectory, ...]:
    """One :class:`Trajectory` per noise scale (the leading axis of the stacked runs)."""
    stacked = {name: np.stack([r[name] for r in records]) for name in records[0]}
    return tuple(
        Trajectory(
            steps=marks,
            times=times,
            weights=tuple(w[k] for w in layers),
            **{name: array[:, k] for name, array in stacked.items()},
        )
        for k in range(layers[0].shape[0])
    )


def coupled_langevin_runs(
    weights: Sequence[ArrayLike],
    teacher: Teacher,
    *,
    kappas: Sequence[float],
    dt: float,
    steps: int,
    rng: np.random.Generator,
    record_every: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> CoupledRuns:
    r"""Run the anisotropic Langevin SDE (paper Eq. 1) from ``weights`` at step ``dt`` for
    ``steps`` steps and at ``dt / 2`` for twice as many, at every noise scale of ``kappas``,
    on one Brownian path per network (module docstring), and record the observables of
    :func:`numerics.trajectory.record` every ``record_every`` coarse steps (and at the end).

    Parameters
    ----------
    weights : sequence of array_like
        Initial layers, shape ``(..., h_l, h_{l-1})``; leading dimensions are independent
        networks.
    teacher : Teacher
        Teacher and label noise.
    kappas : sequence of float
        Noise scales :math:`\kappa > 0`.
    dt : float
        Coarse Euler-Maruyama step, finite and ``> 0``.
    steps : int
        Coarse steps, ``>= 1``.
    rng : numpy.random.Generator
        Source of the normals.
    record_every : int, optional
        Record every this many coarse steps (the last step is always recorded).
    progress : callable, optional
        Called as ``progress(done, steps)`` about a hundred times.

    Returns
    -------
    CoupledRuns
    """
    layers = validate_weights(weights)
    teacher = _teacher_iv(layers, teacher)
    scales = _kappas_iv(kappas)
    step = check_positive_real("dt", dt)
    n_steps = check_positive_int("steps", steps)
    every = check_positive_int("record_every", record_every)
    rng = check_generator(rng)
    batch = layers[0].shape[:-2]
    # networks on the last axes, (h_l, h_{l-1}, kappa, *batch) (numerics.batch_last), the noise
    # scales on the first of them, broadcast against every network's normals
    kappa = np.asarray(scales).reshape((-1,) + (1,) * len(batch))
    start = tuple(np.broadcast_to(w, (len(scales), *w.shape)) for w in layers)
    coarse = fine = to_batch_last(start)
    stepper = BatchLastStep(teacher, 1 + len(batch))
    marks = sorted({*range(0, n_steps + 1, every), n_steps})
    wanted = set(marks)
    first = record(start, teacher)  # the runs start together: one record for both
    coarse_records, fine_records = [first], [first]
    tick = max(1, n_steps // 100)
    for k in range(1, n_steps + 1):
        # (*batch, 2, ., .) -> (2, ., ., 1, *batch): the draws in the order they always had
        z1, z = (
            np.expand_dims(np.moveaxis(x, (-3, -2, -1), (0, 1, 2)), 3)
            for x in _output_normals(batch, teacher, 2, rng=rng)
        )
        with np.errstate(over="ignore", invalid="ignore"):
            for half in (0, 1):
                fine = stepper.advance(fine, step / 2, kappa, z1[half], z[half])
            joined = [(x[0] + x[1]) / math.sqrt(2.0) for x in (z1, z)]
            coarse = stepper.advance(coarse, step, kappa, *joined)
            if k in wanted:
                coarse_records.append(record(from_batch_last(coarse), teacher))
                fine_records.append(record(from_batch_last(fine), teacher))
                finite = all(
                    np.isfinite(r["loss"]).all() for r in (coarse_records[-1], fine_records[-1])
                )
                if not finite:  # non-finite values stay so: checking at the records suffices
                    raise InvalidParameter(
                        f"Got non-finite weights or loss by step {k} (dt={step:g}, kappas="
                        f"{scales}): the run diverged; lower dt."
                    )
        if progress is not None and (k % tick == 0 or k == n_steps):
            progress(k, n_steps)
    steps_array = np.asarray(marks, dtype=np.int64)
    times = (steps_array * step).astype(np.float64)
    return CoupledRuns(
        kappas=scales,
        dt=step,
        coarse=_split(coarse_records, steps_array, times, from_batch_last(coarse)),
        fine=_split(fine_records, 2 * steps_array, times, from_batch_last(fine)),
    )
