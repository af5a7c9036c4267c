r"""End-of-training histograms of the mode amplitudes against the stationary law (paper Fig. 4, App. K).

An ensemble of full networks (config.ensemble of them, depth :math:`L`, teacher of
:mod:`reports.experiments.training`) is stepped by ``config.optimizer`` (``"anisotropic"``:
Euler-Maruyama of paper Eq. 1 with :math:`\kappa = \eta/B` and step ``config.time_step``; or online
``"sgd"``) with label noise :math:`\sigma_\varepsilon > 0`, for ``config.steps`` steps.  By
default (``start="aligned"``) every network starts *on* the aligned-balanced manifold at the
teacher, :math:`s_a = \sigma_a` (:func:`numerics.weights.aligned_balanced_weights`); with
``start="small"`` it starts from the small Gaussian initialisation of
:func:`reports.experiments.training.run_simulation` (the same run, the paper's set-up).  The final mode
amplitudes :math:`s_a = u_a^\top W v_a` over the ensemble (one value per network: independent
samples) are compared, mode by mode, with the derived zero-current law of C10

.. math:: p(s) \propto s^{1-1/L} D(s)^{-1}\exp\int^s \frac{2 g}{D}, \qquad
          g = L s^{2-2/L}(\sigma - s),\quad
          D = \kappa L^2 s^{4-4/L}\bigl(\sigma_\varepsilon^2 + 2(\sigma - s)^2\bigr),

(:func:`reports.laws.mode_law.derived_mode_law`: the derived density at :math:`L`,
:math:`\sigma = \sigma_a`, normalised by quadrature).  Compared: the ensemble mean and
variance with their standard errors (:func:`numerics.montecarlo.mean_estimate`,
:func:`~numerics.montecarlo.variance_estimate`) against the density's exact mean and variance,
:math:`z = (\hat m - m)/\mathrm{SE}`.  Also reported: the first-order moments
:func:`~derivations.stationary.stationary_mean` (below :math:`\sigma`),
:func:`~derivations.stationary.stationary_variance`, the paper's drift-zero mean
:func:`~derivations.stationary.drift_zero_mean` (above :math:`\sigma`), and the final
cross-mode amplitudes and layer imbalance (the single-mode law assumes alignment and balance;
C14: the SDE does not preserve balance), and C17's first-order mean of each mode of the full
network (:func:`full_network_means`): at width :math:`d > 1` the other entries of
:math:`W` pull every mean below the single-mode law's.

The law is exact for the full network at width 1 with a rank-one teacher (alignment is
automatic; from a balanced start every layer gets the same update up to sign, so the scalar
weights stay equal in magnitude, balanced, at every :math:`L`; at :math:`L = 1` the network
*is* the mode: drift :math:`\sigma - s`, noise variance
:math:`\kappa(2(\sigma - s)^2 + \sigma_\varepsilon^2)`), up to the time step; at
:math:`L = 1` both discrete chains have stationary variance
:math:`\eta\sigma_\varepsilon^2/(2 - 3\eta)` at :math:`B = 1`, the law
:math:`\kappa\sigma_\varepsilon^2/(2 - 2\kappa)`, relative bias :math:`\eta/2`.  At width
:math:`d > 1` and :math:`L = 1` the other entries of the row :math:`u^\top W` add
:math:`O(\kappa d)` relative to the variance.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import sympy as sp
from numpy.typing import NDArray

from derivations.conventions import kappa, sigma_eps
from derivations.network_mean import stated_mode_mean
from dlnverify.errors import InvalidParameter
from numerics.montecarlo import mean_estimate, variance_estimate, z_threshold
from numerics.trajectory import Trajectory
from reports.engine.verdict import FALSE_ALARM_RATE
from reports.experiments.kind import ExperimentKind
from reports.experiments.summary import Summary
from reports.experiments.tables import ExperimentTables, stationary_tables
from reports.experiments.training import (
    SimulationConfig,
    aligned_init,
    seeded_teacher,
    small_init,
    train,
)
from reports.laws.mode_law import ModeLaw, derived_mode_law
from reports.render.figures import figure_file, figure_path

__all__ = [
    "STARTS",
    "STATIONARY_OPTIMIZERS",
    "StationaryExperiment",
    "StationaryModeSummary",
    "StationaryRun",
    "StationarySummary",
    "check_stationary_config",
    "default_stationary_config",
    "full_network_means",
    "stationary_experiment_summary",
    "stationary_histogram",
    "stationary_histogram_figure",
    "stationary_panels",
    "stationary_summary",
]

#: Allowed starting points: on the aligned-balanced manifold at the teacher, or the small
#: Gaussian initialisation of :func:`reports.experiments.training.run_simulation`.
STARTS = ("aligned", "small")

#: Optimisers whose noise the stationary law describes.
STATIONARY_OPTIMIZERS = ("anisotropic", "sgd")


@dataclass(frozen=True)
class StationaryExperiment:
    r"""Final mode amplitudes of an ensemble and the derived law of each mode.

    Attributes
    ----------
    config : SimulationConfig
        The run's parameters.
    start : str
        One of :data:`STARTS`.
    trajectory : Trajectory
        The recorded run (ensemble axis after the record axis).
    kappa : float
        :math:`\eta/B`.
    singular_values : numpy.ndarray, shape (r,)
    final_modes : numpy.ndarray, shape (M, r)
        :math:`s_a` at the last step, one row per network.
    laws : tuple of ModeLaw
        One per mode.
    mean, mean_se, variance, variance_se : numpy.ndarray, shape (r,)
        Ensemble estimates and standard errors.
    z_mean, z_variance : numpy.ndarray, shape (r,)
        Against the density's exact mean and variance.
    network_mean : numpy.ndarray, shape (r,)
        C17's first-order mean of each mode of the full network (:func:`full_network_means`).
    z_network_mean : numpy.ndarray, shape (r,)
        :math:`(\hat m - m_{17})/\mathrm{SE}`; the :math:`O(\kappa^2)` remainder of
        :math:`m_{17}` is a bias here, so this is information, not a verdict.
    """

    config: SimulationConfig
    start: str
    trajectory: Trajectory
    kappa: float
    singular_values: NDArray[np.float64]
    final_modes: NDArray[np.float64]
    laws: tuple[ModeLaw, ...]
    mean: NDArray[np.float64]
    mean_se: NDArray[np.float64]
    variance: NDArray[np.float64]
    variance_se: NDArray[np.float64]
    z_mean: NDArray[np.float64]
    z_variance: NDArray[np.float64]
    network_mean: NDArray[np.float64]
    z_network_mean: NDArray[np.float64]


def default_stationary_config(**overrides: Any) -> SimulationConfig:
    r"""Depth 2, width 4, teacher :math:`(2, 1)`, :math:`\sigma_\varepsilon = 0.5`,
    :math:`\eta = 0.01`, :math:`B = 1` (:math:`\kappa = 0.01`), 1024 networks, 4000 steps
    (:math:`t = 40`, about 80 relaxation times :math:`1/(L\sigma^{2-2/L})` of the slower
    mode), anisotropic Langevin; a few seconds on one core.

    ``overrides`` are further :class:`SimulationConfig` fields (validated).
    """
    values = {
        "optimizer": "anisotropic",
        "depth": 2,
        "width": 4,
        "singular_values": (2.0, 1.0),
        "label_noise": 0.5,
        "eta": 0.01,
        "batch_size": 1,
        "ensemble": 1024,
        "steps": 4000,
        "record_every": 100,
    }
    if "duration" in overrides:
        del values["steps"]
    return SimulationConfig.from_mapping({**values, **overrides})


def full_network_means(config: SimulationConfig) -> NDArray[np.float64]:
    r"""C17's first-order stationary mean of every mode of the full network of ``config``.

    .. math:: E s_a = \sigma_a - \frac{\kappa\sigma_\varepsilon^2}{2}\Bigl[(L-1)
              \sigma_a^{1-2/L} + \sum_{k \ne a,\ \text{outputs}} g(\sigma_a, \sigma_k)
              + \sum_{k \ne a,\ \text{inputs}} g(\sigma_a, \sigma_k)\Bigr],

    :func:`derivations.network_mean.stated_mode_mean` at the run's depth, input/output width
    and teacher (:math:`\sigma_k = 0` for the null directions; the hidden width does not
    enter).  This is the *statement* of C17, which ``dlnverify verify C17`` checks by
    derivation at depths 1-4 and small widths and by Monte Carlo at width 4: deriving it
    afresh at the run's width costs minutes at :math:`d = 8`.  It is first order in
    :math:`\kappa` and holds at the balanced teacher point; the single-mode law of C10 is its
    width-one case.
    """
    point = {kappa: config.kappa, sigma_eps: config.label_noise}
    values = [sp.Float(v) for v in config.singular_values]
    widths = (config.width, config.width)
    return np.array(
        [
            float(stated_mode_mean(config.depth, values, widths, a).subs(point))
            for a in range(len(values))
        ]
    )


def check_stationary_config(config: Any, start: Any = "aligned") -> SimulationConfig:
    """``config`` if a stationary ensemble can run from it, else a one-line
    :class:`~dlnverify.errors.InvalidParameter` naming the problem."""
    if not isinstance(config, SimulationConfig):
        raise InvalidParameter(
            f"Got config of type {type(config).__name__}, but config must be a SimulationConfig."
        )
    if start not in STARTS:
        raise InvalidParameter(
            f"Got start={start!r}, but start must be one of {', '.join(STARTS)}."
        )
    if config.optimizer not in STATIONARY_OPTIMIZERS:
        raise InvalidParameter(
            f"Got optimizer={config.optimizer!r}, but the stationary law describes"
            f" {' or '.join(STATIONARY_OPTIMIZERS)} only."
        )
    if not config.label_noise > 0:
        raise InvalidParameter(
            f"Got label_noise={config.label_noise}, but the stationary law needs label noise > 0"
            " (without it the law is a Dirac mass at sigma, C11: see simulate --collapse)."
        )
    if config.ensemble < 2:
        raise InvalidParameter(
            f"Got ensemble={config.ensemble}, but a variance needs an ensemble of >= 2 networks."
        )
    return config


def stationary_histogram(
    config: SimulationConfig,
    *,
    start: str = "aligned",
    progress: Callable[[int, int], None] | None = None,
) -> StationaryExperiment:
    r"""Run an ensemble to (near) stationarity and compare its final amplitudes with C10.

    The teacher is built from ``config.seed`` exactly as in
    :func:`reports.experiments.training.run_simulation`; the same generator then draws the hidden bases
    (``start="aligned"``, every network at the same point :math:`s_a = \sigma_a`) or the small
    Gaussian initialisation (``start="small"``, the same run as ``run_simulation``), and
    drives the optimiser.

    Parameters
    ----------
    config : SimulationConfig
        Optimiser ``"anisotropic"`` or ``"sgd"``, ``label_noise > 0``, ``ensemble >= 2``,
        depth 1-4 (e.g. :func:`default_stationary_config`).
    start : {"aligned", "small"}, optional
    progress : callable, optional
        Called as ``progress(step, steps)`` (see :func:`numerics.trajectory.simulate_trajectory`).

    Returns
    -------
    StationaryExperiment
    """
    config = check_stationary_config(config, start)
    scale = config.kappa
    sigmas = np.asarray(config.singular_values, dtype=np.float64)
    laws = tuple(
        derived_mode_law(config.depth, float(v), config.label_noise, scale) for v in sigmas
    )
    rng, teacher = seeded_teacher(config)
    if start == "aligned":
        weights = aligned_init(config, teacher, sigmas, rng)
    else:
        weights = small_init(config, rng)
    trajectory = train(config, weights, teacher, rng=rng, progress=progress)
    final = np.asarray(trajectory.modes[-1], dtype=np.float64)
    means, variances = mean_estimate(final, axis=0), variance_estimate(final, axis=0)
    mean, mean_se = np.atleast_1d(means.value), np.atleast_1d(means.standard_error)
    var, var_se = np.atleast_1d(variances.value), np.atleast_1d(variances.standard_error)
    exact_mean = np.array([law.mean for law in laws])
    exact_var = np.array([law.variance for law in laws])
    network = full_network_means(config)
    return StationaryExperiment(
        config=config,
        start=start,
        trajectory=trajectory,
        kappa=scale,
        singular_values=sigmas,
        final_modes=final,
        laws=laws,
        mean=mean,
        mean_se=mean_se,
        variance=var,
        variance_se=var_se,
        z_mean=(mean - exact_mean) / mean_se,
        z_variance=(var - exact_var) / var_se,
        network_mean=network,
        z_network_mean=(mean - network) / mean_se,
    )


def _experiment_iv(experiment: Any) -> StationaryExperiment:
    if not isinstance(experiment, StationaryExperiment):
        raise InvalidParameter(
            f"Got experiment of type {type(experiment).__name__}, but experiment must be a"
            " StationaryExperiment."
        )
    return experiment


@dataclass(frozen=True)
class StationaryModeSummary(Summary):
    r"""One mode of a stationary ensemble against the law of C10 and the mean of C17.

    Attributes
    ----------
    mode : int
        :math:`a`, from 1.
    sigma : float
        :math:`\sigma_a`.
    mean, mean_se, variance, variance_se : float
        Ensemble estimates and standard errors.
    derived_mean, derived_variance : float
        Of the derived density (:class:`~reports.laws.mode_law.ModeLaw`).
    z_mean, z_variance : float
        The estimates against them.
    variance_ratio : float
        Ensemble variance over derived variance.
    first_order_mean, first_order_variance, drift_zero_mean : float
        The law's first-order moments and the paper's drift-zero mean.
    network_mean, z_network_mean : float
        C17's first-order mean of the mode in the full network (:func:`full_network_means`)
        and the ensemble mean against it (information: not part of the verdict).
    """

    mode: int
    sigma: float
    mean: float
    mean_se: float
    variance: float
    variance_se: float
    derived_mean: float
    derived_variance: float
    z_mean: float
    z_variance: float
    variance_ratio: float
    first_order_mean: float
    first_order_variance: float
    drift_zero_mean: float
    network_mean: float
    z_network_mean: float


@dataclass(frozen=True)
class StationarySummary(Summary):
    r"""The figures of a :class:`StationaryExperiment` (:func:`stationary_summary`).

    Attributes
    ----------
    config : SimulationConfig
    start : str
        One of :data:`STARTS`.
    kappa : float
    n_networks : int
    final_time : float
    threshold : float
        Bonferroni :math:`z^\ast` at ``false_alarm_rate`` over the :math:`2r` comparisons.
    false_alarm_rate : float
    agrees : bool
        Every :math:`|z| \le z^\ast` (mean and variance of every mode).
    final_max_cross_mode : float
        Ensemble mean of the largest cross-mode amplitude at the end.
    final_relative_imbalance : tuple[float, ...]
        Ensemble mean per layer pair at the end.
    modes : tuple[StationaryModeSummary, ...]
    """

    config: SimulationConfig
    start: str
    kappa: float
    n_networks: int
    final_time: float
    threshold: float
    false_alarm_rate: float
    agrees: bool
    final_max_cross_mode: float
    final_relative_imbalance: tuple[float, ...]
    modes: tuple[StationaryModeSummary, ...]


def stationary_summary(experiment: StationaryExperiment) -> StationarySummary:
    r"""The figures of a :class:`StationaryExperiment`.

    Per mode (:class:`StationaryModeSummary`) the ensemble's moments against the derived
    law's and C17's mean; globally the Bonferroni threshold :math:`z^\ast` at false-alarm
    rate :math:`10^{-6}` over the :math:`2r` comparisons, whether every :math:`|z| \le
    z^\ast`, and the final cross-mode amplitude and layer imbalance (ensemble means).
    """
    experiment = _experiment_iv(experiment)
    run = experiment.trajectory
    modes = tuple(
        StationaryModeSummary(
            mode=a + 1,
            sigma=law.sigma,
            mean=float(experiment.mean[a]),
            mean_se=float(experiment.mean_se[a]),
            variance=float(experiment.variance[a]),
            variance_se=float(experiment.variance_se[a]),
            derived_mean=law.mean,
            derived_variance=law.variance,
            z_mean=float(experiment.z_mean[a]),
            z_variance=float(experiment.z_variance[a]),
            variance_ratio=float(experiment.variance[a] / law.variance),
            first_order_mean=law.first_order_mean,
            first_order_variance=law.first_order_variance,
            drift_zero_mean=law.drift_zero_mean,
            network_mean=float(experiment.network_mean[a]),
            z_network_mean=float(experiment.z_network_mean[a]),
        )
        for a, law in enumerate(experiment.laws)
    )
    threshold = z_threshold(FALSE_ALARM_RATE, 2 * len(modes))
    z = np.concatenate([experiment.z_mean, experiment.z_variance])
    return StationarySummary(
        config=experiment.config,
        start=experiment.start,
        kappa=experiment.kappa,
        n_networks=int(experiment.final_modes.shape[0]),
        final_time=float(run.times[-1]),
        threshold=threshold,
        false_alarm_rate=FALSE_ALARM_RATE,
        agrees=bool(np.all(np.abs(z) <= threshold)),
        final_max_cross_mode=float(np.mean(run.cross_modes[-1])),
        final_relative_imbalance=tuple(np.mean(run.relative_imbalance[-1], axis=0).tolist()),
        modes=modes,
    )


def stationary_experiment_summary(experiment: StationaryExperiment) -> dict[str, Any]:
    r"""JSON-friendly figures of a :class:`StationaryExperiment`: the JSON form of
    :func:`stationary_summary`.

    Per mode: ``sigma``; ensemble ``mean``, ``mean_se``, ``variance``, ``variance_se``; the
    density's exact ``derived_mean`` and ``derived_variance``; ``z_mean`` and
    ``z_variance`` against them; ``first_order_mean``, ``first_order_variance``,
    ``drift_zero_mean`` and ``variance_ratio`` (ensemble over derived); ``network_mean``
    (C17's first-order mean of the full network, :func:`full_network_means`) and
    ``z_network_mean`` against it (information: not part of ``agrees``).  Global:
    ``threshold`` (Bonferroni :math:`z^\ast` at false-alarm rate :math:`10^{-6}` over the
    :math:`2r` comparisons), ``agrees`` (every :math:`|z| \le z^\ast`), ``final_max_cross_mode``
    (ensemble mean), ``final_relative_imbalance`` (ensemble mean per layer pair).
    """
    return stationary_summary(experiment).to_json()


def stationary_panels(experiment: StationaryExperiment, panels: Any, label: str = "") -> None:
    """Draw :func:`stationary_histogram_figure`'s panels (one per mode) into the axes
    ``panels``, ``label`` (the run of a sweep) heading each title."""
    experiment = _experiment_iv(experiment)
    for a, axis in enumerate(panels[: experiment.singular_values.size]):
        law = experiment.laws[a]
        samples = experiment.final_modes[:, a]
        sd = math.sqrt(law.variance)
        low = min(float(samples.min()), law.mean - 5 * sd)
        high = max(float(samples.max()), law.mean + 5 * sd)
        if law.lower == 0.0:
            low = max(low, 0.0)
        axis.hist(samples, bins=40, range=(low, high), density=True, color="C0", alpha=0.5)
        grid = np.linspace(low, high, 300)
        axis.plot(grid, law.density(grid), color="C3", linewidth=1.2, label="derived density")
        lines = (
            (law.sigma, ":", "k", r"$\sigma_a$"),
            (law.first_order_mean, "--", "C3", "derived mean"),
            (law.drift_zero_mean, "-.", "C2", "drift-zero mean"),
            (float(experiment.network_mean[a]), (0, (6, 2)), "C1", "full-network mean (C17)"),
            (float(experiment.mean[a]), "-", "C0", "ensemble mean"),
        )
        for where, style, colour, name in lines:
            axis.axvline(where, linestyle=style, color=colour, linewidth=0.8, label=name)
        title = rf"mode {a + 1}, $\sigma = {law.sigma:g}$"
        scores = rf"$z_m = {experiment.z_mean[a]:.1f}$, $z_v = {experiment.z_variance[a]:.1f}$"
        axis.set_title(f"{label}{title}, {scores}", fontsize=9)
        axis.set_xlabel("$s_a$ at the end of training")
        if a == 0:
            axis.set_ylabel("density")
            axis.legend(fontsize="x-small")


def stationary_histogram_figure(experiment: StationaryExperiment, path: str | Path) -> Path:
    r"""One panel per mode: histogram of the final :math:`s_a`, the derived density, and
    vertical lines at :math:`\sigma_a` (dotted), the derived first-order mean (dashed), the
    paper's drift-zero mean (dash-dot), C17's first-order mean of the full network (long
    dashes) and the ensemble mean (thin solid).

    The file (``.pdf`` or ``.png``) is the same, byte for byte, for the same experiment.

    Returns
    -------
    pathlib.Path
    """
    experiment = _experiment_iv(experiment)
    target = figure_path(path)
    with figure_file(target, panels=experiment.singular_values.size) as panels:
        stationary_panels(experiment, panels)
    return target


class StationaryRun:
    """The stationary kind of run (:attr:`ExperimentKind.STATIONARY`): an ensemble from
    ``start`` against the derived law of C10 (:func:`stationary_histogram`)."""

    kind: ClassVar[ExperimentKind] = ExperimentKind.STATIONARY

    @staticmethod
    def default_config() -> SimulationConfig:
        """:func:`default_stationary_config`."""
        return default_stationary_config()

    @staticmethod
    def check(config: SimulationConfig, *, start: str | None, start_gap: float | None) -> None:
        """:func:`check_stationary_config` from ``start``; ``start_gap`` is not read."""
        check_stationary_config(config, start)

    @staticmethod
    def run(
        config: SimulationConfig,
        *,
        start: str | None,
        start_gap: float | None,
        progress: Callable[[int, int], None] | None = None,
        diffusion_progress: Callable[[int, int, int], None] | None = None,
    ) -> StationaryExperiment:
        """:func:`stationary_histogram` from ``start``; ``start_gap`` and
        ``diffusion_progress`` are not read (a stationary run records no diffusion)."""
        assert start is not None  # plan_run chooses the start of a stationary run
        return stationary_histogram(config, start=start, progress=progress)

    @staticmethod
    def summary(experiment: StationaryExperiment) -> StationarySummary:
        """:func:`stationary_summary`."""
        return stationary_summary(experiment)

    @staticmethod
    def trajectory(experiment: StationaryExperiment) -> Trajectory | None:
        """The ensemble's recorded run."""
        return experiment.trajectory

    @staticmethod
    def tables(summary: StationarySummary) -> ExperimentTables:
        """:func:`~reports.experiments.tables.stationary_tables` of the JSON form."""
        return stationary_tables(summary.to_json())

    @staticmethod
    def figure(experiment: StationaryExperiment) -> Callable[[str | Path], Path] | None:
        """:func:`stationary_histogram_figure` of ``experiment``, to draw at a path."""
        return partial(stationary_histogram_figure, experiment)

    @staticmethod
    def panels(experiment: Any, axes: Any, label: str = "") -> None:
        """:func:`stationary_panels`: the panels of :meth:`figure` drawn into ``axes``."""
        stationary_panels(experiment, axes, label)

    @staticmethod
    def parameters(*, start: str | None, start_gap: float | None) -> dict[str, Any]:
        """The start, as a report lists it after the configuration."""
        return {"start": start}

    @staticmethod
    def sweep_row(summary: StationarySummary) -> dict[str, Any]:
        """Per mode the ensemble mean, the law's, z, C17's mean, the variance ratio and its
        z (columns ending in ``_a``), then whether the ensemble agrees with the law."""
        row: dict[str, Any] = {}
        for mode in summary.modes:
            a = mode.mode
            row[f"mean_{a}"] = mode.mean
            row[f"law_mean_{a}"] = mode.derived_mean
            row[f"z_mean_{a}"] = mode.z_mean
            row[f"network_mean_{a}"] = mode.network_mean
            row[f"variance_ratio_{a}"] = mode.variance_ratio
            row[f"z_variance_{a}"] = mode.z_variance
        row["agrees"] = "yes" if summary.agrees else "NO"
        return row
