r"""``dlnverify report --check-steps FILE``: a derivation file checked step by step, before the
claims, its result a section per chain in ``report.tex``, ``report.md`` and ``report.html``
with every step's verdict and the first wrong step named; bad input refused before any claim
is verified; the exit code 1 when a step is refuted or undecided."""

import json

import pytest

from reports.cli import ExitCode, main

#: Two chains: the second step of the first is wrong (a dropped x), the second chain holds.
WRONG = r"""Text around the math is ignored.
\begin{align}
(x+1)^2 &= x^2 + 2x + 1 \\
        &= x^2 + x + 1
\end{align}
\[ \frac{d}{ds} s^3 = 3 s^2 \]
"""
#: The same derivation with the step corrected.
RIGHT = WRONG.replace("x^2 + x + 1", "1 + 2x + x^2")


def _report(tmp_path, text, *extra):
    """``report C2 --symbolic-only --check-steps FILE --json``: exit code, JSON and the
    report directory."""
    derivation = tmp_path / "derivation.tex"
    derivation.write_text(text, encoding="utf-8")
    out = tmp_path / "rep"
    argv = ["report", "C2", "--symbolic-only", "--output", str(out), "--quiet"]
    pdf = [] if "--pdf" in extra else ["--pdf", "no"]
    return main([*argv, *pdf, "--check-steps", str(derivation), "--json", *extra]), out


def test_a_wrong_step_is_named_in_every_format_and_fails_the_report(report_extra, tmp_path, capsys):
    code, out = _report(tmp_path, WRONG)
    payload = json.loads(capsys.readouterr().out)
    assert payload["all_hold"] is True  # the claims hold: the derivation fails the report
    assert code == ExitCode.FAILED
    assert payload["steps"]["first_wrong"] == {"chain": 1, "step": 2, "line": 4}
    assert payload["steps"]["verdict"] == "refuted"
    tex = (out / "report.tex").read_text(encoding="utf-8")
    assert r"first wrong step: \hyperref[steps:1]{chain 1, step 2} (line 4)" in tex
    assert r"\section*{Derivation chain 1}" in tex
    assert r"\section*{Derivation chain 2}" in tex
    assert r"\textbf{Step 2}, lines 3-4, \texttt{=}: \bad{refuted} (the first wrong step)" in tex
    assert r"\textbf{Step 1}, line 3, \texttt{=}: \good{proven} ---" in tex
    assert "x^{2} + 2 x + 1 = x^{2} + x + 1" in tex  # the step, both sides as parsed
    assert "Counterexample: at x = 1/2: left 2.25, right 1.75." in tex
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "Your derivation (`check-steps " in markdown
    assert "**Step 2**, lines 3-4, `=`: **refuted** (the first wrong step) —" in markdown
    assert "$$ x^{2} + 2 x + 1 = x^{2} + x + 1 $$" in markdown
    assert markdown.count("(the first wrong step)") == 1
    html = (out / "report.html").read_text(encoding="utf-8")
    assert '<section id="steps-1" class="steps">' in html
    assert '<a href="#steps-1">chain 1, step 2</a> (line 4)' in html
    assert '<span class="verdict bad">refuted</span> (the first wrong step)' in html
    assert html.count("<math") > html.count('class="steps"')  # each step as MathML


def test_a_right_derivation_leaves_the_exit_code_to_the_claims(report_extra, tmp_path, capsys):
    code, out = _report(tmp_path, RIGHT)
    payload = json.loads(capsys.readouterr().out)
    assert code == ExitCode.OK
    assert payload["steps"]["first_wrong"] is None
    assert payload["steps"]["counts"]["proven"] == 3
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "Your derivation (`check-steps " in markdown
    assert "(the first wrong step)" not in markdown
    assert "refuted" not in markdown.split("## Derivation chain 1")[1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("\\begin{align}\nx &= \\input{secrets}\n\\end{align}\n", "line 2: \\input is refused"),
        ("\\begin{equation}\nx = (y\n\\end{equation}\n", "derivation.tex, line 2"),
    ],
)
def test_a_bad_file_is_refused_before_any_claim_is_verified(
    tmp_path, capsys, monkeypatch, text, message
):
    def never(*_args, **_kwargs):
        raise AssertionError("the claims were verified before the file was refused")

    monkeypatch.setattr("reports.cli.report.verify_with_progress", never)
    code, out = _report(tmp_path, text)
    captured = capsys.readouterr()
    assert code == ExitCode.BAD_INPUT
    assert captured.err.count("\n") == 1
    assert message in captured.err
    assert json.loads(captured.out)["exit_code"] == ExitCode.BAD_INPUT
    assert not out.exists()


def test_check_and_check_steps_cannot_both_read_standard_input(capsys):
    assert main(["report", "--check", "-", "--check-steps", "-"]) == ExitCode.BAD_INPUT
    assert "cannot both read standard input" in capsys.readouterr().err


def test_the_pdf_compiles_with_the_chain_sections(pdflatex, tmp_path, capsys):
    """Relations as written (``\\approx``), an order term and a proportionality in the PDF."""
    text = (
        WRONG
        + "\\begin{equation}\n\\int_0^1 u\\,du \\propto 2 \\approx 1 + O(\\kappa^2)\n\\end{equation}\n"
    )
    code, out = _report(tmp_path, text, "--pdf", "yes")
    assert code == ExitCode.FAILED
    assert json.loads(capsys.readouterr().out)["files"]["pdf"] == str(out / "report.pdf")
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")
