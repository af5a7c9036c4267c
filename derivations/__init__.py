"""Symbolic derivations (SymPy only): every claim of the paper derived from first principles.

This package never imports :mod:`numerics`: the numeric side is the independent ground truth.
"""

from derivations.conventions import (
    CONVENTION_RESCALINGS,
    PARAMETERS,
    ConventionRescaling,
    Parameter,
)

__all__ = ["CONVENTION_RESCALINGS", "ConventionRescaling", "PARAMETERS", "Parameter"]
