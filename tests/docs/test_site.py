"""The documentation site: ``mkdocs build --strict`` succeeds on the real site (the tutorial
notebook executed, the generated pages complete), and the same settings fail a site with a
broken link, a broken anchor or a failing notebook cell.

The real site is built with the catalogue's derivations left out
(``DLNVERIFY_DOCS_DERIVATIONS=off``, ``docs/hooks/claim_catalogue.py``): the registry test
(``tests/reports/claims/test_catalogue.py``) derives every claim already, and a second,
concurrent derivation of all of them in the build would double the suite's symbolic work.
The derived parts of a section (verdict, steps, findings) are checked on real derivations
below, C12's refuted statement in C12's group (where the registry test derives it).  The
tests here run on one worker (``xdist_group``), in parallel with the rest.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HOOKS = ROOT / "docs" / "hooks"
sys.path.insert(0, str(HOOKS))

import claim_catalogue  # noqa: E402
import cli_reference  # noqa: E402

pytestmark = pytest.mark.xdist_group("docs_site")

#: The whole build on two loaded cores, derivations included (they are minutes when cold).
BUILD_TIMEOUT = 900
#: A tiny site: seconds, a notebook kernel included.
TINY_TIMEOUT = 120


def _mkdocs_build(config: Path, site: Path, timeout: float) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "NO_MKDOCS_2_WARNING": "1",
        claim_catalogue.DERIVATIONS_VARIABLE: "off",
    }
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
        cwd=config.parent,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
    )


#: The tests that read the real site: the first builds it (``site``), within the build's time.
uses_the_site = pytest.mark.timeout(BUILD_TIMEOUT + 60)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The real site, built once in strict mode into a temporary directory."""
    target = tmp_path_factory.mktemp("site")
    built = _mkdocs_build(ROOT / "mkdocs.yml", target, BUILD_TIMEOUT)
    assert built.returncode == 0, built.stderr[-4000:]
    return target


_HREF = re.compile(r'href="([^"]*)"')


def broken_links(site: Path) -> list[str]:
    """Every link between pages of a built site whose target file or anchor is missing.

    MkDocs validates the links of Markdown pages; this also covers the executed notebook's
    links, which mkdocs-jupyter passes through as written."""
    broken = []
    for page in sorted(site.rglob("*.html")):
        if page.name == "404.html":  # its links are absolute on purpose (any URL may 404)
            continue
        for href in _HREF.findall(page.read_text(encoding="utf-8")):
            href = html.unescape(href)
            if re.match(r"[a-z]+:|//", href) or href.startswith("#") or not href:
                continue
            path, _, anchor = href.partition("#")
            target = (page.parent / path.split("?")[0]).resolve()
            if target.is_dir():
                target = target / "index.html"
            where = f"{page.relative_to(site)}: {href}"
            if not target.is_file() or (
                anchor
                and target.suffix == ".html"
                and f'id="{anchor}"' not in target.read_text(encoding="utf-8")
            ):
                broken.append(where)
    return broken


@uses_the_site
def test_every_link_of_the_built_site_resolves(site):
    assert broken_links(site) == []


def test_the_link_check_finds_a_missing_page_and_a_missing_anchor(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "index.html").write_text('<h2 id="here">A</h2>', encoding="utf-8")
    (tmp_path / "index.html").write_text(
        '<a href="a/">ok</a> <a href="a/#here">ok</a> <a href="https://x.org/">ok</a>'
        '<a href="b/">gone</a> <a href="a/#there">gone</a>',
        encoding="utf-8",
    )
    assert broken_links(tmp_path) == ["index.html: b/", "index.html: a/#there"]


def _page(site: Path, page: str) -> str:
    return (site / page / "index.html").read_text(encoding="utf-8")


@uses_the_site
def test_the_site_builds_in_strict_mode_with_every_page(site):
    for page in ("getting-started", "tutorial", "reference/claims", "reference/cli"):
        assert (site / page / "index.html").is_file(), page
    api = _page(site, "reference/api")
    for name in (
        "reports.formulas.engine.check",
        "reports.formulas.chain.check_steps",
        "reports.engine.verify.verify_claim",
        "reports.claims.all_claims",
        "numerics.trajectory.simulate_trajectory",
    ):
        assert f'id="{name}"' in api, name


@uses_the_site
def test_the_catalogue_has_a_section_for_every_registered_claim(site):
    from reports.claims import all_claims

    page = _page(site, "reference/claims")
    sections = set(re.findall(r'<h2 id="(C\d+)"', page))
    assert sections == {claim.id for claim in all_claims()}
    for claim in all_claims():  # each section holds the claim's own title and Monte Carlo note
        assert html.escape(claim.title, quote=False) in page, claim.id
        if claim.numeric is not None:
            assert html.escape(claim.numeric.note, quote=False) in page, claim.id
    # built without the derivations (module docstring): each section says where they are
    c12 = page.split('id="C12"', 1)[1].split('<h2 id="C13"', 1)[0]
    assert "dlnverify show C12" in c12


@pytest.mark.xdist_group("stationary")
def test_a_section_on_the_real_derivation_names_a_refuted_statement_and_its_findings():
    """C12's paper mean is refuted by its derivation (README Findings): the section says so
    and lists the derivation's findings and steps."""
    from reports.claims import get_claim
    from reports.engine.derivation_cache import derive

    claim = get_claim("C12")
    result = derive(claim)
    section = claim_catalogue.claim_section(claim, result)
    assert "the statement is refuted" in section
    assert section.count("\n- ") == len(result.findings)
    assert result.findings
    assert "BELOW sigma" in section
    assert "dlnverify show C12" not in section.split("### Findings", 1)[1]


def test_a_section_on_a_proven_derivation_shows_its_verdict_cases_and_steps():
    from reports.claims import get_claim
    from reports.engine.derivation_cache import derive

    claim = get_claim("C2")
    result = derive(claim)
    section = claim_catalogue.claim_section(claim, result)
    assert result.holds
    assert "**SymPy proves the statement.**" in section
    assert section.count("\n1. ") == 1
    assert result.steps
    for case in result.cases:
        assert claim_catalogue.markdown_text(case) in section


def _every_command(parser: argparse.ArgumentParser, prefix: str = "") -> list[str]:
    names = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, subparser in action.choices.items():
                names.append(f"{prefix}{name}")
                names += _every_command(subparser, f"{prefix}{name} ")
    return names


@uses_the_site
def test_the_cli_reference_has_a_section_for_every_command(site):
    from reports.cli import build_parser

    page = _page(site, "reference/cli")
    commands = _every_command(build_parser())
    assert {"list", "check", "check-steps", "report", "simulate", "cache"} <= set(commands)
    for command in commands:
        assert f'id="{command.replace(" ", "-")}"' in page, command
        assert f"usage: dlnverify {command}" in html.unescape(page), command


@uses_the_site
def test_the_tutorial_ran_every_cell(site):
    notebook = json.loads((site / "tutorial" / "tutorial.ipynb").read_text(encoding="utf-8"))
    page = html.unescape(_page(site, "tutorial"))
    assert "Traceback" not in page
    code_cells = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert code_cells
    # the executed page shows outputs: the refutation and the convention it names
    assert "REFUTED" in page
    assert "half_variance_rate" in page


# --- the checks can fail: the real site's settings on a tiny site with one defect each ---

_NOTEBOOK_CELL = 'print("cell ran")'


def _tiny_site(tmp_path: Path, *, index: str, cell: str) -> Path:
    """A site with the real configuration's strictness, validation and notebook execution,
    and two pages and a notebook of its own."""
    real = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    jupyter = next(p for p in real["plugins"] if isinstance(p, dict) and "mkdocs-jupyter" in p)
    config = {
        "site_name": "tiny",
        "strict": real["strict"],
        "validation": real["validation"],
        "markdown_extensions": real["markdown_extensions"],
        "plugins": [jupyter],
        "nav": ["index.md", "other.md", "notebook.ipynb"],
    }
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text(index, encoding="utf-8")
    (docs / "other.md").write_text("# Other\n\n## A section\n", encoding="utf-8")
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "id": "c1",
                "metadata": {},
                "execution_count": None,
                "outputs": [],
                "source": [cell],
            },
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (docs / "notebook.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    path = tmp_path / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("index", "cell", "named"),
    [
        ("# Home\n\n[gone](missing.md)\n", _NOTEBOOK_CELL, "missing.md"),
        ("# Home\n\n[section](other.md#no-such-section)\n", _NOTEBOOK_CELL, "no-such-section"),
        (
            "# Home\n\n[section](other.md#a-section)\n",
            'raise ValueError("cell failed")',
            "cell failed",
        ),
    ],
    ids=["broken link", "broken anchor", "failing cell"],
)
def test_a_defect_fails_the_strict_build(tmp_path, index, cell, named):
    built = _mkdocs_build(
        _tiny_site(tmp_path, index=index, cell=cell), tmp_path / "site", TINY_TIMEOUT
    )
    assert built.returncode != 0
    assert named in built.stderr + built.stdout


def test_the_tiny_site_without_a_defect_builds(tmp_path):
    config = _tiny_site(
        tmp_path, index="# Home\n\n[section](other.md#a-section)\n", cell=_NOTEBOOK_CELL
    )
    built = _mkdocs_build(config, tmp_path / "site", TINY_TIMEOUT)
    assert built.returncode == 0, built.stderr[-4000:]
    assert "cell ran" in (tmp_path / "site" / "notebook" / "index.html").read_text("utf-8")


# --- the generators, on inputs of their own ---


def test_the_cli_reference_lists_nested_commands_of_any_parser():
    parser = argparse.ArgumentParser(prog="tool")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("first", help="the first | piped")
    cache = commands.add_parser("store", help="a store")
    cache.add_subparsers(dest="action").add_parser("wipe", help="wipe it")
    page = cli_reference.cli_reference(parser)
    assert [name for name, _ in cli_reference.commands(parser)] == ["first", "store", "store wipe"]
    assert "## `tool store wipe` {#store-wipe}" in page
    assert "| [`first`](#first) | the first \\| piped |" in page
    assert "usage: tool store wipe [-h]" in page


def test_the_catalogue_escapes_prose_and_typesets_findings():
    from derivations.conventions import kappa, sigma
    from derivations.result import DerivationResult, Finding, Step
    from reports.engine.claim import Claim

    def derive_nothing():
        r"""C99 [nowhere]: a test claim.

        Derived from :math:`x_1` by :func:`~a.b` with ``code``.

        Parameters
        ----------
        unused : int
            Never shown.
        """

    claim = Claim("C99", "a *title* with [brackets] <b>", "App. Z", r"x = \sigma", derive_nothing)
    result = DerivationResult(
        claim="C99",
        derived=sigma,
        stated=sigma,
        holds=False,
        steps=(Step("first step", sigma, sigma - kappa),),
        findings=(Finding("The mean is ", sigma - kappa / 2, ", not 2*a_b."),),
    )
    section = claim_catalogue.claim_section(claim, result)
    assert section.startswith("## C99: a \\*title\\* with \\[brackets\\] &lt;b&gt; {#C99}")
    assert "the statement is refuted" in section
    assert "\\[\nx = \\sigma\n\\]" in section
    assert "Derived from \\(x_1\\) by `b` with `code`." in section
    assert "Never shown" not in section
    assert "a test claim" not in section
    assert "\\(- \\frac{\\kappa}{2} + \\sigma\\)" in section
    assert ", not 2\\*a\\_b." in section
    assert "None: the claim is checked symbolically only." in section


def test_the_conventions_page_names_every_known_rescaling_and_no_other():
    from derivations.conventions import CONVENTION_RESCALINGS

    page = (ROOT / "docs" / "how-to" / "conventions.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `(\w+)` \|", page, flags=re.MULTILINE)
    assert sorted(listed) == sorted(r.name for r in CONVENTION_RESCALINGS)
