r"""Files of formulas: several user formulas checked in one run (``dlnverify check --file``).

A TOML file holds one ``[[check]]`` table per formula::

    [[check]]
    name = "Eq. 7 at depth 3"     # optional; default "<quantity> #<k>"
    quantity = "diffusion"
    formula = "9*kappa*s**(8/3)*(2*(sigma-s)**2 + sigma_eps**2)"
    at = { L = 3 }                # optional: parameters held fixed
    syntax = "sympy"              # optional: "auto" (default), "sympy" or "latex"

The file is ``-`` for standard input.  It is read as given
(:mod:`reports.formulas.file_text`): at most 1 MB, UTF-8 without a byte-order mark; and parsed
as experiment files are (:mod:`reports.render.toml_document`): in bounded time, a date or
time value refused, LaTeX in double quotes refused with the fix (single quotes).  Every entry
is validated (known quantity, parsable formula, ``at`` in the domain) before the first check
runs, so a typo in the tenth formula does not cost nine checks.  Each formula is then checked
as by :func:`reports.formulas.engine.check`, with the same seed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlnverify.errors import DlnVerifyError, InvalidParameter
from reports.formulas.engine import check, validate
from reports.formulas.file_text import STDIN, read_formula_file
from reports.formulas.matrix_check import check_matrix, validate_matrix
from reports.formulas.matrix_quantities import MATRIX_QUANTITIES
from reports.formulas.matrix_result import MatrixCheckResult
from reports.formulas.result import CheckResult
from reports.render.toml_document import SINGLE_QUOTES_ADVICE, toml_document

__all__ = ["EntryResult", "FormulaEntry", "check_formulas", "load_formulas", "named_json"]

_KEYS = ("name", "quantity", "formula", "at", "syntax")
_SYNTAXES = ("auto", "sympy", "latex")


@dataclass(frozen=True)
class FormulaEntry:
    """One ``[[check]]`` table of a formula file.

    Attributes
    ----------
    name : str
        Label shown in tables and reports.
    quantity, formula : str
        As for :func:`reports.formulas.engine.check`.
    at : dict
        Parameters held fixed.
    syntax : str
        ``"auto"``, ``"sympy"`` or ``"latex"``.
    """

    name: str
    quantity: str
    formula: str
    at: dict[str, Any] = field(default_factory=dict)
    syntax: str = "auto"


def load_formulas(path: str | Path) -> list[FormulaEntry]:
    """Read and validate a formula file (``"-"`` reads standard input); a one-line
    :class:`~dlnverify.errors.InvalidParameter` (or FormulaError) names the file, the entry
    and the problem.  The file is read by
    :func:`~reports.formulas.file_text.read_formula_file` (size limit, UTF-8 without a
    byte-order mark) and parsed by :func:`~reports.render.toml_document.toml_document`
    (bounded time, no dates or times, LaTeX in double quotes named) before any entry is
    parsed."""
    name = "<stdin>" if str(path) == STDIN else str(path)
    text = read_formula_file(path, name)
    return _parse(toml_document(text, name=name, kind="formula file", latex_strings=True), name)


def _parse(data: Mapping[str, Any], name: str) -> list[FormulaEntry]:
    other = [key for key in data if key != "check"]
    if other:
        raise InvalidParameter(
            f"Formula file {name!r}: unknown key(s) {', '.join(map(repr, other))}; write each"
            " formula as a [[check]] table."
        )
    tables = data.get("check")
    if not isinstance(tables, list) or not tables:
        raise InvalidParameter(
            f"Formula file {name!r} has no [[check]] tables (each needs quantity and formula)."
        )
    entries = [_entry(table, index, name) for index, table in enumerate(tables, 1)]
    for entry in entries:
        try:
            if entry.quantity in MATRIX_QUANTITIES:
                if entry.at:
                    raise InvalidParameter(
                        f"at holds no values for a matrix quantity ({entry.quantity} is"
                        " checked at every network and layer); drop it."
                    )
                validate_matrix(entry.quantity, entry.formula, syntax=entry.syntax)
            else:
                validate(entry.quantity, entry.formula, at=entry.at, syntax=entry.syntax)
        except DlnVerifyError as error:
            raise type(error)(f"Formula file {name!r}, {entry.name!r}: {error}") from None
    return entries


#: Characters that TOML's double-quoted strings make of LaTeX commands (``"\\frac"`` is a form
#: feed and ``rac``), named; a formula never holds the first three, nor a tab before a letter
#: (``\\tau``, ``\\theta``, ``\\tfrac``) or a line break before ``u`` (``\\nu``).
_ESCAPED = re.compile(r"[\f\b\r]|\t(?=[A-Za-z])|\n(?=u|abla|eq|ot)")
_ESCAPES = {
    "\f": "a form feed",
    "\t": "a tab",
    "\b": "a backspace",
    "\n": "a line break",
    "\r": "a carriage return",
}


def _entry(table: Any, index: int, name: str) -> FormulaEntry:
    where = f"Formula file {name!r}, check #{index}"
    if not isinstance(table, dict):
        raise InvalidParameter(f"{where}: must be a table.")
    unknown = [key for key in table if key not in _KEYS]
    if unknown:
        raise InvalidParameter(
            f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; known: {', '.join(_KEYS)}."
        )
    for key in ("quantity", "formula"):
        if not isinstance(table.get(key), str) or not table[key].strip():
            raise InvalidParameter(f"{where}: {key} must be a non-empty string.")
    escaped = sorted({_ESCAPES[m.group()[0]] for m in _ESCAPED.finditer(table["formula"])})
    if escaped:
        raise InvalidParameter(
            f"{where}: the formula holds {', '.join(escaped)}, which TOML makes of a backslash"
            f" in double quotes (\\frac, \\tau, \\beta, \\nu, \\rho). {SINGLE_QUOTES_ADVICE}"
        )
    label = table.get("name", f"{table['quantity']} #{index}")
    at = table.get("at", {})
    syntax = table.get("syntax", "auto")
    if not isinstance(label, str) or not label.strip():
        raise InvalidParameter(f"{where}: name must be a non-empty string.")
    if not isinstance(at, dict):
        raise InvalidParameter(f"{where}: at must be a table, e.g. at = {{ L = 3 }}.")
    if syntax not in _SYNTAXES:
        raise InvalidParameter(f"{where}: syntax must be one of {', '.join(_SYNTAXES)}.")
    return FormulaEntry(label, table["quantity"], table["formula"], dict(at), syntax)


#: The result of one entry: a scalar or a matrix check.
EntryResult = CheckResult | MatrixCheckResult


def named_json(entry: FormulaEntry, result: EntryResult) -> dict[str, Any]:
    """One checked formula for ``--json``: its name, then the check's schema."""
    return {"name": entry.name} | result.to_json()


def check_formulas(
    entries: Sequence[FormulaEntry],
    *,
    seed: int = 0,
    timeout: float | None = 30.0,
    monte_carlo: bool = True,
    progress: Callable[[str], None] | None = None,
) -> list[EntryResult]:
    """Check every entry (in order, each with ``seed``; a matrix quantity by
    :func:`~reports.formulas.matrix_check.check_matrix`); ``progress`` gets a line before and
    after each check."""
    results: list[EntryResult] = []
    for index, entry in enumerate(entries, 1):
        if progress is not None:
            progress(f"[{index}/{len(entries)}] {entry.name} ({entry.quantity}) ...")
        result: EntryResult
        if entry.quantity in MATRIX_QUANTITIES:
            result = check_matrix(
                entry.quantity,
                entry.formula,
                syntax=entry.syntax,
                timeout=timeout,
                seed=seed,
                monte_carlo=monte_carlo,
            )
        else:
            result = check(
                entry.quantity,
                entry.formula,
                at=entry.at,
                syntax=entry.syntax,
                timeout=timeout,
                seed=seed,
                monte_carlo=monte_carlo,
            )
        if progress is not None:
            progress(
                f"[{index}/{len(entries)}] {entry.name}: {result.verdict} ({result.elapsed:.1f} s)"
            )
        results.append(result)
    return results
