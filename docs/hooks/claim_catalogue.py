r"""MkDocs hook: the claim catalogue page, generated from the claim registry.

``reference/claims.md`` is written at every build from :func:`reports.claims.all_claims`
and each claim's derivation, read through the derivation cache exactly as ``dlnverify show``
reads it (:func:`reports.engine.derivation_cache.derive`): a claim added to the registry
appears here, and nothing on the page is typed in by hand.  For each claim:

* the statement (the LaTeX the reports typeset) and where the paper makes it;
* the derivation: the deriving function, its docstring's summary, whether SymPy proves the
  statement, the cases proven, and every step's description (with its equation when that is
  short, :data:`LONG_STEP` characters of LaTeX at most; ``dlnverify show CLAIM --full``
  prints the rest);
* the Monte Carlo evidence: what the check simulates and compares, the check quantities the
  claim provides to ``dlnverify check`` and the simulation remarks.  The numbers themselves
  come from running it (``dlnverify verify CLAIM``, the report), not from this page;
* the findings, with their formulas typeset.

A cold build derives every claim once (minutes, as ``dlnverify verify``'s first run); later
builds read the cache (``DLNVERIFY_CACHE_DIR``; ``dlnverify cache info``).  With
``DLNVERIFY_DOCS_DERIVATIONS=off`` (``0``, ``no``, ``false``) the page is built without the
derivations: each section keeps the statement, the deriving function and its summary, and
the Monte Carlo evidence, and points to ``dlnverify show CLAIM`` for the verdict, the steps and
the findings.  The test suite builds the site so (it derives every claim elsewhere) and checks
the derived parts of a section on real derivations (``tests/docs/test_site.py``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

__all__ = [
    "DERIVATIONS_VARIABLE",
    "LONG_STEP",
    "PAGE",
    "catalogue",
    "claim_section",
    "derivations_wanted",
    "markdown_text",
    "on_files",
]

#: Environment variable that builds the catalogue without the derivations when ``off``.
DERIVATIONS_VARIABLE = "DLNVERIFY_DOCS_DERIVATIONS"

#: Where the page lands in the site (``docs/`` relative).
PAGE = "reference/claims.md"

#: Longest step equation (characters of LaTeX) shown on the page; C1's and C3's run to
#: megabytes, as ``dlnverify show`` summarises them past 2000 characters.
LONG_STEP = 600

#: Characters that Markdown (or the math extension, ``$``) would read as markup in prose,
#: escaped with a backslash; ``&``, ``<`` and ``>`` become entities (``\<`` is no escape).
_MARKUP = re.compile(r"([\\`*_{}\[\]#|$])")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}

#: reStructuredText roles of the docstrings: ``:math:`x``` and ``:func:`~a.b```.
_MATH_ROLE = re.compile(r":math:`([^`]*)`")
_CODE_ROLE = re.compile(r":(?:func|class|mod|data|attr|meth):`(~?)([^`]*)`")
_LITERAL = re.compile(r"``([^`]*)``")

#: The ``C9 [Eqs. 2-3]:`` that opens a one-paragraph docstring (the heading says it).
_CLAIM_PREFIX = re.compile(r"^C\d+ (?:\[[^\]]*\]|\([^)]*\)):\s*")

#: A numpydoc section heading: a word line underlined with dashes.
_SECTION = re.compile(r"^[ \t]*\w[\w ]*\n[ \t]*-{3,}[ \t]*$", re.MULTILINE)


def markdown_text(text: str) -> str:
    """Plain text as Markdown that shows exactly that text (markup characters escaped)."""
    escaped = "".join(_ENTITIES.get(character, character) for character in text)
    return _MARKUP.sub(r"\\\1", escaped)


def _inline_math(latex: str) -> str:
    return f"\\({latex}\\)"


def _display_math(latex: str) -> str:
    return f"\n\\[\n{latex}\n\\]\n"


def _finding(finding: str) -> str:
    """A finding as Markdown: its formulas (:class:`derivations.result.Math` pieces) as math,
    its words escaped; a plain string finding as text."""
    pieces = getattr(finding, "pieces", None)
    if pieces is None:
        return markdown_text(finding)
    parts = []
    for piece in pieces:
        if isinstance(piece, str):
            parts.append(markdown_text(piece))
        elif piece.display:
            parts.append(_display_math(piece.latex))
        else:
            parts.append(_inline_math(piece.latex))
    return "".join(parts)


def _docstring_summary(function: Any) -> str:
    """The deriving function's docstring up to its first numpydoc section, without its first
    paragraph (the claim's id and title, already the heading), reStructuredText roles turned
    into Markdown and math."""
    doc = (function.__doc__ or "").strip()
    section = _SECTION.search(doc)  # numpydoc's Parameters, Returns, ...: not a summary
    if section is not None:
        doc = doc[: section.start()].strip()
    paragraphs = re.split(r"\n\s*\n", doc)
    body = paragraphs[1:] if len(paragraphs) > 1 else paragraphs
    text = " ".join(" ".join(line.strip() for line in p.splitlines()) for p in body)
    text = _CLAIM_PREFIX.sub("", text)
    pieces = re.split(r"(:math:`[^`]*`|:(?:func|class|mod|data|attr|meth):`[^`]*`|``[^`]*``)", text)
    out = []
    for piece in pieces:
        if match := _MATH_ROLE.fullmatch(piece):
            out.append(_inline_math(match.group(1)))
        elif match := _CODE_ROLE.fullmatch(piece):  # ``~a.b`` shows ``b``, as Sphinx does
            name = match.group(2).rsplit(".", 1)[-1] if match.group(1) else match.group(2)
            out.append(f"`{name}`")
        elif match := _LITERAL.fullmatch(piece):
            out.append(f"`{match.group(1)}`")
        else:
            out.append(markdown_text(piece))
    return "".join(out)


def _verdict(result: Any) -> str:
    if result is None:
        return "not derived in this build (`dlnverify show` derives it)."
    if result.holds:
        return "**SymPy proves the statement.**"
    return "**the statement is refuted** (see the findings)."


def claim_section(claim: Any, result: Any) -> str:
    """One claim's section: statement, derivation, Monte Carlo evidence, findings;
    ``result`` is the claim's derivation, or ``None`` for a section without it."""
    lines = [
        f"## {claim.id}: {markdown_text(claim.title)} {{#{claim.id}}}",
        "",
        f"*Where:* {markdown_text(claim.paper_ref)}. *Verdict of the derivation:* "
        + _verdict(result),
        "",
        "### Statement",
        _display_math(claim.statement),
        "### Derivation",
        "",
        f"`{claim.derive.__module__}.{claim.derive.__name__}`: {_docstring_summary(claim.derive)}",
        "",
    ]
    if result is not None and result.cases:
        cases = "; ".join(markdown_text(case) for case in result.cases)
        lines += [f"Proven case by case: {cases}.", ""]
    for number, step in enumerate(() if result is None else result.steps, start=1):
        latex = step.latex()
        lines.append(f"{number}. {markdown_text(step.description)}")
        if len(latex) <= LONG_STEP:
            lines.append("    " + _inline_math(latex))
        else:
            lines.append(
                f"    (an equation of {len(latex):,} characters: "
                f"`dlnverify show {claim.id} --full`)"
            )
    lines += ["", "### Monte Carlo evidence", ""]
    if claim.numeric is None:
        lines.append("None: the claim is checked symbolically only.")
    else:
        note = getattr(claim.numeric, "note", "")
        lines.append(
            f"{markdown_text(note)} Run it with `dlnverify verify {claim.id}` "
            "(the report shows its table and figure)."
        )
    if claim.quantities:
        names = ", ".join(f"`{name}`" for name in claim.quantities)
        lines += ["", f"Check your own formula against it: `dlnverify check` quantities {names}."]
    for remark in claim.remarks:
        lines += ["", f"*Simulation remark:* {markdown_text(remark)}"]
    lines += ["", "### Findings", ""]
    if result is None:
        lines.append(
            f"This build left the derivations out: `dlnverify show {claim.id}` prints the "
            "verdict, the steps and the findings."
        )
    elif result.findings:
        lines += [f"- {_finding(finding)}" for finding in result.findings]
    else:
        lines.append("None: the derivation agrees with the statement as written.")
    return "\n".join(lines) + "\n"


def catalogue(claims: Any, derive: Callable[[Any], Any] | None) -> str:
    """The Markdown page: a table of every claim, then one section per claim; ``derive``
    gives a claim's derivation (``None``: the page without them)."""
    results = [(claim, None if derive is None else derive(claim)) for claim in claims]
    lines = [
        "# Claim catalogue",
        "",
        "Generated from the claim registry (`reports.claims.all_claims`) and each claim's "
        "derivation at every build of this site: the statement as the reports typeset it, "
        "how it is derived, what the Monte Carlo check simulates, and the findings. "
        "`dlnverify show CLAIM` prints the same derivation in the terminal; "
        "`dlnverify verify CLAIM` runs the Monte Carlo check.",
        "",
        "| claim | where | title | derivation |",
        "|---|---|---|---|",
    ]
    for claim, result in results:
        verdict = (
            "see `dlnverify show`"
            if result is None
            else ("proves it" if result.holds else "**refutes it**")
        )
        lines.append(
            f"| [{claim.id}](#{claim.id}) | {markdown_text(claim.paper_ref)} | "
            f"{markdown_text(claim.title)} | {verdict} |"
        )
    for claim, result in results:
        lines += ["", claim_section(claim, result)]
    return "\n".join(lines)


def derivations_wanted() -> bool:
    """``False`` when :data:`DERIVATIONS_VARIABLE` is ``off``, ``0``, ``no`` or ``false``."""
    value = os.environ.get(DERIVATIONS_VARIABLE, "").strip().lower()
    return value not in {"off", "0", "no", "false"}


def on_files(files: Any, config: Any) -> Any:
    """MkDocs event: add the generated page to the site's files."""
    from mkdocs.structure.files import File

    from reports.claims import all_claims
    from reports.engine.derivation_cache import derive

    chosen = derive if derivations_wanted() else None
    files.append(File.generated(config, PAGE, content=catalogue(all_claims(), chosen)))
    return files
