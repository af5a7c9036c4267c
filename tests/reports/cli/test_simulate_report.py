"""``dlnverify simulate --report DIR``: the run written as LaTeX/PDF and Markdown.

The report must show what the terminal shows (the same tables), the run's figure, the
command that reproduces it and its parameters; the same command gives the same files; bad
report options are refused before any simulation.
"""

import json

import pytest

from reports.cli import ExitCode, main

FAST = ["--steps", "40", "--record-every", "10", "--width", "4", "--quiet"]
STATIONARY = ["--stationary", "--ensemble", "16", "--steps", "60", "--record-every", "30"]


def _run(capsys, *argv):
    code = main(["simulate", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _table_lines(out: str) -> list[list[str]]:
    """The body rows of the terminal's tables, split into cells (two or more spaces)."""
    lines = out.split("\n")
    rows = []
    for i in range(2, len(lines)):
        if set(lines[i - 1].replace(" ", "")) == {"-"}:
            for body in lines[i:]:
                if not body.strip():
                    break
                rows.append([cell for cell in body.split("  ") if cell.strip()])
    return rows


def test_stationary_report_shows_the_terminal_tables_and_the_figure(report_extra, tmp_path, capsys):
    target = tmp_path / "run"
    code, out, _ = _run(capsys, *STATIONARY, "--quiet", "--report", str(target), "--pdf", "no")
    assert code == ExitCode.OK
    markdown = (target / "report.md").read_text(encoding="utf-8")
    tex = (target / "report.tex").read_text(encoding="utf-8")
    rows = _table_lines(out)
    assert len(rows) == 2  # one row per mode
    for cells in rows:
        assert "| " + " | ".join(c.strip() for c in cells) + " |" in markdown
    assert (target / "figures" / "stationary.pdf").stat().st_size > 0
    assert r"\includegraphics[width=\linewidth]{figures/stationary.pdf}" in tex
    assert "**Verdict:** the ensemble" in markdown
    command = markdown.split("Reproduce with `")[1].split("`")[0]
    assert command.startswith("dlnverify simulate --stationary --ensemble 16")
    assert "--report" in command
    assert "--quiet" not in command
    assert "| `start` | aligned |" in markdown
    assert "| `kappa` | 0.01 |" in markdown  # eta / B, listed with the fields
    # a 0 that stands for another field says so; a value that is set shows as set
    assert "| `dt` | 0 (= eta) |" in markdown
    assert "| `duration` | 0 (steps decide) |" in markdown
    assert "| `steps` | 60 |" in markdown
    assert not (target / "report.pdf").exists()


def test_same_command_same_files(report_extra, tmp_path, capsys):
    argv = [*STATIONARY, "--quiet", "--report", str(tmp_path / "r"), "--pdf", "no"]
    files = ("report.html", "report.tex", "report.md", "figures/stationary.pdf")
    first = []
    for _ in range(2):
        assert _run(capsys, *argv)[0] == ExitCode.OK
        first.append([(tmp_path / "r" / name).read_bytes() for name in files])
    assert first[0] == first[1]


def test_json_names_the_files_and_a_plain_run_shows_its_modes(report_extra, tmp_path, capsys):
    """A training run without the diffusion still carries a figure: its mode amplitudes."""
    target = tmp_path / "plain"
    code, out, _ = _run(capsys, *FAST, "--json", "--report", str(target), "--pdf", "no")
    assert code == ExitCode.OK
    report = json.loads(out)["report"]
    assert report == {
        "html": str(target / "report.html"),
        "tex": str(target / "report.tex"),
        "markdown": str(target / "report.md"),
        "pdf": None,
        "figure": str(target / "figures" / "training.pdf"),
    }
    tex = (target / "report.tex").read_text(encoding="utf-8")
    assert r"\includegraphics[width=\linewidth]{figures/training.pdf}" in tex
    assert r"\caption{Mode amplitudes $s_a(t)/\sigma_a$ along training" in tex
    assert (target / "report.html").read_text(encoding="utf-8").count("<svg") == 1


def test_sweep_report_lists_the_swept_values(report_extra, tmp_path, capsys):
    target = tmp_path / "sweep"
    argv = [*FAST, "--sweep", "eta=0.01,0.02", "--scheduler", "synchronous"]
    code, out, _ = _run(capsys, *argv, "--report", str(target), "--pdf", "no")
    assert code == ExitCode.OK
    markdown = (target / "report.md").read_text(encoding="utf-8")
    assert "| `eta` | [0.01, 0.02] |" in markdown
    assert "`kappa`" not in markdown  # it follows from the swept eta: no single value
    assert "| `widths` | [4, 4, 4] |" in markdown
    assert len(_table_lines(out)) == 2
    # a sweep's report carries its figure too (one row of panels per run), in every format
    assert "Figure: [figures/sweep.pdf](figures/sweep.pdf)" in markdown
    tex = (target / "report.tex").read_text(encoding="utf-8")
    assert r"\includegraphics[width=\linewidth]{figures/sweep.pdf}" in tex
    assert r"\caption{One row per run of the sweep, headed by its swept values. Mode" in tex
    assert (target / "report.html").read_text(encoding="utf-8").count("<svg") == 1


def test_a_sweep_without_a_report_keeps_no_runs(tmp_path, capsys, monkeypatch):
    """Only a report draws a sweep's figure: a plain sweep does not hold its runs."""
    from reports.experiments import sweep

    kept = []
    real = sweep._run
    monkeypatch.setattr(sweep, "_run", lambda *a: kept.append(a[-1]) or real(*a))
    argv = [*FAST, "--sweep", "eta=0.01,0.02", "--scheduler", "synchronous"]
    assert _run(capsys, *argv)[0] == ExitCode.OK
    assert kept == [False, False]


def test_collapse_report_compiles(pdflatex, tmp_path, capsys):
    target = tmp_path / "collapse"
    argv = ["--collapse", "--ensemble", "16", "--duration", "0.5", "--record-every", "10"]
    code, _, _ = _run(capsys, *argv, "--quiet", "--report", str(target), "--pdf", "yes")
    assert code == ExitCode.OK
    assert (target / "report.pdf").read_bytes().startswith(b"%PDF")
    assert (target / "figures" / "collapse.pdf").exists()
    assert "| `start_gap` | 0.01 |" in (target / "report.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--pdf", "yes"], "--pdf compiles the report of --report DIR; add --report"),
        (["--report", "FILE"], "Got --report"),
    ],
)
def test_bad_report_options_are_refused_before_the_run(tmp_path, capsys, extra, message):
    (tmp_path / "FILE").write_text("", encoding="utf-8")
    extra = [str(tmp_path / "FILE") if item == "FILE" else item for item in extra]
    code, _, err = _run(capsys, *FAST[:-1], *extra)  # not --quiet: no banner may appear
    assert code == ExitCode.BAD_INPUT
    assert message in err
    assert err.count("\n") == 1
    assert "simulating" not in err


def test_pdf_yes_without_tex_is_refused_before_the_run(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no pdflatex, no latexmk
    code, _, err = _run(capsys, *FAST[:-1], "--report", str(tmp_path / "r"), "--pdf", "yes")
    assert code == ExitCode.BAD_INPUT
    assert "pdflatex" in err
    assert "simulating" not in err
