r"""Turning Monte Carlo estimates into a claim's :class:`NumericCheck`.

Every numeric verdict in dlnverify is a two-sided z-test: a correct formula fails with
probability at most ``false_alarm_rate`` (default :math:`10^{-6}`) over all compared numbers of
a claim, by a Bonferroni correction (DESIGN.md §5).  This module is the one place that turns
estimates with standard errors into table rows and a verdict.

Round-off.  Where the true value is zero (a mode at its teacher value without label noise
has zero diffusion) the simulated samples are pure float64 round-off, about :math:`10^{-16}`,
and their variance, about :math:`10^{-31}`, has a standard error smaller still: a z-test on
it alone would call a correct formula wrong.  Every z-score therefore divides by
:math:`\sqrt{\mathrm{SE}^2 + a^2}` with the round-off allowance
:math:`a = 10^{-12}\,(1 + |\text{estimate}| + |\text{formula}|)`.  The parameters of the
theory are of order 1 (DESIGN.md §3), so a quantity that is not zero is of order
:math:`10^{-6}` or more (e.g. the diffusion at ``kappa = 1e-3``, ``s = 0.05``), and a formula
off by a factor 1.1 misses it by far more than :math:`a`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from numerics.montecarlo import Estimate, z_threshold

__all__ = [
    "Comparison",
    "FALSE_ALARM_RATE",
    "NumericCase",
    "NumericCheck",
    "ROUNDOFF_ALLOWANCE",
    "numeric_check",
    "parameters_text",
    "scaled_estimate",
]


def _value_text(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value_text(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_value_text(v)}" for k, v in value.items()) + "}"
    return str(value)


def parameters_text(parameters: Mapping[str, Any]) -> str:
    """A parameter point for a table row: ``key=value`` joined by commas, floats (also in
    lists) to 4 significant digits: ``"L=3, dt=[0.005228, 0.002614]"``."""
    return ", ".join(f"{k}={_value_text(v)}" for k, v in parameters.items())


@dataclass(frozen=True)
class NumericCase:
    r"""One row of a claim's Monte Carlo table.

    Attributes
    ----------
    parameters : dict
        The parameter point (depth, widths, amplitudes, ...), JSON-friendly.
    estimate, standard_error : float
        The Monte Carlo estimate of the observable and its estimated standard error
        (for a matrix observable, the entry with the largest :math:`|z|`).
    closed_form : float
        The derived formula evaluated at the same point.
    z : float
        :math:`(\text{estimate} - \text{closed form}) / \text{SE}`.
    n_samples : int
        Samples behind the estimate; 0 for an estimate that draws none (an exact evaluation
        or a quadrature, whose standard error is its round-off or error bound).
    """

    parameters: dict[str, Any]
    estimate: float
    standard_error: float
    closed_form: float
    z: float
    n_samples: int

    @property
    def parameters_text(self) -> str:
        """:attr:`parameters` for a table (:func:`parameters_text`)."""
        return parameters_text(self.parameters)

    @property
    def samples(self) -> str:
        """:attr:`n_samples` for a table: ``"200,000"``, or ``"n/a"`` when nothing was drawn."""
        return f"{self.n_samples:,}" if self.n_samples else "n/a"


@dataclass(frozen=True)
class NumericCheck:
    r"""The Monte Carlo verdict of a claim: every case within :math:`z^\ast` standard errors.

    ``threshold`` is the two-sided Bonferroni critical value for ``false_alarm_rate`` over
    ``n_tests`` compared numbers, so that a correct formula fails with probability at most
    ``false_alarm_rate``.
    """

    cases: tuple[NumericCase, ...]
    threshold: float
    false_alarm_rate: float
    n_tests: int
    note: str = ""

    @property
    def max_abs_z(self) -> float:
        """Worst :math:`|z|` over the cases (0 when there are none)."""
        return max((abs(case.z) for case in self.cases), default=0.0)

    @property
    def passed(self) -> bool:
        """Whether every case lies within the threshold."""
        return self.max_abs_z <= self.threshold


#: Probability that a correct claim fails its Monte Carlo check (all comparisons together).
FALSE_ALARM_RATE = 1e-6


@dataclass(frozen=True)
class Comparison:
    """An estimate (scalar or array) and the formula's value(s) at one parameter point.

    Attributes
    ----------
    parameters : dict
        The parameter point, JSON-friendly; shown in the table row.
    estimate : numerics.montecarlo.Estimate
        The simulated value(s) with standard error(s).
    closed_form : float or array_like
        The formula's value(s), broadcast against the estimate.
    labels : tuple of str
        Names of the entries of an array observable, in C order (``"mean"``,
        ``"variance"``, ...).  Each names its row: the table shows every entry under its
        name (parameter ``observable``), or with ``worst_only`` the entry with the largest
        :math:`|z|` alone.  Without labels an array observable shows that worst entry, named
        by its 1-based index (parameter ``worst entry``).
    worst_only : bool
        Show only the worst labelled entry (for long arrays such as a trajectory).
    """

    parameters: dict[str, Any]
    estimate: Estimate
    closed_form: Any
    labels: tuple[str, ...] = ()
    worst_only: bool = False


#: Relative (and, below 1, absolute) round-off allowance of every comparison (module docstring).
ROUNDOFF_ALLOWANCE = 1e-12


def _z_scores(estimate: Estimate, closed_form: Any) -> np.ndarray:
    value = np.asarray(estimate.value, dtype=float)
    formula = np.asarray(closed_form, dtype=float)
    diff = value - formula
    magnitude = np.abs(value) + np.abs(np.where(np.isfinite(formula), formula, 0.0))
    allowance = ROUNDOFF_ALLOWANCE * (1.0 + magnitude)
    se = np.hypot(np.asarray(estimate.standard_error, dtype=float), allowance)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, diff / np.where(se > 0, se, 1.0), np.where(diff == 0, 0.0, np.inf))
    return np.broadcast_to(z, np.broadcast(value, diff).shape)


def numeric_check(
    comparisons: Sequence[Comparison],
    *,
    false_alarm_rate: float = FALSE_ALARM_RATE,
    note: str = "",
) -> NumericCheck:
    r"""Rows and verdict for a list of comparisons.

    For array-valued observables every entry is a test; the rows show every labelled entry,
    or the entry with the largest :math:`|z|` (:class:`Comparison`).  The threshold is
    :math:`\Phi^{-1}(1 - \alpha / (2k))` with :math:`k` the total number of compared entries.
    """
    scored = [(c, _z_scores(c.estimate, c.closed_form)) for c in comparisons]
    n_tests = max(1, sum(int(z.size) for _, z in scored))
    cases = [case for comparison, z in scored for case in _rows(comparison, z)]
    return NumericCheck(
        cases=tuple(cases),
        threshold=z_threshold(false_alarm_rate, n_tests),
        false_alarm_rate=false_alarm_rate,
        n_tests=n_tests,
        note=note,
    )


def _rows(comparison: Comparison, z: np.ndarray) -> list[NumericCase]:
    """The table rows of one comparison (see :class:`Comparison` for which entries)."""
    shape = z.shape
    value = np.broadcast_to(np.asarray(comparison.estimate.value, dtype=float), shape)
    error = np.broadcast_to(np.asarray(comparison.estimate.standard_error, dtype=float), shape)
    closed = np.broadcast_to(np.asarray(comparison.closed_form, dtype=float), shape)
    flat = np.ravel(z)
    labels = comparison.labels
    if labels and len(labels) != flat.size:
        raise ValueError(
            f"Got {len(labels)} labels for an observable with {flat.size} entries; give one"
            " label per entry."
        )
    if not flat.size:
        return []
    worst = int(np.argmax(np.abs(flat)))
    if labels and not comparison.worst_only:
        chosen = [(k, {"observable": label}) for k, label in enumerate(labels)]
    elif labels:
        chosen = [(worst, {"observable": labels[worst]})]
    elif flat.size > 1:
        index = np.unravel_index(worst, shape)
        name = ", ".join(str(int(i) + 1) for i in index)
        size = "x".join(str(n) for n in shape)
        entry = f"({name})" if len(shape) > 1 else name
        chosen = [(worst, {"worst entry": f"{entry} of {size}"})]
    else:
        chosen = [(0, {})]
    return [
        NumericCase(
            parameters=comparison.parameters | extra,
            estimate=float(np.ravel(value)[k]),
            standard_error=float(np.ravel(error)[k]),
            closed_form=float(np.ravel(closed)[k]),
            z=float(flat[k]),
            n_samples=int(comparison.estimate.n_samples),
        )
        for k, extra in chosen
    ]


def scaled_estimate(estimate: Estimate, factor: float) -> Estimate:
    """``factor`` times an estimate (value and standard error), e.g. ``kappa * Var``."""
    return Estimate(
        factor * np.asarray(estimate.value),
        abs(factor) * np.asarray(estimate.standard_error),
        estimate.n_samples,
    )
