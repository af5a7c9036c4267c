"""``dlnverify list`` and ``show``: every claim is listed; ``show`` prints the statement, the
verdict, the findings and the simulation remarks, as text and as JSON."""

import json

from reports.claims import all_claims
from reports.cli import ExitCode, main


def test_list_names_every_claim(capsys):
    assert main(["list"]) == ExitCode.OK
    out = capsys.readouterr().out
    for claim in all_claims():
        assert claim.id in out


def test_show_text_and_json(capsys):
    assert main(["show", "C10"]) == ExitCode.OK
    out = capsys.readouterr().out
    assert out.startswith("C10  ")
    assert "symbolic verdict: proven" in out
    assert "finding: " in out
    assert "simulation remark: " in out
    assert out.rstrip().endswith("QUANTITY one of stationary_density")
    assert main(["show", "C10", "--json"]) == ExitCode.OK
    payload = json.loads(capsys.readouterr().out)
    assert payload["claim"] == "C10"
    assert payload["holds"] is True
    assert any("stationary-width" in remark for remark in payload["remarks"])


def test_show_gives_findings_with_their_formulas_as_tex_math(capsys):
    """C8's depth-one finding holds Eq. 7 at L = 1, kappa (sigma_eps^2 + 2 (s - sigma)^2):
    SymPy text by default, TeX math with --latex and in the JSON's findings_markdown."""
    text = "L = 1: D = kappa*(sigma_eps**2 + 2*(s - sigma)**2) has the single critical point"
    tex = (
        r"L = 1: D = $\kappa \left(\sigma_{\varepsilon}^{2} + 2 \left(s - \sigma\right)^{2}"
        r"\right)$ has the single critical point s = $\sigma$"
    )
    assert main(["show", "C8"]) == ExitCode.OK
    assert f"finding: {text}" in capsys.readouterr().out
    assert main(["show", "C8", "--latex"]) == ExitCode.OK
    assert f"finding: {tex}" in capsys.readouterr().out
    assert main(["show", "C8", "--json"]) == ExitCode.OK
    payload = json.loads(capsys.readouterr().out)
    assert any(f.startswith(text) for f in payload["findings"])
    assert any(f.startswith(tex) for f in payload["findings_markdown"])
    assert len(payload["findings_markdown"]) == len(payload["findings"])


def test_show_unknown_claim_is_bad_input(capsys):
    assert main(["show", "C99"]) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert "C99" in err
    assert err.count("\n") == 1


def test_show_summarises_long_values_and_full_prints_them(capsys):
    from reports.cli.show import LONG

    assert main(["show", "C1"]) == 0
    summary = capsys.readouterr().out
    assert len(summary) < 20 * LONG
    assert "characters; dlnverify show --full prints them" in summary
    assert max(len(line) for line in summary.splitlines()) <= LONG + 200
    assert main(["show", "C1", "--full"]) == 0
    full = capsys.readouterr().out
    assert len(full) > 100 * LONG
    assert "--full prints them" not in full
