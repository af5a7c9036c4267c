"""Running a planned run (:mod:`reports.experiments.runs`): every run, a sweep's too, can draw
the figure its report carries; a sweep's figure has one row of panels per run."""

import struct

import pytest

from reports.experiments.kind import ExperimentKind
from reports.experiments.plan import plan_run
from reports.experiments.runs import run_plan, sweep_figure

FAST = {"steps": 40, "record_every": 10, "width": 4, "seed": 3}


def _png_size(path):
    """Width and height in pixels of a PNG file (its IHDR chunk)."""
    return struct.unpack(">II", path.read_bytes()[16:24])


def test_a_sweep_draws_one_row_per_run_and_the_same_bytes_twice(report_extra, tmp_path):
    plan = plan_run(parameters=FAST, sweep=["eta=0.01,0.02,0.04"])
    without = run_plan(plan, scheduler="synchronous")
    assert without.draw is None  # the runs were not kept
    done = run_plan(plan, scheduler="synchronous", sweep_figure=True)
    first = done.draw(tmp_path / "a" / "sweep.png")
    second = done.draw(tmp_path / "b" / "sweep.png")
    assert first.read_bytes() == second.read_bytes()
    # figure_file: panels 3 inches wide and rows 3.2 inches high, at 100 dots per inch
    assert _png_size(first) == (3 * 300 + 50, 3 * 320)  # 3 modes, 3 runs


def test_a_training_run_without_the_diffusion_has_its_amplitude_figure(report_extra, tmp_path):
    done = run_plan(plan_run(parameters=FAST))
    assert done.draw is not None
    assert _png_size(done.draw(tmp_path / "modes.png")) == (3 * 300 + 50, 320)


def test_sweep_figure_leaves_missing_modes_blank(report_extra, tmp_path):
    """Runs of different ranks share the columns of the largest."""
    from reports.experiments.kinds import EXPERIMENTS
    from reports.experiments.training import SimulationConfig

    training = EXPERIMENTS[ExperimentKind.TRAINING]
    runs = [
        training.run(
            SimulationConfig.from_mapping({**FAST, "singular_values": values}),
            start=None,
            start_gap=None,
        )
        for values in ("3,2,1", "2,1")
    ]
    figure = sweep_figure(ExperimentKind.TRAINING, runs, ["a\n", "b\n"], tmp_path / "ranks.png")
    assert _png_size(figure) == (3 * 300 + 50, 2 * 320)
    with pytest.raises(Exception, match="extension"):
        sweep_figure(ExperimentKind.TRAINING, runs, ["a\n", "b\n"], tmp_path / "x.jpg")
