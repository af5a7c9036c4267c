"""``dlnverify report --check FILE``: the user's formulas checked and reported with the claims.

Each formula gets a section (quantity, formula as written and as parsed, derived, difference, verdict,
counterexample, Monte Carlo table) in ``report.tex``/``.pdf`` and ``report.md``, and a line
under the summary; the exit code is 1 unless every claim holds and every formula is verified.
"""

import json

import pytest

from reports.cli import ExitCode, main

#: Eq. 5 in LaTeX (the paper's gradient drift), and the paper's "slightly above sigma" mean
#: (Eq. 17), which the derivation refutes; the names carry LaTeX specials.
FORMULAS = r"""
[[check]]
name = "Eq. 5 & friends_1 (100%)"
quantity = "gradient_drift"
formula = 'L s^{2-\frac{2}{L}}(\sigma - s)'

[[check]]
name = "paper's mean"
quantity = "stationary_mean"
formula = "sigma + kappa*sigma_eps**2"
at = { L = 2 }
"""


def _file(tmp_path, text=FORMULAS):
    path = tmp_path / "formulas.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _report(tmp_path, *extra):
    out = tmp_path / "rep"
    argv = ["report", "C2", "--symbolic-only", "--output", str(out), "--quiet", *extra]
    return out, argv


def test_formula_sections_in_tex_markdown_and_json(report_extra, tmp_path, capsys):
    out, argv = _report(tmp_path, "--check", _file(tmp_path), "--pdf", "no")
    assert main([*argv, "--json"]) == ExitCode.FAILED  # a formula is refuted
    payload = json.loads(capsys.readouterr().out)
    assert payload["all_hold"] is True
    assert [(f["name"], f["verdict"]) for f in payload["formulas"]] == [
        ("Eq. 5 & friends_1 (100%)", "verified"),
        ("paper's mean", "refuted"),
    ]
    tex = (out / "report.tex").read_text(encoding="utf-8")
    assert r"\section*{Formula: Eq. 5 \& friends\_1 (100\%)}" in tex
    assert r"Your formulas (\texttt{check --file}; 1 of 2 verified)" in tex
    assert r"\bad{refuted}" in tex
    assert "held fixed: L=2" in tex
    # the formula as written, breakable after operators, as well as the parsed formula
    written = tex.replace(r"\allowbreak{}", "")
    assert r"as written: \texttt{sigma + kappa*sigma\_eps**2}" in written
    assert r"\texttt{L s\textasciicircum{}\{2-\textbackslash{}frac\{2\}" in written
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "## Formula: paper's mean" in markdown
    assert "As written: `sigma + kappa*sigma_eps**2`" in markdown
    assert "- paper's mean: refuted" in markdown
    assert "Counterexample: sigma = " in markdown
    assert markdown.index("## C2.") < markdown.index("## Formula: Eq. 5")
    # the HTML report: a section per formula, anchored and linked, the formula as written
    # escaped, as parsed and as derived in MathML, the verdict at a glance
    page = (out / "report.html").read_text(encoding="utf-8")
    assert '<section id="formula-1" class="formula">' in page
    assert "<h2>Formula: Eq. 5 &amp; friends_1 (100%)</h2>" in page
    assert (
        '<li><a href="#formula-2">paper&#39;s mean</a>: <span class="verdict bad">refuted</span>'
        in page
    )
    written = r"L s^{2-\frac{2}{L}}(\sigma - s)"
    assert f"as written: <code>{written}</code>" in page
    section = page[page.index('id="formula-2"') :]
    assert section.count('<math display="block">') == 3  # as parsed, derived, difference
    assert "Counterexample: sigma = " in section


def test_all_verified_exit_0_and_text_summary(report_extra, tmp_path, capsys):
    good = FORMULAS.rsplit("[[check]]", 1)[0]
    _, argv = _report(tmp_path, "--check", _file(tmp_path, good), "--pdf", "no")
    assert main(argv) == ExitCode.OK
    assert "1 of 1 of your formulas verified." in capsys.readouterr().out


def test_a_bad_file_is_refused_before_any_claim(tmp_path, capsys, monkeypatch):
    def never(*_args, **_kwargs):
        raise AssertionError("a claim was verified before the file was read")

    monkeypatch.setattr("reports.engine.verify.verify_claim", never)
    bad = _file(tmp_path, FORMULAS + "\n[[check]]\nquantity = 'drift'\nformula = 's +'\n")
    _, argv = _report(tmp_path, "--check", bad, "--pdf", "no")
    assert main(argv) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert "'drift #3'" in err
    assert err.count("\n") == 1


def test_the_pdf_compiles_with_the_formula_sections(pdflatex, tmp_path, capsys):
    out, argv = _report(tmp_path, "--check", _file(tmp_path), "--pdf", "yes")
    assert main(argv) == ExitCode.FAILED
    assert (out / "report.pdf").stat().st_size > 0
    capsys.readouterr()


@pytest.mark.parametrize("seed", ["0", "5"])
def test_same_seed_same_formula_sections(report_extra, tmp_path, capsys, seed):
    texts = []
    for name in ("a", "b"):
        out = tmp_path / name
        argv = ["report", "C2", "--check", _file(tmp_path), "--seed", seed, "--output", str(out)]
        main([*argv, "--pdf", "no", "--quiet"])
        texts.append((out / "report.md").read_bytes())
    assert texts[0] == texts[1]
    capsys.readouterr()
