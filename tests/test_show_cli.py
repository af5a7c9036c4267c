"""``dlnverify list`` and ``show``: every claim is listed; ``show`` prints the statement, the
verdict, the findings and the simulation remarks, as text and as JSON."""

import json

from reports.cli import ExitCode, main
from reports.registry import all_claims


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


def test_show_unknown_claim_is_bad_input(capsys):
    assert main(["show", "C99"]) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert "C99" in err
    assert err.count("\n") == 1
