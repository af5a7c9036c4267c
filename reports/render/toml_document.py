r"""A TOML document of a user's file, parsed in bounded time or refused in one line.

``tomllib`` (the standard library's parser) takes time quadratic in the number of parts of
a dotted key (``a.b.c = 1``): a key of 10,000 parts takes seconds, one of 300,000 (a third
of a megabyte) hours; and it recurses once per level of nested arrays or inline tables, so
``x = [[[...]]]`` a few thousand deep raises ``RecursionError``.  :func:`toml_document`
refuses the first before parsing (a key has at most :data:`MAX_KEY_PARTS` parts) and turns
the second, and every syntax error, into a one-line
:class:`~dlnverify.errors.InvalidParameter` naming the file.  Its text comes from
:func:`reports.render.file_text.read_bounded_text`, which bounds its size.

No setting of dlnverify is a date or a time, so a TOML date, time or date-time value
(``L = 1979-05-27``, ``eta = 07:32:00``, which TOML reads as such, not as numbers or text) is
refused naming its key.  In a TOML string in double quotes a backslash starts an escape, so
LaTeX there is either changed (``"\frac"`` is a form feed and ``rac``) or not TOML
(``"\sigma"``); for a file whose strings hold LaTeX, the second is refused with the fix,
:data:`SINGLE_QUOTES_ADVICE` (the first is the reader's to find: only it knows which strings
are LaTeX).
"""

from __future__ import annotations

import datetime
import re
import tomllib
from typing import Any

from dlnverify.errors import InvalidParameter

__all__ = ["MAX_KEY_PARTS", "SINGLE_QUOTES_ADVICE", "toml_document"]

#: Most parts of one dotted key (``simulate.eta`` has two); parsing time grows as its square.
MAX_KEY_PARTS = 8

#: The fix for LaTeX in a TOML string in double quotes, a sentence of its own.
SINGLE_QUOTES_ADVICE = (
    "Use single quotes ('...') for LaTeX in TOML: they keep backslashes as written."
)

#: Where tomllib places an error: ``(at line 3, column 14)``, 1-based.
_PLACE = re.compile(r"\(at line (\d+), column (\d+)\)")
#: A LaTeX command: a backslash and at least two letters (``\sigma``, ``\upsilon``).
_LATEX_COMMAND = re.compile(r"\\[A-Za-z]{2,}")
#: tomllib's messages for a bad escape; it places them just after the two characters
#: ``\x`` of the escape.
_ESCAPE_ERRORS = ("Unescaped '\\' in a string", "Invalid hex value")


def toml_document(
    text: str, *, name: str, kind: str, latex_strings: bool = False
) -> dict[str, Any]:
    """``text`` parsed as TOML; ``name`` and ``kind`` (``"config"``) name the file in the
    one-line :class:`~dlnverify.errors.InvalidParameter` that refuses a key of more than
    :data:`MAX_KEY_PARTS` parts, nesting too deep for the parser, text that is not TOML, and
    a date or time value (naming its key).  With ``latex_strings`` (the file's strings hold
    LaTeX), a bad escape at a LaTeX command (``"\\sigma"``) ends in
    :data:`SINGLE_QUOTES_ADVICE`.

    A key never spans lines in TOML, so the parts of the key of a ``key = value`` line are
    at most the dots before its first ``=``, plus one; a line counted so that is not a key
    (inside a multi-line string) can only be refused wrongly, never let through."""
    described = kind[:1].upper() + kind[1:]
    for number, line in enumerate(text.splitlines(), start=1):
        key, equals, _ = line.partition("=")
        parts = key.count(".") + 1
        if equals and parts > MAX_KEY_PARTS:
            raise InvalidParameter(
                f"{described} {name!r}: the key on line {number} has {parts:,} dotted parts,"
                f" but at most {MAX_KEY_PARTS} are allowed."
            )
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        advice = f" {SINGLE_QUOTES_ADVICE}" if latex_strings and _at_latex(text, error) else ""
        raise InvalidParameter(
            f"{described} {name!r} is not valid TOML: {error}.{advice}"
        ) from None
    except RecursionError:
        raise InvalidParameter(
            f"{described} {name!r} is not valid TOML here: its arrays or inline tables are"
            " nested too deeply to read."
        ) from None
    _refuse_dates_and_times(document, f"{described} {name!r}")
    return document


def _at_latex(text: str, error: tomllib.TOMLDecodeError) -> bool:
    """Whether ``error`` is a bad escape whose backslash starts a LaTeX command."""
    message = str(error)
    place = _PLACE.search(message)
    if place is None or not message.startswith(_ESCAPE_ERRORS):
        return False
    line_number, column = int(place.group(1)), int(place.group(2))
    line = text.splitlines()[line_number - 1]
    backslash = column - 3  # the column just after "\x", 1-based, as a 0-based index of "\"
    return backslash >= 0 and _LATEX_COMMAND.match(line, backslash) is not None


def _refuse_dates_and_times(document: dict[str, Any], described: str) -> None:
    """Refuse the first date, time or date-time value of ``document`` (depth first, in the
    file's order), naming its key as ``check[1].at.L``.  The walk keeps its own stack: the
    parser's recursion limit bounds the depth, the file's size the rest."""
    pending: list[tuple[str, Any]] = [("", document)]
    while pending:
        key, value = pending.pop()
        if isinstance(value, dict):
            pending.extend((f"{key}.{k}" if key else k, v) for k, v in reversed(value.items()))
        elif isinstance(value, list):
            pending.extend((f"{key}[{i}]", v) for i, v in reversed(list(enumerate(value, 1))))
        elif isinstance(value, datetime.date | datetime.time):
            what = (
                "date-time"
                if isinstance(value, datetime.datetime)
                else "date"
                if isinstance(value, datetime.date)
                else "time"
            )
            raise InvalidParameter(
                f"{described}: {key} is a TOML {what}, but no setting"
                " takes a date or a time; write a number, or quote text ('...')."
            )
