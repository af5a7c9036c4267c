r"""Checking a derivation step by step: ``dlnverify check-steps FILE``.

:func:`check_steps` reads a file of chains (:mod:`reports.formulas.chain_file`), parses every
expression with the parser of ``check`` extended for chains
(:func:`reports.formulas.parse.parse_side`: free letters, sums, products, integrals,
derivatives, order terms), and checks each relation between consecutive expressions as one
step (:mod:`reports.formulas.step_comparison`), by what it claims:

* ``=`` — an identity; with an order term on either side (``+ O(\kappa^2)``), agreement of
  the series to that order;
* ``\propto`` — a non-zero factor free of the chain's *variables*: the arguments of its
  left-hand side's name (``p(s) \propto ...``: ``s``), else the letters of a
  ``% dlnverify: variables ...`` directive, else every letter of the step (then only a
  number may stand between the two sides);
* ``\approx``, ``\simeq``, ``\sim`` — a series comparison when the step carries an order
  term, else not checked; definitions (``:=``, ``\equiv``) and inequalities are not checked.

A chain whose first expression is a bare name (``D(s)``, ``x``, ``f(x, y)``,
:func:`reports.formulas.statement.is_bare_name`) *defines* that name: the first step is not
checked, unless the chain is *anchored*.  An anchor ties the chain to a quantity of
``check``: the chain's first formula (the right-hand side of the name, or the first
expression) must equal the derived quantity, and the check is ``check``'s own
(:func:`reports.formulas.engine.check`, symbolically only unless ``monte_carlo``) as step 1.
``quantity`` anchors the file's first chain (its anchored text must then be a formula for
it, or the file is refused); otherwise a first name that names a quantity (``D(s)``,
``\mu(s)``, ``p(s)``, ``s^\star``, :func:`reports.formulas.statement.quantities_named`)
anchors its chain when its right-hand side is a formula for that quantity (its parameters
only), and ``anchor=False`` turns this off.

A chain that names a matrix (``W_l``, ``A_l``, ``\Delta``, ...) is a *matrix chain*: its
expressions are read by the matrix parser, their shapes checked, and its steps decided at
exact shapes, its anchor by matrix ``check`` (:mod:`reports.formulas.chain_matrix`).

Every expression is parsed, and every anchor validated, before the first step is checked:
bad input is one :class:`~dlnverify.errors.FormulaError` line naming the file and line.
Then each step runs under a time limit (``timeout``; an anchor within ``check``'s own), the
whole file under ``total_timeout`` (steps after it are ``undecided``), and all of them under
a memory limit (:mod:`reports.formulas.memory_limit`).  Each step draws its sampled points
from its own generator, seeded by ``(seed, chain, step)``: same seed, same result.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp

from derivations.conventions import to_latex
from dlnverify.errors import DlnVerifyError, FormulaError, InvalidParameter
from reports.engine.seed import check_seed
from reports.formulas.anchor import Anchor, AnchorOutcome, anchor_for, check_anchor
from reports.formulas.chain_file import (
    ChainFile,
    ChainFormat,
    ChainText,
    Link,
    Piece,
    Relation,
    read_chains,
)
from reports.formulas.chain_matrix import (
    MatrixAnchor,
    MatrixStep,
    check_matrix_anchor,
    compare_matrix_step,
    matrix_anchor,
    matrix_step,
    mentions_matrix,
    named_matrix_quantity,
    names_no_layer,
    read_matrix_side,
    side_shape,
)
from reports.formulas.chain_matrix_latex import matrix_latex
from reports.formulas.chain_result import (
    ChainResult,
    CheckedAs,
    StepResult,
    StepsResult,
    StepVerdict,
)
from reports.formulas.engine import scalar_quantity
from reports.formulas.file_text import STDIN, read_formula_file
from reports.formulas.guards import excerpt
from reports.formulas.letters import DECLARED_LETTERS, Letters, letter_key, name_key
from reports.formulas.matrix_expression import MatrixNode, formula_text
from reports.formulas.matrix_parse import parse_matrix_formula
from reports.formulas.matrix_quantities import is_matrix_quantity
from reports.formulas.memory_limit import MAX_MEMORY_BYTES, memory_limit
from reports.formulas.order_term import OrderTerm, Side
from reports.formulas.parse import parse_side
from reports.formulas.statement import is_bare_name, quantities_named
from reports.formulas.step_comparison import (
    Comparison,
    compare_identity,
    compare_proportional,
    compare_series,
)
from reports.formulas.time_limit import MAX_SECONDS, TimeLimitReached, time_limit

__all__ = ["MAX_POINTS", "check_steps", "check_steps_file"]

#: Most sampled points per step.
MAX_POINTS = 100


@dataclass(frozen=True)
class _Plan:
    """One step, parsed and decided, before it is checked."""

    chain: int
    step: int
    lines: tuple[int, int]
    line: int
    relation: str
    checked_as: CheckedAs
    left_shown: str
    right_shown: str
    left_latex: str
    right_latex: str
    left: sp.Expr | None = None
    right: sp.Expr | None = None
    reason: str = ""
    order: OrderTerm | None = None
    variables: frozenset[sp.Symbol] = field(default_factory=frozenset)
    anchor: Anchor | MatrixAnchor | None = None
    matrix: MatrixStep | None = None


def _check_steps_iv(
    timeout: float | None, total_timeout: float | None, seed: int, n_points: int
) -> None:
    """One-line errors for the settings of :func:`check_steps`."""
    for name, value in (("timeout", timeout), ("total_timeout", total_timeout)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidParameter(f"Got {name}={value!r}, but it must be a number of seconds.")
        if not (value > 0 and math.isfinite(value)) or value > MAX_SECONDS:
            raise InvalidParameter(
                f"Got {name}={value!r}, but it must be positive and at most {MAX_SECONDS:g}"
                " seconds (one day)."
            )
    check_seed(seed)
    if (
        isinstance(n_points, bool)
        or not isinstance(n_points, int)
        or not 1 <= n_points <= MAX_POINTS
    ):
        raise InvalidParameter(
            f"Got n_points={n_points!r}, but it must be an integer from 1 to {MAX_POINTS}."
        )


def check_steps(
    text: str,
    *,
    name: str = "<text>",
    path: str | Path | None = None,
    file_format: ChainFormat | str = ChainFormat.AUTO,
    quantity: str | None = None,
    anchor: bool = True,
    at: Mapping[str, Any] | None = None,
    timeout: float | None = 30.0,
    total_timeout: float | None = 600.0,
    seed: int = 0,
    n_points: int = 8,
    monte_carlo: bool = False,
    memory: int | None = MAX_MEMORY_BYTES,
    progress: Callable[[str], None] | None = None,
) -> StepsResult:
    r"""Check every step of every derivation chain of ``text`` (module docstring).

    Parameters
    ----------
    text : str
        The content of a ``.tex`` file or of a file of one expression per line
        (:mod:`reports.formulas.chain_file`).
    name : str
        The file's name in messages and results.
    path : str or Path, optional
        The file's path, whose suffix (``.tex``) decides the format under ``"auto"``.
    file_format : {"auto", "tex", "lines"}
        How ``text`` holds its chains.
    quantity : str, optional
        A quantity of ``check`` (``"diffusion"``) that anchors the first chain.
    anchor : bool
        Whether a first left-hand side that names a quantity anchors its chain.
    at : mapping, optional
        Values an anchor holds fixed (``{"L": 2}``), as ``check --at``.
    timeout, total_timeout : float or None
        Seconds per step, and for the whole file (``None``: no limit).
    seed : int
        Seed of the sampled points.
    n_points : int
        Sampled points per step.
    monte_carlo : bool
        Also run ``check``'s Monte Carlo comparison for an anchor.
    memory : int or None
        Bytes the process may grow by while the steps are checked (``None``: no limit).
    progress : callable, optional
        Gets a line as each step starts and ends.

    Returns
    -------
    StepsResult
        Prints as the command does; ``to_json()`` is its ``--json``.

    Raises
    ------
    dlnverify.errors.FormulaError, dlnverify.errors.InvalidParameter
        Bad input, before any step is checked: one line naming the file and line.

    Examples
    --------
    >>> result = check_steps("(x+1)^2\n= x^2 + 2x + 1\n= x^2 + x + 1\n", seed=0)
    >>> result.verdict, result.first_wrong.line
    ('refuted', 3)
    """
    started = time.perf_counter()
    _check_steps_iv(timeout, total_timeout, seed, n_points)
    if quantity is not None and not is_matrix_quantity(quantity):
        scalar_quantity(quantity)  # an unknown name: one line listing every quantity
    chain_file = read_chains(text, name=name, path=path, file_format=file_format)
    plans = [
        _plan_chain(chain_file, index, chain, quantity if index == 1 else None, anchor, at)
        for index, chain in enumerate(chain_file.chains, 1)
    ]
    if at and not any(plan.anchor is not None for chain_plans in plans for plan in chain_plans):
        raise InvalidParameter(
            f"Got at={dict(at)}, which holds values fixed in an anchor's check, but no chain of"
            f" {name} is anchored (give --quantity, or start a chain with a quantity's name)."
        )
    total = sum(len(chain_plans) for chain_plans in plans)
    results: list[list[StepResult]] = []
    done = 0
    with memory_limit(memory):
        for chain_plans in plans:
            results.append([])
            for plan in chain_plans:
                done += 1
                if progress is not None:
                    progress(
                        f"[{done}/{total}] chain {plan.chain}, step {plan.step} (line {plan.line}) ..."
                    )
                remaining = (
                    None
                    if total_timeout is None
                    else total_timeout - (time.perf_counter() - started)
                )
                outcome = _run(plan, remaining, timeout, total_timeout, seed, n_points, monte_carlo)
                if progress is not None:
                    progress(
                        f"[{done}/{total}] chain {plan.chain}, step {plan.step}:"
                        f" {outcome.verdict.words} ({outcome.elapsed:.1f} s)"
                    )
                results[-1].append(outcome)
    chains = tuple(
        ChainResult(index, chain.lines, chain.environment, tuple(steps), chain.reading)
        for index, (chain, steps) in enumerate(zip(chain_file.chains, results, strict=True), 1)
    )
    settings = {
        "timeout": timeout,
        "total_timeout": total_timeout,
        "seed": seed,
        "points": n_points,
        "monte_carlo": monte_carlo,
        "format": str(chain_file.format),
    }
    return StepsResult(name, chains, time.perf_counter() - started, settings)


def check_steps_file(path: str | Path, **options: Any) -> StepsResult:
    """:func:`check_steps` on the file at ``path`` (``"-"``: standard input), read as given
    (:func:`reports.formulas.file_text.read_formula_file`: at most 1 MB, UTF-8 without a
    byte-order mark)."""
    name = "<stdin>" if str(path) == STDIN else str(path)
    text = read_formula_file(path, name)
    return check_steps(text, name=name, path=None if str(path) == STDIN else path, **options)


# --------------------------------------------------------------------------- planning


def _located(error: DlnVerifyError, chain_file: ChainFile, piece: Piece) -> FormulaError:
    """``error`` on ``piece``, as one line naming the file and the line of the problem
    (a column the parser names is mapped back to its line)."""
    message = str(error)
    column = re.search(r"column (\d+)", message)
    offset = piece.offset + (int(column.group(1)) - 1 if column else 0)
    line = chain_file.line_of(offset)
    return FormulaError(
        f"{chain_file.name}, line {line}: {message} (in the expression {excerpt(piece.text)})"
    )


def _parsed(chain_file: ChainFile, piece: Piece) -> Side:
    """A piece parsed as a side: LaTeX in a TeX file, either syntax in a lines file."""
    syntax = "latex" if chain_file.format == ChainFormat.TEX else "auto"
    try:
        return parse_side(piece.text, letters=chain_file.letters, syntax=syntax)
    except DlnVerifyError as error:
        raise _located(error, chain_file, piece) from None


def _label_variables(label: str, letters: Letters) -> frozenset[sp.Symbol]:
    """The symbols of the arguments of a name (``p(s)``: ``s``; ``f(x, y)``: both)."""
    arguments = re.search(r"\(([^()]*)\)\s*$", label)
    if arguments is None:
        return frozenset()
    found = set()
    for item in arguments.group(1).split(","):
        try:
            key = letter_key(item.strip())
        except FormulaError:
            named = name_key(item.strip())
            if named is None:
                continue
            key = named
        found.add(letters.symbol(key))
    return frozenset(found)


def _shown(side: Side) -> tuple[str, str]:
    return side.text(), side.latex()


def _plan_chain(
    chain_file: ChainFile,
    index: int,
    chain: ChainText,
    quantity: str | None,
    anchor: bool,
    at: Mapping[str, Any] | None,
) -> list[_Plan]:
    """The steps of one chain: every expression parsed, the first step anchored or marked
    as a definition, each other step's comparison chosen."""
    matrix_sides = _matrix_sides(chain_file, chain)
    if matrix_sides is not None:
        return _plan_matrix_chain(chain_file, index, chain, matrix_sides, quantity, anchor)
    if quantity is not None and is_matrix_quantity(quantity):
        raise FormulaError(
            f"{chain_file.name}, line {chain.pieces[0].lines[0]}: the chain is anchored to the"
            f" matrix quantity {quantity}, but it names no matrix (W_l, A_l, \\Delta, ...)"
        )
    pieces, links = chain.pieces, chain.links
    label = pieces[0].text if len(pieces) > 1 and is_bare_name(pieces[0].text) else None
    sides: list[Side | None] = [
        None if (position == 0 and label is not None) else _parsed(chain_file, piece)
        for position, piece in enumerate(pieces)
    ]
    plans: list[_Plan] = []
    first_link = 0
    if label is not None:
        plans.append(_first_step(chain_file, index, chain, sides[1], quantity, anchor, at))  # type: ignore[arg-type]
        first_link = 1
    elif quantity is not None:
        plans.append(_anchor_alone(chain_file, index, pieces[0], sides[0], quantity, at))  # type: ignore[arg-type]
    directive = frozenset(chain_file.letters.symbol(key) for key in chain_file.variables)
    variables = (_label_variables(label, chain_file.letters) if label else frozenset()) or directive
    for position in range(first_link, len(links)):
        left, right = sides[position], sides[position + 1]
        assert left is not None
        assert right is not None
        plans.append(
            _step(
                index,
                len(plans) + 1,
                pieces[position],
                pieces[position + 1],
                links[position],
                left,
                right,
                variables,
            )
        )
    return plans


#: The relation an anchor states, by the kind of the chain's first relation (``None``: an
#: anchor cannot state it).
_ANCHOR_RELATIONS = {
    Relation.EQUAL: "=",
    Relation.DEFINITION: "=",
    Relation.PROPORTIONAL: "\\propto",
}


def _first_step(
    chain_file: ChainFile,
    index: int,
    chain: ChainText,
    right: Side,
    quantity: str | None,
    anchor: bool,
    at: Mapping[str, Any] | None,
) -> _Plan:
    """The step from a name to its formula: an anchor, or a definition (not checked)."""
    label_piece, right_piece, link = chain.pieces[0], chain.pieces[1], chain.links[0]
    label = label_piece.text
    relation = _ANCHOR_RELATIONS.get(link.relation)
    plan = _between(index, 1, label_piece, right_piece, link, label, right)
    if quantity is not None:
        if relation is None:
            raise FormulaError(
                f"{chain_file.name}, line {link.line}: the first relation {link.written} cannot"
                f" anchor the chain to {quantity}: write = (or \\propto)"
            )
        found = _anchor(chain_file, right_piece, quantity, right, label, relation, at)
        return replace(plan, checked_as=CheckedAs.ANCHOR, anchor=found)
    named = quantities_named(label)
    reasons = []
    variable = _is_parameter(label)  # s = ...: a value of the variable s, not s(t)
    if anchor and named and relation is not None and not variable:
        for candidate in named:
            try:
                found = anchor_for(
                    candidate, right_piece.text, right.expr, label=label, relation=relation, at=at
                )
            except DlnVerifyError as error:
                reasons.append(f"{candidate}: {error}")
                continue
            return replace(plan, checked_as=CheckedAs.ANCHOR, anchor=found)
    reason = f"{label} is a name being defined"
    if reasons:
        reason += (
            f"; it names {', '.join(named)}, but its formula is not one for them ({reasons[0]})"
        )
    elif named and not anchor:
        reason += " (anchoring is off)"
    elif named and variable:
        reason += (
            f" (a parameter's letter is not anchored to {named[0]}: write {label}(...) = or"
            f" use --quantity {named[0]})"
        )
    elif named:
        reason += f" ({link.written} cannot anchor it to {', '.join(named)})"
    return replace(plan, reason=reason)


def _is_parameter(label: str) -> bool:
    """Whether a name is the bare letter of a declared parameter (``s``, ``t``)."""
    try:
        return letter_key(label.strip()) in DECLARED_LETTERS
    except FormulaError:
        return False


def _anchor(
    chain_file: ChainFile,
    piece: Piece,
    quantity: str,
    side: Side,
    label: str | None,
    relation: str,
    at: Mapping[str, Any] | None,
) -> Anchor:
    """The anchor ``quantity`` asks for; a formula that is not one for it is bad input."""
    try:
        return anchor_for(quantity, piece.text, side.expr, label=label, relation=relation, at=at)
    except DlnVerifyError as error:
        raise FormulaError(
            f"{chain_file.name}, line {piece.lines[0]}: the chain is anchored to {quantity},"
            f" but its first formula is not one for it: {error}"
        ) from None


def _anchor_alone(
    chain_file: ChainFile,
    index: int,
    piece: Piece,
    side: Side,
    quantity: str,
    at: Mapping[str, Any] | None,
) -> _Plan:
    """Step 1 of a chain anchored by ``quantity`` whose first expression is a formula."""
    found = _anchor(chain_file, piece, quantity, side, None, "=", at)
    return replace(_anchor_step(index, piece, quantity, _shown(side), found), right=side.expr)


def _anchor_step(
    index: int,
    piece: Piece,
    quantity: str,
    shown: tuple[str, str],
    found: Anchor | MatrixAnchor,
) -> _Plan:
    """Step 1 of chain ``index``: its first expression ``piece`` (``shown`` as text and
    LaTeX) against the derived ``quantity``."""
    return _Plan(
        chain=index,
        step=1,
        lines=piece.lines,
        line=piece.lines[0],
        relation="=",
        checked_as=CheckedAs.ANCHOR,
        left_shown=quantity,
        right_shown=shown[0],
        left_latex=quantity,
        right_latex=shown[1],
        anchor=found,
    )


def _between(
    index: int,
    number: int,
    first: Piece,
    second: Piece,
    link: Link,
    left: Side | str,
    right: Side,
) -> _Plan:
    """Step ``number`` of chain ``index``, from ``left`` (a side, or a name as written) to
    ``right``, not checked until a comparison is chosen."""
    shown = (left, left) if isinstance(left, str) else _shown(left)
    plan = _unchecked(index, number, first, second, link, shown, _shown(right))
    return replace(plan, left=None if isinstance(left, str) else left.expr, right=right.expr)


def _unchecked(
    index: int,
    number: int,
    first: Piece,
    second: Piece,
    link: Link,
    left: tuple[str, str],
    right: tuple[str, str],
) -> _Plan:
    """Step ``number`` of chain ``index`` between two expressions shown as ``(text,
    LaTeX)``, not checked until a comparison is chosen."""
    return _Plan(
        chain=index,
        step=number,
        lines=(first.lines[0], second.lines[1]),
        line=link.line,
        relation=link.written,
        checked_as=CheckedAs.NONE,
        left_shown=left[0],
        right_shown=right[0],
        left_latex=left[1],
        right_latex=right[1],
    )


def _step(
    index: int,
    number: int,
    first: Piece,
    second: Piece,
    link: Link,
    left: Side,
    right: Side,
    variables: frozenset[sp.Symbol],
) -> _Plan:
    """A step between two parsed expressions, with the comparison its relation asks for."""
    orders = [side.order for side in (left, right) if side.order is not None]
    plan = _between(index, number, first, second, link, left, right)
    if link.relation == Relation.DEFINITION:
        return replace(plan, reason=f"{link.written} is a definition; not checked")
    if link.relation == Relation.INEQUALITY:
        return replace(plan, reason=f"{link.written}: inequalities are not checked")
    if link.relation == Relation.PROPORTIONAL:
        if orders:
            return replace(plan, reason=f"{link.written} with an order term is not checked")
        return replace(plan, checked_as=CheckedAs.PROPORTIONAL, variables=variables)
    if orders:
        kinds = {(o.variable, o.at_infinity) for o in orders}
        if len(kinds) > 1:
            return replace(
                plan,
                reason="order terms in different variables (or limits) on the two sides;"
                " not checked",
            )
        order = min(orders, key=lambda o: o.compared)
        return replace(plan, checked_as=CheckedAs.SERIES, order=order)
    if link.relation == Relation.APPROXIMATE:
        return replace(
            plan,
            reason=f"{link.written} without an order term is not checked (add + O(...) to"
            " check it to that order)",
        )
    return replace(plan, checked_as=CheckedAs.IDENTITY)


# --------------------------------------------------------------------------- running


def _run(
    plan: _Plan,
    remaining: float | None,
    timeout: float | None,
    total_timeout: float | None,
    seed: int,
    n_points: int,
    monte_carlo: bool,
) -> StepResult:
    """Check one planned step within its time (and the file's remaining time)."""
    started = time.perf_counter()
    result = StepResult(
        plan.chain,
        plan.step,
        plan.lines,
        plan.line,
        plan.relation,
        plan.checked_as,
        plan.left_shown,
        plan.right_shown,
        plan.left_latex,
        plan.right_latex,
        StepVerdict.NOT_CHECKED,
        plan.reason,
        order=None if plan.order is None else plan.order.text(),
        quantity=None if plan.anchor is None else plan.anchor.quantity,
    )
    if plan.checked_as == CheckedAs.NONE:
        return result
    if remaining is not None and remaining <= 0:
        return replace(
            result,
            verdict=StepVerdict.UNDECIDED,
            message=f"the total time limit of {total_timeout:g} s was reached before this step",
        )
    limits = [limit for limit in (timeout, remaining) if limit is not None]
    limit = min(limits) if limits else None
    if plan.anchor is not None:
        return _anchored(plan, result, limit, seed, monte_carlo, started)
    rng = np.random.default_rng([seed, plan.chain, plan.step])
    try:
        with time_limit(limit):
            if plan.matrix is not None:
                comparison = compare_matrix_step(plan.matrix, seed=seed)
            else:
                comparison = _compare(plan, rng, n_points, limit)
    except FormulaError as error:  # a matrix too large, an inverse of a singular matrix
        comparison = Comparison(StepVerdict.UNDECIDED, f"the sides cannot be evaluated: {error}")
    except TimeLimitReached:
        comparison = Comparison(
            StepVerdict.UNDECIDED, f"time limit of {limit:g} s reached before a verdict"
        )
    except MemoryError:
        comparison = Comparison(StepVerdict.UNDECIDED, "memory limit reached before a verdict")
    except Exception as error:
        comparison = Comparison(
            StepVerdict.UNDECIDED,
            f"SymPy could not compare the two sides ({type(error).__name__}: "
            f"{str(error).splitlines()[0] if str(error) else 'no message'})",
        )
    return replace(
        result,
        verdict=comparison.verdict,
        message=comparison.message,
        points=comparison.points,
        factor=comparison.factor,
        counterexample=comparison.counterexample,
        elapsed=time.perf_counter() - started,
    )


#: The share of a step's time its symbolic proof may take before the sides are sampled.
_PROOF_SHARE = 0.5


def _compare(
    plan: _Plan, rng: np.random.Generator, n_points: int, limit: float | None
) -> Comparison:
    assert plan.left is not None
    assert plan.right is not None
    if plan.checked_as == CheckedAs.IDENTITY:
        return compare_identity(
            plan.left,
            plan.right,
            rng=rng,
            n_points=n_points,
            symbolic_seconds=None if limit is None else _PROOF_SHARE * limit,
        )
    if plan.checked_as == CheckedAs.PROPORTIONAL:
        variables = set(plan.variables) or None
        return compare_proportional(plan.left, plan.right, variables, rng=rng, n_points=n_points)
    assert plan.order is not None
    return compare_series(plan.left, plan.right, plan.order, rng=rng, n_points=n_points)


def _anchored(
    plan: _Plan,
    result: StepResult,
    limit: float | None,
    seed: int,
    monte_carlo: bool,
    started: float,
) -> StepResult:
    """The anchor step: ``check``'s verdict on the chain's first formula (matrix
    ``check``'s for a matrix chain)."""
    if isinstance(plan.anchor, MatrixAnchor):
        verdict, message, statement, evidence, factor = check_matrix_anchor(
            plan.anchor, timeout=limit, seed=seed, monte_carlo=monte_carlo
        )
        return replace(
            result,
            verdict=verdict,
            message=message,
            left=f"{result.left} (derived): {statement}",
            left_latex=matrix_latex(parse_matrix_formula(statement, syntax="sympy")),
            factor=factor,
            counterexample=evidence,
            elapsed=time.perf_counter() - started,
        )
    assert isinstance(plan.anchor, Anchor)
    try:
        outcome = check_anchor(plan.anchor, timeout=limit, seed=seed, monte_carlo=monte_carlo)
    except MemoryError:
        outcome = AnchorOutcome(StepVerdict.UNDECIDED, "memory limit reached before a verdict")
    derived = outcome.derived
    return replace(
        result,
        verdict=outcome.verdict,
        message=outcome.message,
        left=result.left if derived is None else f"{result.left} (derived): {sp.sstr(derived)}",
        left_latex=result.left_latex if derived is None else to_latex(derived),
        factor=None if outcome.convention is None else f"the convention {outcome.convention}",
        counterexample=outcome.counterexample,
        elapsed=time.perf_counter() - started,
    )


# --------------------------------------------------------------------------- matrix chains


def _matrix_sides(
    chain_file: ChainFile, chain: ChainText
) -> list[MatrixNode | DlnVerifyError] | None:
    """Every expression of ``chain`` read by the matrix parser (a tree, or why it refuses),
    when one of them names a matrix (:func:`~reports.formulas.chain_matrix.mentions_matrix`);
    ``None`` for a scalar chain."""
    syntax = "latex" if chain_file.format == ChainFormat.TEX else "auto"
    read = [read_matrix_side(piece.text, syntax) for piece in chain.pieces]
    if any(not isinstance(side, DlnVerifyError) and mentions_matrix(side) for side in read):
        return read
    return None


def _matrix_between(
    index: int,
    number: int,
    first: Piece,
    second: Piece,
    link: Link,
    left: MatrixNode | str,
    right: MatrixNode,
) -> _Plan:
    """Step ``number`` of matrix chain ``index`` from ``left`` (a side, or a name as
    written) to ``right``, not checked until a comparison is chosen."""
    shown = (left, left) if isinstance(left, str) else (formula_text(left), matrix_latex(left))
    return _unchecked(
        index, number, first, second, link, shown, (formula_text(right), matrix_latex(right))
    )


def _plan_matrix_chain(
    chain_file: ChainFile,
    index: int,
    chain: ChainText,
    read: list[MatrixNode | DlnVerifyError],
    quantity: str | None,
    anchor: bool,
) -> list[_Plan]:
    """The steps of a matrix chain (:mod:`reports.formulas.chain_matrix`): every
    expression a matrix formula of a known shape (or the first a name being defined), the
    first step anchored or a definition, each other step compared at exact shapes."""
    pieces, links = chain.pieces, chain.links
    name = chain_file.name
    first = pieces[0].text
    label = (
        first
        if isinstance(read[0], DlnVerifyError)
        and len(pieces) > 1
        and (is_bare_name(first) or named_matrix_quantity(first) is not None)
        and not names_no_layer(first)
        else None
    )
    if quantity is not None and not is_matrix_quantity(quantity):
        raise FormulaError(
            f"{name}, line {pieces[0].lines[0]}: the chain names matrices, but {quantity} is"
            " not a matrix quantity (see check --list)"
        )
    sides: list[MatrixNode | None] = []
    for position, (piece, side) in enumerate(zip(pieces, read, strict=True)):
        if position == 0 and label is not None:
            sides.append(None)
            continue
        try:
            if isinstance(side, DlnVerifyError):
                raise FormulaError(f"a chain that names matrices has matrix formulas only: {side}")
            side_shape(side)
        except DlnVerifyError as error:
            raise _located(error, chain_file, piece) from None
        sides.append(side)
    syntax = "latex" if chain_file.format == ChainFormat.TEX else "auto"
    plans: list[_Plan] = []
    first_link = 0
    if label is not None:
        right = sides[1]
        assert right is not None
        plan = _matrix_between(index, 1, pieces[0], pieces[1], links[0], label, right)
        named = quantity or (named_matrix_quantity(label) if anchor else None)
        equal = links[0].relation in (Relation.EQUAL, Relation.DEFINITION)
        reason = f"{label} is a name being defined"
        if named is not None and equal:
            try:
                found = matrix_anchor(named, pieces[1].text, syntax)
            except DlnVerifyError as error:
                if quantity is not None:
                    raise FormulaError(
                        f"{name}, line {pieces[1].lines[0]}: the chain is anchored to"
                        f" {quantity}, but its first formula is not one for it: {error}"
                    ) from None
                reason += f"; it names {named}, but its formula is not one for it ({error})"
            else:
                plan = replace(plan, checked_as=CheckedAs.ANCHOR, relation="=", anchor=found)
        elif quantity is not None:
            raise FormulaError(
                f"{name}, line {links[0].line}: the first relation {links[0].written} cannot"
                f" anchor the chain to {quantity}: write ="
            )
        elif named_matrix_quantity(label) is not None and not anchor:
            reason += " (anchoring is off)"
        plans.append(plan if plan.anchor is not None else replace(plan, reason=reason))
        first_link = 1
    elif quantity is not None:
        plans.append(_matrix_anchor_alone(chain_file, index, pieces[0], quantity, syntax))
    for position in range(first_link, len(links)):
        left, right = sides[position], sides[position + 1]
        assert left is not None
        assert right is not None
        link = links[position]
        plan = _matrix_between(
            index, len(plans) + 1, pieces[position], pieces[position + 1], link, left, right
        )
        if link.relation not in (Relation.EQUAL, Relation.PROPORTIONAL):
            plans.append(
                replace(plan, reason=f"{link.written} between matrix formulas is not checked")
            )
            continue
        proportional = link.relation == Relation.PROPORTIONAL
        step = matrix_step(left, right, proportional=proportional, line=link.line, name=name)
        checked_as = CheckedAs.PROPORTIONAL if proportional else CheckedAs.IDENTITY
        plans.append(replace(plan, checked_as=checked_as, matrix=step))
    return plans


def _matrix_anchor_alone(
    chain_file: ChainFile, index: int, piece: Piece, quantity: str, syntax: str
) -> _Plan:
    """Step 1 of a matrix chain anchored by ``quantity`` whose first expression is a
    formula."""
    try:
        found = matrix_anchor(quantity, piece.text, syntax)
    except DlnVerifyError as error:
        raise FormulaError(
            f"{chain_file.name}, line {piece.lines[0]}: the chain is anchored to {quantity},"
            f" but its first formula is not one for it: {error}"
        ) from None
    node = parse_matrix_formula(piece.text, syntax=syntax)
    return _anchor_step(index, piece, quantity, (formula_text(node), matrix_latex(node)), found)
