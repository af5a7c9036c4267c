"""Output files (reports.render.files): a place to write is checked before any work, in one
line naming the option and the path, without creating anything; files are then written by
the atomic write of reports.engine.atomic_file."""

import os
from pathlib import Path

import pytest

from dlnverify.errors import InvalidParameter
from reports.engine import atomic_file
from reports.render.files import atomic_path, check_output_location, write_text_atomically


def test_the_atomic_write_is_the_engine_s():
    """Output files are written by the one atomic write (tests/reports/engine/test_atomic_file.py)."""
    assert atomic_path is atomic_file.atomic_path
    assert write_text_atomically is atomic_file.write_text_atomically


def _refusal(path, **kwargs):
    with pytest.raises(InvalidParameter) as info:
        check_output_location(path, option="--output", **kwargs)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"Got --output {str(path)!r}, but")
    return message


def test_a_place_to_write_is_accepted_and_nothing_is_created(tmp_path):
    (tmp_path / "old.npz").write_bytes(b"old")
    for path, directory in [
        (tmp_path / "new.npz", False),
        (tmp_path / "old.npz", False),  # replaced later
        (tmp_path / "a" / "b" / "run.npz", False),  # its directories are created later
        (tmp_path, True),
        (tmp_path / "a" / "report", True),
    ]:
        assert check_output_location(path, option="--output", directory=directory) == path
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.npz"]


def test_a_path_under_a_file_is_refused_naming_the_file(tmp_path):
    blocker = tmp_path / "f"
    blocker.write_text("", encoding="utf-8")
    for path, directory in [(blocker / "run.npz", False), (blocker / "sub" / "deeper", True)]:
        assert f"{str(blocker)!r} is a file, not a directory" in _refusal(path, directory=directory)


def test_a_directory_for_a_file_and_a_file_for_a_directory_are_refused(tmp_path):
    file = tmp_path / "report.md"
    file.write_text("", encoding="utf-8")
    assert "it is a directory; give a file" in _refusal(tmp_path)
    assert "it is a file; give a directory" in _refusal(file, directory=True)


def test_a_special_file_is_not_replaced(tmp_path):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    assert "not a regular file" in _refusal(fifo)


@pytest.mark.parametrize(
    ("inside", "directory"),
    [("run.npz", False), ("new/run.npz", False), ("", True), ("new/report", True)],
)
def test_a_place_that_cannot_be_written_is_refused(tmp_path, monkeypatch, inside, directory):
    locked = tmp_path / "locked"
    locked.mkdir()
    real = os.access
    # permission bits do not bind root, so the answer of the check itself is replaced here
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != locked and real(p, mode))
    path = locked / inside if inside else locked
    assert f"{str(locked)!r} cannot be written" in _refusal(path, directory=directory)
    assert check_output_location(tmp_path / "free.npz", option="--output") is not None


def test_a_path_that_cannot_be_checked_is_one_line(tmp_path):
    assert "cannot be checked" in _refusal(tmp_path / ("x" * 300) / "run.npz")


@pytest.mark.parametrize("directory", [False, True])
def test_a_path_with_a_nul_character_is_one_line(tmp_path, directory):
    """The Python API can be given one (a command line cannot): ``os.stat`` raises
    ``ValueError`` for it, which is not a traceback here."""
    path = tmp_path / "run\x00.npz"
    assert _refusal(path, directory=directory) == (
        f"Got --output {str(path)!r}, but a path cannot hold a NUL character."
    )
