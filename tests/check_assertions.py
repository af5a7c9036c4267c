"""Assertions shared by the tests of ``check`` quantities (on ``sys.path`` via ``pythonpath``).

Each takes a formula summed by hand in the calling test module, never one copied from the
derivations.  They assert verdicts, not speed: each check gets a time limit (:data:`TIMEOUT`)
that a loaded two-core machine cannot reach, so that ``undecided`` (the check's default 30 s
limit reached) never stands in for a verdict; the time a check takes is measured in
``benchmarks/check_benchmark.py``.
"""

from functools import partial

from reports.formulas.engine import check as check_in_time
from reports.formulas.result import Verdict

#: Seconds a check may take here (the CLI's default is 30).
TIMEOUT = 300.0

check = partial(check_in_time, timeout=TIMEOUT)


def assert_proven_and_simulated(quantity, formula, **kwargs):
    """``formula`` is proven equal to the derived result and the simulator agrees."""
    result = check(quantity, formula, **kwargs)
    assert result.symbolic == "equal", result.message
    assert result.verdict == Verdict.VERIFIED
    assert result.numeric is not None
    assert result.numeric.passed
    return result


def assert_holds_at_one_depth_only(quantity, formula, depth):
    """``formula`` is proven at ``L = depth`` (Monte Carlo there too) and, for free ``L``,
    refuted with that depth named as the one where it agrees."""
    result = assert_proven_and_simulated(quantity, formula, at={"L": depth})
    assert all(case.parameters["L"] == depth for case in result.numeric.cases)
    free = check(quantity, formula, monte_carlo=False)
    assert free.verdict == Verdict.REFUTED
    assert free.depths == (depth,)


def assert_refuted_and_rejected(quantity, formula, **kwargs):
    """``formula`` is refuted and the simulator rejects it too (``kwargs`` as for ``check``)."""
    result = check(quantity, formula, **kwargs)
    assert result.verdict == Verdict.REFUTED
    assert result.numeric is not None
    assert not result.numeric.passed
