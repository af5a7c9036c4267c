r"""The conventions of DESIGN.md §3: written once here, printed by every report and the CLI.

:data:`CONVENTIONS` holds them as text with inline TeX math; :func:`conventions_context`
adds the declared parameters (:data:`~derivations.conventions.PARAMETERS`) and the
rescalings the checker recognises (:data:`~derivations.conventions.CONVENTION_RESCALINGS`)
as plain data for the templates ``_conventions.tex.j2`` and ``_conventions.md.j2``;
:func:`conventions_footer` is their plain-text reminder under ``dlnverify check --list``.
"""

from __future__ import annotations

from typing import Any

from derivations.conventions import CONVENTION_RESCALINGS, PARAMETERS

__all__ = ["CONVENTIONS", "TERMINAL_CONVENTIONS", "conventions_context", "conventions_footer"]

#: The conventions, one item each: text with inline TeX math (``$...$``), valid as LaTeX and
#: as Markdown with TeX math.  An item is a tuple of lines: the Markdown list breaks the item
#: between them, LaTeX joins them with spaces.
CONVENTIONS: tuple[tuple[str, ...], ...] = (
    (
        r"Widths $h_0 = n, \dots, h_L = m$; $W_l \in \mathbb{R}^{h_l \times h_{l-1}}$; "
        r"$W = W_L \cdots W_1$;",
        r"$A_l = W_L \cdots W_{l+1}$, $B_l = W_{l-1} \cdots W_1$ (empty product $= I$).",
    ),
    (
        r"Data $x \sim N(0, I_n)$, $y = W^\ast x + \varepsilon$, "
        r"$\varepsilon \sim N(0, \Sigma_\varepsilon)$;",
        r"loss $\ell = \tfrac12\|y - Wx\|^2$; gap $\Delta = W^\ast - W$.",
    ),
    (
        r"Noise $\xi_l = \nabla_l \ell - \nabla_l L$, "
        r"$\Sigma = \operatorname{Cov}(\operatorname{vec}\xi)$,",
        r"column-major vec, layers stacked; "
        r"SDE $d\theta = -\nabla L\,dt + \sqrt{\kappa\Sigma}\,dW_t$,",
        r"$\kappa = \eta/B$, $t = k\eta$.",
    ),
    (r"Scalar SDE $ds = \mu\,dt + \sqrt{D}\,dW_t$: $D$ is the full variance rate.",),
    (
        r"Mode amplitude $s_a = u_a^\top W v_a$; aligned-balanced: "
        r"$W_l = R_l\,\mathrm{diag}(s^{1/L})\,R_{l-1}^\top$.",
    ),
)

#: The conventions a formula checked in the terminal most depends on (the loss, the scalar
#: SDE's variance rate, :math:`\kappa` and time: items 2 to 4 of :data:`CONVENTIONS`) in
#: plain text, as lines of :func:`conventions_footer`.
TERMINAL_CONVENTIONS: tuple[tuple[str, ...], ...] = (
    ("loss 1/2||y-Wx||^2", "ds = mu dt + sqrt(D) dW (D = full variance rate)"),
    ("kappa = eta/B", "t = k*eta"),
)


def conventions_context() -> dict[str, Any]:
    """The variables of the conventions templates, as plain data: ``conventions`` (the lines
    of each item of :data:`CONVENTIONS`), ``parameters`` (each declared parameter's
    ``latex``, ``name`` and ``description``) and ``rescalings`` (each recognised rescaling's
    ``name`` and ``description``)."""
    return {
        "conventions": [list(item) for item in CONVENTIONS],
        "parameters": [
            {"latex": p.latex, "name": p.name, "description": p.description}
            for p in PARAMETERS.values()
        ],
        "rescalings": [
            {"name": c.name, "description": c.description} for c in CONVENTION_RESCALINGS
        ],
    }


def conventions_footer() -> str:
    """The plain-text reminder of :data:`TERMINAL_CONVENTIONS` that ``dlnverify check
    --list`` prints, lines aligned after ``conventions:`` and pointing to the README."""
    head = "conventions: "
    lines = [", ".join(line) for line in TERMINAL_CONVENTIONS]
    return head + (",\n" + " " * len(head)).join(lines) + "; see README 'Conventions'."
