"""``dlnverify report``: files written, JSON, exit codes, bad input."""

import json
import os

import pytest

from reports.cli import ExitCode, main


def test_report_writes_tex_markdown_and_figures(tmp_path, capsys):
    out = tmp_path / "rep"
    argv = ["report", "C8", "--symbolic-only", "--output", str(out), "--pdf", "no", "--quiet"]
    assert main([*argv, "--json"]) == ExitCode.OK
    payload = json.loads(capsys.readouterr().out)
    assert payload["all_hold"] is True
    assert [c["claim"] for c in payload["claims"]] == ["C8"]
    files = payload["files"]
    assert files["pdf"] is None
    tex = (out / "report.tex").read_text(encoding="utf-8")
    assert r"\documentclass" in tex
    assert "Maximiser of the modewise diffusion" in tex
    assert (out / "report.md").read_text(encoding="utf-8").startswith("# dlnverify report")
    assert files["figures"]
    assert all(os.path.getsize(f) > 0 for f in files["figures"])


def test_same_seed_same_report(tmp_path, capsys):
    texts = []
    for name in ("a", "b"):
        argv = ["report", "C4", "--output", str(tmp_path / name), "--pdf", "no", "--quiet"]
        assert main(argv) == ExitCode.OK
        texts.append((tmp_path / name / "report.tex").read_bytes())
    assert texts[0] == texts[1]
    capsys.readouterr()


def test_failing_claim_gives_exit_1(tmp_path, capsys, monkeypatch):
    import dataclasses

    from reports.engine import verify as verification

    real = verification.verify_claim

    def refuted(claim, **kwargs):
        outcome = real(claim, **kwargs)
        return dataclasses.replace(
            outcome, derivation=dataclasses.replace(outcome.derivation, holds=False)
        )

    monkeypatch.setattr(verification, "verify_claim", refuted)
    argv = ["report", "C8", "--symbolic-only", "-o", str(tmp_path), "--pdf", "no", "--quiet"]
    assert main(argv) == ExitCode.FAILED
    assert "0 of 1 claims hold" in capsys.readouterr().out
    assert "refuted" in (tmp_path / "report.tex").read_text(encoding="utf-8")


def test_output_that_is_a_file_is_bad_input(tmp_path, capsys):
    target = tmp_path / "report.tex"
    target.write_text("", encoding="utf-8")
    assert main(["report", "C8", "--output", str(target)]) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert "give a directory" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("command", "where", "message"),
    [
        (["report", "C8", "--output"], "{file}/sub", "'{file}' is a file, not a directory"),
        (["report", "C8", "--output"], "{dir}", "'{dir}/figures', but it is a file"),
        (["report", "C8", "--output"], "{dir}", "'{dir}/report.tex', but it is a directory"),
        (["verify", "C2", "--report"], "{file}/x.md", "'{file}' is a file, not a directory"),
    ],
)
def test_a_report_that_cannot_be_written_is_refused_before_any_claim(
    tmp_path, capsys, monkeypatch, command, where, message
):
    def verified(*_args, **_kwargs):
        raise AssertionError("a claim was verified")

    for module in ("report", "verify"):
        monkeypatch.setattr(f"reports.cli.{module}.verify_with_progress", verified)
    blocker, directory = tmp_path / "file", tmp_path / "dir"
    blocker.write_text("", encoding="utf-8")
    directory.mkdir()
    if "figures" in message:
        (directory / "figures").write_text("", encoding="utf-8")
    else:
        (directory / "report.tex").mkdir()
    names = {"file": blocker, "dir": directory}
    assert main([*command, where.format(**names)]) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert message.format(**names) in err
    assert err.startswith(f"dlnverify: error: Got {command[-1]} ")
    assert err.count("\n") == 1


def test_pdf_yes_without_tex_is_bad_input(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no pdflatex, no latexmk
    argv = ["report", "C8", "--output", str(tmp_path / "r"), "--pdf", "yes"]
    assert main(argv) == ExitCode.BAD_INPUT
    assert "pdflatex" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_verify_report_at_a_directory_is_refused_before_any_claim(tmp_path, capsys):
    assert main(["verify", "C2", "--report", str(tmp_path)]) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert "is a directory" in err
    assert err.count("\n") == 1  # no progress line: nothing was verified


def test_unknown_claim_is_bad_input(tmp_path, capsys):
    assert main(["report", "C99", "--output", str(tmp_path)]) == ExitCode.BAD_INPUT
    assert "C99" in capsys.readouterr().err


@pytest.mark.parametrize("flag", ["--pdf", "--output"])
def test_flags_need_values(flag, capsys):
    with pytest.raises(SystemExit) as info:
        main(["report", flag])
    assert info.value.code == ExitCode.BAD_INPUT


def test_experiment_sections_show_what_simulate_shows(tmp_path, capsys):
    out = tmp_path / "rep"
    argv = ["report", "C2", "--symbolic-only", "--output", str(out), "--pdf", "no"]
    # the collapse departs from C11 (a finding, C16): information, the exit code is the claims'
    assert main([*argv, "--experiment", "fig4-collapse", "--json"]) == ExitCode.OK
    captured = capsys.readouterr()
    payload = json.loads(captured.out)
    progress = captured.err.splitlines()
    started = progress.index("[1/1] experiment fig4-collapse ...")
    assert "departs" in next(line for line in progress[started:] if line.endswith(" s)"))
    (run,) = payload["experiments"]
    assert run["name"] == "fig4-collapse"
    assert run["holds"] is False
    assert "departs" in run["verdict"]
    assert str(out / "figures" / "experiment-fig4-collapse.pdf") in payload["files"]["figures"]
    markdown = (out / "report.md").read_text(encoding="utf-8")
    section = markdown[markdown.index("## Experiment: fig4-collapse") :]
    assert "Reproduce with `dlnverify simulate --experiment fig4-collapse --seed 0`." in section
    tex = (out / "report.tex").read_text(encoding="utf-8")
    assert r"\section*{Experiment: fig4-collapse}" in tex
    assert r"\hyperref[experiment:fig4-collapse]{fig4-collapse}" in tex
    # the command the section names gives the numbers the section shows
    assert main(["simulate", "--experiment", "fig4-collapse", "--seed", "0", "--quiet"]) == 0
    printed = capsys.readouterr().out
    rows = [line.split("  ") for line in printed.split("\n") if line.startswith(("s_1 ", "0-0.5"))]
    assert len(rows) == 2
    for cells in rows:
        assert "| " + " | ".join(c.strip() for c in cells if c.strip()) + " |" in section


def test_experiment_names_are_checked_before_any_work(tmp_path, capsys):
    argv = ["report", "C2", "--output", str(tmp_path / "r"), "--experiment", "fig9"]
    assert main(argv) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert "fig9" in err
    assert err.count("\n") == 1  # no claim was verified first
    assert not (tmp_path / "r").exists()


def test_experiment_all_names_every_shipped_experiment_once():
    from reports.cli.report import _experiment_names
    from reports.experiments.files import shipped_experiments

    shipped = list(shipped_experiments())
    assert _experiment_names(["fig1", "all", "fig1"]) == ["fig1"] + [
        name for name in shipped if name != "fig1"
    ]
