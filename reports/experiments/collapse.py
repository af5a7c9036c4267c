r"""Collapse of the mode amplitudes without label noise (paper Fig. 4 and App. K at
:math:`\sigma_\varepsilon = 0`; C11).

Without label noise the stationary law of a mode is a Dirac mass at :math:`\sigma` (C11): the
zero-current density is not normalisable there, and the modewise SDE of C7 collapses onto
:math:`\sigma` at the rate derived by Itô's formula on the linearised SDE,

.. math:: \lambda_{C11} = -\frac{d}{dt}\,E\log|\sigma - s_t|
          = L\sigma^{2-2/L} + \kappa L^2\sigma^{4-4/L}

(:func:`derivations.stationary.collapse_rate`).  This experiment asks whether the *full
network* collapses at that rate.  An ensemble of ``config.ensemble`` networks starts on the
aligned-balanced manifold at :math:`s_a = \sigma_a(1 - \delta)` (:math:`\delta` =
``start_gap``; the same point for every network) and is stepped by Euler-Maruyama of paper
Eq. 1 (``optimizer = "anisotropic"``, :math:`\kappa = \eta/B`, step ``config.time_step``).
At every record :math:`t_k` the log-gaps :math:`\log|\sigma_a - s_a(t_k)|` are kept; per
window :math:`[t_{k-1}, t_k]` and per network the slope
:math:`-(\log|\sigma_a - s_a(t_k)| - \log|\sigma_a - s_a(t_{k-1})|)/(t_k - t_{k-1})` is one
independent sample of the window's collapse rate (mean and standard error over the ensemble).
Euler-Maruyama has weak order one, so a second run at :math:`dt/2` (same teacher and start,
same record times) is driven by the same Brownian path as the first
(:func:`numerics.coupled.coupled_langevin_runs`), and per network the window slopes are
combined by Richardson, :math:`2\hat r_{dt/2} - \hat r_{dt}`; the rate and its standard
error are the mean and standard error of these combinations over the independent networks
(the coupling makes the combination about as variable as one run, where two independent
runs would make it five times as variable).  A window is *unresolved* (no rate) once some network's gap
falls below :data:`ROUND_OFF_GAP` :math:`\sigma_a`, where the round-off of
:math:`s_a = u_a^\top W v_a` dominates it.

The row estimate.  Near the teacher, without label noise, the full network linearises in
:math:`\Delta = W^* - W`: in the teacher's singular bases (:math:`u_i`, :math:`v_j`, completed
by null-space directions with :math:`s = 0`) every entry relaxes at its own rate and is driven
by noise from its own *row* only,

.. math:: d\Delta_{ij} = -K_{ij}\,\Delta_{ij}\,dt + \sqrt{\kappa}\,K_{ij}\,(\Delta G)_{ij}\,
          dW, \qquad K_{ij} = \sum_{l=1}^{L} s_i^{2(L-l)/L}\, s_j^{2(l-1)/L}

(:math:`0^0 = 1`; :math:`G` the GOE of DESIGN.md §6, since :math:`N = \Delta G` at
:math:`\sigma_\varepsilon = 0`), so the gap :math:`\Delta_{aa} = \sigma_a - s_a` (:math:`K_{aa}
= L\sigma_a^{2-2/L}`, the C11 drift) is coupled to the other entries of row :math:`a`: the
cross-mode entries :math:`\Delta_{ab}` and the :math:`n = d - r` entries towards the
teacher's input null space, which relax at only :math:`K_{a0} = \sigma_a^{2-2/L}`.  Itô's
formula on :math:`\log|\rho|` for a block of :math:`n` entries with a common rate :math:`K`
(:math:`E|(\rho G)_\text{block}|^2 = (n + 1)|\rho|^2`, :math:`E(\hat\rho^\top G\hat\rho)^2 =
2`) gives the block's rate :math:`K + \kappa K^2 (3 - n)/2` (for the gap itself, :math:`n =
1`: exactly :math:`\lambda_{C11}`), and a row collapses at the rate of its slowest block,
:func:`~reports.laws.collapse_rates.row_collapse_rate`, up to :math:`O(\kappa^2)`.  Claim C16
(:mod:`derivations.row_collapse`) derives this first-order rate (Khasminskii's formula on the
linearised row) and, for rows of two entries, the exact rate by quadrature
(:mod:`reports.claims.row_collapse`); the tests check that the row estimate equals the
derived first-order rate.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from dlnverify.errors import InvalidParameter
from numerics.coupled import coupled_langevin_runs
from numerics.montecarlo import z_threshold
from numerics.trajectory import Trajectory
from reports.engine.verdict import FALSE_ALARM_RATE
from reports.experiments.kind import ExperimentKind
from reports.experiments.summary import Summary
from reports.experiments.tables import ExperimentTables, collapse_tables
from reports.experiments.training import SimulationConfig, aligned_init, seeded_teacher
from reports.laws.collapse_rates import c11_collapse_rate, row_collapse_rate
from reports.render.figures import figure_file, figure_path

__all__ = [
    "CollapseExperiment",
    "CollapseModeSummary",
    "CollapseRun",
    "CollapseSummary",
    "CollapseWindow",
    "DEFAULT_START_GAP",
    "ROUND_OFF_GAP",
    "check_collapse_config",
    "collapse_experiment",
    "collapse_experiment_summary",
    "collapse_figure",
    "collapse_panels",
    "collapse_summary",
    "default_collapse_config",
]

#: Gaps below this fraction of :math:`\sigma_a` are round-off (float64 :math:`s_a`).
ROUND_OFF_GAP = 1e-13
#: Relative gap of the start, :math:`s_a = \sigma_a(1 - \text{gap})`, unless told otherwise.
DEFAULT_START_GAP = 1e-2


@dataclass(frozen=True)
class CollapseExperiment:
    r"""Log-gaps of an ensemble at two time steps and the window collapse rates.

    Attributes
    ----------
    config : SimulationConfig
        The run at the coarse step ``config.time_step``.
    start_gap : float
        :math:`\delta`: every network starts at :math:`s_a = \sigma_a(1 - \delta)`.
    kappa : float
        :math:`\eta/B`.
    singular_values : numpy.ndarray, shape (r,)
    times : numpy.ndarray, shape (R,)
        Record times (the same for both runs).
    log_gaps, fine_log_gaps : numpy.ndarray, shape (R, M, r)
        :math:`\log|\sigma_a - s_a(t_k)|` at step :math:`dt` and :math:`dt/2`.
    rates, rates_se : numpy.ndarray, shape (R - 1, r)
        Richardson-extrapolated window rates and standard errors (``nan`` where unresolved).
    c11_rates, row_rates : numpy.ndarray, shape (r,)
        :func:`~reports.laws.collapse_rates.c11_collapse_rate` and
        :func:`~reports.laws.collapse_rates.row_collapse_rate` of each mode.
    """

    config: SimulationConfig
    start_gap: float
    kappa: float
    singular_values: NDArray[np.float64]
    times: NDArray[np.float64]
    log_gaps: NDArray[np.float64]
    fine_log_gaps: NDArray[np.float64]
    rates: NDArray[np.float64]
    rates_se: NDArray[np.float64]
    c11_rates: NDArray[np.float64]
    row_rates: NDArray[np.float64]


def default_collapse_config(**overrides: Any) -> SimulationConfig:
    r"""Depth 2, width 4, teacher :math:`(2, 1)`, no label noise, anisotropic Langevin with
    :math:`\kappa = \eta = 0.05` and :math:`dt = 0.0125` (and :math:`dt/2`), 2048 networks
    to :math:`t = 6` in 12 windows; a few seconds on one core.

    ``overrides`` are further :class:`SimulationConfig` fields (validated).
    """
    values = {
        "optimizer": "anisotropic",
        "depth": 2,
        "width": 4,
        "singular_values": (2.0, 1.0),
        "label_noise": 0.0,
        "eta": 0.05,
        "dt": 0.0125,
        "ensemble": 2048,
        "duration": 6.0,
        "record_every": 40,
    }
    if "steps" in overrides:
        del values["duration"]
    return SimulationConfig.from_mapping({**values, **overrides})


def check_collapse_config(config: Any, start_gap: Any = DEFAULT_START_GAP) -> SimulationConfig:
    """``config`` if a collapse experiment can run from it, else a one-line
    :class:`~dlnverify.errors.InvalidParameter` naming the problem."""
    if not isinstance(config, SimulationConfig):
        raise InvalidParameter(
            f"Got config of type {type(config).__name__}, but config must be a SimulationConfig."
        )
    if config.optimizer != "anisotropic":
        raise InvalidParameter(
            f"Got optimizer={config.optimizer!r}, but the collapse rate is extrapolated to"
            " dt -> 0 at fixed kappa, which needs optimizer 'anisotropic' (SGD steps by eta)."
        )
    if config.label_noise != 0:
        raise InvalidParameter(
            f"Got label_noise={config.label_noise}, but the collapse experiment is the case"
            " without label noise (with it, use the stationary experiment)."
        )
    if config.ensemble < 2:
        raise InvalidParameter(
            f"Got ensemble={config.ensemble}, but a standard error needs >= 2 networks."
        )
    if config.steps < 2 * config.record_every:
        raise InvalidParameter(
            f"Got steps={config.steps} and record_every={config.record_every}, but a collapse"
            " rate needs at least two windows (steps >= 2 * record_every)."
        )
    if (
        not isinstance(start_gap, int | float)
        or isinstance(start_gap, bool)
        or not 0 < start_gap < 1
    ):
        raise InvalidParameter(f"Got start_gap={start_gap!r}, but it must be in (0, 1).")
    return config


def _window_slopes(log_gaps: NDArray[np.float64], times: NDArray[np.float64]) -> Any:
    """Per window and network: minus the slope of the log-gap, shape (R-1, M, r)."""
    with np.errstate(invalid="ignore"):  # a gap at exactly 0 (-inf) leaves its window unresolved
        return -np.diff(log_gaps, axis=0) / np.diff(times)[:, None, None]


def _log_gaps(modes: NDArray[np.float64], sigmas: NDArray[np.float64]) -> NDArray[np.float64]:
    with np.errstate(divide="ignore"):
        return np.log(np.abs(sigmas - np.asarray(modes, dtype=np.float64)))


def _both_runs(progress: Callable[[int, int], None], done: int, total: int) -> None:
    """``progress`` counting the steps of both runs: each coarse step comes with two fine."""
    progress(3 * done, 3 * total)


def collapse_experiment(
    config: SimulationConfig,
    *,
    start_gap: float = DEFAULT_START_GAP,
    progress: Callable[[int, int], None] | None = None,
) -> CollapseExperiment:
    r"""Run the ensemble at :math:`dt` and :math:`dt/2` and measure the window collapse rates.

    The teacher is built from ``config.seed`` as in :func:`reports.experiments.training.run_simulation`;
    the same generator draws the hidden bases of the aligned-balanced start and then the seed
    of the noise, one Brownian path per network shared by the two runs.

    Parameters
    ----------
    config : SimulationConfig
        Optimiser ``"anisotropic"``, ``label_noise = 0``, ``ensemble >= 2``, at least two
        windows (e.g. :func:`default_collapse_config`).
    start_gap : float, optional
        :math:`\delta \in (0, 1)`.
    progress : callable, optional
        Called as ``progress(done, total)`` over the steps of both runs (a coarse step and
        its two fine steps count three).

    Returns
    -------
    CollapseExperiment
    """
    config = check_collapse_config(config, start_gap)
    sigmas = np.asarray(config.singular_values, dtype=np.float64)
    rng, teacher = seeded_teacher(config)
    start = aligned_init(config, teacher, sigmas * (1 - start_gap), rng)
    runs = coupled_langevin_runs(
        start,
        teacher,
        kappas=(config.kappa,),
        dt=config.time_step,
        steps=config.steps,
        rng=rng.spawn(1)[0],
        record_every=config.record_every,
        progress=None if progress is None else partial(_both_runs, progress),
    )
    times = np.asarray(runs.coarse[0].times, dtype=np.float64)
    coarse, refined = _log_gaps(runs.coarse[0].modes, sigmas), _log_gaps(runs.fine[0].modes, sigmas)
    with np.errstate(invalid="ignore"):
        # per network, Richardson in dt of the coupled runs: (R-1, M, r)
        slopes = 2 * _window_slopes(refined, times) - _window_slopes(coarse, times)
        mean = slopes.mean(axis=1)
        error = slopes.std(axis=1, ddof=1) / math.sqrt(slopes.shape[1])
    floor = np.log(ROUND_OFF_GAP * sigmas)
    resolved = (coarse[1:].min(axis=1) > floor) & (refined[1:].min(axis=1) > floor)
    rates = np.where(resolved, mean, np.nan)
    rates_se = np.where(resolved, error, np.nan)
    null_dim = config.width - sigmas.size
    scale = config.kappa
    return CollapseExperiment(
        config=config,
        start_gap=float(start_gap),
        kappa=scale,
        singular_values=sigmas,
        times=times,
        log_gaps=coarse,
        fine_log_gaps=refined,
        rates=rates,
        rates_se=rates_se,
        c11_rates=np.array([c11_collapse_rate(config.depth, float(v), scale) for v in sigmas]),
        row_rates=np.array(
            [
                row_collapse_rate(config.depth, tuple(sigmas), a, null_dim, scale)
                for a in range(sigmas.size)
            ]
        ),
    )


def _experiment_iv(experiment: Any) -> CollapseExperiment:
    if not isinstance(experiment, CollapseExperiment):
        raise InvalidParameter(
            f"Got experiment of type {type(experiment).__name__}, but experiment must be a"
            " CollapseExperiment."
        )
    return experiment


def _number(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True)
class CollapseWindow(Summary):
    """One window of one mode's collapse.

    Attributes
    ----------
    start, end : float
        The window's record times.
    rate, rate_se : float or None
        Richardson-extrapolated collapse rate and its standard error (``None``: unresolved).
    z_c11 : float or None
        The rate against C11's (``None``: unresolved).
    """

    start: float
    end: float
    rate: float | None
    rate_se: float | None
    z_c11: float | None


@dataclass(frozen=True)
class CollapseModeSummary(Summary):
    r"""One mode's collapse against C11's rate and the row estimate of C16.

    Attributes
    ----------
    mode : int
        :math:`a`, from 1.
    sigma : float
    c11_rate, row_rate : float
        :math:`\lambda_{C11}` and the row estimate.
    late_window : tuple[float, float] or None
        The last resolved window (``None``: none is).
    late_rate, late_rate_se, late_z_c11, late_z_row : float or None
        Its rate, standard error, and the rate against C11's and the row estimate.
    windows : tuple[CollapseWindow, ...]
    """

    mode: int
    sigma: float
    c11_rate: float
    row_rate: float
    late_window: tuple[float, float] | None
    late_rate: float | None
    late_rate_se: float | None
    late_z_c11: float | None
    late_z_row: float | None
    windows: tuple[CollapseWindow, ...]


@dataclass(frozen=True)
class CollapseSummary(Summary):
    r"""The figures of a :class:`CollapseExperiment` (:func:`collapse_summary`).

    Attributes
    ----------
    config : SimulationConfig
        The run at the coarse step.
    start_gap, kappa : float
    time_steps : tuple[float, float]
        :math:`dt` and :math:`dt/2`.
    n_networks : int
    final_time : float
    threshold : float
        Bonferroni :math:`z^\ast` at ``false_alarm_rate`` over every resolved window.
    false_alarm_rate : float
    follows_c11 : bool
        Every resolved window within the threshold of C11's rate.
    modes : tuple[CollapseModeSummary, ...]
    """

    config: SimulationConfig
    start_gap: float
    kappa: float
    time_steps: tuple[float, float]
    n_networks: int
    final_time: float
    threshold: float
    false_alarm_rate: float
    follows_c11: bool
    modes: tuple[CollapseModeSummary, ...]


def collapse_summary(experiment: CollapseExperiment) -> CollapseSummary:
    r"""The figures of a :class:`CollapseExperiment`.

    Per mode (:class:`CollapseModeSummary`) C11's rate and the row estimate, each window's
    rate against C11's, and the last resolved window against both; globally the Bonferroni
    threshold :math:`z^*` at false-alarm rate :math:`10^{-6}` over every resolved window of
    every mode and whether every resolved window lies within it.
    """
    experiment = _experiment_iv(experiment)
    resolved = np.isfinite(experiment.rates)
    threshold = z_threshold(FALSE_ALARM_RATE, max(1, int(resolved.sum())))
    times = experiment.times
    modes = []
    for a, value in enumerate(experiment.singular_values):
        rate, se = experiment.rates[:, a], experiment.rates_se[:, a]
        c11, row = float(experiment.c11_rates[a]), float(experiment.row_rates[a])
        windows = tuple(
            CollapseWindow(
                start=float(times[k]),
                end=float(times[k + 1]),
                rate=_number(rate[k]),
                rate_se=_number(se[k]),
                z_c11=_number((rate[k] - c11) / se[k]),
            )
            for k in range(rate.size)
        )
        last = [k for k in range(rate.size) if resolved[k, a]]
        late = last[-1] if last else None
        modes.append(
            CollapseModeSummary(
                mode=a + 1,
                sigma=float(value),
                c11_rate=c11,
                row_rate=row,
                late_window=None if late is None else (float(times[late]), float(times[late + 1])),
                late_rate=None if late is None else float(rate[late]),
                late_rate_se=None if late is None else float(se[late]),
                late_z_c11=None if late is None else float((rate[late] - c11) / se[late]),
                late_z_row=None if late is None else float((rate[late] - row) / se[late]),
                windows=windows,
            )
        )
    z = (experiment.rates - experiment.c11_rates) / experiment.rates_se
    return CollapseSummary(
        config=experiment.config,
        start_gap=experiment.start_gap,
        kappa=experiment.kappa,
        time_steps=(experiment.config.time_step, experiment.config.time_step / 2),
        n_networks=int(experiment.log_gaps.shape[1]),
        final_time=float(times[-1]),
        threshold=threshold,
        false_alarm_rate=FALSE_ALARM_RATE,
        follows_c11=bool(np.all(np.abs(z[resolved]) <= threshold)),
        modes=tuple(modes),
    )


def collapse_experiment_summary(experiment: CollapseExperiment) -> dict[str, Any]:
    r"""JSON-friendly figures of a :class:`CollapseExperiment`: the JSON form of
    :func:`collapse_summary`.

    Per mode: ``sigma``, ``c11_rate``, ``row_rate``, and per window ``start``, ``end``,
    ``rate``, ``rate_se``, ``z_c11`` (``None`` where unresolved); ``late_rate`` /
    ``late_rate_se`` / ``late_z_c11`` / ``late_z_row`` of the last resolved window.  Global:
    ``threshold`` (Bonferroni :math:`z^*` at false-alarm rate :math:`10^{-6}` over every
    resolved window of every mode) and ``follows_c11`` (every resolved window within it).
    """
    return collapse_summary(experiment).to_json()


def collapse_panels(experiment: CollapseExperiment, panels: Any, label: str = "") -> None:
    """Draw :func:`collapse_figure`'s panels (one per mode) into the axes ``panels``,
    ``label`` (the run of a sweep) heading each title."""
    experiment = _experiment_iv(experiment)
    times = experiment.times
    step = experiment.config.time_step
    for a, axis in enumerate(panels[: experiment.singular_values.size]):
        coarse = experiment.log_gaps[:, :, a]
        refined = experiment.fine_log_gaps[:, :, a]
        usable = np.all(np.isfinite(coarse), axis=1) & np.all(np.isfinite(refined), axis=1)
        axis.plot(times[usable], coarse[usable].mean(axis=1), "o-", ms=3, label=f"dt = {step:g}")
        axis.plot(
            times[usable], refined[usable].mean(axis=1), "s-", ms=3, label=f"dt = {step / 2:g}"
        )
        start = refined[0].mean()
        axis.plot(
            times, start - experiment.c11_rates[a] * times, "--", color="C3", label="C11 rate"
        )
        end_time = times[usable][-1]
        end = refined[usable][-1].mean()
        axis.plot(
            times,
            end - experiment.row_rates[a] * (times - end_time),
            ":",
            color="C2",
            label="row estimate",
        )
        low = min(coarse[usable].mean(axis=1).min(), refined[usable].mean(axis=1).min())
        axis.set_ylim(low - 2, start + 1)
        axis.set_title(
            rf"{label}mode {a + 1}, $\sigma = {experiment.singular_values[a]:g}$", fontsize=9
        )
        axis.set_xlabel("$t$")
        if a == 0:
            axis.set_ylabel(r"$E\,\log|\sigma_a - s_a|$")
            axis.legend(fontsize="x-small")


def collapse_figure(experiment: CollapseExperiment, path: str | Path) -> Path:
    r"""One panel per mode: the ensemble mean of :math:`\log|\sigma_a - s_a|` over time at
    :math:`dt` and :math:`dt/2`, a line of slope :math:`-\lambda_{C11}` from the start, and one
    of slope minus the row estimate through the last point.

    The file (``.pdf`` or ``.png``) is the same, byte for byte, for the same experiment.

    Returns
    -------
    pathlib.Path
    """
    experiment = _experiment_iv(experiment)
    target = figure_path(path)
    with figure_file(target, panels=experiment.singular_values.size) as panels:
        collapse_panels(experiment, panels)
    return target


class CollapseRun:
    """The collapse kind of run (:attr:`ExperimentKind.COLLAPSE`): an ensemble without label
    noise from ``start_gap`` below the teacher, at :math:`dt` and :math:`dt/2`, against the
    rates of C11 and C16 (:func:`collapse_experiment`)."""

    kind: ClassVar[ExperimentKind] = ExperimentKind.COLLAPSE

    @staticmethod
    def default_config() -> SimulationConfig:
        """:func:`default_collapse_config`."""
        return default_collapse_config()

    @staticmethod
    def check(config: SimulationConfig, *, start: str | None, start_gap: float | None) -> None:
        """:func:`check_collapse_config` at ``start_gap``; ``start`` is not read."""
        check_collapse_config(config, DEFAULT_START_GAP if start_gap is None else start_gap)

    @staticmethod
    def run(
        config: SimulationConfig,
        *,
        start: str | None,
        start_gap: float | None,
        progress: Callable[[int, int], None] | None = None,
        diffusion_progress: Callable[[int, int, int], None] | None = None,
    ) -> CollapseExperiment:
        """:func:`collapse_experiment` from ``start_gap``; ``start`` and
        ``diffusion_progress`` are not read (the collapse experiment records no diffusion)."""
        assert start_gap is not None  # plan_run chooses the start gap of a collapse run
        return collapse_experiment(config, start_gap=start_gap, progress=progress)

    @staticmethod
    def summary(experiment: CollapseExperiment) -> CollapseSummary:
        """:func:`collapse_summary`."""
        return collapse_summary(experiment)

    @staticmethod
    def trajectory(experiment: CollapseExperiment) -> Trajectory | None:
        """``None``: the experiment keeps its log-gaps, not a trajectory to write."""
        return None

    @staticmethod
    def tables(summary: CollapseSummary) -> ExperimentTables:
        """:func:`~reports.experiments.tables.collapse_tables` of the JSON form."""
        return collapse_tables(summary.to_json())

    @staticmethod
    def figure(experiment: CollapseExperiment) -> Callable[[str | Path], Path] | None:
        """:func:`collapse_figure` of ``experiment``, to draw at a path."""
        return partial(collapse_figure, experiment)

    @staticmethod
    def panels(experiment: Any, axes: Any, label: str = "") -> None:
        """:func:`collapse_panels`: the panels of :meth:`figure` drawn into ``axes``."""
        collapse_panels(experiment, axes, label)

    @staticmethod
    def parameters(*, start: str | None, start_gap: float | None) -> dict[str, Any]:
        """The start gap, as a report lists it after the configuration."""
        return {"start_gap": start_gap}

    @staticmethod
    def sweep_row(summary: CollapseSummary) -> dict[str, Any]:
        """Per mode the last resolved window's rate and its z against C11's and the row
        estimate (columns ending in ``_a``), then whether the network follows C11."""
        row: dict[str, Any] = {}
        for mode in summary.modes:
            a = mode.mode
            row[f"late_rate_{a}"] = mode.late_rate
            row[f"z_c11_{a}"] = mode.late_z_c11
            row[f"z_row_{a}"] = mode.late_z_row
        row["follows_c11"] = "yes" if summary.follows_c11 else "NO"
        return row
