"""A TOML document of a user's file, parsed in bounded time or refused in one line.

``tomllib`` (the standard library's parser) takes time quadratic in the number of parts of
a dotted key (``a.b.c = 1``): a key of 10,000 parts takes seconds, one of 300,000 (a third
of a megabyte) hours; and it recurses once per level of nested arrays or inline tables, so
``x = [[[...]]]`` a few thousand deep raises ``RecursionError``.  :func:`toml_document`
refuses the first before parsing (a key has at most :data:`MAX_KEY_PARTS` parts) and turns
the second, and every syntax error, into a one-line
:class:`~dlnverify.errors.InvalidParameter` naming the file.  Its text comes from
:func:`reports.render.file_text.read_bounded_text`, which bounds its size.
"""

from __future__ import annotations

import tomllib
from typing import Any

from dlnverify.errors import InvalidParameter

__all__ = ["MAX_KEY_PARTS", "toml_document"]

#: Most parts of one dotted key (``simulate.eta`` has two); parsing time grows as its square.
MAX_KEY_PARTS = 8


def toml_document(text: str, *, name: str, kind: str) -> dict[str, Any]:
    """``text`` parsed as TOML; ``name`` and ``kind`` (``"config"``) name the file in the
    one-line :class:`~dlnverify.errors.InvalidParameter` that refuses a key of more than
    :data:`MAX_KEY_PARTS` parts, nesting too deep for the parser, or text that is not TOML.

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
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InvalidParameter(f"{described} {name!r} is not valid TOML: {error}.") from None
    except RecursionError:
        raise InvalidParameter(
            f"{described} {name!r} is not valid TOML here: its arrays or inline tables are"
            " nested too deeply to read."
        ) from None
