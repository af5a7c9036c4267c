r"""A matrix formula's tree written as LaTeX, as a report shows a matrix step of a chain.

The counterpart of :func:`reports.formulas.matrix_expression.formula_text` (SymPy syntax):
the same tree, bracketed where the order of operations needs it, with each name in its
canonical LaTeX spelling (:data:`~reports.formulas.matrix_names.MATRIX_NAMES`), ``X^\top``,
``X \otimes Y``, ``\operatorname{tr}``, ``\operatorname{vec}``, ``X^{-1}``,
``\|X\|_F^2``, ``\sum_{l=1}^{L}`` and ``\Theta(X)``.  Reading the result back with
:func:`reports.formulas.matrix_latex_syntax.matrix_from_latex` gives the same tree up to
the grouping of products.
"""

from __future__ import annotations

from reports.formulas import matrix_expression as tree
from reports.formulas.matrix_names import name_entry

__all__ = ["matrix_latex"]

#: Precedence levels: a part below its context's level is bracketed.
_SUM, _KRON, _PRODUCT, _UNARY, _ATOM, _NAME = 1, 2, 3, 4, 5, 6


def matrix_latex(node: tree.MatrixNode) -> str:
    r"""``node`` as LaTeX: ``-A_l^\top \Delta B_l^\top``."""
    return _latex(node, 0)


def _latex(node: tree.MatrixNode, context: int) -> str:
    if isinstance(node, tree.Name):
        text = name_entry(node.name).latex
        level = _ATOM if "^" in text else _NAME  # W^* takes another superscript in brackets
    elif isinstance(node, tree.Number):
        value = node.value
        if value.q != 1:
            sign = "-" if value < 0 else ""
            text = f"{sign}\\frac{{{abs(value.p)}}}{{{value.q}}}"
            level = _UNARY if value < 0 else _ATOM
        else:
            text, level = str(value), _UNARY if value < 0 else _NAME
    elif isinstance(node, tree.Sum):
        parts = [_latex(node.terms[0], _SUM)]
        for term in node.terms[1:]:
            if isinstance(term, tree.Negation):
                parts.append(" - " + _latex(term.operand, _KRON))
            else:
                parts.append(" + " + _latex(term, _SUM))
        text, level = "".join(parts), _SUM
    elif isinstance(node, tree.Negation):
        text, level = "-" + _latex(node.operand, _KRON), _UNARY
    elif isinstance(node, tree.Product):
        text = " ".join(_latex(factor, _ATOM) for factor in node.factors)
        level = _PRODUCT
    elif isinstance(node, tree.Quotient):
        numerator, denominator = _latex(node.numerator, 0), _latex(node.denominator, 0)
        text, level = f"\\frac{{{numerator}}}{{{denominator}}}", _ATOM
    elif isinstance(node, tree.Kronecker):
        left, right = _latex(node.left, _KRON + 1), _latex(node.right, _KRON + 1)
        text, level = f"{left} \\otimes {right}", _KRON
    elif isinstance(node, tree.Power | tree.Inverse | tree.Transpose):
        operand = node.base if isinstance(node, tree.Power) else node.operand
        mark = (
            "\\top"
            if isinstance(node, tree.Transpose)
            else "-1"
            if isinstance(node, tree.Inverse)
            else str(node.exponent)
        )
        text, level = f"{_latex(operand, _NAME)}^{{{mark}}}", _ATOM
    elif isinstance(node, tree.LayerSum):
        body = _latex(node.body, _KRON)
        text, level = f"\\sum_{{{node.index}=1}}^{{L}} {body}", _KRON
    elif isinstance(node, tree.FrobeniusSquared):
        text, level = f"\\|{_latex(node.operand, 0)}\\|_F^2", _ATOM
    else:
        assert isinstance(node, tree.Trace | tree.Vec | tree.Ntk)
        function = {
            tree.Trace: "\\operatorname{tr}",
            tree.Vec: "\\operatorname{vec}",
            tree.Ntk: "\\Theta",
        }
        text, level = f"{function[type(node)]}({_latex(node.operand, 0)})", _ATOM
    return f"\\left({text}\\right)" if level < context else text
