r"""The LaTeX/PDF report (:mod:`reports.documents.verification`) and its figures (:mod:`reports.documents.figures`).

Real outcomes come from cheap registry claims derived symbolically (C2, C4, C8: about 2 s),
with synthetic Monte Carlo tables; a synthetic claim carries every LaTeX special, the
Unicode the catalogue uses and HTML markup into titles, notes, findings and parameter values
(``report_outcomes.py``).  The document must compile with pdflatex: without a TeX
installation the compile tests fail under ``CI`` (CI installs TeX) and skip elsewhere;
likewise for jinja2 and matplotlib.
"""

import dataclasses
import re
import shutil
import sys
from pathlib import Path

import pytest
from report_outcomes import NASTY, cheap_outcomes

from derivations.result import DerivationResult, Finding, Math
from dlnverify.errors import InvalidParameter
from reports.claims import get_claim
from reports.documents.markdown import render_report
from reports.documents.verification import ReportFiles, render_latex, write_latex_report
from reports.engine.verdict import NumericCase, NumericCheck
from reports.engine.verify import ClaimOutcome
from reports.render.latex import (
    UNKNOWN_CHARACTER,
    LatexError,
    compile_pdf,
    latex_escape,
    latex_math_text,
)


@pytest.fixture(scope="module")
def outcomes() -> list[ClaimOutcome]:
    return cheap_outcomes()


# --- escaping ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("%", r"\%"),
        ("&", r"\&"),
        ("$", r"\$"),
        ("#", r"\#"),
        ("_", r"\_"),
        ("{", r"\{"),
        ("}", r"\}"),
        ("~", r"\textasciitilde{}"),
        ("^", r"\textasciicircum{}"),
        ("\\", r"\textbackslash{}"),
        ("<|>", r"\textless{}\textbar{}\textgreater{}"),
        ("Itô", r"It\^{o}"),
        ("Fokker–Planck — ok", "Fokker--Planck --- ok"),
        ("±", r"\ensuremath{\pm}"),
        ("≤≥", r"\ensuremath{\leq}\ensuremath{\geq}"),
        ("σκε", r"\ensuremath{\sigma}\ensuremath{\kappa}\ensuremath{\varepsilon}"),
        (
            "∞×≈√∗",
            r"\ensuremath{\infty}\ensuremath{\times}\ensuremath{\approx}"
            r"\ensuremath{\surd}\ensuremath{\ast}",
        ),
        ("x²", r"x\ensuremath{^{2}}"),
        ("§4", r"\S{}4"),
        ("a\nb\tc", "a b c"),
        ("plain text, 1.5 (ok)", "plain text, 1.5 (ok)"),
        ("漢", UNKNOWN_CHARACTER),
        ("😀", UNKNOWN_CHARACTER),
    ],
)
def test_latex_escape(text, expected):
    assert latex_escape(text) == expected


def test_latex_escape_leaves_no_bare_special_and_no_non_ascii():
    escaped = latex_escape(NASTY)
    assert escaped.isascii()
    for special in "%&$#_":
        assert all(escaped[i - 1] == "\\" for i, c in enumerate(escaped) if c == special)


def test_latex_math_text_maps_unicode_inside_math():
    assert latex_math_text(r"\sigma ≤ 1") == r"\sigma \leq  1"
    assert latex_math_text("σ²") == r"\sigma ^{2}"
    assert latex_math_text("Itô") == r"It\text{\^{o}}"
    assert latex_math_text(r"\frac{a}{b}") == r"\frac{a}{b}"


@pytest.mark.parametrize("bad", [None, 3, b"bytes"])
def test_escaping_rejects_non_strings(bad):
    with pytest.raises(InvalidParameter, match="must be a str"):
        latex_escape(bad)
    with pytest.raises(InvalidParameter, match="must be a str"):
        latex_math_text(bad)


# --- rendering -----------------------------------------------------------------------------


def test_a_finding_typesets_its_expressions_as_inline_math(outcomes):
    """C8's finding at L = 1 holds D = kappa (sigma_eps^2 + 2 (s - sigma)^2), Eq. 7 at L = 1,
    and its critical point sigma: text escaped, expressions as math, in both reports."""
    diffusion = r"\kappa \left(\sigma_{\varepsilon}^{2} + 2 \left(s - \sigma\right)^{2}\right)"
    text = render_latex(outcomes, seed=7, figures={})
    assert f"L = 1: D = ${diffusion}$ has the single critical point s = $\\sigma$ (a" in text
    assert "Q's root s = 0 is spurious (cancelled by s\\textasciicircum{}(-1))." in text
    markdown = render_report(outcomes)
    assert f"L = 1: D = ${diffusion}$ has the single critical point s = $\\sigma$ (a" in markdown


def test_a_displayed_formula_of_a_finding_sits_on_its_own_line(outcomes):
    wide = Finding("Rate: ", Math(r"\lambda = 1", "lambda = 1", display=True), "; so.")
    outcome = outcomes[0]
    derivation = dataclasses.replace(outcome.derivation, findings=(wide,))
    changed = dataclasses.replace(outcome, derivation=derivation)
    assert r"\finding{Rate: \[ \lambda = 1 \]; so.}" in render_latex([changed], figures={})
    assert "> **Finding.** Rate:  $$\\lambda = 1$$ ; so." in render_report([changed])


def test_render_latex_is_a_complete_deterministic_document(outcomes, report_extra):
    text = render_latex(outcomes, seed=7, figures={"C8": "figures/diffusion_profile.pdf"})
    assert text == render_latex(outcomes, seed=7, figures={"C8": "figures/diffusion_profile.pdf"})
    assert text.startswith(r"\documentclass")
    assert text.rstrip().endswith(r"\end{document}")
    assert r"\date{}" in text
    assert r"\today" not in text
    assert text.isascii()
    assert "seed 7" in text
    assert "3 of 4 claims hold" in text
    for outcome in outcomes:
        assert f"\\section*{{{outcome.claim.id}. " in text
    assert r"\includegraphics[width=0.7\linewidth]{figures/diffusion_profile.pdf}" in text
    assert r"\caption{Derived aligned-balanced diffusion" in text
    assert text.count(r"\includegraphics") == 1
    # conventions, as in the Markdown report
    assert r"\texttt{sigma\_eps}" in text
    assert r"\texttt{loss\_without\_half}" in text
    # the synthetic claim: verdicts, escaped text, a finding box, a failing row
    assert latex_escape(f"title {NASTY}") in text
    assert latex_escape(f"note {NASTY}") in text
    assert r"\finding{" + latex_escape(f"finding {NASTY}") + "}" in text
    assert r"\textbf{Simulation remark.} " + latex_escape(f"remark {NASTY}") in text
    # where a claim offers check quantities, its section names them (C4 and C8, of these)
    assert text.count(r"\textit{Check your own formula}") == 2
    assert r"\texttt{batch\_noise\_factor}." in text
    assert r"\texttt{diffusion\_peak}, \texttt{peak\_threshold}." in text
    markdown = render_report(outcomes)
    assert markdown.count("*Check your own formula*") == 2
    assert "FORMULA`): `batch_noise_factor`." in markdown
    assert "FORMULA`): `diffusion_peak`, `peak_threshold`." in markdown
    assert f"> **Simulation remark.** remark {NASTY}" in markdown
    assert f"> **Finding.** finding {NASTY}" in markdown
    assert r"\bad{refuted}" in text
    assert r"\bad{rejects}" in text
    assert r"\bad{$\infty$}" in text
    assert r"2\times10^{-7} \pm 10^{-9}" in text
    assert "widths=[3, 4, 2]" in text
    assert r"\begin{aligned}" in text  # the 39-term sum is broken into lines
    # derived steps print parameters in their declared spelling (C8's steps use sigma_eps)
    assert r"\sigma_{\varepsilon}^{2}" in text
    assert r"\sigma_{eps}" not in text


def test_render_latex_rejects_bad_input(outcomes, report_extra):
    with pytest.raises(InvalidParameter, match="no such claim"):
        render_latex(outcomes, figures={"C99": "figures/x.pdf"})
    with pytest.raises(InvalidParameter, match="figure path"):
        render_latex(outcomes, figures={"C2": "my figures/x%.pdf"})
    with pytest.raises(InvalidParameter, match="ClaimOutcome"):
        render_latex(["C2"])
    with pytest.raises(InvalidParameter, match="seed"):
        render_latex(outcomes, seed="0")


# --- compiling -----------------------------------------------------------------------------


def test_write_latex_report_compiles_to_pdf(outcomes, pdflatex, tmp_path):
    files = write_latex_report(outcomes, tmp_path / "report", seed=3, pdf=True)
    assert isinstance(files, ReportFiles)
    assert files.tex == tmp_path / "report" / "report.tex"
    assert files.pdf == tmp_path / "report" / "report.pdf"
    assert files.pdf.read_bytes().startswith(b"%PDF")
    # -halt-on-error: a PDF means no LaTeX error; the auxiliary files are cleaned up
    assert {p.name for p in files.tex.parent.iterdir()} == {"report.tex", "report.pdf", "figures"}
    names = sorted(path.name for path in files.figures)
    assert names == ["agreement_C4.pdf", "agreement_X1.pdf", "diffusion_profile.pdf"]
    assert all(path.parent == tmp_path / "report" / "figures" for path in files.figures)
    text = files.tex.read_text(encoding="utf-8")
    assert r"\includegraphics[width=0.7\linewidth]{figures/agreement_X1.pdf}" in text
    assert text == render_latex(
        outcomes,
        seed=3,
        figures={
            "C4": "figures/agreement_C4.pdf",
            "C8": "figures/diffusion_profile.pdf",
            "X1": "figures/agreement_X1.pdf",
        },
    )


def test_write_latex_report_without_figures_or_pdf(outcomes, report_extra, tmp_path):
    files = write_latex_report(outcomes, tmp_path, figures=False)
    assert files.figures == ()
    assert files.pdf is None
    assert r"\includegraphics" not in files.tex.read_text(encoding="utf-8")
    (tmp_path / "file").write_text("x")
    with pytest.raises(InvalidParameter, match="is a file"):
        write_latex_report(outcomes, tmp_path / "file")


def test_compile_pdf_without_latexmk_runs_pdflatex(pdflatex, tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "pdflatex").symlink_to(shutil.which("pdflatex"))
    monkeypatch.setenv("PATH", str(bin_dir))
    tex = tmp_path / "doc.tex"
    tex.write_text(r"\documentclass{article}\begin{document}Hello.\end{document}")
    assert compile_pdf(tex).read_bytes().startswith(b"%PDF")
    assert {p.name for p in tmp_path.iterdir()} == {"bin", "doc.tex", "doc.pdf"}


def test_compile_pdf_leaves_only_the_source_and_the_pdf(pdflatex, tmp_path):
    tex = tmp_path / "doc.tex"
    tex.write_text(r"\documentclass{article}\begin{document}\section{A}Hello.\end{document}")
    compile_pdf(tex, timeout=60)
    assert {p.name for p in tmp_path.iterdir()} == {"doc.tex", "doc.pdf"}


def test_compile_pdf_reports_a_missing_tex(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    tex = tmp_path / "doc.tex"
    tex.write_text(r"\documentclass{article}\begin{document}x\end{document}")
    with pytest.raises(
        LatexError, match=r"^pdflatex not found: install a TeX distribution .* --pdf$"
    ):
        compile_pdf(tex)


def test_compile_pdf_reports_the_latex_error_on_one_line(pdflatex, tmp_path):
    tex = tmp_path / "broken.tex"
    tex.write_text("\\documentclass{article}\n\\begin{document}\n\\nosuchmacro\n\\end{document}\n")
    with pytest.raises(LatexError, match="Undefined control sequence") as error:
        compile_pdf(tex, timeout=60)
    assert "\n" not in str(error.value)
    assert "line 3" in str(error.value)
    assert (tmp_path / "broken.log").is_file()  # kept after a failure
    assert isinstance(error.value, InvalidParameter)


@pytest.mark.parametrize(
    ("name", "timeout", "match"),
    [("doc.txt", 10, "tex_path"), ("missing.tex", 10, "tex_path"), ("doc.tex", 0, "timeout")],
)
def test_compile_pdf_rejects_bad_input(tmp_path, name, timeout, match):
    (tmp_path / "doc.txt").write_text("x")
    (tmp_path / "doc.tex").write_text("x")
    with pytest.raises(InvalidParameter, match=match):
        compile_pdf(tmp_path / name, timeout=timeout)


# --- figures -------------------------------------------------------------------------------


def test_figures_are_written_and_byte_identical(outcomes, report_extra, tmp_path):
    from reports.claims.aligned_balanced import diffusion_profile_figure
    from reports.claims.gradient_flow import gradient_flow_figure
    from reports.documents.figures import agreement_figure

    for run in ("a", "b"):
        assert agreement_figure(outcomes[3], tmp_path / run / "agreement.pdf") is not None
        diffusion_profile_figure(tmp_path / run / "diffusion.pdf")
        gradient_flow_figure(tmp_path / run / "flow.png")
    for name in ("agreement.pdf", "diffusion.pdf", "flow.png"):
        first = (tmp_path / "a" / name).read_bytes()
        assert len(first) > 1000
        assert first == (tmp_path / "b" / name).read_bytes(), name
    assert (tmp_path / "a" / "diffusion.pdf").read_bytes().startswith(b"%PDF")
    assert b"CreationDate" not in (tmp_path / "a" / "diffusion.pdf").read_bytes()


def test_claim_figures_picks_the_specific_or_the_agreement_figure(outcomes, report_extra, tmp_path):
    from reports.documents.figures import agreement_figure, claim_figures

    assert agreement_figure(outcomes[0], tmp_path / "none.pdf") is None  # C2: no Monte Carlo
    assert not (tmp_path / "none.pdf").exists()
    figures = claim_figures(outcomes, tmp_path / "figures")
    assert sorted(figures) == ["C4", "C8", "X1"]
    assert Path(figures["C8"]).name == "diffusion_profile.pdf"
    assert Path(figures["X1"]).name == "agreement_X1.pdf"
    assert all(Path(path).stat().st_size > 0 for path in figures.values())
    with pytest.raises(InvalidParameter, match=r"\.pdf, \.png or \.svg"):
        agreement_figure(outcomes[3], tmp_path / "figure.jpg")


def test_gradient_flow_figure_is_drawn_for_c9(report_extra, tmp_path):
    from reports.documents.figures import claim_figures

    c9 = get_claim("C9")
    fake = ClaimOutcome(c9, DerivationResult("C9", 0, 0, True), None, 0.0, 0.0)
    figures = claim_figures([fake], tmp_path)
    assert re.fullmatch(r".*gradient_flow\.pdf", figures["C9"])


def test_every_registered_figure_exists(report_extra):
    from reports.claims import all_claims
    from reports.engine.claim import ClaimFigure

    named = {c.figure for c in all_claims() if c.figure is not None}
    assert named, "no claim registers a figure"
    for figure in named:
        assert isinstance(figure, ClaimFigure), figure
        assert callable(figure.draw), figure
        assert figure.stem.isidentifier(), figure
        assert figure.caption, figure
    assert len({figure.stem for figure in named}) == len(named), "two figures share a file"


def test_plateau_figure_is_drawn_for_c15_and_reproducible(report_extra, tmp_path):
    from reports.documents.figures import claim_figures

    c15 = get_claim("C15")
    fake = ClaimOutcome(c15, DerivationResult("C15", 0, 0, True), None, 0.0, 0.0)
    first = claim_figures([fake], tmp_path / "a")["C15"]
    second = claim_figures([fake], tmp_path / "b")["C15"]
    assert Path(first).name == "plateau.pdf"
    assert Path(first).read_bytes() == Path(second).read_bytes()


def test_a_claim_naming_an_unknown_figure_is_refused(report_extra, tmp_path):
    import dataclasses

    # a figure is a ClaimFigure (a function by reference), never a name to look up
    with pytest.raises(InvalidParameter, match="a figure must be a ClaimFigure"):
        dataclasses.replace(get_claim("C9"), figure="os_system")
    assert not list(tmp_path.iterdir())


def test_a_missing_report_extra_is_a_one_line_error(outcomes, tmp_path, monkeypatch):
    from reports.claims.gradient_flow import gradient_flow_figure

    monkeypatch.setitem(sys.modules, "jinja2", None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(InvalidParameter, match=r"^jinja2 not found: .*pip install jinja2"):
        render_latex(outcomes)
    with pytest.raises(InvalidParameter, match=r"^matplotlib not found: .*pip install matplotlib"):
        gradient_flow_figure(tmp_path / "flow.pdf")


def test_sample_counts_read_as_counts_and_n_a_when_nothing_was_drawn():
    """An exact or quadrature estimate draws no samples: its row says "n/a", not "0"."""
    from reports.documents.markdown import _monte_carlo
    from reports.documents.verification import _numeric_context

    drawn = NumericCase({"L": 2}, 1.0, 0.1, 1.0, 0.0, 200_000)
    exact = dataclasses.replace(drawn, n_samples=0)
    check = NumericCheck((drawn, exact), threshold=5.0, false_alarm_rate=1e-6, n_tests=2)
    assert [row["n_samples"] for row in _numeric_context(check)["rows"]] == [r"200\,000", "n/a"]
    rows = [line for line in _monte_carlo(check) if line.startswith("| L=2")]
    assert [row.rsplit("|", 2)[1].strip() for row in rows] == ["200,000", "n/a"]


def test_a_reused_report_directory_keeps_no_stale_pdf(outcomes, report_extra, tmp_path):
    """Without a PDF of its own, a run leaves no report.pdf of an earlier run next to its
    report.tex; and it leaves no temporary files."""
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.5 from an earlier run")
    files = write_latex_report(outcomes, tmp_path, pdf=False, figures=False)
    assert files.pdf is None
    assert not (tmp_path / "report.pdf").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.tex"]
