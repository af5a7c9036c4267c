"""Files written atomically: a reader, or a run that is stopped, sees the old file or the new
one under its name, never half of either.

The content goes to a temporary file in the target's own directory (same file system), which
is renamed onto the target (:func:`os.replace`, atomic on POSIX and Windows) only when it is
complete; on any error, Ctrl-C included, the temporary file is removed and the target is
left as it was.  The temporary name is unique to the process and the call (so parallel
processes and threads writing one target never share one), and the file is made by its
writer, with the permissions any new file gets (``tempfile.mkstemp`` would make it
private).

This is the one atomic write: the derivation cache
(:mod:`reports.engine.derivation_cache`) and every output file
(:mod:`reports.render.files`) use it; it lives in the lowest layer of :mod:`reports` for the
cache, and imports only the standard library.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "write_bytes_atomically", "write_text_atomically"]

#: Numbers the temporary files of this process (``next`` on it is atomic under the GIL).
_WRITES = itertools.count()


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """A fresh temporary path next to ``target`` (same suffix, so writers that infer a format
    from it still do), renamed onto ``target`` when the block ends without an error."""
    final = Path(target)
    temporary = final.with_name(
        f".{final.stem}.{os.getpid()}.{next(_WRITES)}.partial{final.suffix}"
    )
    try:
        yield temporary
        os.replace(temporary, final)
    finally:
        temporary.unlink(missing_ok=True)


def write_bytes_atomically(target: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``target`` through :func:`atomic_path`; returns the target."""
    with atomic_path(target) as temporary:
        temporary.write_bytes(data)
    return Path(target)


def write_text_atomically(target: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``target`` through :func:`atomic_path`; returns the target."""
    with atomic_path(target) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return Path(target)
