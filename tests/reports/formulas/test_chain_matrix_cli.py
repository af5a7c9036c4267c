r"""Matrix chains through the command line: the documented example, hostile input, and the
report's section (:mod:`reports.formulas.chain_matrix`).

The example of docs/how-to/check-steps.md holds, and with its Kronecker factors swapped is
refuted on its line; hostile matrix chains (``\input``, ``\def``, deep nesting, a huge
power, a giant Kronecker product) are bad input in bounded CPU time with one line naming the
line; ``report --check-steps`` with a matrix chain writes its section, byte for byte the same
on a second run.
"""

import json
from pathlib import Path

import pytest
from cpu_time import cpu_seconds_below

import reports.formulas.chain  # noqa: F401 - imported here, not inside the timed blocks
from reports.cli import ExitCode, main

ROOT = Path(__file__).resolve().parents[3]


def _example() -> str:
    page = (ROOT / "docs" / "how-to" / "check-steps.md").read_text(encoding="utf-8")
    block = page.split("A chain to\n  copy", 1)[1].split("```latex\n", 1)[1].split("```", 1)[0]
    return "\n".join(line[4:] for line in block.splitlines()) + "\n"


def _run(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_documented_matrix_chain_holds_and_its_slip_is_caught(tmp_path, capsys):
    path = tmp_path / "derivation.tex"
    path.write_text(_example(), encoding="utf-8")
    code, out, _err = _run(["check-steps", str(path), "--json", "--quiet"], capsys)
    payload = json.loads(out)
    assert code == ExitCode.OK
    steps = [step for chain in payload["chains"] for step in chain["steps"]]
    assert [step["verdict"] for step in steps] == ["sampled"] * 5
    assert steps[0]["checked_as"] == "anchor"
    assert steps[0]["quantity"] == "gradient"
    swapped = _example().replace(r"(B_l^\top \otimes A_l)", r"(A_l \otimes B_l^\top)")
    path.write_text(swapped, encoding="utf-8")
    code, out, _err = _run(["check-steps", str(path), "--json", "--quiet"], capsys)
    payload = json.loads(out)
    assert code == ExitCode.FAILED
    assert payload["first_wrong"] == {"chain": 2, "step": 1, "line": 8}


HOSTILE = [
    ("input", "\\[ W_l = \\input{secrets} \\]\n", 1, "\\input is refused"),
    ("def", "\\def\\A{A_l}\n\\[ \\A = A_l \\]\n", 1, "\\def is refused"),
    (
        "deep nesting",
        "\\[ " + "(" * 60 + "W_l" + ")" * 60 + " = W_l \\]\n",
        1,
        "nested too deeply",
    ),
    ("huge power", "\\[ W_l W_l^\\top = (W_l W_l^\\top)^{100000} \\]\n", 1, "too large"),
    (
        "giant kronecker product",
        "\\[ \\operatorname{tr}(K \\otimes K \\otimes K) = \\operatorname{tr}(K)^3 \\]\n",
        1,
        "531441 entries at widths 3; at most 4096 are evaluated",
    ),
]


@pytest.mark.parametrize(("name", "text", "line", "reason"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_matrix_chains_are_bad_input_in_bounded_time(
    name, text, line, reason, tmp_path, capsys
):
    path = tmp_path / "derivation.tex"
    path.write_text(text, encoding="utf-8")
    with cpu_seconds_below(2.0):
        code, out, err = _run(["check-steps", str(path), "--json"], capsys)
    assert code == ExitCode.BAD_INPUT
    message = err.removeprefix("dlnverify: error: ").removesuffix("\n")
    assert "\n" not in message
    assert message.startswith(f"{path}, line {line}: "), message
    assert reason in message
    assert json.loads(out) == {"error": message, "exit_code": 2}


def test_the_report_writes_a_matrix_chains_section_byte_for_byte(report_extra, tmp_path, capsys):
    derivation = tmp_path / "derivation.tex"
    derivation.write_text(_example(), encoding="utf-8")
    written = []
    for run in ("a", "b"):
        out = tmp_path / run
        argv = ["report", "C2", "--symbolic-only", "--output", str(out), "--quiet", "--pdf", "no"]
        assert main([*argv, "--check-steps", str(derivation), "--json"]) == ExitCode.OK
        capsys.readouterr()
        written.append({name: (out / name).read_bytes() for name in ("report.md", "report.tex")})
    assert written[0] == written[1]
    markdown = written[0]["report.md"].decode("utf-8")
    assert "## Derivation chain 1" in markdown
    assert "## Derivation chain 2" in markdown
    assert r"-A_l^{\top} \Delta B_l^{\top} = -\left(B_l \Delta^{\top} A_l\right)^{\top}" in markdown
    assert "holds at 5 shapes" in markdown
