r"""The memory of a ``dlnverify simulate`` run, estimated before it starts, and its budget.

:func:`memory_estimate` counts bytes in three parts, each a product of the inputs with
8-byte floats and a safety factor set from the peak memory of measured runs (it errs high:
1.3 to 4 times what was measured):

* **networks** — :data:`NETWORK_COPIES` :math:`\times` ensemble :math:`\times\bigl(\sum_l
  h_l h_{l-1} + \sum_l h_l^2\bigr)` floats: the weights of every layer and the square
  products a step and a record form (the partial products, :math:`W W^\top`), with the
  copies one step makes; online SGD adds :data:`DATA_COPIES` :math:`\times` ensemble
  :math:`\times B \times \sum_l h_l` for its batch and the activations;
* **records** — the number of records (:func:`numerics.trajectory.record_count`) times
  ensemble times the recorded numbers (loss, :math:`r` modes, the cross-mode amplitude,
  :math:`2(L-1)` imbalances, :math:`2r` diffusion values with ``diffusion_samples``), each
  as :data:`RECORD_COPIES` floats (kept, stacked, summarised, written) plus
  :data:`JSON_BYTES` for a trajectory written as ``.json``; plus :data:`RECORD_OVERHEAD`
  bytes of Python objects per record.  The collapse experiment keeps two runs (at
  :math:`dt` and :math:`dt/2`), counted twice;
* **diffusion samples** (with ``diffusion_samples`` :math:`= n`) — :data:`SAMPLE_COPIES`
  :math:`\times` ensemble :math:`\times n \times r` floats, the samples of one record, plus
  :data:`CHUNK_COPIES` times the chunk of per-sample gradients the sampler draws them in
  (:math:`2^{22}` floats, or one draw of every network if that is more).

:func:`memory_budget` is :data:`MEMORY_FRACTION` of the physical memory
(``os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")``), or :data:`FALLBACK_BUDGET`
where the system does not report it.  :func:`check_memory` refuses a run (or the runs of a
sweep that run at once) over the budget with a one-line
:class:`~dlnverify.errors.InvalidParameter` naming the estimate, the budget and the inputs
of the largest part.  :func:`run_allocations` marks the run itself: a ``MemoryError`` raised
inside it (an estimate that erred low, a machine whose memory is taken by others) becomes a
one-line :class:`~dlnverify.errors.InsufficientMemory` naming the sizes to lower, while one
raised anywhere else (a library reading a foreign reply) is left as it is.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise

from dlnverify.errors import InsufficientMemory, InvalidParameter
from numerics.trajectory import record_count
from reports.experiments.kind import ExperimentKind
from reports.experiments.training import SimulationConfig

__all__ = [
    "CHUNK_COPIES",
    "DATA_COPIES",
    "FALLBACK_BUDGET",
    "JSON_BYTES",
    "MEMORY_FRACTION",
    "MemoryEstimate",
    "NETWORK_COPIES",
    "RECORD_COPIES",
    "RECORD_OVERHEAD",
    "SAMPLE_COPIES",
    "check_memory",
    "memory_budget",
    "memory_estimate",
    "run_allocations",
]

#: Bytes of one number (float64).
_FLOAT = 8
#: Copies of the networks' arrays one step and one record hold at once.
NETWORK_COPIES = 4
#: Copies of an online-SGD batch (inputs, labels, activations forward and back).
DATA_COPIES = 6
#: Copies of the recorded numbers (kept, stacked, summarised, written as ``.npz`` or
#: ``.csv``).
RECORD_COPIES = 4
#: Bytes per recorded number of a trajectory written as ``.json`` (Python floats in lists,
#: their text, the document).
JSON_BYTES = 256
#: Bytes of Python objects per record (a dict of arrays, the step's entry in lists).
RECORD_OVERHEAD = 1536
#: Copies of the diffusion samples of one record and the data they are drawn from.
SAMPLE_COPIES = 4
#: Copies of the chunk of per-sample gradients the diffusion sampler works in.
CHUNK_COPIES = 8
#: Numbers in that chunk when the networks are smaller (:mod:`numerics.observables` draws
#: about ``2**22`` at a time, or one draw for every network).
_SAMPLE_CHUNK = 2**22
#: The share of the physical memory a run may use.
MEMORY_FRACTION = 0.5
#: The budget where the physical memory is not reported (bytes).
FALLBACK_BUDGET = 4 * 2**30


@dataclass(frozen=True)
class MemoryEstimate:
    """The estimated bytes of one run, by part (see the module docstring).

    Attributes
    ----------
    networks, records, diffusion : int
        The networks (and SGD batches), the records, the diffusion samples.
    record_count : int
        Records the run keeps (both runs of the collapse experiment).
    """

    networks: int
    records: int
    diffusion: int
    record_count: int

    @property
    def total(self) -> int:
        """All parts, in bytes."""
        return self.networks + self.records + self.diffusion


def memory_estimate(
    config: SimulationConfig, kind: ExperimentKind, *, json_output: bool = False
) -> MemoryEstimate:
    """The memory a run of ``kind`` from ``config`` needs at most, by the counts of the
    module docstring (arithmetic on the inputs: nothing is allocated); ``json_output``: its
    trajectory is written as ``.json``."""
    widths = config.widths
    ensemble, rank = config.ensemble, len(config.singular_values)
    entries = sum(a * b for a, b in pairwise(widths)) + sum(h * h for h in widths)
    networks = NETWORK_COPIES * ensemble * entries
    if config.optimizer == "sgd":
        networks += DATA_COPIES * ensemble * config.batch_size * sum(widths)
    runs = 2 if kind is ExperimentKind.COLLAPSE else 1
    records = runs * record_count(config.steps, config.record_every)
    numbers = 2 + rank + 2 * (config.depth - 1) + (2 * rank if config.diffusion_samples else 0)
    diffusion = 0
    if config.diffusion_samples:
        diffusion = SAMPLE_COPIES * ensemble * config.diffusion_samples * rank
        diffusion += CHUNK_COPIES * max(_SAMPLE_CHUNK, ensemble * entries)
    per_number = _FLOAT * RECORD_COPIES + (JSON_BYTES if json_output else 0)
    return MemoryEstimate(
        networks=_FLOAT * networks,
        records=records * (per_number * ensemble * numbers + RECORD_OVERHEAD),
        diffusion=_FLOAT * diffusion,
        record_count=records,
    )


def memory_budget() -> tuple[int, str]:
    """The bytes a run may use, and what they are: :data:`MEMORY_FRACTION` of the physical
    memory where the system reports it, else :data:`FALLBACK_BUDGET`."""
    try:
        pages, page = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):  # no sysconf, or not these names
        pages = page = -1
    if pages > 0 and page > 0:  # -1: not known
        physical = pages * page
        share = f"{MEMORY_FRACTION:.0%} of the {_size(physical)} of physical memory"
        return int(MEMORY_FRACTION * physical), share
    return FALLBACK_BUDGET, "the fixed budget: the physical memory is not reported"


def check_memory(
    configs: Sequence[SimulationConfig],
    kind: ExperimentKind,
    *,
    concurrent: int = 1,
    json_output: bool = False,
) -> None:
    """Refuse runs of ``kind`` whose estimated memory (:func:`memory_estimate`) is over
    :func:`memory_budget`: ``configs`` are runs of which at most ``concurrent`` run at once
    (one run; a sweep on its workers), so the ``concurrent`` largest estimates are added.  A
    one-line :class:`~dlnverify.errors.InvalidParameter` gives the estimate by part and the
    budget, and names the inputs (with their values) that shrink the largest part of the
    largest run."""
    estimates = sorted(
        ((memory_estimate(config, kind, json_output=json_output), config) for config in configs),
        key=lambda item: item[0].total,
        reverse=True,
    )[: max(1, concurrent)]
    total = sum(estimate.total for estimate, _ in estimates)
    budget, source = memory_budget()
    if total <= budget:
        return
    largest, config = estimates[0]
    parts = [
        (largest.networks, "networks", _inputs(config, "ensemble", "width", "hidden", "depth")),
        (
            largest.records,
            f"{largest.record_count} records",
            _inputs(config, "steps", "ensemble") + f", or raise record_every={config.record_every}",
        ),
        (largest.diffusion, "diffusion samples", _inputs(config, "diffusion_samples", "ensemble")),
    ]
    if config.optimizer == "sgd":
        parts[0] = (*parts[0][:2], _inputs(config, "ensemble", "batch_size", "width", "depth"))
    shown = ", ".join(f"{name} {_size(size)}" for size, name, _ in parts if size)
    advice = max(parts)[2]
    runs = "a run" if len(estimates) == 1 else f"{len(estimates)} runs at once (one per worker)"
    fewer = "; or fewer at once (--workers)" if len(estimates) > 1 else ""
    raise InvalidParameter(
        f"Got {runs} needing about {_size(total)} ({shown}), but the memory budget is"
        f" {_size(budget)} ({source}); lower {advice}{fewer}."
    )


@contextlib.contextmanager
def run_allocations() -> Iterator[None]:
    """The block is a run's own work: a ``MemoryError`` it raises becomes
    :class:`~dlnverify.errors.InsufficientMemory` (``"not enough memory for this run (Unable to
    allocate 74.5 GiB ...); use smaller sizes (...)"``), chained to it."""
    try:
        yield
    except InsufficientMemory:
        raise
    except MemoryError as error:
        detail = f" ({error})" if str(error) else ""
        raise InsufficientMemory(
            f"not enough memory for this run{detail}; use smaller sizes"
            " (width, hidden, ensemble, steps / record_every, diffusion samples)."
        ) from error


def _inputs(config: SimulationConfig, *names: str) -> str:
    """``"a=1, b=2 or c=3"``: the inputs named, with their values in ``config`` (``hidden``
    only where it is set apart from ``width``)."""
    given = [
        f"{name}={getattr(config, name)}" for name in names if name != "hidden" or config.hidden
    ]
    return ", ".join(given[:-1]) + f" or {given[-1]}"


def _size(size: int) -> str:
    """``size`` bytes in the largest binary unit it reaches, to three digits."""
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} B"
