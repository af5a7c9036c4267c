"""The text of a formula file, read as given and within a size limit.

``dlnverify check --file`` and ``report --check`` read a formula file through
:func:`read_formula_file`: at most :data:`MAX_FILE_BYTES` bytes plus one, so that a file too
large, or an endless stream (``/dev/zero``, a pipe that never ends), is refused at once; the
bytes must be UTF-8 without a byte-order mark, which is refused rather than dropped (the text
checked is the text given).  This module imports nothing heavy: the command line names the
limit in its help.
"""

from __future__ import annotations

import codecs
import os
import stat
import sys
from pathlib import Path

from dlnverify.errors import InvalidParameter

__all__ = ["MAX_FILE_BYTES", "STDIN", "read_formula_file"]

#: Largest formula file read, in bytes (1 MB: thousands of formulas).
MAX_FILE_BYTES = 1_000_000
#: The file name that stands for standard input.
STDIN = "-"


def read_formula_file(path: str | Path, name: str) -> str:
    """The text of the file at ``path`` (standard input for :data:`STDIN`), called ``name``
    in messages.  A one-line :class:`~dlnverify.errors.InvalidParameter` refuses a file that
    cannot be opened or read (a directory, a missing file), one larger than
    :data:`MAX_FILE_BYTES` (naming its size, or "more than" the limit for a stream), one that
    starts with a UTF-8 byte-order mark, and one that is not UTF-8 (naming the byte offset)."""
    return _decode(_read_bytes(path, name), name)


def _read_bytes(path: str | Path, name: str) -> bytes:
    """The file's bytes, reading at most ``MAX_FILE_BYTES + 1`` of them (a regular file
    larger than the limit is refused without reading it)."""
    limit = f"the limit of a formula file is {MAX_FILE_BYTES:,} bytes; split it into several"
    try:
        if str(path) == STDIN:
            data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        else:
            with open(path, "rb") as stream:
                status = os.fstat(stream.fileno())
                if stat.S_ISREG(status.st_mode) and status.st_size > MAX_FILE_BYTES:
                    size = f"{status.st_size:,} bytes"
                    raise InvalidParameter(f"Formula file {name!r} is {size}; {limit}.")
                data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        reason = error.strerror or str(error)
        raise InvalidParameter(f"Cannot read formula file {name!r}: {reason}.") from None
    if len(data) > MAX_FILE_BYTES:
        raise InvalidParameter(
            f"Formula file {name!r} is more than {MAX_FILE_BYTES:,} bytes; {limit}."
        )
    return data


def _decode(data: bytes, name: str) -> str:
    """``data`` as UTF-8 text; a leading byte-order mark or a byte that is not UTF-8 is
    refused, naming it."""
    if data.startswith(codecs.BOM_UTF8):
        raise InvalidParameter(
            f"Formula file {name!r} starts with a UTF-8 byte-order mark (U+FEFF); save it as"
            " UTF-8 without a byte-order mark (e.g. sed -i '1s/^\\xEF\\xBB\\xBF//' FILE)."
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InvalidParameter(
            f"Formula file {name!r} is not UTF-8: byte 0x{data[error.start]:02X} at byte offset"
            f" {error.start} (line {line}); save it as UTF-8."
        ) from None
