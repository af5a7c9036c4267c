r"""The conventions of DESIGN.md §3, as every report prints them.

:func:`conventions_context` gives the variables of the template ``_conventions.tex.j2``: the
conventions text, the declared parameters (:data:`~derivations.conventions.PARAMETERS`) and
the rescalings the checker recognises (:data:`~derivations.conventions.CONVENTION_RESCALINGS`).
"""

from __future__ import annotations

from typing import Any

from derivations.conventions import CONVENTION_RESCALINGS, PARAMETERS
from reports.render.latex import latex_escape, latex_math_text

__all__ = ["conventions_context"]

_CONVENTIONS = (
    r"Widths $h_0 = n, \dots, h_L = m$; $W_l \in \mathbb{R}^{h_l \times h_{l-1}}$; "
    r"$W = W_L \cdots W_1$; $A_l = W_L \cdots W_{l+1}$, $B_l = W_{l-1} \cdots W_1$ "
    r"(empty product $= I$).",
    r"Data $x \sim N(0, I_n)$, $y = W^\ast x + \varepsilon$, "
    r"$\varepsilon \sim N(0, \Sigma_\varepsilon)$; loss $\ell = \tfrac12\|y - Wx\|^2$; "
    r"gap $\Delta = W^\ast - W$.",
    r"Noise $\xi_l = \nabla_l \ell - \nabla_l L$, "
    r"$\Sigma = \operatorname{Cov}(\operatorname{vec}\xi)$, column-major vec, layers stacked; "
    r"SDE $d\theta = -\nabla L\,dt + \sqrt{\kappa\Sigma}\,dW_t$, $\kappa = \eta/B$, $t = k\eta$.",
    r"Scalar SDE $ds = \mu\,dt + \sqrt{D}\,dW_t$: $D$ is the full variance rate.",
    r"Mode amplitude $s_a = u_a^\top W v_a$; aligned-balanced: "
    r"$W_l = R_l\,\mathrm{diag}(s^{1/L})\,R_{l-1}^\top$.",
)


def conventions_context() -> dict[str, Any]:
    """The variables of ``_conventions.tex.j2``: DESIGN.md §3's conventions, the declared
    parameters and the rescalings the checker recognises, as LaTeX."""
    return {
        "conventions": _CONVENTIONS,
        "parameters": [
            {
                "latex": latex_math_text(p.latex),
                "name": latex_escape(p.name),
                "description": latex_escape(p.description),
            }
            for p in PARAMETERS.values()
        ],
        "rescalings": [
            {"name": latex_escape(c.name), "description": latex_escape(c.description)}
            for c in CONVENTION_RESCALINGS
        ],
    }
