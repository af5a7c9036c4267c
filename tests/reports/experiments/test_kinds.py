"""The kinds of ``simulate`` run (reports.experiments.kinds): every kind has its class, and a
typed summary's JSON form keeps its field order, lists for tuples, nested summaries and
leaves its optional fields out while they are ``None``."""

from reports.experiments.collapse import CollapseModeSummary, CollapseRun, CollapseSummary
from reports.experiments.kind import ExperimentKind
from reports.experiments.kinds import EXPERIMENTS
from reports.experiments.training import SimulationConfig, TrainingSummary


def test_every_kind_has_its_class():
    assert set(EXPERIMENTS) == set(ExperimentKind)
    for kind, experiment_class in EXPERIMENTS.items():
        assert experiment_class.kind is kind
        assert isinstance(experiment_class.default_config(), SimulationConfig)


def test_summary_json_form():
    summary = TrainingSummary(
        config=SimulationConfig(),
        final_time=6.0,
        final_loss=0.5,
        final_modes=(2.9, 1.0),
        half_times=(1.5, None),
        max_cross_mode=0.25,
        final_relative_imbalance=(0.01,),
    )
    assert summary.to_json() == {
        "config": SimulationConfig().to_json(),
        "final_time": 6.0,
        "final_loss": 0.5,
        "final_modes": [2.9, 1.0],
        "half_times": [1.5, None],
        "max_cross_mode": 0.25,
        "final_relative_imbalance": [0.01],
    }
    assert list(summary.to_json()) == [
        "config", "final_time", "final_loss", "final_modes", "half_times", "max_cross_mode",
        "final_relative_imbalance",
    ]  # fmt: skip


def test_collapse_sweep_row():
    mode = CollapseModeSummary(
        mode=1,
        sigma=2.0,
        c11_rate=4.8,
        row_rate=2.2,
        late_window=(0.5, 1.0),
        late_rate=4.7,
        late_rate_se=0.1,
        late_z_c11=-1.0,
        late_z_row=25.0,
        windows=(),
    )
    summary = CollapseSummary(
        config=SimulationConfig(),
        start_gap=0.01,
        kappa=0.01,
        time_steps=(0.01, 0.005),
        n_networks=16,
        final_time=1.0,
        threshold=5.0,
        false_alarm_rate=1e-6,
        follows_c11=True,
        modes=(mode,),
    )
    assert summary.to_json()["modes"][0]["late_window"] == [0.5, 1.0]
    assert CollapseRun.sweep_row(summary) == {
        "late_rate_1": 4.7,
        "z_c11_1": -1.0,
        "z_row_1": 25.0,
        "follows_c11": "yes",
    }
