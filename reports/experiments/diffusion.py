r"""The modewise diffusion along training, against the derived formula (paper Sec. 4, Figs. 1 and 3).

One SGD run (:mod:`reports.experiments.training`, the App. H set-up) records, at every record time
:math:`t`, the mode amplitudes :math:`s_a(t)` and the *empirical* modewise diffusion

.. math:: \hat D_a(t) = \kappa\,\widehat{\operatorname{Var}}_{x,\varepsilon}
          \bigl(\langle\nabla s_a, \nabla_\theta\ell(x, y)\rangle\bigr)

with its standard error (:func:`numerics.trajectory.empirical_diffusion`: fresh samples,
closed-form per-sample gradients, no formula of the paper).  It is compared with the derived
aligned-balanced diffusion (:func:`derivations.aligned_balanced.aligned_diffusion`, paper
Eq. 7 / Prop. 3.5)

.. math:: D(s) = \kappa L^2 s^{4-4/L}\bigl(2(\sigma - s)^2 + \sigma_\varepsilon^2\bigr)

evaluated at :math:`s = s_a(t)`, :math:`\sigma = \sigma_a` (teacher singular value),
:math:`\sigma_\varepsilon` the label noise and :math:`\kappa = \eta/B`; the formula is
lambdified, nothing retyped.  The two agree exactly on the aligned-balanced manifold; along a
run from small random initialisation they differ where the network is not aligned (cross
modes :math:`s_{ab} \ne 0`) or not balanced, which :func:`experiment_summary` reports
separately.

Peak times (:func:`peak_times`): the time of the largest empirical :math:`\hat D_a` (argmax over
records, uncertain by one record spacing), the time :math:`s_a(t)` first crosses the derived
peak :math:`s^\ast` (:func:`derivations.diffusion_peak.diffusion_peak`, paper Eq. 9; exists for
:math:`L \ge 2` and small enough label noise), and the time it first reaches a fraction of
:math:`\sigma_a` (default :math:`1/2`).  Crossing times are interpolated linearly between
records.  Note :math:`s^\ast = 2(L-1)\sigma/(3L-2)` without label noise: :math:`\sigma/2` at
:math:`L = 2`, above :math:`\sigma/2` for :math:`L \ge 3`, always below :math:`\sigma` (the
paper's "before the mode is *fully* learned").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache, partial
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import sympy as sp
from numpy.typing import NDArray

from derivations.aligned_balanced import aligned_diffusion
from derivations.conventions import L, kappa, s, sigma, sigma_eps
from derivations.diffusion_peak import diffusion_peak, peak_threshold
from dlnverify.errors import InvalidParameter
from numerics.montecarlo import z_threshold
from numerics.trajectory import Trajectory
from reports.engine.verdict import FALSE_ALARM_RATE
from reports.experiments import training
from reports.experiments.kind import ExperimentKind
from reports.experiments.tables import ExperimentTables, training_tables
from reports.experiments.training import (
    DiffusionModeSummary,
    DiffusionSummary,
    SimulationConfig,
    TrainingSummary,
    training_summary,
)
from reports.render.figures import figure_file, figure_path

__all__ = [
    "ALIGNED_TOLERANCE",
    "DEFAULT_DIFFUSION_SAMPLES",
    "DiffusionExperiment",
    "PeakTimes",
    "TrainingExperiment",
    "TrainingRun",
    "amplitude_figure",
    "amplitude_panels",
    "default_experiment_config",
    "diffusion_along_training",
    "diffusion_figure",
    "diffusion_panels",
    "diffusion_summary",
    "experiment_summary",
    "peak_times",
]

#: A record counts as "close to aligned and balanced" when the largest cross-mode amplitude is
#: at most this fraction of the smallest teacher singular value and every relative layer
#: imbalance is at most this number.
ALIGNED_TOLERANCE = 0.05

#: Fresh samples per record of the default experiment.
DEFAULT_DIFFUSION_SAMPLES = 4000

#: Steps and record spacing of the default experiment by depth (200-400 records, dense enough
#: to resolve the learning of a mode; every mode learned by the end of the run from the
#: App. H initialisation).
_DEFAULT_RUNS = {1: (400, 2), 2: (600, 3), 3: (1500, 5), 4: (2000, 5)}


@dataclass(frozen=True)
class DiffusionExperiment:
    r"""A training run with its empirical modewise diffusion and the derived one.

    Attributes
    ----------
    config : SimulationConfig
        The run's parameters.
    trajectory : Trajectory
        The recorded run; ``trajectory.diffusion`` and ``diffusion_se`` are set.
    diffusion_samples : int
        Fresh samples per record of the empirical diffusion.
    kappa : float
        :math:`\kappa = \eta/B`.
    singular_values : numpy.ndarray, shape (r,)
        Teacher singular values :math:`\sigma_a`.
    predicted : numpy.ndarray, shape (k, ..., r)
        Derived :math:`D(s_a(t))` (paper Eq. 7); NaN where :math:`s_a(t) < 0` (off the
        aligned-balanced manifold, where :math:`s_a \ge 0`).
    peak_amplitudes : numpy.ndarray, shape (r,)
        Derived :math:`s^\ast` for each mode (NaN where there is no peak).
    """

    config: SimulationConfig
    trajectory: Trajectory
    diffusion_samples: int
    kappa: float
    singular_values: NDArray[np.float64]
    predicted: NDArray[np.float64]
    peak_amplitudes: NDArray[np.float64]


@dataclass(frozen=True)
class PeakTimes:
    r"""Predicted and observed times of the diffusion peak, per mode.

    Arrays have the batch shape of the run followed by the mode axis, ``(..., r)``; times that
    do not exist (no :math:`s^\ast`, threshold never reached) are NaN.

    Attributes
    ----------
    empirical : numpy.ndarray
        Time of the largest recorded empirical diffusion.
    empirical_uncertainty : numpy.ndarray
        One record spacing around that record (the larger of the two neighbouring spacings).
    formula : numpy.ndarray
        Time of the largest Eq. 7 value along the run (:math:`D(s_a(t))`; NaN if undefined
        throughout), to compare the peak *positions* independently of the crossing times.
    peak_crossing : numpy.ndarray
        First time :math:`s_a(t) \ge s^\ast`.
    learned : numpy.ndarray
        First time :math:`s_a(t) \ge` ``learned_fraction`` :math:`\sigma_a`.
    learned_fraction : float
        The fraction defining ``learned``.
    """

    empirical: NDArray[np.float64]
    empirical_uncertainty: NDArray[np.float64]
    formula: NDArray[np.float64]
    peak_crossing: NDArray[np.float64]
    learned: NDArray[np.float64]
    learned_fraction: float


def default_experiment_config(depth: int = 2, **overrides: Any) -> SimulationConfig:
    r"""The App. H set-up (teacher :math:`3, 2, 1`, :math:`d = 12`, :math:`\gamma = 2`, online
    SGD :math:`B = 1`, :math:`\eta = 0.01`) with about 100 records and every mode learned.

    ``overrides`` are further :class:`SimulationConfig` fields (validated).
    """
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 1:
        raise InvalidParameter(f"Got depth={depth!r}, but depth must be an integer >= 1.")
    steps, every = _DEFAULT_RUNS.get(depth, (800 * depth, 8 * depth))
    values = {"optimizer": "sgd", "depth": depth, "steps": steps, "record_every": every}
    return SimulationConfig.from_mapping({**values, **overrides})


@cache
def _diffusion_function(depth: int) -> Callable[..., Any]:
    expr = aligned_diffusion().subs(L, depth)
    return sp.lambdify((s, sigma, sigma_eps, kappa), expr, modules="numpy")  # type: ignore[no-any-return]


def _eq7(
    amplitudes: NDArray[np.float64],
    sigmas: NDArray[np.float64],
    noise: float,
    scale: float,
    depth: int,
) -> NDArray[np.float64]:
    function = _diffusion_function(depth)
    positive = np.where(amplitudes >= 0, amplitudes, 1.0)
    with np.errstate(invalid="ignore", over="ignore"):
        values = np.asarray(function(positive, sigmas, noise, scale), dtype=np.float64)
    values = np.broadcast_to(values, amplitudes.shape)
    return np.where(amplitudes >= 0, values, np.nan)


def _peak_amplitude(depth: int, value: float, noise: float) -> float:
    """Derived :math:`s^\\ast` for one mode, NaN where the local maximum does not exist
    (:math:`L = 1`, or label noise at or above the derived threshold of Eq. 10, where the
    two critical points merge into an inflection point or turn complex)."""
    if depth < 2:
        return math.nan
    where = {L: depth, sigma: value, sigma_eps: noise}
    if not noise < float(peak_threshold().subs({L: depth, sigma: value})):
        return math.nan
    return float(sp.N(diffusion_peak().subs(where)))


def _samples_iv(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 2:
        raise InvalidParameter(
            f"Got diffusion_samples={value!r}, but diffusion_samples must be an integer >= 2."
        )
    return value


def diffusion_along_training(
    config: SimulationConfig,
    *,
    diffusion_samples: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    diffusion_progress: Callable[[int, int, int], None] | None = None,
) -> DiffusionExperiment:
    r"""Run ``config`` recording the empirical modewise diffusion, and evaluate Eq. 7 along it.

    The run is :func:`reports.experiments.training.run_simulation` (same seed, same trajectory as
    without the diffusion: its samples come from an independent stream spawned from the
    run's generator).

    Parameters
    ----------
    config : SimulationConfig
        The run (e.g. :func:`default_experiment_config`).
    diffusion_samples : int, optional
        Fresh samples per record and network for the empirical diffusion, ``>= 2``;
        defaults to ``config.diffusion_samples`` (which must then be ``>= 2``).
    progress, diffusion_progress : callable, optional
        Passed to :func:`numerics.trajectory.simulate_trajectory`: over the steps, and over
        the diffusion samples of each record.

    Returns
    -------
    DiffusionExperiment
    """
    if not isinstance(config, SimulationConfig):
        raise InvalidParameter(
            f"Got config of type {type(config).__name__}, but config must be a SimulationConfig."
        )
    count = _samples_iv(
        config.diffusion_samples if diffusion_samples is None else diffusion_samples
    )
    config = SimulationConfig.from_mapping({"diffusion_samples": count}, base=config)
    scale = config.kappa
    trajectory = training.run_simulation(
        config, progress=progress, diffusion_progress=diffusion_progress
    )
    sigmas = np.asarray(config.singular_values, dtype=np.float64)
    return DiffusionExperiment(
        config=config,
        trajectory=trajectory,
        diffusion_samples=count,
        kappa=scale,
        singular_values=sigmas,
        predicted=_eq7(trajectory.modes, sigmas, config.label_noise, scale, config.depth),
        peak_amplitudes=np.array(
            [_peak_amplitude(config.depth, float(v), config.label_noise) for v in sigmas]
        ),
    )


def _first_crossing(
    times: NDArray[np.float64], values: NDArray[np.float64], level: NDArray[np.float64]
) -> NDArray[np.float64]:
    """First time ``values`` (records first) reaches ``level``, linearly interpolated; NaN if
    never (or if ``level`` is NaN)."""
    level = np.broadcast_to(level, values.shape[1:])
    above = values >= level
    reached = above.any(axis=0)
    index = np.argmax(above, axis=0)
    before = np.maximum(index - 1, 0)
    v1 = np.take_along_axis(values, index[None], axis=0)[0]
    v0 = np.take_along_axis(values, before[None], axis=0)[0]
    t1, t0 = times[index], times[before]
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = np.where((index > 0) & (v1 > v0), (level - v0) / (v1 - v0), 1.0)
    crossing = t0 + np.clip(fraction, 0.0, 1.0) * (t1 - t0)
    return np.where(reached & np.isfinite(level), crossing, np.nan)


def peak_times(experiment: DiffusionExperiment, *, learned_fraction: float = 0.5) -> PeakTimes:
    r"""Empirical diffusion peak vs the :math:`s^\ast` crossing vs learning, per mode.

    Parameters
    ----------
    experiment : DiffusionExperiment
        From :func:`diffusion_along_training`.
    learned_fraction : float, optional
        A mode counts as learned at :math:`s_a \ge` ``learned_fraction`` :math:`\sigma_a`;
        in :math:`(0, 1]`.

    Returns
    -------
    PeakTimes
    """
    if not isinstance(experiment, DiffusionExperiment):
        raise InvalidParameter(
            f"Got experiment of type {type(experiment).__name__}, but experiment must be a"
            " DiffusionExperiment."
        )
    fraction = learned_fraction
    if not isinstance(fraction, int | float) or isinstance(fraction, bool) or not 0 < fraction <= 1:
        raise InvalidParameter(
            f"Got learned_fraction={learned_fraction!r}, but it must be a number in (0, 1]."
        )
    run = experiment.trajectory
    if run.diffusion is None:
        raise InvalidParameter(
            "Got an experiment without recorded diffusion; run it with diffusion_samples >= 2."
        )
    times = run.times
    index = np.argmax(run.diffusion, axis=0)
    spacing = np.diff(times)
    left = np.concatenate([[0.0], spacing])
    right = np.concatenate([spacing, [0.0]])
    defined = np.isfinite(experiment.predicted)
    formula = np.argmax(np.where(defined, experiment.predicted, -np.inf), axis=0)
    return PeakTimes(
        empirical=times[index],
        empirical_uncertainty=np.maximum(left[index], right[index]),
        formula=np.where(defined.any(axis=0), times[formula], np.nan),
        peak_crossing=_first_crossing(times, run.modes, experiment.peak_amplitudes),
        learned=_first_crossing(times, run.modes, float(fraction) * experiment.singular_values),
        learned_fraction=float(fraction),
    )


def _aligned_records(experiment: DiffusionExperiment, tolerance: float) -> NDArray[np.bool_]:
    """Records (and members) close to the aligned-balanced manifold, shape (k, ...)."""
    run = experiment.trajectory
    cross_ok = run.cross_modes <= tolerance * float(np.min(experiment.singular_values))
    imbalance = run.relative_imbalance
    balance_ok = (
        np.all(imbalance <= tolerance, axis=-1) if imbalance.shape[-1] else np.ones_like(cross_ok)
    )
    return np.asarray(cross_ok & balance_ok, dtype=bool)


def _finite_or_none(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def diffusion_summary(
    experiment: DiffusionExperiment, *, aligned_tolerance: float = ALIGNED_TOLERANCE
) -> DiffusionSummary:
    r"""The figures of a :class:`DiffusionExperiment`.

    Per mode (times averaged over the ensemble when there is one; ``None`` where a time does
    not exist):

    * timing: ``sigma``, ``s_star``, ``empirical_peak_time`` with ``peak_time_uncertainty``
      (one record spacing), ``formula_peak_time`` (argmax of Eq. 7 along the run),
      ``s_star_crossing_time``, ``half_time`` (:math:`s_a = \sigma_a/2`), ``full_time``
      (:math:`s_a = 0.9\sigma_a`), ``peak_before_half`` and ``peak_before_full`` (the
      empirical peak at least one record spacing earlier);
    * size: ``max_diffusion`` (empirical) and ``max_formula`` (Eq. 7);
    * agreement with Eq. 7, :math:`z = (\hat D_a - D(s_a))/\mathrm{SE}`:
      ``max_abs_z_aligned`` and ``n_aligned_records`` over the records close to aligned and
      balanced (:data:`ALIGNED_TOLERANCE`); over the *learning window* (records where Eq. 7
      is at least 10 % of its maximum) ``median_relative_error_window``,
      ``max_relative_error_window`` (:math:`|\hat D_a/D(s_a) - 1|`) and ``max_abs_z_window``;
      ``max_abs_z_all`` and ``worst_time_all`` over every record with :math:`s_a \ge 0`.

    ``threshold`` is the Bonferroni :math:`z^\ast` (false-alarm rate :math:`10^{-6}`) over the
    aligned comparisons of all modes.
    """
    peaks = peak_times(experiment)
    full = peak_times(experiment, learned_fraction=0.9)
    run = experiment.trajectory
    assert run.diffusion is not None
    assert run.diffusion_se is not None
    aligned = _aligned_records(experiment, aligned_tolerance)
    predicted = experiment.predicted
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (run.diffusion - predicted) / run.diffusion_se
        relative = np.abs(run.diffusion / predicted - 1.0)
    valid = np.isfinite(z)
    largest = np.max(np.where(np.isfinite(predicted), predicted, 0.0), axis=0)
    window = valid & (predicted >= 0.1 * largest) & (largest > 0)
    n_aligned = int(np.sum(aligned[..., None] & valid))
    modes = []
    for a, value in enumerate(experiment.singular_values):
        za, ok = z[..., a], valid[..., a]
        mask = ok & aligned
        inside = window[..., a]
        abs_all = np.where(ok, np.abs(za), -1.0)
        worst = np.unravel_index(int(np.argmax(abs_all)), abs_all.shape)
        peak = float(np.mean(peaks.empirical[..., a]))
        spacing = float(np.mean(peaks.empirical_uncertainty[..., a]))
        half = float(np.mean(peaks.learned[..., a]))
        done = float(np.mean(full.learned[..., a]))
        modes.append(
            DiffusionModeSummary(
                mode=a + 1,
                sigma=float(value),
                s_star=_finite_or_none(experiment.peak_amplitudes[a]),
                empirical_peak_time=peak,
                peak_time_uncertainty=spacing,
                formula_peak_time=_finite_or_none(np.mean(peaks.formula[..., a])),
                s_star_crossing_time=_finite_or_none(np.mean(peaks.peak_crossing[..., a])),
                half_time=_finite_or_none(half),
                full_time=_finite_or_none(done),
                peak_before_half=bool(peak + spacing <= half) if math.isfinite(half) else None,
                peak_before_full=bool(peak + spacing <= done) if math.isfinite(done) else None,
                max_diffusion=float(np.max(run.diffusion[..., a])),
                max_formula=_finite_or_none(np.mean(largest[..., a])),
                max_abs_z_aligned=float(np.max(np.abs(za[mask]))) if mask.any() else None,
                n_aligned_records=int(mask.sum()),
                median_relative_error_window=(
                    float(np.median(relative[..., a][inside])) if inside.any() else None
                ),
                max_relative_error_window=(
                    float(np.max(relative[..., a][inside])) if inside.any() else None
                ),
                max_abs_z_window=float(np.max(np.abs(za[inside]))) if inside.any() else None,
                max_abs_z_all=float(abs_all[worst]) if ok.any() else None,
                worst_time_all=float(run.times[worst[0]]) if ok.any() else None,
            )
        )
    return DiffusionSummary(
        config=experiment.config,
        diffusion_samples=experiment.diffusion_samples,
        kappa=experiment.kappa,
        aligned_tolerance=float(aligned_tolerance),
        threshold=z_threshold(FALSE_ALARM_RATE, max(1, n_aligned)),
        false_alarm_rate=FALSE_ALARM_RATE,
        modes=tuple(modes),
    )


def experiment_summary(
    experiment: DiffusionExperiment, *, aligned_tolerance: float = ALIGNED_TOLERANCE
) -> dict[str, Any]:
    """JSON-friendly figures of a :class:`DiffusionExperiment`: the JSON form of
    :func:`diffusion_summary`."""
    return diffusion_summary(experiment, aligned_tolerance=aligned_tolerance).to_json()


def _members(array: NDArray[np.float64], records: int, rank: int) -> NDArray[np.float64]:
    """``(k, ..., r)`` as ``(k, M, r)``."""
    return array.reshape(records, -1, rank)


def diffusion_panels(experiment: DiffusionExperiment, panels: Any, label: str = "") -> None:
    """Draw :func:`diffusion_figure`'s panels (one per mode) into the axes ``panels``,
    ``label`` (the run of a sweep) heading each title."""
    if not isinstance(experiment, DiffusionExperiment):
        raise InvalidParameter(
            f"Got experiment of type {type(experiment).__name__}, but experiment must be a"
            " DiffusionExperiment."
        )
    run = experiment.trajectory
    assert run.diffusion is not None
    assert run.diffusion_se is not None
    records, rank = run.times.size, experiment.singular_values.size
    empirical = _members(run.diffusion, records, rank)
    members = empirical.shape[1]
    mean = empirical.mean(axis=1)
    se = np.sqrt(np.sum(_members(run.diffusion_se, records, rank) ** 2, axis=1)) / members
    formula = _members(experiment.predicted, records, rank)
    known = np.isfinite(formula)
    counts = known.sum(axis=1)
    predicted = np.where(
        counts > 0, np.where(known, formula, 0.0).sum(axis=1) / np.maximum(counts, 1), np.nan
    )
    peaks = peak_times(experiment)
    for a, axis in enumerate(panels[:rank]):
        axis.fill_between(
            run.times,
            mean[:, a] - 2 * se[:, a],
            mean[:, a] + 2 * se[:, a],
            color="C0",
            alpha=0.3,
            linewidth=0,
        )
        axis.plot(run.times, mean[:, a], color="C0", linewidth=1.0, label="empirical")
        axis.plot(
            run.times,
            predicted[:, a],
            color="C3",
            linestyle="--",
            linewidth=1.2,
            label="Eq. 7 at $s_a(t)$",
        )
        lines = (
            (peaks.peak_crossing, "--", "k", "$s_a = s^*$"),
            (peaks.learned, ":", "k", r"$s_a = \sigma_a/2$"),
            (peaks.empirical, "-", "C0", "empirical peak"),
        )
        for times, style, colour, name in lines:
            when = float(np.nanmean(times[..., a])) if np.isfinite(times[..., a]).any() else None
            if when is not None:
                axis.axvline(when, linestyle=style, color=colour, linewidth=0.8, label=name)
        axis.set_title(rf"{label}mode {a + 1}, $\sigma = {experiment.singular_values[a]:g}$")
        axis.set_xlabel("$t$")
        if a == 0:
            axis.set_ylabel(r"$D_a(t)$")
            axis.legend(fontsize="x-small")


def diffusion_figure(experiment: DiffusionExperiment, path: str | Path) -> Path:
    r"""Empirical :math:`\hat D_a(t) \pm 2\,\mathrm{SE}` and Eq. 7 at :math:`s_a(t)`, one panel
    per mode, with the predicted peak times (paper Figs. 1 and 3).

    Vertical lines: the time :math:`s_a` crosses :math:`s^\ast` (dashed), the half-learning
    time (dotted) and the empirical peak (solid, thin).  With an ensemble the curves are the
    ensemble means (standard error of the mean) and the times the ensemble-mean times.  The
    file (``.pdf`` or ``.png``) is the same, byte for byte, for the same experiment.

    Returns
    -------
    pathlib.Path
    """
    if not isinstance(experiment, DiffusionExperiment):
        raise InvalidParameter(
            f"Got experiment of type {type(experiment).__name__}, but experiment must be a"
            " DiffusionExperiment."
        )
    target = figure_path(path)
    with figure_file(target, panels=experiment.singular_values.size) as panels:
        diffusion_panels(experiment, panels)
    return target


def amplitude_panels(experiment: TrainingExperiment, panels: Any, label: str = "") -> None:
    r"""One panel per mode: :math:`s_a(t)/\sigma_a` along a training run (the ensemble mean
    with an ensemble), with the half-learning level dotted and its first crossing marked (the
    half time of the run's summary): the learning of the modes, paper Fig. 2.  ``label``
    (the run of a sweep) heads each title."""
    run, config = experiment.trajectory, experiment.config
    sigmas = np.asarray(config.singular_values, dtype=float)
    rank = sigmas.size
    modes = run.modes.reshape(run.times.size, -1, rank).mean(axis=1) / sigmas
    summary = training_summary(run, config)
    for a, axis in enumerate(panels[:rank]):
        axis.plot(run.times, modes[:, a], color="C0", linewidth=1.2, label=r"$s_a(t)/\sigma_a$")
        axis.axhline(0.5, linestyle=":", color="k", linewidth=0.8)
        half = summary.half_times[a]
        if half is not None:
            axis.axvline(half, linestyle="--", color="C3", linewidth=0.8, label="half time")
        axis.set_title(rf"{label}mode {a + 1}, $\sigma = {sigmas[a]:g}$", fontsize=9)
        axis.set_xlabel("$t$")
        if a == 0:
            axis.set_ylabel(r"$s_a(t)/\sigma_a$")
            axis.legend(fontsize="x-small")


def amplitude_figure(experiment: TrainingExperiment, path: str | Path) -> Path:
    """:func:`amplitude_panels` of a training run, one panel per mode, drawn to ``path``
    (the same bytes for the same run)."""
    target = figure_path(path)
    rank = len(experiment.config.singular_values)
    with figure_file(target, panels=rank) as panels:
        amplitude_panels(experiment, panels)
    return target


@dataclass(frozen=True)
class TrainingExperiment:
    """A training run, with the diffusion along it when recorded.

    Attributes
    ----------
    config : SimulationConfig
    trajectory : Trajectory
        The recorded run.
    diffusion : DiffusionExperiment or None
        The diffusion along the run against Eq. 7 (``None``: ``diffusion_samples`` is 0).
    """

    config: SimulationConfig
    trajectory: Trajectory
    diffusion: DiffusionExperiment | None = None


class TrainingRun:
    """The training kind of run (:attr:`ExperimentKind.TRAINING`): one run from the small
    initialisation (:func:`reports.experiments.training.run_simulation`), with the diffusion
    along it against Eq. 7 when ``diffusion_samples`` is set (:func:`diffusion_along_training`).
    """

    kind: ClassVar[ExperimentKind] = ExperimentKind.TRAINING

    @staticmethod
    def default_config() -> SimulationConfig:
        """The defaults of :class:`~reports.experiments.training.SimulationConfig`."""
        return SimulationConfig()

    @staticmethod
    def check(config: SimulationConfig, *, start: str | None, start_gap: float | None) -> None:
        """Nothing beyond the configuration's own checks; ``start`` and ``start_gap`` are
        not read."""

    @staticmethod
    def run(
        config: SimulationConfig,
        *,
        start: str | None,
        start_gap: float | None,
        progress: Callable[[int, int], None] | None = None,
        diffusion_progress: Callable[[int, int, int], None] | None = None,
    ) -> TrainingExperiment:
        """The run (and the diffusion along it when ``config.diffusion_samples`` is set);
        ``start`` and ``start_gap`` are not read."""
        if config.diffusion_samples:
            diffusion = diffusion_along_training(
                config, progress=progress, diffusion_progress=diffusion_progress
            )
            return TrainingExperiment(config, diffusion.trajectory, diffusion)
        return TrainingExperiment(config, training.run_simulation(config, progress=progress))

    @staticmethod
    def summary(experiment: TrainingExperiment) -> TrainingSummary:
        """:func:`~reports.experiments.training.training_summary`, with
        :func:`diffusion_summary` when the diffusion was recorded."""
        summary = training_summary(experiment.trajectory, experiment.config)
        if experiment.diffusion is None:
            return summary
        return replace(summary, diffusion=diffusion_summary(experiment.diffusion))

    @staticmethod
    def trajectory(experiment: TrainingExperiment) -> Trajectory | None:
        """The recorded run."""
        return experiment.trajectory

    @staticmethod
    def tables(summary: TrainingSummary) -> ExperimentTables:
        """:func:`~reports.experiments.tables.training_tables` of the JSON form."""
        return training_tables(summary.to_json())

    @staticmethod
    def figure(experiment: TrainingExperiment) -> Callable[[str | Path], Path] | None:
        """:func:`diffusion_figure` of the diffusion, to draw at a path, or without it
        :func:`amplitude_figure` of the run."""
        if experiment.diffusion is None:
            return partial(amplitude_figure, experiment)
        return partial(diffusion_figure, experiment.diffusion)

    @staticmethod
    def panels(experiment: TrainingExperiment, axes: Any, label: str = "") -> None:
        """The panels of :meth:`figure` drawn into ``axes`` (one per mode)."""
        if experiment.diffusion is None:
            amplitude_panels(experiment, axes, label)
        else:
            diffusion_panels(experiment.diffusion, axes, label)

    @staticmethod
    def parameters(*, start: str | None, start_gap: float | None) -> dict[str, Any]:
        """None: a training run has no start of its own."""
        return {}

    @staticmethod
    def sweep_row(summary: TrainingSummary) -> dict[str, Any]:
        """The final loss and each mode's half time, then each mode's largest diffusion and
        its time when recorded (columns ending in ``_a``)."""
        row: dict[str, Any] = {"final_loss": summary.final_loss}
        for a, time in enumerate(summary.half_times, 1):
            row[f"half_time_{a}"] = time
        for mode in () if summary.diffusion is None else summary.diffusion.modes:
            row[f"max_diffusion_{mode.mode}"] = mode.max_diffusion
            row[f"peak_time_{mode.mode}"] = mode.empirical_peak_time
        return row
