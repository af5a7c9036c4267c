r"""Matrix steps of a derivation chain: sides in the named matrices, checked at exact shapes.

A chain of ``dlnverify check-steps`` (:mod:`reports.formulas.chain`) is a *matrix chain*
when one of its expressions mentions a named matrix of
:data:`~reports.formulas.matrix_names.MATRIX_NAMES` (``W_l``, ``A_l``, ``\Delta``,
``\Sigma_\varepsilon``, ``K``, ``u_a``, ``\Theta(X)``, ...; the identity ``I`` and the
scalars ``\kappa``, ``\sigma_\varepsilon`` alone do not make one): every expression is then
read by the parser of matrix ``check`` (:func:`reports.formulas.matrix_parse.parse_matrix_formula`),
never by the scalar one, whose products commute.

Each side's shape is checked symbolically (:func:`reports.formulas.matrix_shapes.formula_shape`;
the layer indices ``l``, ``k`` a side uses outside a layer sum stand for every layer), and
the two sides of a step must have the same shape (a :math:`1\times 1` side is a scalar: a
step between two of them, ``\operatorname{tr}(X^\top X) = \|X\|_F^2``, is a scalar step).
A step is then decided as matrix ``check`` decides a formula
(:class:`reports.formulas.matrix_check.MatrixComparison`): both sides evaluated as exact
matrices of polynomials at every network of
:data:`~reports.formulas.matrix_quantities.MATRIX_WIDTHS` and every layer (pair), with every
name free (:mod:`reports.formulas.chain_matrix_network`):

* ``=`` — equal at every network: the step *holds at N shapes* (an exact polynomial identity
  at each, not a proof for other widths: verdict ``sampled``, the shapes named); else
  *refuted*, with the smallest network and layers that show it, integer values of the free
  entries and the entries that differ, and the constant factor between the sides when there
  is one (2, 1/2, -1, ...);
* ``\propto`` — equal up to one non-zero constant factor at every network (named).

An *anchor* (``--quantity gradient``, or a first left-hand side such as
``\nabla_{W_l}\mathcal{L}``) checks the chain's first formula with matrix ``check`` itself
(:func:`reports.formulas.matrix_check.check_matrix`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sympy as sp
from sympy.polys.matrices import DomainMatrix

from dlnverify.errors import DlnVerifyError, FormulaError
from reports.formulas.chain_matrix_network import chain_network, families_of
from reports.formulas.chain_result import StepVerdict
from reports.formulas.guards import excerpt
from reports.formulas.matrix_check import (
    MatrixComparison,
    PreparedFormula,
    bounded_degree,
    check_matrix,
    validate_matrix,
)
from reports.formulas.matrix_evaluation import MAX_ENTRIES, matrix_value, needs_field
from reports.formulas.matrix_expression import Kronecker, MatrixNode, Name, formula_text, nodes
from reports.formulas.matrix_names import MATRIX_NAMES, Index, numbered_layer
from reports.formulas.matrix_parse import parse_matrix_formula
from reports.formulas.matrix_quantities import MATRIX_WIDTHS, MatrixNetwork, MatrixQuantity
from reports.formulas.matrix_result import MatrixCounterexample
from reports.formulas.matrix_shapes import Shape, formula_shape, free_indices, layer_depth
from reports.formulas.result import Verdict
from reports.formulas.step_comparison import Comparison

__all__ = [
    "MatrixAnchor",
    "MatrixStep",
    "check_matrix_anchor",
    "compare_matrix_step",
    "matrix_anchor",
    "matrix_step",
    "mentions_matrix",
    "named_matrix_quantity",
    "names_no_layer",
    "read_matrix_side",
    "side_shape",
]

#: The names that make a chain a matrix chain: every name that is not a scalar, but ``I``.
_MATRIX_MENTIONS = frozenset(
    name for name, entry in MATRIX_NAMES.items() if not entry.is_scalar and name != "I"
)

#: First left-hand sides that name a matrix quantity (spaces removed): the gradient of the
#: loss in ``W_l``.
_QUANTITY_LABELS: Mapping[str, str] = dict.fromkeys(
    (
        r"\nabla_{W_l}\mathcal{L}",
        r"\nabla_{W_l}L",
        r"\nabla_{W_l}\mathcal{L}(W)",
        r"\frac{\partial\mathcal{L}}{\partialW_l}",
        r"\frac{\partialL}{\partialW_l}",
    ),
    "gradient",
)


def read_matrix_side(text: str, syntax: str) -> MatrixNode | DlnVerifyError:
    """``text`` read by the matrix parser, or the one-line reason it refuses it."""
    try:
        return parse_matrix_formula(text, syntax=syntax)
    except DlnVerifyError as error:
        return error


def mentions_matrix(node: MatrixNode) -> bool:
    """Whether ``node`` names a matrix (module docstring), so that its chain is a matrix
    chain."""
    return any(
        isinstance(part, Name)
        and (part.name in _MATRIX_MENTIONS or numbered_layer(part.name) is not None)
        for part in nodes(node)
    )


def names_no_layer(text: str) -> bool:
    """Whether ``text`` is a numbered layer's name for a layer that does not exist
    (``W_0``, ``W_{L+1}``): never a name being defined, but bad input."""
    try:
        numbered_layer(re.sub(r"\s+", "", text))
    except FormulaError:
        return True
    return False


def named_matrix_quantity(label: str) -> str | None:
    r"""The matrix quantity a first left-hand side names (``\nabla_{W_l}\mathcal{L}``:
    ``"gradient"``), or ``None``."""
    return _QUANTITY_LABELS.get(re.sub(r"\s+", "", label))


def side_shape(node: MatrixNode) -> Shape:
    """The symbolic shape of a chain side, its free layer indices standing for every layer.

    Raises
    ------
    FormulaError
        As :func:`~reports.formulas.matrix_shapes.formula_shape`.
    """
    return formula_shape(node, tuple(MATRIX_NAMES), sorted(free_indices(node)))


@dataclass(frozen=True)
class MatrixStep:
    """A matrix step ready to be compared: the two sides, the shape they share, whether
    it is a ``\\propto`` step, and the pseudo-quantity whose derived value is the left
    side (its networks, layers and names)."""

    left: MatrixNode
    right: MatrixNode
    shape: Shape
    proportional: bool
    spec: MatrixQuantity
    field: bool
    indices: tuple[str, ...] = ()
    depth: int = 1


def matrix_step(
    left: MatrixNode, right: MatrixNode, *, proportional: bool, line: int, name: str
) -> MatrixStep:
    """The step from ``left`` to ``right`` (relation on ``line`` of the file ``name``).

    Raises
    ------
    FormulaError
        The two sides have different shapes, naming the line and both shapes; a side's
        polynomials would be too large (:func:`~reports.formulas.matrix_check.bounded_degree`).
    """
    left_shape, right_shape = side_shape(left), side_shape(right)
    if left_shape.is_free_identity and right_shape.is_free_identity:
        raise FormulaError(
            f"{name}, line {line}: the size of I is fixed by neither side of the step"
        )
    shape = right_shape if left_shape.is_free_identity else left_shape
    other = left_shape if left_shape is not shape else right_shape
    if not (shape == other or (other.is_free_identity and shape.is_square)):
        raise FormulaError(
            f"{name}, line {line}: the two sides of the step have different shapes: left"
            f" {left_shape.text()}, right {right_shape.text()}"
        )
    indices = free_indices(left) | free_indices(right)
    spec_indices = (Index.L, Index.K) if "k" in indices else (Index.L,) if indices else ()
    field = needs_field(left) or needs_field(right)
    used = {part.name for side in (left, right) for part in nodes(side) if isinstance(part, Name)}
    families = families_of(used)

    def derived(network: MatrixNetwork, l: int, k: int) -> DomainMatrix:
        domain = network.domain.get_field() if field else network.domain
        values = {
            key: value.convert_to(domain)
            for key, value in network.values(l, k).items()
            if key in used
        }
        layers = [layer.convert_to(domain) for layer in network.layer_values]
        size = network.dimension(shape.rows, l, k)  # type: ignore[arg-type]
        return matrix_value(left, values, domain, size=size, layers=layers)

    spec = MatrixQuantity(
        "left-hand side",
        "the left-hand side of a chain step",
        "",
        shape,
        spec_indices,
        tuple(MATRIX_NAMES),
        "",
        "",
        lambda widths: chain_network(widths, families, derived),
        MATRIX_WIDTHS,
    )
    try:
        for side in (left, right):
            bounded_degree(side, spec)
            _bounded_kronecker(side)
    except FormulaError as error:
        raise FormulaError(f"{name}, line {line}: {error}") from None
    depth = max(layer_depth(left), layer_depth(right))
    deepest = max(len(widths) - 1 for widths in MATRIX_WIDTHS)
    if depth > deepest:
        raise FormulaError(
            f"{name}, line {line}: the step names a layer that exists from depth {depth} on,"
            f" but steps are checked at depths up to {deepest}"
        )
    return MatrixStep(left, right, shape, proportional, spec, field, tuple(sorted(indices)), depth)


def _bounded_kronecker(node: MatrixNode) -> None:
    """Refuse ``node`` if a Kronecker product in it has more than
    :data:`~reports.formulas.matrix_evaluation.MAX_ENTRIES` entries with every width at the
    widest of :data:`~reports.formulas.matrix_quantities.MATRIX_WIDTHS` (before any work)."""
    widest = max(max(widths) for widths in MATRIX_WIDTHS)
    for part in nodes(node):
        if not isinstance(part, Kronecker):
            continue
        shape = side_shape(part)
        assert shape.rows is not None
        assert shape.cols is not None
        entries = shape.rows * shape.cols
        size = int(entries.subs(dict.fromkeys(entries.free_symbols, widest)))
        if size > MAX_ENTRIES:
            raise FormulaError(
                f"{excerpt(formula_text(part))} is {shape.text()}, {size} entries at widths"
                f" {widest}; at most {MAX_ENTRIES} are evaluated"
            )


def _layers_text(indices: tuple[str, ...]) -> str:
    """``"; every layer pair k, l"``, ``"; every layer l"`` or nothing."""
    if len(indices) == 2:
        return "; every layer pair k, l"
    return f"; every layer {indices[0]}" if indices else ""


def _layer_values(step: MatrixStep, l: int, k: int) -> dict[str, int]:
    """The values of the layer indices the step uses, at the case ``(l, k)``."""
    return {index: l if index == "l" else k for index in step.indices}


def _evidence(found: MatrixCounterexample) -> dict[str, Any]:
    """A matrix counterexample as a step's evidence: network, layers, values, and the
    entries that differ with the values of the left side (the comparison's derived value)
    and of the right side (its formula)."""
    entries = [
        {"row": entry.row, "column": entry.column, "left": entry.derived, "right": entry.formula}
        for entry in found.entries
    ]
    return {
        "widths": list(found.widths),
        "layers": dict(zip("lk", found.layers, strict=False)),
        "values": found.values,
        "entries": entries,
    }


def compare_matrix_step(step: MatrixStep, *, seed: int) -> Comparison:
    """The step decided at every network and layer (module docstring); bounded by the
    caller's time limit."""
    prepared = PreparedFormula(step.spec, step.right, step.shape, step.field, step.depth)
    comparison = MatrixComparison(prepared, step.spec.widths)
    comparison.run()
    done = comparison.done
    cases = len(comparison.pairs)
    shapes = ", ".join(str(widths) for widths in done)
    count = f"{len(done)} shape" + ("s" if len(done) > 1 else "")
    at = f"{count} (widths {shapes}{_layers_text(step.indices)})"
    if comparison.failure is None:
        return Comparison(
            StepVerdict.SAMPLED,
            f"holds at {at} as exact polynomials in the free entries; not proven for other widths",
            cases,
        )
    ratio, _convention = comparison.factor()
    factor = None
    if ratio is not None and ratio != 0:
        factor = f"left = {sp.sstr(1 / ratio)} × right at every shape checked"
        if step.proportional:
            return Comparison(
                StepVerdict.SAMPLED,
                f"left and right differ by the constant factor {sp.sstr(1 / ratio)} at {at};"
                " not proven for other widths",
                cases,
                factor=f"left = {sp.sstr(1 / ratio)} × right",
            )
    widths, l, k = comparison.failure
    layers = _layer_values(step, l, k)
    where = "".join(f", {index} = {value}" for index, value in layers.items())
    message = f"the two sides differ at widths {widths}{where}"
    if step.proportional:
        message = (
            "the two sides are not one constant multiple of each other at the shapes checked"
            f" (they first differ at widths {widths}{where})"
        )
    if factor is not None:
        message += f" ({factor})"
    # a point where both sides differ need not show that they are not proportional
    found = None if step.proportional else comparison.counterexample(seed)
    evidence = None if found is None else _evidence(found) | {"layers": layers}
    return Comparison(StepVerdict.REFUTED, message, cases, factor=factor, counterexample=evidence)


@dataclass(frozen=True)
class MatrixAnchor:
    """A matrix chain's first formula, ``text`` in ``syntax``, to be checked against the
    derived matrix ``quantity`` by matrix ``check``."""

    quantity: str
    text: str
    syntax: str


def matrix_anchor(quantity: str, text: str, syntax: str) -> MatrixAnchor:
    """The anchor, validated as matrix ``check`` validates a formula (one line otherwise)."""
    validate_matrix(quantity, text, syntax=syntax)
    return MatrixAnchor(quantity, text, syntax)


def check_matrix_anchor(
    anchor: MatrixAnchor, *, timeout: float | None, seed: int, monte_carlo: bool
) -> tuple[StepVerdict, str, str, dict[str, Any] | None, str | None]:
    """Matrix ``check``'s verdict on the anchor as a step's: its verdict, message, the
    derived statement, the evidence of a refutation (left: the derived value) and the factor
    between the sides where matrix ``check`` names one (``"right = 2 × left, the convention
    loss_without_half"``)."""
    checked = check_matrix(
        anchor.quantity,
        anchor.text,
        syntax=anchor.syntax,
        timeout=timeout,
        seed=seed,
        monte_carlo=monte_carlo,
    )
    verdict = {
        Verdict.VERIFIED: StepVerdict.SAMPLED,
        Verdict.REFUTED: StepVerdict.REFUTED,
    }.get(checked.verdict, StepVerdict.UNDECIDED)
    evidence = None if checked.counterexample is None else _evidence(checked.counterexample)
    message = f"the first formula against the derived {checked.quantity}: {checked.message}"
    factor = None
    if checked.factor is not None:
        factor = f"right = {checked.factor} × left"
        if checked.convention is not None:
            factor += f", the convention {checked.convention}"
    return verdict, message, checked.derived, evidence, factor
