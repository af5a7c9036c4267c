"""The one exception family of dlnverify.

Every error raised on bad input at a public boundary is a :class:`DlnVerifyError`; the CLI
maps the family to exit codes in one place (``reports.cli``): 2 (bad input) for all but
:class:`RunFailed`, which is 1 (failed).  :class:`InvalidParameter` and
:class:`FormulaError` are also ``ValueError`` so that code written against the standard
library keeps working; :class:`InsufficientMemory` is also ``MemoryError``.
"""

__all__ = [
    "DlnVerifyError",
    "FormulaError",
    "InsufficientMemory",
    "InvalidParameter",
    "RunFailed",
]


class DlnVerifyError(Exception):
    """Base class of every error dlnverify raises on purpose."""


class InvalidParameter(DlnVerifyError, ValueError):
    """A parameter is outside its domain (shape, sign, finiteness, range).

    The message names the parameter, what came in, and the constraint.
    """


class FormulaError(DlnVerifyError, ValueError):
    """A user formula cannot be parsed, or uses something outside the whitelist."""


class InsufficientMemory(DlnVerifyError, MemoryError):
    """A run's own allocation failed: its sizes need more memory than the machine gives.

    Raised for a ``MemoryError`` inside the run itself (its arrays), not for one raised
    elsewhere (a library reading a foreign reply), which is left as it is.
    """


class RunFailed(DlnVerifyError, RuntimeError):
    """A run could not complete for a reason outside its input (a cluster that lost it)."""
