r"""Training trajectories: GD, online SGD, isotropic and anisotropic Langevin, recorded.

The experiments of the paper (its Figs. 1-4, Apps. H-J; DESIGN.md §8) step a deep linear
network with one of four optimisers and watch, over time :math:`t = k\,dt` (:math:`dt = \eta`
unless a separate Euler-Maruyama step is given),

* the population loss :math:`L(\theta) = \tfrac12\|W^\ast - W\|_F^2 + \tfrac12\operatorname{tr}
  \Sigma_\varepsilon`,
* the mode amplitudes :math:`s_a = u_a^\top W v_a` and the largest cross-mode amplitude
  :math:`\max_{a \ne b}|u_a^\top W v_b|` (assumption A2, alignment),
* the layer imbalance :math:`\|W_{l+1}^\top W_{l+1} - W_l W_l^\top\|_F` for
  :math:`l = 1, \dots, L-1` (assumption A1, balance), and its scale-free version divided by
  :math:`\|W_{l+1}\|_F^2 + \|W_l\|_F^2` (our normalisation: the paper's Eq. 33 was lost in
  extraction),
* optionally (``diffusion_samples > 0``) the *empirical modewise diffusion*

  .. math:: D_a = \kappa\operatorname{Var}_{x,\varepsilon}\bigl(\langle\nabla s_a,
            \nabla_\theta\ell(x, y)\rangle\bigr)
            = \kappa\operatorname{Var}\bigl(\langle\nabla s_a, \xi\rangle\bigr),

  estimated from fresh samples with per-sample gradients in closed form
  (:func:`numerics.observables.modewise_diffusion_samples`, the definition, no closed form of
  the paper) and its standard error (:func:`numerics.montecarlo.variance_estimate`);
  :math:`\kappa = \eta/B` unless given.  The samples come from a generator spawned from
  ``rng`` (:meth:`numpy.random.Generator.spawn`), so the training run itself is the same with
  and without them.

Optimisers (:mod:`numerics.sde`): ``"gd"`` — :math:`\theta \leftarrow \theta - \eta\nabla L`;
``"sgd"`` — online SGD with a fresh batch of size :math:`B`; ``"anisotropic"`` —
Euler-Maruyama of paper Eq. 1 with noise scale :math:`\kappa = \eta/B` and step :math:`dt`;
``"isotropic"`` — Euler-Maruyama of :math:`d\theta = -\nabla L\,dt + \sqrt{2T}\,dW`.  The
Langevin step :math:`dt` is :math:`\eta` by default (one SGD step is one unit of
:math:`\eta`) and can be set apart from :math:`\eta`, so that the discretisation error of the
SDE can be measured at fixed :math:`\kappa` (paper App. K).  Every optimiser steps a batch of independent networks at once (leading
dimensions of the weights), each with its own randomness.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import pairwise
from numbers import Integral
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dlnverify.errors import InvalidParameter
from numerics._validation import (
    check_generator,
    check_nonnegative_real,
    check_positive_int,
    check_positive_real,
)
from numerics.ensemble import AnisotropicEnsembleStep, WorkingDtype, check_working_dtype
from numerics.montecarlo import variance_estimate
from numerics.network import (
    Weights,
    _teacher_iv,
    cross_mode_amplitudes,
    population_loss,
    validate_weights,
)
from numerics.observables import modewise_diffusion_samples
from numerics.sde import (
    gradient_descent_step,
    isotropic_langevin_step,
    sgd_step,
)
from numerics.teacher import Teacher
from numerics.weights import layer_imbalance

__all__ = [
    "OPTIMIZERS",
    "Trajectory",
    "empirical_diffusion",
    "record",
    "record_count",
    "record_steps",
    "simulate_trajectory",
]

#: Optimisers :func:`simulate_trajectory` knows.
OPTIMIZERS = ("anisotropic", "gd", "isotropic", "sgd")


@dataclass(frozen=True)
class Trajectory:
    r"""Observables recorded along a training run.

    Arrays have the record index first, then the batch shape of the weights.

    Attributes
    ----------
    steps : numpy.ndarray, shape (k,)
        Step indices of the records (``0`` and the last step included).
    times : numpy.ndarray, shape (k,)
        :math:`t = k\,dt`.
    loss : numpy.ndarray, shape (k, ...)
        Population loss.
    modes : numpy.ndarray, shape (k, ..., r)
        Mode amplitudes :math:`s_a`.
    cross_modes : numpy.ndarray, shape (k, ...)
        :math:`\max_{a \ne b}|s_{ab}|` (0 for a rank-one teacher).
    imbalance : numpy.ndarray, shape (k, ..., L-1)
        :math:`\|W_{l+1}^\top W_{l+1} - W_l W_l^\top\|_F`.
    relative_imbalance : numpy.ndarray, shape (k, ..., L-1)
        The same divided by :math:`\|W_{l+1}\|_F^2 + \|W_l\|_F^2` (0 where both vanish).
    weights : tuple of numpy.ndarray
        The final weights.
    diffusion : numpy.ndarray, shape (k, ..., r), or None
        Empirical modewise diffusion :math:`D_a` at each record (``None`` unless
        ``diffusion_samples > 0``).
    diffusion_se : numpy.ndarray, shape (k, ..., r), or None
        Its standard error.
    """

    steps: NDArray[np.int64]
    times: NDArray[np.float64]
    loss: NDArray[np.float64]
    modes: NDArray[np.float64]
    cross_modes: NDArray[np.float64]
    imbalance: NDArray[np.float64]
    relative_imbalance: NDArray[np.float64]
    weights: Weights
    diffusion: NDArray[np.float64] | None = None
    diffusion_se: NDArray[np.float64] | None = None

    def arrays(self) -> dict[str, NDArray[Any]]:
        """The recorded arrays by name (for ``numpy.savez`` and tables).

        ``diffusion`` and ``diffusion_se`` are included when they were recorded.
        """
        arrays = {
            "steps": self.steps,
            "times": self.times,
            "loss": self.loss,
            "modes": self.modes,
            "cross_modes": self.cross_modes,
            "imbalance": self.imbalance,
            "relative_imbalance": self.relative_imbalance,
        }
        if self.diffusion is not None and self.diffusion_se is not None:
            arrays["diffusion"] = self.diffusion
            arrays["diffusion_se"] = self.diffusion_se
        return arrays


def record(weights: Sequence[ArrayLike], teacher: Teacher) -> dict[str, NDArray[np.float64]]:
    r"""The observables of :class:`Trajectory` at one point (without the record axis)."""
    layers = validate_weights(weights)
    teacher = _teacher_iv(layers, teacher)
    cross = cross_mode_amplitudes(layers, teacher)
    rank = cross.shape[-1]
    off = np.abs(cross) * (1.0 - np.eye(rank))
    imbalances = layer_imbalance(layers)
    batch = layers[0].shape[:-2]
    if imbalances:
        norms = np.stack([np.linalg.norm(d, axis=(-2, -1)) for d in imbalances], axis=-1)
        scales = np.stack(
            [
                np.sum(lower**2, axis=(-2, -1)) + np.sum(upper**2, axis=(-2, -1))
                for lower, upper in pairwise(layers)
            ],
            axis=-1,
        )
        relative = np.divide(norms, scales, out=np.zeros_like(norms), where=scales > 0)
    else:
        norms = relative = np.zeros((*batch, 0))
    return {
        "loss": population_loss(layers, teacher),
        "modes": np.diagonal(cross, axis1=-2, axis2=-1).copy(),
        "cross_modes": off.max(axis=(-2, -1)) if rank else np.zeros(batch),
        "imbalance": norms,
        "relative_imbalance": relative,
    }


def empirical_diffusion(
    weights: Sequence[ArrayLike],
    teacher: Teacher,
    *,
    n_samples: int,
    kappa: float,
    rng: np.random.Generator,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Monte Carlo modewise diffusion :math:`D_a = \kappa\operatorname{Var}\langle\nabla s_a,
    \xi\rangle` and its standard error, at one point.

    :math:`\xi` is the one-sample gradient noise at ``n_samples`` fresh data points (the
    ``"empirical"`` sampler of :func:`numerics.observables.modewise_diffusion_samples`: closed
    form per-sample gradients minus the population gradient); the variance and its standard
    error are those of :func:`numerics.montecarlo.variance_estimate`.

    Parameters
    ----------
    weights : sequence of array_like
        Layers of shape ``(..., h_l, h_{l-1})``.
    teacher : Teacher
        Data distribution; its rank :math:`r` is the number of modes.
    n_samples : int
        Samples per network, ``>= 2``.
    kappa : float
        Noise scale :math:`\kappa > 0`.
    rng : numpy.random.Generator
        Source of the data.
    progress : callable, optional
        Called as ``progress(done, n_samples)`` as the samples are drawn
        (:func:`numerics.observables.modewise_diffusion_samples`).

    Returns
    -------
    (diffusion, standard_error) : tuple of numpy.ndarray, shapes (..., r)
    """
    count = _diffusion_samples_iv(n_samples, name="n_samples")
    if count == 0:
        raise InvalidParameter(f"Got n_samples={n_samples!r}, but n_samples must be >= 2.")
    scale = check_positive_real("kappa", kappa)
    samples = modewise_diffusion_samples(
        weights, teacher, n_samples=count, rng=rng, progress=progress
    )
    estimate = variance_estimate(samples, axis=-2)
    value = np.asarray(estimate.value, dtype=np.float64)
    error = np.asarray(estimate.standard_error, dtype=np.float64)
    return scale * value, scale * error


def record_steps(steps: int, record_every: int) -> NDArray[np.int64]:
    """The steps :func:`simulate_trajectory` records: ``0``, every multiple of
    ``record_every`` up to ``steps``, and ``steps`` itself (once), in order; the array has
    :func:`record_count` entries and nothing larger is built."""
    n_steps = check_positive_int("steps", steps)
    every = check_positive_int("record_every", record_every)
    marks = np.arange(0, n_steps + 1, every, dtype=np.int64)
    return marks if marks[-1] == n_steps else np.append(marks, np.int64(n_steps))


def record_count(steps: int, record_every: int) -> int:
    """How many records :func:`simulate_trajectory` keeps for ``steps`` steps recorded every
    ``record_every``: the start, each multiple of ``record_every``, and the last step when it
    is not one of them (arithmetic only, for any size)."""
    n_steps = check_positive_int("steps", steps)
    every = check_positive_int("record_every", record_every)
    return n_steps // every + 1 + (n_steps % every != 0)


def _diffusion_samples_iv(value: Any, *, name: str = "diffusion_samples") -> int:
    if not isinstance(value, Integral) or isinstance(value, bool) or value < 0 or value == 1:
        raise InvalidParameter(
            f"Got {name}={value!r}, but {name} must be 0 (off) or an integer >= 2."
        )
    return int(value)


def _dt_iv(dt: Any, optimizer: str, eta: float) -> float:
    """The Langevin step: ``eta`` unless given; refused where it has no meaning."""
    if dt is None:
        return eta
    if optimizer in ("gd", "sgd"):
        raise InvalidParameter(
            f"Got dt={dt!r} with optimizer={optimizer!r}, but dt is the Euler-Maruyama step of "
            "the Langevin optimisers (anisotropic, isotropic); gd and sgd step by eta."
        )
    return check_positive_real("dt", dt)


def _dtype_iv(dtype: Any, optimizer: str) -> WorkingDtype:
    """The working precision: float32 only for the anisotropic step, which has a float32 path."""
    working = check_working_dtype(dtype)
    if working is WorkingDtype.FLOAT32 and optimizer != "anisotropic":
        raise InvalidParameter(
            f"Got dtype={dtype!r} with optimizer={optimizer!r}, but float32 is the working "
            "precision of the anisotropic Langevin step only; the other optimisers run in float64."
        )
    return working


def _stepper(
    optimizer: str,
    teacher: Teacher,
    *,
    eta: float,
    dt: float,
    batch_size: int,
    temperature: float,
    rng: np.random.Generator,
    batch: tuple[int, ...],
    dtype: WorkingDtype,
) -> Callable[[Weights], Weights]:
    if optimizer == "gd":
        return lambda w: gradient_descent_step(w, teacher, eta=eta)
    if optimizer == "sgd":
        return lambda w: sgd_step(w, teacher, eta=eta, batch_size=batch_size, rng=rng)
    if optimizer == "anisotropic":
        kappa = eta / batch_size
        return AnisotropicEnsembleStep(batch, teacher, dt=dt, kappa=kappa, rng=rng, dtype=dtype)
    if optimizer == "isotropic":
        return lambda w: isotropic_langevin_step(
            w, teacher, dt=dt, temperature=temperature, rng=rng
        )
    raise InvalidParameter(f"Got optimizer={optimizer!r}, but it must be one of {OPTIMIZERS}.")


def simulate_trajectory(
    weights: Sequence[ArrayLike],
    teacher: Teacher,
    *,
    optimizer: str,
    eta: float,
    steps: int,
    rng: np.random.Generator,
    batch_size: int = 1,
    temperature: float = 0.0,
    record_every: int = 1,
    progress: Callable[[int, int], None] | None = None,
    diffusion_samples: int = 0,
    kappa: float | None = None,
    dt: float | None = None,
    diffusion_progress: Callable[[int, int, int], None] | None = None,
    dtype: str = "float64",
) -> Trajectory:
    r"""Run ``steps`` steps of ``optimizer`` from ``weights`` and record the observables.

    Parameters
    ----------
    weights : sequence of array_like
        Initial layers, shape ``(..., h_l, h_{l-1})``; leading dimensions are independent
        networks.
    teacher : Teacher
        Teacher and label noise (the data distribution).
    optimizer : {"gd", "sgd", "anisotropic", "isotropic"}
        See the module docstring.
    eta : float
        Learning rate, finite and ``> 0``: the step of ``"gd"`` and ``"sgd"``; sets
        :math:`\kappa = \eta/B` of ``"anisotropic"``; the default :math:`dt`.
    steps : int
        Number of steps, ``>= 1``.
    rng : numpy.random.Generator
        Source of the data or noise (unused by ``"gd"`` but required, for one interface).
    batch_size : int, optional
        :math:`B \ge 1` for ``"sgd"``; sets :math:`\kappa = \eta/B` for ``"anisotropic"``.
    temperature : float, optional
        :math:`T \ge 0` for ``"isotropic"``.
    record_every : int, optional
        Record step ``k`` (and the start) when ``k % record_every == 0`` or ``k == steps``
        (:func:`record_steps`).
    progress : callable, optional
        Called as ``progress(done, steps)`` about a hundred times during the run.
    diffusion_samples : int, optional
        ``0`` (default): no diffusion is recorded.  ``>= 2``: at every record, estimate the
        modewise diffusion of every mode from this many fresh samples
        (:func:`empirical_diffusion`), stored in ``Trajectory.diffusion`` and
        ``Trajectory.diffusion_se``.  The samples come from ``rng.spawn(1)[0]``, so the
        recorded run is the same as without them.
    kappa : float, optional
        :math:`\kappa > 0` of the recorded diffusion (default :math:`\eta/B`).
    dt : float, optional
        Euler-Maruyama step of ``"anisotropic"`` and ``"isotropic"``, finite and ``> 0``
        (default :math:`\eta`).  ``"gd"`` and ``"sgd"`` step by :math:`\eta` and refuse it.
    diffusion_progress : callable, optional
        With ``diffusion_samples``: called as ``diffusion_progress(step, done,
        diffusion_samples)`` as the samples of the record at ``step`` are drawn (a record of
        many samples takes longer than many steps).
    dtype : {"float64", "float32"}, optional
        Working precision of the ``"anisotropic"`` steps (default ``"float64"``): the weights,
        the normal draws and the products of every step
        (:class:`numerics.ensemble.AnisotropicEnsembleStep`); the records are computed in
        float64 from the weights, and ``Trajectory.weights`` is in the working precision.  The
        other optimisers run in float64 and refuse ``"float32"``.

    Returns
    -------
    Trajectory
    """
    layers = validate_weights(weights)
    teacher = _teacher_iv(layers, teacher)
    step_size = check_positive_real("eta", eta)
    n_steps = check_positive_int("steps", steps)
    every = check_positive_int("record_every", record_every)
    batch = check_positive_int("batch_size", batch_size)
    heat = check_nonnegative_real("temperature", temperature)
    rng = check_generator(rng)
    n_diffusion = _diffusion_samples_iv(diffusion_samples)
    scale = step_size / batch if kappa is None else check_positive_real("kappa", kappa)
    time_step = _dt_iv(dt, optimizer, step_size)
    working = _dtype_iv(dtype, optimizer)
    diffusion_rng = rng.spawn(1)[0] if n_diffusion else None
    advance = _stepper(
        optimizer,
        teacher,
        eta=step_size,
        dt=time_step,
        batch_size=batch,
        temperature=heat,
        rng=rng,
        batch=layers[0].shape[:-2],
        dtype=working,
    )
    layers = tuple(w.astype(working.numpy, copy=False) for w in layers)

    def diffusion_at(
        step: int, sampler: np.random.Generator
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The diffusion recorded at ``step`` (at the current ``layers``)."""
        sampled = None if diffusion_progress is None else partial(diffusion_progress, step)
        return empirical_diffusion(
            layers, teacher, n_samples=n_diffusion, kappa=scale, rng=sampler, progress=sampled
        )

    records = [record(layers, teacher)]
    diffusions = []
    if diffusion_rng is not None:
        diffusions.append(diffusion_at(0, diffusion_rng))
    tick = max(1, n_steps // 100)
    for k in range(1, n_steps + 1):
        with np.errstate(over="ignore", invalid="ignore"):
            layers = advance(layers)
            finite = all(np.isfinite(w).all() for w in layers)
            if finite and (k % every == 0 or k == n_steps):
                records.append(record(layers, teacher))
                finite = bool(np.isfinite(records[-1]["loss"]).all())
                if finite and diffusion_rng is not None:
                    diffusions.append(diffusion_at(k, diffusion_rng))
        if not finite:
            raise InvalidParameter(
                f"Got non-finite weights or loss at step {k} (eta={step_size:g}, "
                f"dt={time_step:g}, optimizer={optimizer!r}): the run diverged; lower "
                f"{'eta' if dt is None else 'dt'}."
            )
        if progress is not None and (k % tick == 0 or k == n_steps):
            progress(k, n_steps)
    stacked = {name: np.stack([r[name] for r in records]) for name in records[0]}
    marks_array = record_steps(n_steps, every)
    return Trajectory(
        steps=marks_array,
        times=(marks_array * time_step).astype(np.float64),
        weights=layers,
        diffusion=np.stack([d for d, _ in diffusions]) if diffusions else None,
        diffusion_se=np.stack([e for _, e in diffusions]) if diffusions else None,
        **stacked,
    )
