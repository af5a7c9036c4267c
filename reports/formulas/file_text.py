"""The text of a formula file, read as given and within a size limit.

``dlnverify check --file`` and ``report --check`` read a formula file through
:func:`read_formula_file`: at most :data:`MAX_FILE_BYTES` bytes plus one, so that a file too
large, or an endless stream (``/dev/zero``, a pipe that never ends), is refused at once; the
bytes must be UTF-8 without a byte-order mark, which is refused rather than dropped (the text
checked is the text given).  The reading is :func:`reports.render.file_text.read_bounded_text`,
which experiment files use too; this module sets the formula file's limit and names.  It
imports nothing heavy: the command line names the limit in its help.
"""

from __future__ import annotations

from pathlib import Path

from reports.render.file_text import read_bounded_text

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
    return read_bounded_text(
        path,
        name=name,
        kind="formula file",
        limit=MAX_FILE_BYTES,
        advice="split it into several",
        standard_input=str(path) == STDIN,
    )
