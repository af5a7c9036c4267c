"""Symbolic derivations (SymPy only): every claim of the paper derived from first principles.

This package never imports :mod:`numerics`: the numeric side is the independent ground truth.
"""

from derivations.aligned_balanced import (
    aligned_balanced_claim,
    aligned_cross_diffusion,
    aligned_diffusion,
    aligned_drift,
    aligned_gradient_drift,
    aligned_ito_drift,
    aligned_ito_drift_modes,
    aligned_mode_dynamics,
    aligned_ntk_eigenvalue,
    mode_decoupling_claim,
    mode_symbols,
)
from derivations.batch_noise import batch_noise_claim
from derivations.conventions import (
    CONVENTION_RESCALINGS,
    PARAMETERS,
    ConventionRescaling,
    Parameter,
)
from derivations.diffusion_peak import (
    diffusion_peak,
    diffusion_peak_claim,
    peak_threshold,
    stationarity_polynomial,
)
from derivations.gradient import gradient_polynomials, population_gradient_claim, population_loss
from derivations.gradient_flow import (
    flow_time,
    flow_time_general,
    gradient_flow_claim,
    half_time_threshold,
    logistic_solution,
)
from derivations.invariance import (
    assumption_invariance_claim,
    cross_mode_dynamics,
    imbalance_gradient_drift_claim,
    imbalance_noise_drift,
)
from derivations.isotropic import isotropic_diffusion, isotropic_langevin_claim
from derivations.modewise import (
    modewise_diffusion_claim,
    modewise_drift_claim,
    modewise_hessian_claim,
    modewise_jacobian_claim,
)
from derivations.network_mean import network_mean_claim
from derivations.noise_covariance import (
    noise_covariance,
    noise_covariance_claim,
    noise_covariance_closed_form,
    noise_covariance_closed_form_numeric,
)
from derivations.row_collapse import row_collapse_claim
from derivations.symbolic_network import ntk_operator
from derivations.symmetry import symmetry_claim
from derivations.wick import GaussianVector, WickEngine, gaussian_expectation, gaussian_moment

__all__ = [
    "CONVENTION_RESCALINGS",
    "ConventionRescaling",
    "GaussianVector",
    "PARAMETERS",
    "Parameter",
    "WickEngine",
    "aligned_balanced_claim",
    "aligned_cross_diffusion",
    "aligned_diffusion",
    "aligned_drift",
    "aligned_gradient_drift",
    "aligned_ito_drift",
    "aligned_ito_drift_modes",
    "aligned_mode_dynamics",
    "aligned_ntk_eigenvalue",
    "assumption_invariance_claim",
    "batch_noise_claim",
    "cross_mode_dynamics",
    "diffusion_peak",
    "diffusion_peak_claim",
    "flow_time",
    "flow_time_general",
    "gaussian_expectation",
    "gaussian_moment",
    "gradient_flow_claim",
    "gradient_polynomials",
    "half_time_threshold",
    "imbalance_gradient_drift_claim",
    "imbalance_noise_drift",
    "isotropic_diffusion",
    "isotropic_langevin_claim",
    "logistic_solution",
    "mode_decoupling_claim",
    "mode_symbols",
    "modewise_diffusion_claim",
    "modewise_drift_claim",
    "modewise_hessian_claim",
    "modewise_jacobian_claim",
    "network_mean_claim",
    "noise_covariance",
    "noise_covariance_claim",
    "noise_covariance_closed_form",
    "noise_covariance_closed_form_numeric",
    "ntk_operator",
    "peak_threshold",
    "population_gradient_claim",
    "population_loss",
    "row_collapse_claim",
    "stationarity_polynomial",
    "symmetry_claim",
]
