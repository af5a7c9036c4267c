"""The one exception family of dlnverify.

Every error raised on bad input at a public boundary is a :class:`DlnVerifyError`; the CLI
maps the family to exit code 2 in one place (``reports.cli``).  The subclasses are also
``ValueError`` so that code written against the standard library keeps working.
"""

__all__ = ["DlnVerifyError", "FormulaError", "InvalidParameter"]


class DlnVerifyError(Exception):
    """Base class of every error dlnverify raises on purpose."""


class InvalidParameter(DlnVerifyError, ValueError):
    """A parameter is outside its domain (shape, sign, finiteness, range).

    The message names the parameter, what came in, and the constraint.
    """


class FormulaError(DlnVerifyError, ValueError):
    """A user formula cannot be parsed, or uses something outside the whitelist."""
