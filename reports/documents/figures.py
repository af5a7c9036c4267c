r"""The figures of the verification report (matplotlib, Agg, deterministic).

* :func:`agreement_figure` — the :math:`z`-scores of a claim's Monte Carlo cases against the
  :math:`\pm z^\ast` band of its threshold;
* :func:`claim_figures` — the figure each claim's report section shows: its own
  (:class:`~reports.engine.claim.ClaimFigure`, drawn by its catalogue module), else its
  agreement figure.

The files are deterministic (:mod:`reports.render.figures`): the same call writes the same
bytes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from dlnverify.errors import InvalidParameter
from reports.engine.verify import ClaimOutcome
from reports.render.figures import figure_file, figure_path

__all__ = ["agreement_figure", "claim_figures"]


def agreement_figure(outcome: ClaimOutcome, path: str | Path) -> Path | None:
    r"""The :math:`z`-score of each Monte Carlo case, with the :math:`\pm` threshold band.

    Parameters
    ----------
    outcome : ClaimOutcome
        A claim's outcome.
    path : str or pathlib.Path
        Output file (``.pdf``, ``.png`` or ``.svg``); parent directories are created.

    Returns
    -------
    pathlib.Path or None
        ``path``, or ``None`` (nothing written) when the outcome has no Monte Carlo check.
    """
    if not isinstance(outcome, ClaimOutcome):
        raise InvalidParameter(
            f"Got outcome of type {type(outcome).__name__}, but it must be a ClaimOutcome."
        )
    check = outcome.numeric
    if check is None:
        return None
    target = figure_path(path)
    with figure_file(target) as axes:
        z = np.array([case.z for case in check.cases], dtype=float)
        index = np.arange(1, z.size + 1)
        limit = float(check.threshold)
        shown = np.clip(
            np.nan_to_num(z, nan=0.0, posinf=2 * limit, neginf=-2 * limit), -2 * limit, 2 * limit
        )
        axes.axhspan(
            -limit, limit, color="tab:green", alpha=0.15, lw=0, label=rf"$|z| \leq {limit:.2f}$"
        )
        axes.axhline(0.0, color="0.4", lw=0.8)
        inside = np.abs(z) <= limit
        axes.plot(
            index[inside], shown[inside], "o", color="tab:blue", label="case within threshold"
        )
        if not inside.all():
            axes.plot(
                index[~inside], shown[~inside], "X", color="tab:red", ms=8, label="case outside"
            )
        axes.set_xlim(0.5, max(z.size, 1) + 0.5)
        top = 1.25 * max(limit, float(np.max(np.abs(shown), initial=0.0)))
        axes.set_ylim(-top, top)
        axes.set_xticks(index if z.size <= 20 else index[:: max(1, z.size // 10)])
        axes.set_xlabel("Monte Carlo case (table row)")
        axes.set_ylabel(r"$z = (\mathrm{estimate} - \mathrm{closed\ form}) / \mathrm{SE}$")
        axes.set_title(f"{outcome.claim.id}: Monte Carlo agreement", fontsize=10)
        axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    return target


def claim_figures(
    outcomes: Sequence[ClaimOutcome], directory: str | Path, *, suffix: str = ".pdf"
) -> dict[str, str]:
    """Draw the figure of each claim's report section into ``directory``.

    A claim with a :class:`~reports.engine.claim.ClaimFigure` shows that figure (drawn once
    however many claims share it: C7 and C8 show the diffusion profile); any other claim with
    a Monte Carlo check its :func:`agreement_figure`; the rest none.

    Parameters
    ----------
    outcomes : sequence of ClaimOutcome
        The claims of the report.
    directory : str or pathlib.Path
        Where the figures go (created if missing).
    suffix : str, default ".pdf"
        The files' format: ``".pdf"`` (the LaTeX report), ``".svg"`` (the HTML report) or
        ``".png"``.

    Returns
    -------
    dict of str to str
        Claim id -> path of its figure file.
    """
    target = Path(directory)
    if target.exists() and not target.is_dir():
        raise InvalidParameter(f"Got figure directory {str(target)!r}, but it is a file.")
    drawn: dict[str, Path] = {}
    figures: dict[str, str] = {}
    for outcome in outcomes:
        claim_id, figure = outcome.claim.id, outcome.claim.figure
        if figure is not None:
            if figure.stem not in drawn:
                drawn[figure.stem] = figure.draw(target / f"{figure.stem}{suffix}")
            figures[claim_id] = str(drawn[figure.stem])
            continue
        name = re.sub(r"[^A-Za-z0-9]", "-", claim_id)
        agreement = agreement_figure(outcome, target / f"agreement_{name}{suffix}")
        if agreement is not None:
            figures[claim_id] = str(agreement)
    return figures
