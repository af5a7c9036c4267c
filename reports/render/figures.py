r"""Deterministic figure files (matplotlib, Agg): the same drawing writes the same bytes.

Figures are :class:`matplotlib.figure.Figure` objects on the Agg canvas (no pyplot state), in
matplotlib's default style with fixed sizes, saved as PDF, PNG or SVG without dates or
producer strings (SVG: text as paths, ids hashed with a fixed ``svg.hashsalt``, no
metadata, so that the HTML report that inlines it is the same for the same seed).
matplotlib is imported only when a figure is drawn.  Used by :mod:`reports.documents.figures` (the
report's figures) and by the experiments (:mod:`reports.experiments.diffusion`,
:mod:`reports.experiments.stationary`)::

    target = figure_path(path)          # checked before any work is done
    with figure_file(target) as axes:
        axes.plot(...)

Inside ``with svg_copies() as svg:`` every figure file written is also kept as SVG text
(``svg[target.resolve()]``): a report drawn once for its PDF is inlined in its HTML form
without drawing (or simulating) anything twice.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from dlnverify.errors import InvalidParameter
from reports.render.files import atomic_path, check_output_location

__all__ = ["FIGURE_SIZE", "check_figure_path", "figure_file", "figure_path", "svg_copies"]

#: Width and height of a one-panel figure, in inches.
FIGURE_SIZE = (6.0, 3.4)

#: Metadata written instead of the defaults (which hold dates and versions).
_METADATA = {
    ".pdf": {"CreationDate": None, "Producer": None, "Creator": None},
    ".png": {"Software": None},
    ".svg": {"Date": None, "Creator": None, "Format": None, "Type": None},
}


#: Where :func:`figure_file` keeps SVG copies inside :func:`svg_copies` (``None``: nowhere).
_SVG_COPIES: ContextVar[dict[Path, str] | None] = ContextVar("svg_copies", default=None)


@contextmanager
def svg_copies() -> Iterator[dict[Path, str]]:
    """Within the block, keep every figure :func:`figure_file` writes also as SVG text.

    Yields
    ------
    dict of pathlib.Path to str
        The figure file's resolved path -> the same figure as an SVG document (deterministic:
        no metadata, a fixed ``svg.hashsalt``), filled as figures are written.
    """
    copies: dict[Path, str] = {}
    token = _SVG_COPIES.set(copies)
    try:
        yield copies
    finally:
        _SVG_COPIES.reset(token)


def check_figure_path(path: str | Path, *, option: str = "figure path") -> Path:
    """``path`` if it can name a figure file: ``.pdf``, ``.png`` or ``.svg``, at a place a file can be
    written (:func:`~reports.render.files.check_output_location`).  A one-line
    :class:`~dlnverify.errors.InvalidParameter` naming ``option`` otherwise; nothing is
    created, so a command can check its figure before a long run."""
    target = Path(path)
    if target.suffix.lower() not in _METADATA:
        raise InvalidParameter(
            f"Got {option} {str(target)!r}, but its extension must be .pdf, .png or .svg."
        )
    return check_output_location(target, option=option)


def figure_path(path: str | Path) -> Path:
    """``path`` as a figure file (:func:`check_figure_path`), its parent created."""
    target = check_figure_path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


@contextmanager
def figure_file(target: Path, *, panels: int | None = None, rows: int = 1) -> Iterator[Any]:
    """A figure written to ``target`` when the block ends without error (and kept as SVG
    text inside :func:`svg_copies`).

    Parameters
    ----------
    target : pathlib.Path
        From :func:`figure_path`.
    panels : int, optional
        ``None``: one axes of :data:`FIGURE_SIZE`.  Otherwise a row of this many axes, 3
        inches wide each.
    rows : int, default 1
        With ``panels``: this many rows of them, 3.2 inches high each.

    Yields
    ------
    axes
        The figure's :class:`~matplotlib.axes.Axes` (an array of them with ``panels``; of
        shape ``(rows, panels)`` when ``rows > 1``).
    """
    try:
        import matplotlib  # imported only when a figure is drawn
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise InvalidParameter(
            "matplotlib not found: the figures need it (pip install matplotlib)"
        ) from None
    rc = {**matplotlib.rcParamsDefault, "svg.hashsalt": "dlnverify", "pdf.compression": 6}
    with matplotlib.rc_context(rc=rc):
        size = FIGURE_SIZE if panels is None else (3.0 * panels + 0.5, 3.2 * rows)
        figure = Figure(figsize=size, dpi=100, layout="constrained")
        FigureCanvasAgg(figure)
        axes: Any
        if panels is None:
            axes = figure.add_subplot()
        else:
            grid = figure.subplots(rows, panels, squeeze=False)
            axes = grid[0] if rows == 1 else grid
        yield axes
        with atomic_path(target) as temporary:
            figure.savefig(temporary, metadata=_METADATA[target.suffix.lower()])
        copies = _SVG_COPIES.get()
        if copies is not None:
            text = io.StringIO()
            figure.savefig(text, format="svg", metadata=_METADATA[".svg"])
            copies[target.resolve()] = text.getvalue()
