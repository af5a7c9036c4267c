r"""The check of a matrix formula: is a user's formula for a matrix quantity right?

``check_matrix(quantity, formula)`` (``dlnverify check gradient '-A_l^T Delta B_l^T'``) is a
pipeline, as the scalar :func:`reports.formulas.engine.check`:

1. **prepare**, before any work — the quantity, time limit and seed; the formula parsed,
   never evaluated (:mod:`reports.formulas.matrix_parse`); its shape checked symbolically
   against the quantity's (:mod:`reports.formulas.matrix_shapes`); the degree of the
   polynomials it would make bounded (:func:`~reports.formulas.matrix_evaluation.formula_degree`);
   each refusal one line (exit 2 on the command line);
2. **evaluate** the formula and the derived value as exact matrices of polynomials at every
   network of :data:`~reports.formulas.matrix_quantities.MATRIX_WIDTHS` and every layer
   :math:`l` (pair :math:`l, k`), the weights, teacher (or gap) and
   :math:`\Sigma_\varepsilon` being free symbols: equal values are a polynomial identity at
   that network;
3. **explain** a difference — the smallest network and layers where it shows, integer values
   of the free entries there and the entries that differ; a constant factor between the two
   at every network, and the known convention (DESIGN.md §3,
   :data:`derivations.conventions.CONVENTION_RESCALINGS`) it stands for (loss without the
   1/2: gradient x2, covariance x4);
4. **Monte Carlo** — the formula against the simulator at random weights
   (:mod:`reports.formulas.matrix_montecarlo`), for a quantity that has one; for a
   deterministic one (``jacobian``, ``modewise_jacobian``, ``ntk``), against central finite
   differences of its definition (:mod:`reports.formulas.matrix_finite_differences`);
5. **verdict** — ``verified`` when equal everywhere (and the numeric comparison agrees),
   ``refuted`` when not, ``undecided`` when the time limit or the memory limit ends the
   evaluation first, or when the exact step and the simulator disagree (an internal
   inconsistency).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp
from sympy.polys.matrices import DomainMatrix

from derivations.conventions import CONVENTION_RESCALINGS, m_out
from dlnverify.errors import FormulaError, InvalidParameter
from reports.engine.seed import check_seed
from reports.engine.verdict import NumericCheck
from reports.formulas.matrix_evaluation import (
    MAX_DEGREE,
    formula_degree,
    matrix_value,
    needs_field,
)
from reports.formulas.matrix_expression import MatrixNode, Name, formula_text, nodes
from reports.formulas.matrix_finite_differences import finite_difference_check
from reports.formulas.matrix_montecarlo import has_simulator, monte_carlo_check
from reports.formulas.matrix_names import DIMENSIONS, Index, NumberedLayer, numbered_layer
from reports.formulas.matrix_parse import parse_matrix_formula
from reports.formulas.matrix_quantities import (
    SAMPLED_WEIGHT_BOUND,
    MatrixNetwork,
    MatrixQuantity,
    get_matrix_quantity,
)
from reports.formulas.matrix_result import (
    DifferingEntry,
    MatrixCheckResult,
    MatrixCounterexample,
)
from reports.formulas.matrix_shapes import Shape, formula_shape, free_indices, layer_depth
from reports.formulas.memory_limit import MAX_MEMORY_BYTES, memory_limit
from reports.formulas.result import Verdict
from reports.formulas.time_limit import MAX_SECONDS, TimeLimitReached, time_limit

__all__ = [
    "MAX_EXTRA_NETWORKS",
    "MAX_EXTRA_WIDTH",
    "MatrixComparison",
    "PreparedFormula",
    "bounded_degree",
    "check_matrix",
    "fixed_layers",
    "validate_matrix",
]

#: Points tried, after the all-ones point, to show a difference with integer entries.
_ATTEMPTS = 40
#: Differing entries a counterexample lists.
_ENTRIES = 4
#: Most networks :func:`check_matrix` checks beyond the quantity's own, and their widest layer.
MAX_EXTRA_NETWORKS = 4
MAX_EXTRA_WIDTH = 4


@dataclass(frozen=True)
class PreparedFormula:
    """A parsed formula ready to be compared with ``quantity``'s derived value: its tree,
    its symbolic shape, whether its evaluation needs the field of fractions, the smallest
    depth at which the numbered layers it names exist (networks below it are skipped), and
    the quantity's layer indices its numbered layers fix (``(("l", W_1's layer),)``: only
    that layer is compared)."""

    quantity: MatrixQuantity
    node: MatrixNode
    shape: Shape
    field: bool
    depth: int = 1
    layers: tuple[tuple[str, NumberedLayer], ...] = ()

    def compared(self, l: int, k: int, depth: int) -> bool:
        """Whether the case ``(l, k)`` of a network of depth ``depth`` is compared."""
        cases = {"l": l, "k": k}
        return all(cases[index] == layer.at(depth) for index, layer in self.layers)


def validate_matrix(quantity: str, formula: str, *, syntax: str = "auto") -> None:
    """Raise the one-line error :func:`check_matrix` would raise for these inputs, without
    evaluating anything."""
    _prepare(quantity, formula, syntax)


def _prepare(quantity: str, formula: str, syntax: str) -> PreparedFormula:
    """Validated inputs: the quantity, the parsed formula, its shape (the quantity's), its
    degree within :data:`~reports.formulas.matrix_evaluation.MAX_DEGREE`."""
    spec = get_matrix_quantity(quantity)
    node = parse_matrix_formula(formula, syntax=syntax)
    shape = formula_shape(node, spec.names, [str(index) for index in spec.indices])
    layers = () if shape == spec.shape else fixed_layers(node, spec, shape)
    if not shape.is_free_identity and shape != spec.shape and not layers:
        raise FormulaError(f"the formula is {shape.text()}, but {spec.name} is {spec.shape.text()}")
    if shape.is_free_identity and not spec.shape.is_square:
        raise FormulaError(f"the formula is an identity, but {spec.name} is {spec.shape.text()}")
    depth = layer_depth(node)
    deepest = max(len(widths) - 1 for widths in spec.widths)
    if depth > deepest:
        raise FormulaError(
            f"the formula names a layer that exists from depth {depth} on, but {spec.name} is"
            f" checked at depths up to {deepest}"
        )
    bounded_degree(node, spec)
    return PreparedFormula(spec, node, shape, needs_field(node), depth, layers)


def fixed_layers(
    node: MatrixNode, spec: MatrixQuantity, shape: Shape
) -> tuple[tuple[str, NumberedLayer], ...]:
    r"""The quantity's layer indices that ``node``'s numbered layers fix: the first
    assignment of the numbered layers it names to the indices it does not use freely under
    which ``spec``'s shape is ``shape`` (``-A_1^\top \Delta`` for the gradient,
    :math:`h_1 \times n`: ``l = 1``); ``()`` if there is none."""
    free = free_indices(node)
    missing = [str(index) for index in spec.indices if str(index) not in free]
    named = {numbered_layer(part.name) for part in nodes(node) if isinstance(part, Name)}
    candidates = sorted({found[1] for found in named if found is not None}, key=repr)
    if not candidates or spec.shape.rows is None or spec.shape.cols is None:
        return ()
    for assignment in itertools.product(candidates, repeat=len(missing)):
        substitution = {}
        for index, layer in zip(missing, assignment, strict=True):
            substitution[DIMENSIONS[f"h_{index}"]] = layer.width()
            substitution[DIMENSIONS[f"h_{{{index}-1}}"]] = layer.width(1)
        rows, cols = spec.shape.rows.subs(substitution), spec.shape.cols.subs(substitution)
        if Shape(rows, cols) == shape:
            return tuple(zip(missing, assignment, strict=True))
    return ()


def bounded_degree(node: MatrixNode, spec: MatrixQuantity) -> None:
    """Refuse ``node`` if the polynomials it makes at ``spec``'s deepest network exceed
    :data:`~reports.formulas.matrix_evaluation.MAX_DEGREE` (one line, before any work)."""
    depth = max(len(widths) - 1 for widths in spec.widths)
    degrees = {"W_l": 1, "W_k": 1, "Sigma_eps": 2, "W": depth, "Wstar": depth, "Delta": depth}
    degrees |= dict.fromkeys(("A_l", "B_l", "A_k", "B_k"), depth - 1)
    degrees |= {"u_a": 1, "v_a": 1, "u_b": 1, "v_b": 1, "kappa": 1, "Theta": 4 * (depth - 1)}
    for part in nodes(node):  # W_1: a layer; A_L, B_1: a product of layers
        if isinstance(part, Name) and (numbered := numbered_layer(part.name)) is not None:
            degrees[part.name] = 1 if numbered[0] == "W" else depth - 1
    largest = max(max(widths) for widths in spec.widths) ** 2
    degree = formula_degree(node, degrees, largest)
    if degree > MAX_DEGREE:
        raise FormulaError(
            f"the formula makes polynomials of degree up to {degree} in the free entries (weights,"
            f" teacher, noise covariance, u, v, kappa; an inverse multiplies by its size) at depth"
            f" {depth}; at most {MAX_DEGREE} are evaluated"
        )


def check_matrix(
    quantity: str,
    formula: str,
    *,
    syntax: str = "auto",
    timeout: float | None = 30.0,
    seed: int = 0,
    widths: Sequence[Sequence[int]] = (),
    monte_carlo: bool = True,
) -> MatrixCheckResult:
    r"""Check a user's formula for the matrix ``quantity`` against its derivation.

    Parameters
    ----------
    quantity : str
        One of :data:`~reports.formulas.matrix_quantities.MATRIX_QUANTITIES`
        (``"gradient"``, ``"noise_covariance"``).
    formula : str
        SymPy syntax (``-transpose(A_l)*Delta*transpose(B_l)``) or LaTeX
        (``-A_l^\top \Delta B_l^\top``); parsed, never evaluated.
    syntax : {"auto", "sympy", "latex"}
        How to read ``formula``.
    timeout : float or None
        Seconds before the check gives up with verdict ``"undecided"`` (default 30).
    seed : int
        Seed of the integer points a counterexample is searched at; same seed, same result.
    widths : sequence of sequence of int
        Networks :math:`(h_0, \dots, h_L)` checked after the quantity's own (widths 2 to
        :data:`MAX_EXTRA_WIDTH`, depth at most the deepest of the quantity's own networks,
        at most :data:`MAX_EXTRA_NETWORKS` of them).
    monte_carlo : bool
        Also compare the formula with the simulator at random weights drawn from ``seed``
        (:mod:`reports.formulas.matrix_montecarlo`), for a quantity that has one, or with
        finite differences of its definition
        (:mod:`reports.formulas.matrix_finite_differences`), for a deterministic one.

    Raises
    ------
    dlnverify.errors.InvalidParameter, dlnverify.errors.FormulaError
        Unknown quantity, a time limit that is not positive, a negative seed; a formula that
        is refused, uses a name the quantity does not know, or whose shape is not the
        quantity's.
    """
    started = time.perf_counter()
    if timeout is not None and not (0 < timeout <= MAX_SECONDS and math.isfinite(timeout)):
        raise InvalidParameter(
            f"Got {timeout=}, but the time limit must be a positive number of at most"
            f" {MAX_SECONDS:g} seconds."
        )
    check_seed(seed)
    prepared = _prepare(quantity, formula, syntax)
    spec = prepared.quantity
    comparison = MatrixComparison(prepared, _networks(spec, widths))
    try:
        with time_limit(timeout), memory_limit(MAX_MEMORY_BYTES):
            comparison.run()
            counterexample = comparison.counterexample(seed)
            numeric = (
                _numeric_step(spec, prepared.node, seed, comparison.done, prepared.compared)
                if monte_carlo
                else None
            )
    except (TimeLimitReached, MemoryError) as stop:
        reason = (
            f"time limit of {timeout:g} s" if isinstance(stop, TimeLimitReached) else "memory limit"
        )
        return _result(
            prepared,
            formula,
            Verdict.UNDECIDED,
            f"{reason} reached before a verdict",
            comparison,
            started,
        )
    factor, convention = comparison.factor()
    verdict = Verdict.VERIFIED if comparison.failure is None else Verdict.REFUTED
    message = _message(spec, verdict, comparison, factor, convention)
    if numeric is not None:
        step, simulator = (
            ("Monte Carlo", "the simulator")
            if has_simulator(spec)
            else ("finite differences", "finite differences of the definition")
        )
        if verdict == Verdict.VERIFIED and not numeric.passed:
            verdict = Verdict.UNDECIDED
            message += (
                f"; but the {step} comparison rejects it: an internal inconsistency between"
                f" the derivation and {simulator}; please report"
            )
        agrees = ("" if numeric.passed else "dis") + ("agrees" if has_simulator(spec) else "agree")
        message += (
            f"; {step} {agrees} at random weights (worst |z| {numeric.max_abs_z:.2f},"
            f" limit {numeric.threshold:.2f})"
        )
    return _result(
        prepared,
        formula,
        verdict,
        message + ".",
        comparison,
        started,
        factor,
        convention,
        counterexample,
        numeric,
    )


def _numeric_step(
    spec: MatrixQuantity,
    node: MatrixNode,
    seed: int,
    networks: Sequence[tuple[int, ...]],
    compared: Callable[[int, int, int], bool] | None,
) -> NumericCheck | None:
    """The second step: Monte Carlo for a quantity with a simulator, finite differences of
    the definition for a deterministic one (``None`` for a quantity with neither), at the
    cases ``compared(l, k, depth)`` keeps (a formula naming a numbered layer: that layer)."""
    if has_simulator(spec):
        return monte_carlo_check(spec, node, seed=seed, networks=networks, compared=compared)
    return finite_difference_check(spec, node, seed=seed, networks=networks, compared=compared)


def _networks(spec: MatrixQuantity, extra: Sequence[Sequence[int]]) -> tuple[tuple[int, ...], ...]:
    """The quantity's networks, then the ``extra`` ones it does not have (validated)."""
    depth = max(len(widths) - 1 for widths in spec.widths)
    if len(extra) > MAX_EXTRA_NETWORKS:
        raise InvalidParameter(
            f"Got {len(extra)} extra networks, but at most {MAX_EXTRA_NETWORKS} are checked."
        )
    networks = list(spec.widths)
    for widths in extra:
        network = tuple(widths)
        if not (
            2 <= len(network) <= depth + 1
            and all(type(h) is int and 2 <= h <= MAX_EXTRA_WIDTH for h in network)
        ):
            raise InvalidParameter(
                f"Got widths={network!r}, but a network checked for {spec.name} has depth 1 to"
                f" {depth} and integer widths 2 to {MAX_EXTRA_WIDTH}."
            )
        if network not in networks:
            networks.append(network)
    return tuple(networks)


def _result(
    prepared: PreparedFormula,
    formula: str,
    verdict: Verdict,
    message: str,
    comparison: MatrixComparison,
    started: float,
    factor: sp.Rational | None = None,
    convention: str | None = None,
    counterexample: MatrixCounterexample | None = None,
    numeric: NumericCheck | None = None,
) -> MatrixCheckResult:
    spec = prepared.quantity
    return MatrixCheckResult(
        spec.name,
        formula,
        verdict,
        parsed=formula_text(prepared.node),
        shape=prepared.shape.text() if not prepared.shape.is_free_identity else spec.shape.text(),
        derived=spec.statement,
        widths=tuple(comparison.done),
        factor=None if factor is None else str(factor),
        convention=convention,
        counterexample=counterexample,
        numeric=numeric,
        message=message,
        elapsed=time.perf_counter() - started,
    )


def _message(
    spec: MatrixQuantity,
    verdict: Verdict,
    comparison: MatrixComparison,
    factor: sp.Rational | None,
    convention: str | None,
) -> str:
    depths = sorted({len(widths) - 1 for widths in comparison.done})
    networks = f"{len(comparison.done)} networks (depths {depths[0]} to {depths[-1]})"
    if comparison.prepared.layers:
        fixed = ", ".join(
            f"{i} = {layer.text().strip('{}')}" for i, layer in comparison.prepared.layers
        )
        networks += f" and the layer {fixed} the formula names"
    elif Index.K in spec.indices:
        networks += " and every layer pair l, k"
    elif Index.L in spec.indices:
        networks += " and every layer l"
    sampled = [w for w in comparison.done if comparison.networks[w].sampled_weights]
    if sampled:
        networks += (
            f" (at {', '.join(map(str, sampled))} the weights are integers drawn from"
            f" [-{SAMPLED_WEIGHT_BOUND}, {SAMPLED_WEIGHT_BOUND}], the other entries free)"
        )
    if verdict == Verdict.VERIFIED:
        return (
            f"equal to the derived {spec.name} (claim {spec.claim}) as exact polynomials in"
            f" the free entries at {networks}"
        )
    assert comparison.failure is not None
    widths, l, k = comparison.failure
    where = _layers_text(spec, l, k)
    message = f"differs from the derived {spec.name} (claim {spec.claim}) at widths {widths}{where}"
    if factor is not None:
        message += f"; it is {factor} times the derived value at {networks}"
    if convention is not None:
        described = next(c.description for c in CONVENTION_RESCALINGS if c.name == convention)
        message += f": the convention '{convention}' ({described})"
    return message


def _layers_text(spec: MatrixQuantity, l: int, k: int) -> str:
    """``", l = 2, k = 1"``, ``", l = 2"`` or nothing, as the quantity's indices are."""
    if Index.K in spec.indices:
        return f", l = {l}, k = {k}"
    return f", l = {l}" if Index.L in spec.indices else ""


class MatrixComparison:
    """The formula and the derived value at every network and layer, as they are reached
    (:meth:`run`); the first case that differs (:attr:`failure`), a constant factor between
    them (:meth:`factor`) and integer values that show a difference (:meth:`counterexample`).
    """

    def __init__(self, prepared: PreparedFormula, networks: tuple[tuple[int, ...], ...]) -> None:
        self.prepared = prepared
        self.widths = networks
        self.done: list[tuple[int, ...]] = []
        #: (widths, l, k) of the first case that differs, and its (formula, derived)
        self.failure: tuple[tuple[int, ...], int, int] | None = None
        self.failing: tuple[DomainMatrix, DomainMatrix] | None = None
        #: (formula, derived) of every case, over the field, for the factor
        self.pairs: list[tuple[tuple[int, ...], DomainMatrix, DomainMatrix]] = []
        self.networks: dict[tuple[int, ...], MatrixNetwork] = {}

    def run(self) -> None:
        spec = self.prepared.quantity
        used = {part.name for part in nodes(self.prepared.node) if isinstance(part, Name)}
        for widths in self.widths:
            network = spec.network(widths)
            self.networks[widths] = network
            domain = network.domain.get_field() if self.prepared.field else network.domain
            layers = [layer.convert_to(domain) for layer in network.layer_values]
            depth = len(widths) - 1
            if depth < self.prepared.depth:
                continue
            for l, k in spec.cases(widths):
                if not self.prepared.compared(l, k, depth):
                    continue
                values = {
                    name: value.convert_to(domain)
                    for name, value in network.values(l, k).items()
                    if name in used
                }
                size = network.dimension(spec.shape.rows, l, k)
                given = matrix_value(self.prepared.node, values, domain, size=size, layers=layers)
                derived = network.derived(l, k).convert_to(domain)
                self.pairs.append((widths, given, derived))
                if self.failure is None and not (given - derived).is_zero_matrix:
                    self.failure, self.failing = (widths, l, k), (given, derived)
            self.done.append(widths)

    def factor(self) -> tuple[sp.Rational | None, str | None]:
        """A constant ``c != 1`` with formula = ``c`` x derived in every case, and the
        convention whose rescaling it is at every network (``m`` the output width)."""
        if self.failure is None or not self.pairs:
            return None, None
        ratio = _ratio(self.pairs[0][1], self.pairs[0][2])
        if ratio is None:
            return None, None
        for _, given, derived in self.pairs[1:]:
            if _ratio(given, derived) != ratio:
                return None, None
        kind = self.prepared.quantity.convention_kind
        for rescaling in CONVENTION_RESCALINGS:
            factor = rescaling.factors.get(kind)
            if factor is None:
                continue
            at_networks = [factor.subs(m_out, widths[-1]) for widths, _, _ in self.pairs]
            if all(value.is_Rational and value == ratio for value in at_networks):
                return ratio, rescaling.name
        return ratio, None

    def counterexample(self, seed: int) -> MatrixCounterexample | None:
        """Integer values of the free entries where the first failing case differs."""
        if self.failure is None or self.failing is None:
            return None
        widths, l, k = self.failure
        network = self.networks[widths]
        spec = self.prepared.quantity
        domain = self.failing[1].domain
        given, derived = (matrix.to_list() for matrix in self.failing)
        symbols = list(network.domain.ring.symbols)
        rng = np.random.default_rng(seed)
        for attempt in range(_ATTEMPTS + 1):
            point = _point(network.coordinates, rng, ones=attempt == 0)
            at = _evaluator(symbols, point, domain)
            entries = []
            for i, (row_given, row_derived) in enumerate(zip(given, derived, strict=True)):
                for j, (a, b) in enumerate(zip(row_given, row_derived, strict=True)):
                    value_given, value_derived = at(a), at(b)
                    if value_given is not None and value_given != value_derived:
                        entries.append(
                            DifferingEntry(i + 1, j + 1, str(value_given), str(value_derived))
                        )
            if entries:
                matrices = {
                    name: [[int(point[symbol]) for symbol in row] for row in matrix.tolist()]
                    for name, matrix in network.coordinates.items()
                }
                layers = (l, k)[: len(spec.indices)]
                return MatrixCounterexample(widths, layers, matrices, tuple(entries[:_ENTRIES]))
        return None


def _ratio(given: DomainMatrix, derived: DomainMatrix) -> sp.Rational | None:
    """The constant ``c`` with ``given = c * derived``, or ``None`` (the quotient of the
    leading coefficients of a first non-zero pair of entries, then checked everywhere)."""
    domain = derived.domain
    pairs = [(x, y) for x, y in zip(given.to_list_flat(), derived.to_list_flat(), strict=True) if y]
    if not pairs:
        return None
    x, y = pairs[0]
    if domain.is_Field:
        ratio = x / y
        if not (ratio.numer.is_ground and ratio.denom.is_ground):
            return None
        constant = domain.to_sympy(ratio)
    else:
        constant = domain.domain.to_sympy(x.LC) / domain.domain.to_sympy(y.LC)
    if not (given - derived * domain.convert(constant)).is_zero_matrix:
        return None
    return constant if isinstance(constant, sp.Rational) and constant != 1 else None


def _point(
    coordinates: dict[str, sp.Matrix], rng: np.random.Generator, *, ones: bool
) -> dict[sp.Symbol, int]:
    """Integer values of the free entries: all ones with :math:`\\Sigma_\\varepsilon = I`
    first, then entries in ``[-2, 2]`` with a diagonally dominant (positive definite)
    :math:`\\Sigma_\\varepsilon` and :math:`\\kappa` in ``[1, 3]``."""
    point: dict[sp.Symbol, int] = {}
    for name, matrix in coordinates.items():
        rows, cols = matrix.shape
        for i in range(rows):
            for j in range(cols):
                symbol = matrix[i, j]
                if symbol in point:
                    continue
                if not isinstance(symbol, sp.Symbol):  # a sampled weight, not free
                    point[symbol] = int(symbol)
                    continue
                if name == "kappa":
                    point[symbol] = 1 if ones else int(rng.integers(1, 4))
                elif name != "Sigma_eps":
                    point[symbol] = 1 if ones else int(rng.integers(-2, 3))
                elif i == j:
                    point[symbol] = 1 if ones else rows + int(rng.integers(0, 3))
                else:
                    point[symbol] = 0 if ones else int(rng.integers(-1, 2))
    return point


def _evaluator(
    symbols: list[sp.Expr], point: dict[sp.Symbol, int], domain: Any
) -> Callable[[Any], sp.Rational | None]:
    """Exact value of a ring or field element at ``point`` (other generators at 0); ``None``
    where a denominator vanishes.  Term by term, in integers and fractions: SymPy's own
    evaluation drops one generator at a time, a hundred times slower."""
    values = [point.get(symbol, 0) for symbol in symbols]  # type: ignore[call-overload]

    def polynomial(element: Any) -> Fraction:
        total = Fraction(0)
        for monomial, coefficient in element.items():
            term = Fraction(int(coefficient.numerator), int(coefficient.denominator))
            for value, exponent in zip(values, monomial, strict=True):
                if exponent:
                    term *= value**exponent
            total += term
        return total

    def at(element: Any) -> sp.Rational | None:
        if domain.is_Field:
            denominator = polynomial(element.denom)
            if not denominator:
                return None
            value = polynomial(element.numer) / denominator
        else:
            value = polynomial(element)
        return sp.Rational(value.numerator, value.denominator)

    return at
