"""Output files: checked before a command's work, then written atomically.

:func:`check_output_location` is the one check every command makes of every place it will
write (``simulate --output/--figure/--report``, ``report --output``, ``verify --report``)
before any long work: a one-line :class:`~dlnverify.errors.InvalidParameter` naming the
option and the path, and nothing created.

A file is written atomically: a reader (or a run that is stopped) sees either the old file or
the new one under its name, never half of either.  The content goes to a temporary file in
the target's own directory (same file system), which is renamed onto the target
(:func:`os.replace`, atomic on POSIX and Windows) only when it is complete; on any error,
Ctrl-C included, the temporary file is removed and the target is left as it was.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from dlnverify.errors import InvalidParameter

__all__ = ["atomic_path", "check_output_location", "write_text_atomically"]


def check_output_location(path: str | Path, *, option: str, directory: bool = False) -> Path:
    """``path`` if a command can write there later: a file (``directory=False``, written
    through :func:`atomic_path`, so its directory must be writable) or a directory of files.

    The path is refused, in one line naming ``option`` and the path, when it exists as the
    wrong thing (a directory where a file is expected, a file where a directory is, anything
    but a regular file), when the nearest existing directory on the way to it is a file (the
    path runs under a file), or when the directory the files go to, or the nearest existing
    one that would hold it, cannot be written (``os.access``: write and search permission), or
    when it holds a NUL character.  Nothing is created.
    """
    target = Path(path)
    given = f"Got {option} {str(target)!r}, but"
    if "\x00" in str(target):  # no file system takes it (os.stat raises ValueError)
        raise InvalidParameter(f"{given} a path cannot hold a NUL character.")
    mode = _mode(target, given)
    if mode is not None:
        if directory and not stat.S_ISDIR(mode):
            raise InvalidParameter(f"{given} it is a file; give a directory.")
        if not directory and stat.S_ISDIR(mode):
            raise InvalidParameter(f"{given} it is a directory; give a file.")
        if not directory and not stat.S_ISREG(mode):
            raise InvalidParameter(f"{given} it is not a regular file.")
        home = target if directory else target.parent
    else:
        home, mode = _nearest_existing(target, given)
        if not stat.S_ISDIR(mode):
            raise InvalidParameter(f"{given} {str(home)!r} is a file, not a directory.")
    if not os.access(home, os.W_OK | os.X_OK):
        raise InvalidParameter(f"{given} {str(home)!r} cannot be written (no permission).")
    return target


def _nearest_existing(target: Path, given: str) -> tuple[Path, int]:
    """The nearest ancestor of ``target`` that exists, and its file mode."""
    for ancestor in [*target.parents, *target.absolute().parents]:
        mode = _mode(ancestor, given)
        if mode is not None:
            return ancestor, mode
    raise InvalidParameter(f"{given} none of the directories above it exists.")


def _mode(path: Path, given: str) -> int | None:
    """The file mode of ``path`` (``None``: nothing there); another error as one line."""
    try:
        return os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        raise InvalidParameter(f"{given} it cannot be checked: {error.strerror}.") from None


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
