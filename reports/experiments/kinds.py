"""Each kind of ``simulate`` run and the class that runs it.

:data:`EXPERIMENTS` maps every :class:`~reports.experiments.kind.ExperimentKind` to its class
(:class:`~reports.experiments.diffusion.TrainingRun`,
:class:`~reports.experiments.stationary.StationaryRun`,
:class:`~reports.experiments.collapse.CollapseRun`); each offers the interface of
:class:`Experiment`, through which :mod:`reports.experiments.plan`,
:mod:`reports.experiments.runs` and :mod:`reports.experiments.sweep` run any kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from numerics.trajectory import Trajectory
from reports.experiments.collapse import CollapseRun
from reports.experiments.diffusion import TrainingRun
from reports.experiments.kind import ExperimentKind
from reports.experiments.stationary import StationaryRun
from reports.experiments.tables import ExperimentTables
from reports.experiments.training import SimulationConfig

__all__ = ["EXPERIMENTS", "Experiment", "RunSummary"]


class RunSummary(Protocol):
    """The typed summary of one run (:class:`~reports.experiments.summary.Summary`)."""

    @property
    def config(self) -> SimulationConfig:
        """The run's parameters."""

    def to_json(self) -> dict[str, Any]:
        """The JSON form ``--json`` prints."""


class Experiment(Protocol):
    """What the class of a kind offers, all of it static.

    A run is ``summary(run(config, ...))``; ``start`` is the start of a stationary ensemble
    and ``start_gap`` that of the collapse experiment, each kind reading its own.
    """

    kind: ExperimentKind

    def default_config(self) -> SimulationConfig:
        """The kind's defaults, before experiment files and explicit values."""

    def check(
        self, config: SimulationConfig, *, start: str | None, start_gap: float | None
    ) -> None:
        """A one-line :class:`~dlnverify.errors.InvalidParameter` if ``config`` cannot run."""

    def run(
        self,
        config: SimulationConfig,
        *,
        start: str | None,
        start_gap: float | None,
        progress: Callable[[int, int], None] | None = None,
        diffusion_progress: Callable[[int, int, int], None] | None = None,
    ) -> Any:
        """Run ``config``; ``progress(done, total)`` over the steps,
        ``diffusion_progress(step, done, samples)`` over the diffusion samples of each record
        (of a kind that records them)."""

    def summary(self, experiment: Any) -> RunSummary:
        """The run's typed figures (``--json`` prints their JSON form)."""

    def trajectory(self, experiment: Any) -> Trajectory | None:
        """What ``--output`` writes (``None``: nothing)."""

    def tables(self, summary: Any) -> ExperimentTables:
        """The tables the terminal and a report show."""

    def figure(self, experiment: Any) -> Callable[[str | Path], Path] | None:
        """``draw(path)`` draws the run's figure (``None``: it has none)."""

    def panels(self, experiment: Any, axes: Any, label: str = "") -> None:
        """Draw the figure's panels (one per mode) into ``axes``, a row of a sweep's figure
        whose titles start with ``label``."""

    def parameters(self, *, start: str | None, start_gap: float | None) -> dict[str, Any]:
        """The kind's own options, as a report lists them after the configuration."""

    def sweep_row(self, summary: Any) -> dict[str, Any]:
        """The run's figures in its row of a sweep."""


#: The class of each kind, by reference.
EXPERIMENTS: Mapping[ExperimentKind, Experiment] = {
    ExperimentKind.TRAINING: TrainingRun,
    ExperimentKind.STATIONARY: StationaryRun,
    ExperimentKind.COLLAPSE: CollapseRun,
}
