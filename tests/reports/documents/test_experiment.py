"""Experiment results as tables (:mod:`reports.experiments.tables`) and as a report
(:mod:`reports.documents.experiment`): layout, escaping, verdicts, files.

The summaries here are written by hand (the keys of the ``--json`` output), so every
expected cell follows from the input, not from running the code.
"""

import re

import pytest

from dlnverify.errors import InvalidParameter
from reports.documents.experiment import (
    ROWS_PER_BLOCK,
    ExperimentReport,
    render_experiment_latex,
    render_experiment_markdown,
    write_experiment_report,
)
from reports.experiments.tables import (
    MAX_SWEEP_COLUMNS,
    ExperimentTables,
    Table,
    collapse_tables,
    format_text,
    stationary_tables,
    sweep_columns,
    sweep_tables,
    text_table,
    training_tables,
)

SPECIALS = "100% & $5 #1 a_b {x} ~y ^z back\\slash <a|b> ± σ —"


def _stationary_summary(agrees: bool = True) -> dict:
    mode = {
        "mode": 1,
        "sigma": 2.0,
        "mean": 1.995,
        "mean_se": 0.0031,
        "derived_mean": 1.9987,
        "z_mean": -1.2,
        "variance": 0.0052,
        "variance_se": 0.0004,
        "derived_variance": 0.0051,
        "z_variance": 0.25,
        "drift_zero_mean": 2.0013,
        "network_mean": 1.995,
        "z_network_mean": 0.0,
    }
    return {
        "config": {"eta": 0.01, "dt": 0.0},
        "start": "aligned",
        "kappa": 0.01,
        "n_networks": 1024,
        "final_time": 40.0,
        "threshold": 5.0,
        "false_alarm_rate": 1e-6,
        "agrees": agrees,
        "final_max_cross_mode": 0.01,
        "final_relative_imbalance": [0.002],
        "modes": [mode],
    }


def _collapse_summary() -> dict:
    windows = [
        {"start": 0.0, "end": 0.5, "rate": 4.8, "rate_se": 0.05},
        {"start": 0.5, "end": 1.0, "rate": None, "rate_se": None},
    ]
    mode = {
        "mode": 1,
        "sigma": 2.0,
        "c11_rate": 4.8,
        "row_rate": 2.2,
        "late_rate": 4.8,
        "late_rate_se": 0.05,
        "late_z_c11": 0.0,
        "late_z_row": 52.0,
        "windows": windows,
    }
    return {
        "start_gap": 0.01,
        "kappa": 0.05,
        "time_steps": [0.0125, 0.00625],
        "n_networks": 2048,
        "threshold": 5.3,
        "false_alarm_rate": 1e-6,
        "follows_c11": False,
        "modes": [mode],
    }


def _training_summary(diffusion: bool) -> dict:
    summary = {
        "config": {"singular_values": [3.0, 1.0]},
        "final_time": 6.0,
        "final_loss": 0.0125,
        "final_modes": [2.99, 0.5],
        "half_times": [1.5, None],
        "max_cross_mode": 0.25,
        "final_relative_imbalance": [0.01],
    }
    if diffusion:
        summary["diffusion"] = {
            "modes": [
                {
                    "mode": a,
                    "empirical_peak_time": 1.2,
                    "peak_time_uncertainty": 0.03,
                    "s_star_crossing_time": 1.25,
                    "half_time": 1.5,
                    "full_time": None,
                    "median_relative_error_window": 0.07,
                }
                for a in (1, 2)
            ]
        }
    return summary


def _report(results: ExperimentTables, **fields) -> ExperimentReport:
    return ExperimentReport("fig1", results, {"eta": 0.01, "singular_values": [3.0, 1.0]}, **fields)


# --- tables ---------------------------------------------------------------------------------


def test_text_layout_heading_captions_and_notes():
    results = ExperimentTables(
        "collapse",
        "heading:",
        (Table(("a", "bb"), (("1", "2"),), "first:"), Table(("c",), (("3",),))),
        ("note one", "note two"),
    )
    assert format_text(results).split("\n") == [
        "heading:",
        "",
        "first:",
        "a  bb",
        "-  --",
        "1  2",
        "",
        "c",
        "-",
        "3",
        "",
        "note one",
        "note two",
    ]


def test_a_first_table_without_caption_follows_the_heading_directly():
    results = ExperimentTables("sweep", "", (Table(("x",), (("1",),)),))
    assert format_text(results) == "x\n-\n1"
    assert text_table(Table(("long header", "b"), (("1", "22"),))).split("\n") == [
        "long header  b",
        "-----------  --",
        "1            22",
    ]


def test_rows_must_match_the_header_and_a_verdict_needs_its_outcome():
    with pytest.raises(ValueError, match="2 columns"):
        Table(("a", "b"), (("1",),))
    with pytest.raises(ValueError, match="verdict"):
        ExperimentTables("stationary", "", (), verdict="agrees")
    with pytest.raises(ValueError, match="verdict"):
        ExperimentTables("stationary", "", (), holds=True)


@pytest.mark.parametrize("agrees", [True, False])
def test_stationary_tables_carry_the_summary_and_its_verdict(agrees):
    results = stationary_tables(_stationary_summary(agrees))
    assert results.holds is agrees
    assert ("agrees" if agrees else "disagrees") in results.verdict
    (table,) = results.tables
    assert table.rows[0][:5] == ("s_1", "2", "1.995 ± 0.0031", "1.9987", "-1.20")
    assert "1024 networks from the aligned start at t = 40" in results.heading
    assert "dt = 0.01" in results.heading  # dt 0 means: the step is eta
    assert ("agrees" if agrees else "DISAGREES") in results.notes[0]


def test_collapse_tables_leave_unresolved_windows_blank():
    results = collapse_tables(_collapse_summary())
    windows, last = results.tables
    assert windows.rows == (("0-0.5", "4.800 ± 0.05"), ("0.5-1", "-"))
    assert last.rows[0][2:4] == ("4.8", "2.2")
    assert results.holds is False
    assert "departs" in results.verdict
    assert "dt = 0.0125 and 0.00625" in results.heading


@pytest.mark.parametrize("diffusion", [False, True])
def test_training_tables(diffusion):
    results = training_tables(_training_summary(diffusion))
    assert results.tables[0].rows == (("s_1", "3", "2.99", "1.5"), ("s_2", "1", "0.5", "-"))
    assert len(results.tables) == 1 + diffusion
    assert results.holds is None
    if diffusion:
        assert results.tables[1].rows[0][1:] == ("1.2 ± 0.03", "1.25", "1.5", "-", "7 %")


def test_sweep_tables_format_numbers_and_missing_values():
    results = sweep_tables([{"eta": 0.01, "half_time_1": None, "agrees": "yes"}], keys=["eta"])
    assert results.tables[0].rows == (("0.01", "-", "yes"),)


def _stationary_sweep_row(dt: float) -> dict[str, object]:
    row: dict[str, object] = {"dt": dt}
    for a in (1, 2):
        for name in ("mean", "law_mean", "z_mean", "network_mean", "variance_ratio"):
            row[f"{name}_{a}"] = 10.0 * a + dt
    return row | {"agrees": "yes"}


def test_wide_sweep_tables_split_per_mode():
    rows = [_stationary_sweep_row(0.01), _stationary_sweep_row(0.005)]
    assert len(rows[0]) > MAX_SWEEP_COLUMNS
    results = sweep_tables(rows, keys=["dt"])
    runs, first, second = results.tables
    assert runs == Table(("dt", "agrees"), (("0.01", "yes"), ("0.005", "yes")))
    columns = ("dt", "mean", "law_mean", "z_mean", "network_mean", "variance_ratio")
    assert first.header == second.header == columns
    assert (first.caption, second.caption) == ("mode s_1:", "mode s_2:")
    assert first.rows[1] == ("0.005", *["10.005"] * 5)
    assert second.rows[0] == ("0.01", *["20.01"] * 5)
    # every cell of the flat row is in exactly one table (the swept key in each)
    cells = sum(len(table.header) for table in results.tables)
    assert cells == len(rows[0]) + 2


@pytest.mark.parametrize("order", ["rank 2 first", "rank 3 first"])
def test_sweep_rows_of_different_ranks_give_the_union_of_columns(order):
    """Runs of teachers of different ranks have different per-mode columns: every table has
    them all, in each row's order, and a run without a mode says so ("n/a"), unlike a value
    it has but could not compute ("-")."""
    rank_2 = {"singular_values": [2.0, 1.0], "final_loss": 0.5}
    rank_2 |= {"half_time_1": 1.0, "half_time_2": None}
    rank_3 = {"singular_values": [3.0, 2.0, 1.0], "final_loss": 0.25}
    rank_3 |= {"half_time_1": 0.5, "half_time_2": 1.5, "half_time_3": 2.5}
    rows = [rank_2, rank_3] if order == "rank 2 first" else [rank_3, rank_2]
    (table,) = sweep_tables(rows, keys=["singular_values"]).tables
    assert table.header == ("singular_values", "final_loss", *(f"half_time_{a}" for a in (1, 2, 3)))
    cells = {row[0]: row[1:] for row in table.rows}
    assert cells["[2.0, 1.0]"] == ("0.5", "1", "-", "n/a")
    assert cells["[3.0, 2.0, 1.0]"] == ("0.25", "0.5", "1.5", "2.5")
    assert sweep_columns(rows) == list(table.header)


def test_a_wide_sweep_of_different_ranks_has_a_table_for_every_mode():
    rows = [_stationary_sweep_row(0.01), _stationary_sweep_row(0.005)]
    rows[1] |= {f"{name}_3": 30.0 for name in ("mean", "law_mean", "z_mean")}
    rows[1]["agrees"] = rows[1].pop("agrees")  # the run's own column last, as a run gives it
    *_, third = sweep_tables(rows, keys=["dt"]).tables
    assert third.caption == "mode s_3:"
    assert third.header == ("dt", "mean", "law_mean", "z_mean")
    assert third.rows == (("0.01", "n/a", "n/a", "n/a"), ("0.005", "30", "30", "30"))


@pytest.mark.parametrize(
    ("rows", "columns"),
    [
        ([["a", "b"], ["a", "c", "b"]], ["a", "c", "b"]),
        (
            [["a", "x_1", "x_2", "z"], ["a", "x_1", "x_2", "x_3", "z"]],
            ["a", "x_1", "x_2", "x_3", "z"],
        ),
        ([["c", "b"], ["a", "b"]], ["a", "c", "b"]),  # a opens its row: first
        ([["a"], ["b"], ["a", "b"]], ["b", "a"]),
    ],
)
def test_sweep_columns_keep_every_row_s_order(rows, columns):
    assert sweep_columns([dict.fromkeys(row, 0) for row in rows]) == columns


def test_narrow_sweep_table_stays_flat():
    row = {"eta": 0.01, "final_loss": 0.5, "half_time_1": 1.0, "half_time_2": 2.0}
    (table,) = sweep_tables([row], keys=["eta"]).tables
    assert table.header == tuple(row)


# --- the report -----------------------------------------------------------------------------


def test_latex_escapes_every_cell_and_typesets_the_verdict(report_extra):
    results = ExperimentTables(
        "stationary",
        SPECIALS,
        (Table((SPECIALS,), ((SPECIALS,),), SPECIALS),),
        (SPECIALS,),
        verdict="the ensemble agrees",
        holds=True,
    )
    latex = render_experiment_latex(_report(results, command="dlnverify simulate --x 'a b'"))
    body = latex[latex.index(r"\begin{document}") :]
    assert r"100\% \& \$5 \#1 a\_b \{x\}" in body
    assert r"\textless{}a\textbar{}b\textgreater{}" in body
    assert r"\good{the ensemble agrees}" in body
    assert r"\bad{" not in body
    assert r"\texttt{dlnverify simulate --x 'a b'}" in body
    assert r"\section*{Conventions}" in body
    assert body.count(r"\begin{tabular}") == 1
    failing = ExperimentTables("collapse", "", (), verdict="departs", holds=False)
    assert r"\bad{departs}" in render_experiment_latex(_report(failing))


def test_long_tables_continue_in_blocks_with_their_header(report_extra):
    rows = tuple((str(i),) for i in range(ROWS_PER_BLOCK + 1))
    results = ExperimentTables("sweep", "", (Table(("run index",), rows),))
    latex = render_experiment_latex(_report(results))
    assert latex.count(r"\begin{tabular}") == 2
    assert latex.count("run index") == 2
    assert re.search(rf"\n{ROWS_PER_BLOCK} \\\\\n", latex)


def test_latex_is_deterministic_and_refuses_a_bad_figure_path(report_extra):
    results = stationary_tables(_stationary_summary())
    report = _report(results, description="Fig. 4: stationary histograms.")
    first = render_experiment_latex(report, figure="figures/stationary.pdf")
    assert first == render_experiment_latex(report, figure="figures/stationary.pdf")
    assert r"\includegraphics[width=\linewidth]{figures/stationary.pdf}" in first
    assert "Fig. 4: stationary histograms." in first  # one full stop, not two
    with pytest.raises(InvalidParameter, match="figure path"):
        render_experiment_latex(report, figure="figures/my figure.pdf")
    with pytest.raises(InvalidParameter, match="ExperimentReport"):
        render_experiment_latex(results)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameter, match="ExperimentTables"):
        ExperimentReport("x", {"not": "tables"})  # type: ignore[arg-type]


def test_markdown_holds_the_same_tables():
    results = collapse_tables(_collapse_summary())
    text = render_experiment_markdown(_report(results, command="dlnverify simulate"))
    assert "# dlnverify experiment: fig1" in text
    assert "**Verdict:** the full network departs from" in text
    assert "| `singular_values` | [3, 1] |" in text
    for table in results.tables:
        for row in table.rows:
            assert "| " + " | ".join(row) + " |" in text
    diffusion = training_tables(_training_summary(diffusion=True))
    text = render_experiment_markdown(_report(diffusion))
    assert "| median \\|D/Eq.7 - 1\\| while learning |" in text  # a | cannot end a cell


def test_write_experiment_report(report_extra, tmp_path):
    results = stationary_tables(_stationary_summary())
    figure = tmp_path / "out" / "figures" / "stationary.pdf"
    figure.parent.mkdir(parents=True)
    figure.write_bytes(b"%PDF-1.4\n")
    drawing = '<svg xmlns="http://www.w3.org/2000/svg"><g id="a"><path d="M 0 0 L 1 1"/></g></svg>'
    svg = {figure.resolve(): drawing}
    files = write_experiment_report(_report(results), tmp_path / "out", figure=figure, svg=svg)
    assert files.figure == figure
    assert files.pdf is None
    assert "{figures/stationary.pdf}" in files.tex.read_text(encoding="utf-8")
    assert "[figures/stationary.pdf](figures/stationary.pdf)" in files.markdown.read_text()
    page = files.html.read_text(encoding="utf-8")
    assert files.html == tmp_path / "out" / "report.html"
    assert '<g id="figure-experiment-fig1-a"><path d="M 0 0 L 1 1"></path></g>' in page
    assert "<figcaption>Final <math" in page  # the stationary caption, its math as MathML
    with pytest.raises(InvalidParameter, match=r"no SVG copy of it for report\.html"):
        write_experiment_report(_report(results), tmp_path / "out", figure=figure)
    outside = tmp_path / "elsewhere.pdf"
    with pytest.raises(InvalidParameter, match="inside the report directory"):
        write_experiment_report(_report(results), tmp_path / "out", figure=outside)
    (tmp_path / "file").write_text("")
    with pytest.raises(InvalidParameter, match="is a file"):
        write_experiment_report(_report(results), tmp_path / "file")


def test_a_report_with_every_special_and_a_long_table_compiles(pdflatex, tmp_path):
    rows = tuple((str(i), SPECIALS, "1.5 ± 0.2") for i in range(2 * ROWS_PER_BLOCK + 5))
    wide = Table(tuple(f"column {i} {SPECIALS}" for i in range(12)), (("x",) * 12,))
    results = ExperimentTables(
        "sweep",
        SPECIALS,
        (Table(("i", "text", "value"), rows, SPECIALS), wide),
        (SPECIALS,),
        verdict=SPECIALS,
        holds=False,
    )
    report = ExperimentReport(
        SPECIALS, results, {SPECIALS: SPECIALS}, command=SPECIALS, description=SPECIALS
    )
    files = write_experiment_report(report, tmp_path, pdf=True)
    assert files.pdf is not None
    assert files.pdf.read_bytes().startswith(b"%PDF")


def test_the_claims_report_takes_experiment_sections(pdflatex, tmp_path):
    from reports.documents.markdown import render_report
    from reports.documents.verification import write_latex_report

    results = ExperimentTables(
        "collapse", SPECIALS, (Table(("a",), ((SPECIALS,),)),), verdict=SPECIALS, holds=False
    )
    report = ExperimentReport("fig4 collapse", results, {"eta": 0.05}, command="dlnverify x")
    files = write_latex_report([], tmp_path, pdf=True, figures=False, experiments=[(report, None)])
    assert files.pdf is not None
    assert files.pdf.read_bytes().startswith(b"%PDF")
    tex = files.tex.read_text(encoding="utf-8")
    assert r"\section*{Experiment: fig4 collapse}" in tex
    assert r"\subsection*{Results}" in tex
    assert r"\hyperref[experiment:fig4-collapse]{fig4 collapse}: \bad{" in tex
    text = render_report([], experiments=[(report, "figures/f.pdf")])
    assert "## Experiment: fig4 collapse" in text
    assert "### Set-up" in text
    assert "Figure: [figures/f.pdf](figures/f.pdf)" in text
    with pytest.raises(InvalidParameter, match="inside the report directory"):
        write_latex_report([], tmp_path, figures=False, experiments=[(report, "/elsewhere.pdf")])
