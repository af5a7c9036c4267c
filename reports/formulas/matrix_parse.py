r"""Parse a matrix formula, in SymPy syntax or LaTeX, into the matrix tree, safely.

The entry point of ``dlnverify check`` for matrix quantities: as
:func:`reports.formulas.parse.parse_formula` does for scalars, ``"auto"`` reads text with a
backslash or a brace as LaTeX (:mod:`reports.formulas.matrix_latex_syntax`) and everything
else as SymPy syntax (:mod:`reports.formulas.matrix_sympy_syntax`), then as LaTeX if that is
not Python syntax or uses unknown names (``A_l^T Delta B_l^T``), reporting the SymPy-syntax
refusal if LaTeX refuses too (:func:`reports.formulas.parse.dispatched`, the same rule as
for scalar formulas).  Nothing is evaluated; every refusal is one line.
"""

from __future__ import annotations

from reports.formulas.matrix_expression import MatrixNode
from reports.formulas.matrix_latex_syntax import matrix_from_latex
from reports.formulas.matrix_sympy_syntax import matrix_from_sympy_syntax
from reports.formulas.parse import dispatched

__all__ = ["parse_matrix_formula"]


def parse_matrix_formula(text: str, *, syntax: str = "auto") -> MatrixNode:
    r"""Parse a user's matrix formula.

    Parameters
    ----------
    text : str
        The formula, e.g. ``-transpose(A_l)*Delta*transpose(B_l)`` or
        ``-A_l^\top \Delta B_l^\top``.
    syntax : {"auto", "sympy", "latex"}
        How to read it (module docstring).

    Raises
    ------
    FormulaError
        If the text is refused; the message is one line and names the problem.
    InvalidParameter
        On an unknown ``syntax``.

    Examples
    --------
    >>> from reports.formulas.matrix_expression import formula_text
    >>> formula_text(parse_matrix_formula(r"-A_l^\top \Delta B_l^\top"))
    '-transpose(A_l)*Delta*transpose(B_l)'
    """
    return dispatched(text, syntax, matrix_from_sympy_syntax, matrix_from_latex)
