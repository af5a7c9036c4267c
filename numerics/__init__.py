"""The NumPy/SciPy deep-linear-network simulator and Monte Carlo toolkit.

This package never imports SymPy nor :mod:`derivations`: it simulates definitions (sample data,
compute per-sample gradients, average) and is the independent ground truth of every check.
"""

from numerics.coupled import (
    CoupledRuns,
    coupled_langevin_runs,
)
from numerics.data import (
    sample_data,
)
from numerics.montecarlo import (
    Estimate,
    RunningMoments,
    ZTestResult,
    covariance_estimate,
    mean_estimate,
    streaming_moments,
    variance_estimate,
    z_test,
    z_threshold,
)
from numerics.network import (
    cross_mode_amplitudes,
    end_to_end,
    flatten_layers,
    minibatch_gradient,
    mode_amplitudes,
    network_widths,
    partial_products,
    per_sample_gradients,
    population_gradient,
    population_loss,
    sample_loss,
    unflatten_layers,
    validate_weights,
)
from numerics.noise import (
    dense_gradient_noise,
    dense_noise_covariance,
    empirical_gradient_noise,
    factored_gradient_noise,
)
from numerics.observables import (
    cross_mode_diffusion_samples,
    cross_mode_expansion,
    cross_mode_ito_drift_samples,
    gradient_drift,
    imbalance_drift_samples,
    imbalance_expansion,
    ito_drift_increment_samples,
    ito_drift_samples,
    mode_amplitude_expansion,
    modewise_diffusion_samples,
)
from numerics.sde import (
    anisotropic_langevin_step,
    gradient_descent_step,
    isotropic_langevin_step,
    sgd_step,
)
from numerics.teacher import (
    Teacher,
    random_orthogonal,
    random_teacher,
)
from numerics.weights import (
    aligned_balanced_weights,
    layer_imbalance,
    random_weights,
    small_gaussian_init,
)

__all__ = [
    "CoupledRuns",
    "Estimate",
    "RunningMoments",
    "Teacher",
    "ZTestResult",
    "aligned_balanced_weights",
    "anisotropic_langevin_step",
    "coupled_langevin_runs",
    "covariance_estimate",
    "cross_mode_amplitudes",
    "cross_mode_diffusion_samples",
    "cross_mode_expansion",
    "cross_mode_ito_drift_samples",
    "dense_gradient_noise",
    "dense_noise_covariance",
    "empirical_gradient_noise",
    "end_to_end",
    "factored_gradient_noise",
    "flatten_layers",
    "gradient_descent_step",
    "gradient_drift",
    "imbalance_drift_samples",
    "imbalance_expansion",
    "isotropic_langevin_step",
    "ito_drift_increment_samples",
    "ito_drift_samples",
    "layer_imbalance",
    "mean_estimate",
    "minibatch_gradient",
    "mode_amplitude_expansion",
    "mode_amplitudes",
    "modewise_diffusion_samples",
    "network_widths",
    "partial_products",
    "per_sample_gradients",
    "population_gradient",
    "population_loss",
    "random_orthogonal",
    "random_teacher",
    "random_weights",
    "sample_data",
    "sample_loss",
    "sgd_step",
    "small_gaussian_init",
    "streaming_moments",
    "unflatten_layers",
    "validate_weights",
    "variance_estimate",
    "z_test",
    "z_threshold",
]
