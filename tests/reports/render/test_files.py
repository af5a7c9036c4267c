"""Output files are written atomically (reports.render.files): the target holds the old
content or the new, never a part, and no temporary file is left behind."""

import pytest

from reports.render.files import atomic_path, write_text_atomically


def test_a_file_is_written_and_nothing_else_is_left(tmp_path):
    target = write_text_atomically(tmp_path / "report.tex", "new\n")
    assert target.read_text(encoding="utf-8") == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.tex"]


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
