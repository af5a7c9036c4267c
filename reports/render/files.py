"""Output files: checked before a command's work, then written atomically.

:func:`check_output_location` is the one check every command makes of every place it will
write (``simulate --output/--figure/--report``, ``report --output``, ``verify --report``)
before any long work: a one-line :class:`~dlnverify.errors.InvalidParameter` naming the
option and the path, and nothing created.

A file is then written atomically, by :func:`atomic_path` and :func:`write_text_atomically`
of :mod:`reports.engine.atomic_file` (exported here too, with the check, for the writers of
output files): a reader (or a run that is stopped) sees either the old file or the new one
under its name, never half of either.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from dlnverify.errors import InvalidParameter
from reports.engine.atomic_file import atomic_path, write_text_atomically

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
