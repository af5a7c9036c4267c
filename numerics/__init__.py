"""The NumPy/SciPy deep-linear-network simulator and Monte Carlo toolkit.

This package never imports SymPy nor :mod:`derivations`: it simulates definitions (sample data,
compute per-sample gradients, average) and is the independent ground truth of every check.
"""

__all__: list[str] = []
