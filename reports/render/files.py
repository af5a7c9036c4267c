"""Output files written atomically: a reader (or a run that is stopped) sees either the old
file or the new one under its name, never half of either.

The content goes to a temporary file in the target's own directory (same file system), which
is renamed onto the target (:func:`os.replace`, atomic on POSIX and Windows) only when it is
complete; on any error, Ctrl-C included, the temporary file is removed and the target is left
as it was.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "write_text_atomically"]


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """A fresh temporary path next to ``target`` (same suffix, so writers that infer a format
    from it still do), renamed onto ``target`` when the block ends without an error."""
    final = Path(target)
    temporary = final.with_name(f".{final.stem}.{os.getpid()}.partial{final.suffix}")
    try:
        yield temporary
        os.replace(temporary, final)
    finally:
        temporary.unlink(missing_ok=True)


def write_text_atomically(target: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``target`` through :func:`atomic_path`; returns the target."""
    with atomic_path(target) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return Path(target)
