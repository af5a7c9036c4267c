"""Symbolic derivations (SymPy only): every claim of the paper derived from first principles.

This package never imports :mod:`numerics`: the numeric side is the independent ground truth.
"""

from derivations.batch_noise import batch_noise_claim
from derivations.conventions import (
    CONVENTION_RESCALINGS,
    PARAMETERS,
    ConventionRescaling,
    Parameter,
)
from derivations.gradient import gradient_polynomials, population_gradient_claim, population_loss
from derivations.noise_covariance import (
    noise_covariance,
    noise_covariance_claim,
    noise_covariance_closed_form,
    noise_covariance_closed_form_numeric,
)
from derivations.symmetry import symmetry_claim
from derivations.wick import GaussianVector, WickEngine, gaussian_expectation, gaussian_moment

__all__ = [
    "CONVENTION_RESCALINGS",
    "ConventionRescaling",
    "GaussianVector",
    "PARAMETERS",
    "Parameter",
    "WickEngine",
    "batch_noise_claim",
    "gaussian_expectation",
    "gaussian_moment",
    "gradient_polynomials",
    "noise_covariance",
    "noise_covariance_claim",
    "noise_covariance_closed_form",
    "noise_covariance_closed_form_numeric",
    "population_gradient_claim",
    "population_loss",
    "symmetry_claim",
]
