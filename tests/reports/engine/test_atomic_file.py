"""The one atomic write (reports.engine.atomic_file): the target holds the old content or the
new, never a part; no temporary file is left behind; writers running at once, in processes or
threads, never share a temporary file; a new file gets the permissions of any new file."""

import os
import stat
import threading

import pytest

from reports.engine.atomic_file import atomic_path, write_bytes_atomically, write_text_atomically


def test_a_file_is_written_and_nothing_else_is_left(tmp_path):
    target = write_text_atomically(tmp_path / "report.tex", "new\n")
    assert target.read_text(encoding="utf-8") == "new\n"
    assert (
        write_bytes_atomically(tmp_path / "entry.pickle", b"\x80\x05") == tmp_path / "entry.pickle"
    )
    assert (tmp_path / "entry.pickle").read_bytes() == b"\x80\x05"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entry.pickle", "report.tex"]


def _write_half_then(target, interruption):
    with atomic_path(target) as temporary:
        temporary.write_text("half of the ne", encoding="utf-8")
        raise interruption


@pytest.mark.parametrize("interruption", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_an_interrupted_write_leaves_the_old_file(tmp_path, interruption):
    target = tmp_path / "report.md"
    target.write_text("old\n", encoding="utf-8")
    with pytest.raises(type(interruption)):
        _write_half_then(target, interruption)
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


def test_the_temporary_file_keeps_the_suffix(tmp_path):
    with atomic_path(tmp_path / "figure.pdf") as temporary:
        assert temporary.suffix == ".pdf"
        assert temporary.parent == tmp_path
        temporary.write_bytes(b"%PDF")
    assert (tmp_path / "figure.pdf").read_bytes() == b"%PDF"


def test_writes_of_one_target_at_once_each_have_their_own_temporary_file(tmp_path):
    """Two writes in one process (threads of a Dask sweep, two cache writers) of one target."""
    target = tmp_path / "entry.pickle"
    with atomic_path(target) as first, atomic_path(target) as second:
        assert first != second
        first.write_bytes(b"first")
        second.write_bytes(b"second")
    assert target.read_bytes() in (b"first", b"second")  # whole, whichever came last
    assert [p.name for p in tmp_path.iterdir()] == ["entry.pickle"]


def test_threads_writing_one_target_leave_one_whole_file(tmp_path):
    target = tmp_path / "claim_seconds.json"
    contents = [bytes([65 + k]) * 100_000 for k in range(8)]
    threads = [
        threading.Thread(target=write_bytes_atomically, args=(target, data)) for data in contents
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert target.read_bytes() in contents
    assert [p.name for p in tmp_path.iterdir()] == ["claim_seconds.json"]


def test_a_new_file_has_the_permissions_of_any_new_file(tmp_path):
    """Not those of a private temporary file (0600): a report is read by others too."""
    umask = os.umask(0o022)
    try:
        target = write_text_atomically(tmp_path / "report.html", "<html></html>\n")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
