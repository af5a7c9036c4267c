r"""Running a claim: its symbolic derivation, then its Monte Carlo check, timed.

Shared by ``dlnverify verify``, the report writer and the generic registry test, so that
all three mean the same thing by "verified" (DESIGN.md §5).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from derivations.result import DerivationResult
from dlnverify.errors import InvalidParameter
from reports.engine.claim import Claim
from reports.engine.claim_seconds import longest_first, record_seconds
from reports.engine.derivation_cache import derive
from reports.engine.seed import check_seed
from reports.engine.verdict import NumericCheck

__all__ = ["ClaimOutcome", "verify_claim", "verify_claims"]

#: Thread-count variables of the BLAS and OpenMP runtimes NumPy may load.
_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True)
class ClaimOutcome:
    """A claim's symbolic result, Monte Carlo check and timings."""

    claim: Claim
    derivation: DerivationResult
    numeric: NumericCheck | None
    symbolic_seconds: float
    numeric_seconds: float

    @property
    def symbolic_verdict(self) -> str:
        return "proven" if self.derivation.holds else "refuted"

    @property
    def numeric_verdict(self) -> str:
        if self.numeric is None:
            return "n/a"
        return "agrees" if self.numeric.passed else "rejects"

    @property
    def holds(self) -> bool:
        """Symbolic proof holds and the Monte Carlo check (if any) agrees."""
        return self.derivation.holds and (self.numeric is None or self.numeric.passed)

    def to_json(self) -> dict[str, Any]:
        numeric = None
        if self.numeric is not None:
            numeric = {
                "passed": self.numeric.passed,
                "max_abs_z": self.numeric.max_abs_z,
                "threshold": self.numeric.threshold,
                "false_alarm_rate": self.numeric.false_alarm_rate,
                "n_tests": self.numeric.n_tests,
                "note": self.numeric.note,
                "cases": [
                    {
                        "parameters": c.parameters,
                        "estimate": c.estimate,
                        "standard_error": c.standard_error,
                        "closed_form": c.closed_form,
                        "z": c.z,
                        "n_samples": c.n_samples,
                    }
                    for c in self.numeric.cases
                ],
            }
        return {
            "claim": self.claim.id,
            "title": self.claim.title,
            "paper_ref": self.claim.paper_ref,
            "holds": self.holds,
            "symbolic": self.symbolic_verdict,
            "cases": list(self.derivation.cases),
            "findings": list(self.derivation.findings),
            "remarks": list(self.claim.remarks),
            "numeric": numeric,
            "symbolic_seconds": round(self.symbolic_seconds, 3),
            "numeric_seconds": round(self.numeric_seconds, 3),
        }


def verify_claim(claim: Claim, *, seed: int = 0, numeric: bool = True) -> ClaimOutcome:
    """Derive ``claim`` (through the derivation cache,
    :func:`reports.engine.derivation_cache.derive`) and run its Monte Carlo check with a
    generator seeded by ``seed``
    (an integer ``>= 0``; :class:`~dlnverify.errors.InvalidParameter` otherwise, before any
    work)."""
    check_seed(seed)
    started = time.perf_counter()
    derivation = derive(claim)
    symbolic_seconds = time.perf_counter() - started
    check = None
    started = time.perf_counter()
    if numeric and claim.numeric is not None:
        check = claim.numeric(np.random.default_rng([seed, int(claim.id.lstrip("C") or 0)]))
    return ClaimOutcome(claim, derivation, check, symbolic_seconds, time.perf_counter() - started)


def _check_jobs(jobs: Any) -> int:
    if isinstance(jobs, bool) or not isinstance(jobs, int | np.integer) or jobs < 1:
        raise InvalidParameter(f"Got jobs={jobs!r}, but the number of processes must be >= 1.")
    return int(jobs)


def _verify_in_worker(
    task: tuple[Claim, int, bool],
) -> tuple[str, DerivationResult, NumericCheck | None, float, float]:
    """Run :func:`verify_claim` in a worker process; the result without the :class:`Claim`
    (the parent puts its own back).  The claim arrives pickled: its functions travel by
    reference and the worker imports their modules."""
    claim, seed, numeric = task
    outcome = verify_claim(claim, seed=seed, numeric=numeric)
    return (
        claim.id,
        outcome.derivation,
        outcome.numeric,
        outcome.symbolic_seconds,
        outcome.numeric_seconds,
    )


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the parent, which stops them (no traceback per worker)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def _worker_start(jobs: int) -> Iterator[None]:
    """Conditions for starting workers: each gets ``cpus // jobs`` BLAS threads unless the
    user set the thread counts (the variables are read when a worker loads NumPy), and
    workers start with Ctrl-C ignored (inherited, so even a worker still starting up prints
    no traceback; the parent stops them)."""
    unset = [name for name in _THREAD_VARIABLES if name not in os.environ]
    threads = str(max(1, (os.cpu_count() or 1) // jobs))
    os.environ.update(dict.fromkeys(unset, threads))
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        yield
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)
        for name in unset:
            os.environ.pop(name, None)


def verify_claims(
    claims: Sequence[Claim],
    *,
    seed: int = 0,
    numeric: bool = True,
    jobs: int = 1,
    started: Callable[[int, Claim], None] | None = None,
    finished: Callable[[int, ClaimOutcome], None] | None = None,
) -> list[ClaimOutcome]:
    """:func:`verify_claim` for each of ``claims``, in ``jobs`` processes.

    Every claim draws from its own generator (``seed`` and the claim's number), so the
    outcomes do not depend on ``jobs`` or on the order in which claims finish; they are
    returned in the order of ``claims``.  ``started(i, claim)`` is called before claim ``i``
    (1-based) runs, sequential runs only; ``finished(k, outcome)`` after each, ``k`` counting
    finished claims.  With ``jobs > 1`` the claims run in freshly spawned processes, handed
    out longest first by the last run's times (:mod:`reports.engine.claim_seconds`); Ctrl-C
    stops them all (except in the few milliseconds in which the workers are created: there
    it is ignored, so that no worker can be interrupted half-started).
    """
    check_seed(seed)
    jobs = min(_check_jobs(jobs), max(1, len(claims)))
    if jobs == 1:
        outcomes = []
        for index, claim in enumerate(claims, 1):
            if started is not None:
                started(index, claim)
            outcomes.append(verify_claim(claim, seed=seed, numeric=numeric))
            if finished is not None:
                finished(index, outcomes[-1])
        return outcomes
    by_id = {claim.id: claim for claim in claims}
    done: dict[str, ClaimOutcome] = {}
    # handed out longest first (the last run's seconds): the wall time nears total / jobs
    tasks = [(claim, seed, numeric) for claim in longest_first(claims)]
    context = multiprocessing.get_context("spawn")
    with _worker_start(jobs):
        pool = context.Pool(jobs, initializer=_ignore_interrupts)
    try:
        for claim_id, derivation, check, symbolic, numerical in pool.imap_unordered(
            _verify_in_worker, tasks
        ):
            done[claim_id] = ClaimOutcome(by_id[claim_id], derivation, check, symbolic, numerical)
            if finished is not None:
                finished(len(done), done[claim_id])
        pool.close()
    finally:
        pool.terminate()
        pool.join()
    record_seconds(
        {key: outcome.symbolic_seconds + outcome.numeric_seconds for key, outcome in done.items()}
    )
    return [done[claim.id] for claim in claims]
