"""Deterministic figure files (reports.render.figures): same drawing, same bytes; bad paths are
one-line errors; a drawing that fails writes nothing and leaves matplotlib's style alone."""

import matplotlib
import pytest

from dlnverify.errors import InvalidParameter
from reports.render.figures import figure_file, figure_path


def _draw(path, panels=None):
    target = figure_path(path)
    with figure_file(target, panels=panels) as axes:
        for axis in [axes] if panels is None else axes:
            axis.plot([0, 1, 2], [1, 0, 1], label="a line")
            axis.legend()
    return target


@pytest.mark.parametrize("suffix", [".pdf", ".png", ".svg"])
@pytest.mark.parametrize("panels", [None, 3])
def test_same_drawing_same_bytes(tmp_path, suffix, panels):
    first = _draw(tmp_path / "one" / f"figure{suffix}", panels).read_bytes()
    second = _draw(tmp_path / "two" / f"figure{suffix}", panels).read_bytes()
    assert first == second
    assert len(first) > 1000


def test_svg_carries_no_date_and_no_version(tmp_path):
    """The SVG the HTML report inlines: no metadata (date, creator with matplotlib's version),
    text as paths (no font needed to read it)."""
    text = _draw(tmp_path / "figure.svg").read_text(encoding="utf-8")
    assert "<metadata" not in text
    assert "dc:date" not in text
    assert matplotlib.__version__ not in text
    assert "<text" not in text


def test_bad_paths(tmp_path):
    with pytest.raises(InvalidParameter, match=r"\.pdf, \.png or \.svg"):
        figure_path(tmp_path / "figure.jpg")
    (tmp_path / "folder.pdf").mkdir()
    with pytest.raises(InvalidParameter, match="directory"):
        figure_path(tmp_path / "folder.pdf")


def test_a_failing_drawing_writes_nothing_and_restores_the_style(tmp_path):
    before = dict(matplotlib.rcParams)
    target = figure_path(tmp_path / "figure.png")
    with pytest.raises(ZeroDivisionError), figure_file(target):
        _ = 1 / 0
    assert not target.exists()
    assert dict(matplotlib.rcParams) == before
