"""Markdown output primitives that know no claim: findings with TeX math, table cells.

The Markdown reports are Markdown with TeX math (``$...$``, ``$$...$$``), readable on GitHub
and convertible with pandoc; the Jinja2 templates that use these functions as filters are
loaded by :func:`reports.render.templates.load_template`.
"""

from __future__ import annotations

__all__ = ["finding_markdown", "markdown_cell"]


def finding_markdown(finding: str) -> str:
    """A finding as Markdown with TeX math: the formulas of a
    :class:`~derivations.result.Finding` as ``$...$`` (``$$...$$`` when displayed), a plain
    string unchanged."""
    pieces = getattr(finding, "pieces", None)
    if pieces is None:
        return finding
    return "".join(
        p if isinstance(p, str) else (f" $${p.latex}$$ " if p.display else f"${p.latex}$")
        for p in pieces
    )


def markdown_cell(text: str) -> str:
    """``text`` as a cell of a Markdown table (``|`` escaped, so that it cannot end the cell)."""
    return text.replace("|", "\\|")
