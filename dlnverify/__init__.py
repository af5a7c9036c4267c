"""dlnverify: shared, dependency-free pieces of the verifier.

This tiny package holds only what both independent sides (``derivations/``, SymPy, and
``numerics/``, NumPy) may import without sharing any mathematics: the version string and
the exception family.  The independence rule of DESIGN.md §2 is about code that computes;
an exception class computes nothing.
"""

from dlnverify.errors import DlnVerifyError, FormulaError, InvalidParameter

__version__ = "0.1.0"

__all__ = ["DlnVerifyError", "FormulaError", "InvalidParameter", "__version__"]
