r"""Symbols, assumptions and conventions of DESIGN.md §3, declared once.

Every other module takes its symbols from here, so that a SymPy assumption (``positive``,
``integer``), a report's LaTeX, the validation of user input and the hypothesis strategies of
the tests all come from the same declaration (:data:`PARAMETERS`).

Conventions (printed in every report, see :func:`conventions_table`):

* widths :math:`h_0 = n`, :math:`h_1, \dots, h_{L-1}`, :math:`h_L = m`; :math:`W_l` is
  :math:`h_l \times h_{l-1}`; :math:`W = W_L \cdots W_1`;
* :math:`A_l = W_L \cdots W_{l+1}`, :math:`B_l = W_{l-1} \cdots W_1` (empty product = identity);
* data :math:`x \sim N(0, I_n)`, :math:`y = W^* x + \varepsilon`,
  :math:`\varepsilon \sim N(0, \Sigma_\varepsilon)`;
* per-sample loss :math:`\ell = \tfrac12 \|y - Wx\|^2`, gap :math:`\Delta = W^* - W`;
* SGD noise covariance :math:`\Sigma = \operatorname{Cov}(\operatorname{vec}\xi)`, ``vec``
  column-major, layers stacked; SDE :math:`d\theta = -\nabla L\,dt + \sqrt{\kappa\Sigma}\,dW_t`
  with :math:`\kappa = \eta / B` and :math:`t = k\eta`;
* a scalar SDE :math:`ds = \mu\,dt + \sqrt{D}\,dW_t`: :math:`D` is the full variance rate.

The alternative conventions a user's formula may follow are :data:`CONVENTION_RESCALINGS`:
each maps *our* expression of a quantity to the one the other convention would write.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp

__all__ = [
    "B",
    "CONVENTION_RESCALINGS",
    "ConventionRescaling",
    "L",
    "N_points",
    "PARAMETERS",
    "Parameter",
    "T",
    "eta",
    "k_learned",
    "kappa",
    "m_out",
    "n_in",
    "r_rank",
    "s",
    "s0",
    "s_b",
    "sigma",
    "sigma_b",
    "sigma_eps",
    "symbols_by_name",
    "t",
    "to_latex",
]


@dataclass(frozen=True)
class Parameter:
    """One scalar parameter of the theory, declared once.

    Attributes
    ----------
    name : str
        Identifier used in SymPy-syntax formulas and in ``--json`` output.
    latex : str
        LaTeX used in reports, and accepted by the LaTeX formula parser.
    description : str
        One line for ``dlnverify check --list`` and the report's convention table.
    symbol : sympy.Symbol
        The SymPy symbol, carrying the domain as assumptions.
    typical : tuple[float, float]
        A range of typical values; hypothesis draws from it, the checker samples in it.
    integer : bool
        Whether the parameter is integer-valued (depth).
    chain_letter : bool
        Whether ``check-steps`` reads the letter as this parameter in a derivation file
        (``False`` for letters a derivation commonly uses for something else: the plateau
        index ``k``, the rank ``r``, the data-set size ``N``, parameters of one quantity each).
    """

    name: str
    latex: str
    description: str
    symbol: sp.Symbol
    typical: tuple[float, float]
    integer: bool = False
    chain_letter: bool = True


s = sp.Symbol("s", positive=True)
sigma = sp.Symbol("sigma", positive=True)
sigma_eps = sp.Symbol("sigma_eps", nonnegative=True)
L = sp.Symbol("L", integer=True, positive=True)
kappa = sp.Symbol("kappa", positive=True)
eta = sp.Symbol("eta", positive=True)
B = sp.Symbol("B", integer=True, positive=True)
T = sp.Symbol("T", positive=True)
t = sp.Symbol("t", nonnegative=True)
s0 = sp.Symbol("s0", positive=True)
s_b = sp.Symbol("s_b", positive=True)
sigma_b = sp.Symbol("sigma_b", positive=True)
m_out = sp.Symbol("m", integer=True, positive=True)
n_in = sp.Symbol("n", integer=True, positive=True)
#: Dataset size for batches drawn without replacement (the symbol of :mod:`derivations.batch_noise`).
N_points = sp.Symbol("N", integer=True, positive=True)
#: Number of learned modes on a plateau and the teacher's rank (the symbols of
#: :mod:`derivations.plateaus`).
k_learned = sp.Symbol("k", integer=True, nonnegative=True)
r_rank = sp.Symbol("r", integer=True, positive=True)

PARAMETERS: dict[str, Parameter] = {
    p.name: p
    for p in (
        Parameter("s", "s", "mode amplitude s_a = u_a^T W v_a (> 0)", s, (0.05, 2.0)),
        Parameter(
            "sigma", r"\sigma", "teacher singular value of the mode (> 0)", sigma, (0.5, 2.0)
        ),
        Parameter(
            "sigma_eps",
            r"\sigma_{\varepsilon}",
            "label-noise scale, Sigma_eps = sigma_eps^2 I (>= 0)",
            sigma_eps,
            (0.0, 0.5),
        ),
        Parameter("L", "L", "depth, number of layers (integer >= 1)", L, (1, 6), integer=True),
        Parameter("kappa", r"\kappa", "noise scale kappa = eta / B (> 0)", kappa, (0.001, 0.1)),
        Parameter("eta", r"\eta", "learning rate (> 0)", eta, (0.001, 0.1)),
        Parameter("B", "B", "batch size (integer >= 1)", B, (1, 64), integer=True),
        Parameter("T", "T", "temperature of isotropic Langevin noise (> 0)", T, (0.001, 0.1)),
        Parameter("t", "t", "time, t = k eta (>= 0)", t, (0.0, 8.0)),
        Parameter("s0", "s_{0}", "initial mode amplitude (> 0)", s0, (0.001, 0.1)),
        Parameter("s_b", "s_{b}", "amplitude of a second mode b (> 0)", s_b, (0.05, 2.0)),
        Parameter(
            "sigma_b", r"\sigma_{b}", "teacher singular value of mode b (> 0)", sigma_b, (0.5, 2.0)
        ),
        Parameter("m", "m", "output dimension (integer >= 1)", m_out, (1, 12), integer=True),
        Parameter("n", "n", "input dimension (integer >= 1)", n_in, (1, 12), integer=True),
        Parameter(
            "N",
            "N",
            "number of data points batches are drawn from without replacement (integer >= 2)",
            N_points,
            (2, 24),
            integer=True,
            chain_letter=False,
        ),
        Parameter(
            "k",
            "k",
            "number of learned modes on a plateau (integer >= 0)",
            k_learned,
            (0, 3),
            integer=True,
            chain_letter=False,
        ),
        Parameter(
            "r",
            "r",
            "rank of the teacher (integer >= 1)",
            r_rank,
            (1, 4),
            integer=True,
            chain_letter=False,
        ),
    )
}


def symbols_by_name() -> dict[str, sp.Symbol]:
    """Map each declared parameter name to its SymPy symbol."""
    return {name: p.symbol for name, p in PARAMETERS.items()}


def to_latex(expr: Any) -> str:
    r""":func:`sympy.latex` with every declared parameter in its declared spelling
    (``sigma_eps`` as :math:`\sigma_{\varepsilon}`, not ``\sigma_{eps}``)."""
    names = {p.symbol: p.latex for p in PARAMETERS.values()}
    return str(sp.latex(expr, symbol_names=names))


@dataclass(frozen=True)
class ConventionRescaling:
    r"""A known convention that differs from ours by a rescaling.

    Attributes
    ----------
    name : str
        Short identifier (``"loss_without_half"``).
    description : str
        What the other convention does, in one line.
    factors : dict[str, sympy.Expr]
        For each affected quantity kind (``"drift"``, ``"diffusion"``, ``"time"``), the
        factor by which the other convention's expression differs from ours:
        ``theirs == factor * ours``.
    """

    name: str
    description: str
    factors: dict[str, sp.Expr]

    def apply(self, kind: str, expr: sp.Expr) -> sp.Expr | None:
        """Return ``expr`` rewritten in this convention, or ``None`` if ``kind`` is unaffected."""
        factor = self.factors.get(kind)
        return None if factor is None else factor * expr


def _rescaling(name: str, description: str, **factors: sp.Expr) -> ConventionRescaling:
    return ConventionRescaling(name, description, dict(factors))


#: Alternative conventions of DESIGN.md §3, as rescalings of drift and diffusion.
#: Loss without the 1/2 doubles the gradient (drift x2) and quadruples the noise
#: covariance (diffusion x4); PyTorch ``MSELoss`` averages over the m outputs (gradient
#: x 2/m, diffusion x 4/m^2); writing eta for kappa multiplies the noise by B (kept symbolic
#: as eta/kappa); D written as half the variance rate halves the diffusion; measuring time in
#: steps (t = k) instead of t = k eta multiplies drift and diffusion by eta and divides
#: times by eta.
CONVENTION_RESCALINGS: tuple[ConventionRescaling, ...] = (
    _rescaling(
        "loss_without_half",
        "per-sample loss ||y - Wx||^2 without the 1/2: loss and gradient x2, noise covariance x4",
        gradient_drift=sp.Integer(2),
        diffusion=sp.Integer(4),
        ito_drift=sp.Integer(4),
        loss=sp.Integer(2),
    ),
    _rescaling(
        "mse_mean_over_outputs",
        "PyTorch MSELoss, mean over the m outputs: loss and gradient x2/m, covariance x4/m^2",
        gradient_drift=2 / m_out,
        diffusion=4 / m_out**2,
        ito_drift=4 / m_out**2,
        loss=2 / m_out,
    ),
    _rescaling(
        "eta_for_kappa",
        "learning rate eta written where kappa = eta/B belongs in the noise",
        diffusion=eta / kappa,
        ito_drift=eta / kappa,
    ),
    _rescaling(
        "half_variance_rate",
        "D written as half the variance rate (ds = mu dt + sqrt(2 D) dW)",
        diffusion=sp.Rational(1, 2),
    ),
    _rescaling(
        "time_in_steps",
        "time measured in SGD steps k instead of t = k eta: rates x eta, times / eta",
        gradient_drift=eta,
        ito_drift=eta,
        diffusion=eta,
        time=1 / eta,
    ),
)
