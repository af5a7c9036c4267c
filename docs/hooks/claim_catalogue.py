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
builds read the cache (``DLNVERIFY_CACHE_DIR``; ``dlnverify cache info``).
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["LONG_STEP", "PAGE", "catalogue", "claim_section", "markdown_text", "on_files"]

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


def claim_section(claim: Any, result: Any) -> str:
    """One claim's section: statement, derivation, Monte Carlo evidence, findings."""
    lines = [
        f"## {claim.id}: {markdown_text(claim.title)} {{#{claim.id}}}",
        "",
        f"*Where:* {markdown_text(claim.paper_ref)}. "
        f"*Verdict of the derivation:* "
        + (
            "**SymPy proves the statement.**"
            if result.holds
            else "**the statement is refuted** (see the findings)."
        ),
        "",
        "### Statement",
        _display_math(claim.statement),
        "### Derivation",
        "",
        f"`{claim.derive.__module__}.{claim.derive.__name__}`: {_docstring_summary(claim.derive)}",
        "",
    ]
    if result.cases:
        cases = "; ".join(markdown_text(case) for case in result.cases)
        lines += [f"Proven case by case: {cases}.", ""]
    for number, step in enumerate(result.steps, start=1):
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
    if result.findings:
        lines += [f"- {_finding(finding)}" for finding in result.findings]
    else:
        lines.append("None: the derivation agrees with the statement as written.")
    return "\n".join(lines) + "\n"


def catalogue(claims: Any, derive: Any) -> str:
    """The Markdown page: a table of every claim, then one section per claim."""
    results = [(claim, derive(claim)) for claim in claims]
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
        verdict = "proves it" if result.holds else "**refutes it**"
        lines.append(
            f"| [{claim.id}](#{claim.id}) | {markdown_text(claim.paper_ref)} | "
            f"{markdown_text(claim.title)} | {verdict} |"
        )
    for claim, result in results:
        lines += ["", claim_section(claim, result)]
    return "\n".join(lines)


def on_files(files: Any, config: Any) -> Any:
    """MkDocs event: add the generated page to the site's files."""
    from mkdocs.structure.files import File

    from reports.claims import all_claims
    from reports.engine.derivation_cache import derive

    files.append(File.generated(config, PAGE, content=catalogue(all_claims(), derive)))
    return files
