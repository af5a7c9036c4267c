r"""The Jinja2 templates of the reports (``reports/documents/templates``) and their filters.

A template receives plain data (text as the claims and derivations give it, LaTeX math
source, numbers, booleans, lists) and escapes and formats it itself, through the filters of
its environment; the environment follows the template's name:

* ``*.tex.j2`` — LaTeX: ``((* *))`` blocks, ``((( )))`` variables, ``((= =))`` comments (no
  clash with LaTeX's braces), and the filters ``tex`` (:func:`~reports.render.latex.latex_escape`),
  ``math`` (:func:`~reports.render.latex.latex_math_text`), ``display``
  (:func:`~reports.render.latex.latex_display`), ``num(digits)``
  (:func:`~reports.render.latex.latex_number`), ``fixed(decimals)``
  (:func:`~reports.render.latex.latex_fixed`), ``count``
  (:func:`~reports.render.latex.latex_count`), ``finding``
  (:func:`~reports.render.latex.latex_finding`), ``code``
  (:func:`~reports.render.latex.latex_code`), ``bookmark``
  (:func:`~reports.render.latex.pdf_bookmark`) and ``graphics(owner)``
  (:func:`~reports.render.latex.latex_figure_path`);
* ``*.md.j2`` — Markdown: Jinja2's own delimiters (``{% %}``, ``{{ }}``, ``{# #}``) and the
  filters ``finding`` (:func:`~reports.render.markdown.finding_markdown`) and ``cell``
  (:func:`~reports.render.markdown.markdown_cell`);
* ``*.html.j2`` — HTML: Jinja2's own delimiters, **every variable escaped automatically**
  (so no text can inject markup), and the filters ``math`` (inline MathML,
  :func:`~reports.render.mathml.mathml`), ``display`` (:func:`~reports.render.html.html_display`),
  ``finding`` (:func:`~reports.render.html.html_finding`), ``mathtext``
  (:func:`~reports.render.html.html_math_text`), ``num(digits)``
  (:func:`~reports.render.html.html_number`), ``anchor``
  (:func:`~reports.render.html.html_id`) and ``svg(prefix=...)``
  (:func:`~reports.render.html.inline_svg`), whose markup is marked safe because they escape
  their input themselves.

All have ``fmt(spec)`` (Python's :func:`format`) and ``params``
(:func:`~reports.engine.verdict.parameters_text`).  All trim the newline after a block tag
and the indentation before it, keep a template's final newline and refuse undefined
variables; only the HTML templates escape automatically.  Jinja2 is imported only when a
template is loaded (``dlnverify list`` stays fast).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dlnverify.errors import InvalidParameter
from reports.engine.verdict import parameters_text
from reports.render.html import (
    html_display,
    html_finding,
    html_id,
    html_math_text,
    html_number,
    inline_svg,
)
from reports.render.latex import (
    latex_code,
    latex_count,
    latex_display,
    latex_escape,
    latex_figure_path,
    latex_finding,
    latex_fixed,
    latex_math_text,
    latex_number,
    pdf_bookmark,
)
from reports.render.markdown import finding_markdown, markdown_cell
from reports.render.mathml import mathml

__all__ = ["load_template"]

#: The one-line error when Jinja2 is not installed.
_JINJA_MISSING = "jinja2 not found: the reports need it (pip install jinja2)"

#: The filters of both environments.
_COMMON_FILTERS: dict[str, Callable[..., str]] = {"fmt": format, "params": parameters_text}

#: Delimiters and filters by the kind of template (the suffix of its name).
_KINDS: dict[str, tuple[dict[str, Any], dict[str, Callable[..., str]]]] = {
    ".tex.j2": (
        {
            "block_start_string": "((*",
            "block_end_string": "*))",
            "variable_start_string": "(((",
            "variable_end_string": ")))",
            "comment_start_string": "((=",
            "comment_end_string": "=))",
        },
        {
            "tex": latex_escape,
            "math": latex_math_text,
            "display": latex_display,
            "num": latex_number,
            "fixed": latex_fixed,
            "count": latex_count,
            "finding": latex_finding,
            "code": latex_code,
            "bookmark": pdf_bookmark,
            "graphics": latex_figure_path,
        },
    ),
    ".md.j2": ({}, {"finding": finding_markdown, "cell": markdown_cell}),
    ".html.j2": (
        {},
        {
            "math": mathml,
            "display": html_display,
            "finding": html_finding,
            "mathtext": html_math_text,
            "num": html_number,
            "anchor": html_id,
            "svg": inline_svg,
        },
    ),
}


def _markup(function: Callable[..., str]) -> Callable[..., Any]:
    """``function`` returning :class:`markupsafe.Markup`: its HTML is not escaped again."""
    from markupsafe import Markup

    def marked(*args: Any, **kwargs: Any) -> Markup:
        return Markup(function(*args, **kwargs))

    return marked


def _environment(suffix: str) -> Any:
    try:
        import jinja2  # imported only when a report is rendered (``dlnverify list`` stays fast)
    except ImportError:
        raise InvalidParameter(_JINJA_MISSING) from None

    delimiters, filters = _KINDS[suffix]
    html = suffix == ".html.j2"
    if html:
        filters = {name: _markup(function) for name, function in filters.items()}
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("reports.documents", "templates"),
        **delimiters,
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(_COMMON_FILTERS | filters)
    return environment


def load_template(name: str) -> Any:
    """The Jinja2 template ``reports/documents/templates/<name>`` in the environment of its
    kind: ``*.tex.j2`` LaTeX, ``*.md.j2`` Markdown, ``*.html.j2`` HTML (see the module's
    description)."""
    suffix = next((s for s in _KINDS if name.endswith(s)), None)
    if suffix is None:
        raise InvalidParameter(
            f"Got template {name!r}, but a report template's name ends in .tex.j2, .md.j2 or"
            " .html.j2."
        )
    return _environment(suffix).get_template(name)
