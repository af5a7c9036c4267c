"""The text of a user's input file, read as given and within a size limit.

The files a user hands to a command (a formula file of ``check --file`` and ``report
--check``, an experiment file of ``simulate --config``) are read through
:func:`read_bounded_text`: at most ``limit`` bytes plus one, so that a file too large, or an
endless stream (``/dev/zero``, a pipe that never ends), is refused at once, and a regular
file over the limit is refused from its size without being read; the bytes must be UTF-8
without a byte-order mark, which is refused rather than dropped (the text read is the text
given).  Each refusal is one line naming the file.  It lives in ``render`` (with the output
files of :mod:`reports.render.files`) so that every layer above may read its files through
it; it imports nothing heavy.
"""

from __future__ import annotations

import codecs
import os
import stat
import sys
from pathlib import Path

from dlnverify.errors import InvalidParameter

__all__ = ["read_bounded_text"]


def read_bounded_text(
    path: str | Path,
    *,
    name: str,
    kind: str,
    limit: int,
    advice: str,
    standard_input: bool = False,
) -> str:
    """The UTF-8 text of the file at ``path`` (or of standard input, with
    ``standard_input``).

    Parameters
    ----------
    path : str or pathlib.Path
        The file.
    name : str
        The file as messages name it (quoted).
    kind : str
        What the file is, lower case: ``"formula file"``, ``"config"``.
    limit : int
        Largest size read, in bytes.
    advice : str
        What to do with a file over the limit, after "the limit of a KIND is N bytes; ".
    standard_input : bool
        Read standard input instead of ``path``.

    Raises
    ------
    InvalidParameter
        One line: a file that cannot be opened or read (a directory, a missing file), one
        over ``limit`` (naming its size, or "more than" the limit for a stream), one that
        starts with a UTF-8 byte-order mark, one that is not UTF-8 (naming the byte offset
        and line).
    """
    data = _bounded_bytes(path, name, kind, limit, advice, standard_input=standard_input)
    return _decode(data, name, kind)


def _capitalised(kind: str) -> str:
    return kind[:1].upper() + kind[1:]


def _bounded_bytes(
    path: str | Path, name: str, kind: str, limit: int, advice: str, *, standard_input: bool
) -> bytes:
    """The file's bytes, reading at most ``limit + 1`` of them (a regular file larger than
    the limit is refused without reading it)."""
    over = f"the limit of a {kind} is {limit:,} bytes; {advice}"
    try:
        if standard_input:
            data = sys.stdin.buffer.read(limit + 1)
        else:
            with open(path, "rb") as stream:
                status = os.fstat(stream.fileno())
                if stat.S_ISREG(status.st_mode) and status.st_size > limit:
                    size = f"{status.st_size:,} bytes"
                    raise InvalidParameter(f"{_capitalised(kind)} {name!r} is {size}; {over}.")
                data = stream.read(limit + 1)
    except OSError as error:
        reason = error.strerror or str(error)
        raise InvalidParameter(f"Cannot read {kind} {name!r}: {reason}.") from None
    if len(data) > limit:
        raise InvalidParameter(
            f"{_capitalised(kind)} {name!r} is more than {limit:,} bytes; {over}."
        )
    return data


def _decode(data: bytes, name: str, kind: str) -> str:
    """``data`` as UTF-8 text; a leading byte-order mark or a byte that is not UTF-8 is
    refused, naming it."""
    if data.startswith(codecs.BOM_UTF8):
        raise InvalidParameter(
            f"{_capitalised(kind)} {name!r} starts with a UTF-8 byte-order mark (U+FEFF); save"
            " it as UTF-8 without a byte-order mark (e.g. sed -i '1s/^\\xEF\\xBB\\xBF//' FILE)."
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InvalidParameter(
            f"{_capitalised(kind)} {name!r} is not UTF-8: byte 0x{data[error.start]:02X} at"
            f" byte offset {error.start} (line {line}); save it as UTF-8."
        ) from None
