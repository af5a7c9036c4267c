"""The validated inputs of a check: the quantity, the values held fixed, and the parsed formula.

Everything a user can get wrong is refused here, with a one-line error, before any
comparison runs: values held fixed (``check(..., at={"L": 3})``) must be parameters of the
quantity, numbers in their domains, and leave at least one point where the quantity is
checked; the formula, read as a paper prints it (:mod:`reports.formulas.statement`), must
parse (:func:`reports.formulas.parse.parse_formula_side`) with the
quantity's parameters and the symbols only another convention uses (``eta``, ``m``, DESIGN.md
§3), accepted so that the convention can be named, and the batch size ``B`` where ``kappa``
is a parameter: a formula in ``eta`` and ``B`` is read with ``kappa = eta / B``
(``eta`` as ``kappa B``); an order term (``+ O(kappa**2)``) must be
in a free parameter of the quantity, and within the order the quantity is derived to.  A
fixed value enters the comparison as the exact rational it prints as.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from derivations.conventions import PARAMETERS
from dlnverify.errors import FormulaError, InvalidParameter
from reports.engine.quantity import Quantity
from reports.formulas.depth_limit import READING, depth_limit_requested, without_depth
from reports.formulas.letters import LetterKey
from reports.formulas.order_term import OrderTerm
from reports.formulas.parse import parse_formula_side
from reports.formulas.points import probe_points
from reports.formulas.statement import Statement, read_statement

__all__ = [
    "BOUNDARY_AT_ZERO",
    "Inputs",
    "at_fixed_values",
    "fixed_depth",
    "mode_letters",
    "order_in_kappa",
    "outside_domain",
    "prepare_inputs",
    "series_in_eta",
]

#: Positive parameters that may be held at 0, a meaningful boundary: a second mode still at
#: 0 (``s_b = 0``).  The derived result there is its value, or its limit from above where a
#: closed form is singular (:func:`at_fixed_values`); a check refuses the point where that is
#: not finite (:func:`reports.formulas.engine.check`).
BOUNDARY_AT_ZERO = ("s_b",)

#: Symbols that only a differently-conventioned formula uses (DESIGN.md §3): accepted by the
#: parser so that the convention can be named, never equal to a derived result without them.
_CONVENTION_SYMBOLS = ("eta", "m")


@dataclass(frozen=True)
class Inputs:
    """A check's inputs, validated.

    Attributes
    ----------
    spec : Quantity
        The quantity checked.
    fixed : dict
        The values held fixed, by parameter name (integers for integer parameters).
    substitution : dict
        The same values as exact rationals, by symbol.
    written : sympy.Expr
        The formula as parsed, before the fixed values are substituted.
    reading : tuple of str
        How a paper's equation was read (delimiters, debris, left-hand side removed;
        :func:`reports.formulas.statement.read_statement`; an order term), for the echo.
    order : OrderTerm or None
        The order term of the formula (``+ O(kappa**2)``): the formula is then compared with
        the derived result to that order only.
    depth_limit : bool
        ``at={"L": "oo"}``: the formula and the derived result are compared in their limits
        ``L -> oo`` (:mod:`reports.formulas.depth_limit`); ``L`` is then not in
        :attr:`fixed`.
    in_eta : bool
        The formula was written in ``eta`` and ``B`` (read with ``kappa = eta/B``): its
        series are taken in ``eta`` at fixed ``B``.
    """

    spec: Quantity
    fixed: dict[str, int | float]
    substitution: dict[sp.Symbol, sp.Rational]
    written: sp.Expr
    reading: tuple[str, ...] = ()
    order: OrderTerm | None = None
    depth_limit: bool = False
    in_eta: bool = False

    @property
    def shown_at(self) -> dict[str, int | float]:
        """The values held fixed as a result shows them: :attr:`fixed`, and ``L = oo``
        (``math.inf``) for a depth limit."""
        return self.fixed | ({"L": math.inf} if self.depth_limit else {})

    @property
    def foreign(self) -> bool:
        """Whether the formula uses a symbol only another convention has (``eta`` where
        ``kappa`` belongs): it can then never equal the derived result."""
        return bool(self.written.free_symbols - set(self.spec.symbols().values()))


def prepare_inputs(
    spec: Quantity, formula: str, at: Mapping[str, Any] | None, syntax: str
) -> Inputs:
    """The validated fixed values, their exact substitution and the parsed formula; one-line
    errors for anything wrong (nothing is compared yet)."""
    at, depth_limit = _depth_limit(spec, at)
    fixed = _fixed_values(spec, at)
    domain = without_depth(spec) if depth_limit else spec
    if fixed and not probe_points(domain, np.random.default_rng(0), 1, fixed):
        raise outside_domain(spec, fixed)
    symbols = spec.symbols()
    substitution = {symbols[name]: _exact(value) for name, value in fixed.items()}
    statement = Statement(formula) if syntax == "sympy" else read_statement(formula, spec)
    batch = ("B",) if "kappa" in spec.parameters else ()
    allowed = (*spec.parameters, *_CONVENTION_SYMBOLS, *batch)
    modes = mode_letters(spec)
    side = parse_formula_side(statement.formula, syntax=syntax, allowed=allowed, modes=modes)
    reading = list(statement.reading)
    reading += _read_modes(spec, side.renamed)
    if depth_limit:
        reading.append(READING)
    written = side.expr
    in_eta = bool(batch) and PARAMETERS["B"].symbol in written.free_symbols
    if in_eta:
        written = written.xreplace({PARAMETERS["eta"].symbol: _KAPPA_TIMES_B})
        reading.append("kappa = eta/B: eta read as kappa*B")
    if side.order is not None:
        held = {**fixed, "L": math.inf} if depth_limit else fixed
        reading.append(_checked_order(spec, side.order, held, in_eta=in_eta))
    return Inputs(
        spec, fixed, substitution, written, tuple(reading), side.order, depth_limit, in_eta
    )


def _depth_limit(
    spec: Quantity, at: Mapping[str, Any] | None
) -> tuple[Mapping[str, Any] | None, bool]:
    """``at`` without an infinite depth (``L=oo``), and whether it had one (a one-line error
    for a quantity derived only at fixed depths)."""
    if at is None or "L" not in at or "L" not in spec.parameters:
        return at, False
    if not depth_limit_requested(spec, at["L"]):
        return at, False
    return {name: value for name, value in at.items() if name != "L"}, True


#: Mode subscripts a paper puts on ``s`` and ``sigma``: the mode of a single-mode quantity
#: (or the first mode of a two-mode one), and the second mode of a two-mode quantity.
_FIRST_MODE = ("a", "i", "k", "alpha")
_SECOND_MODE = ("j", "beta")  # and b, the declared s_b, sigma_b


def mode_letters(spec: Quantity) -> dict[LetterKey, str]:
    r"""The subscripted letters a formula for ``spec`` may use for its mode amplitude and
    teacher value: ``s_a``, ``\sigma_i``, ``s_k``, ``\sigma_\alpha`` read as ``s``,
    ``sigma``; for a quantity with a second mode (``s_b``), ``s_j``, ``\sigma_\beta`` read
    as ``s_b``, ``sigma_b`` (``s_b`` and ``\sigma_b`` are its declared names)."""
    pairs = [("s", "s"), ("sigma", "sigma")]
    letters: dict[LetterKey, str] = {
        (base, sub): name for base, name in pairs if name in spec.parameters for sub in _FIRST_MODE
    }
    for base, name in (("s", "s_b"), ("sigma", "sigma_b")):
        if name in spec.parameters:
            letters |= {(base, sub): name for sub in _SECOND_MODE}
    return letters


def _read_modes(spec: Quantity, renamed: tuple[tuple[str, str], ...]) -> list[str]:
    r"""How the mode subscripts of a formula were read, for the echo; a one-line error if
    they name two different modes where ``spec`` has one (``s_a`` with ``\sigma_i``)."""
    firsts = {
        written.split("_", 1)[1].strip("{}\\")
        for written, name in renamed
        if name in {"s", "sigma"}
    }
    if len(firsts) > 1:
        shown = ", ".join(written for written, _ in renamed)
        raise FormulaError(
            f"Got {shown}, whose subscripts name {len(firsts)} different modes, but {spec.name}"
            " has one mode (s, sigma); use one subscript"
        )
    two_modes = "s_b" in spec.parameters
    return [
        f"{written} read as {name} ("
        + (
            "the second mode"
            if name.endswith("_b")
            else "the first mode"
            if two_modes
            else "the mode"
        )
        + f" of {spec.name})"
        for written, name in renamed
    ]


#: ``eta`` in terms of ``kappa = eta / B``, for a formula written in ``eta`` and ``B``.
_KAPPA_TIMES_B = PARAMETERS["kappa"].symbol * PARAMETERS["B"].symbol


def order_in_kappa(order: OrderTerm) -> OrderTerm:
    """An order term in ``eta`` of a formula read with ``kappa = eta/B`` as the order term
    in ``kappa`` that keeps the same terms (at fixed ``B``, ``eta^n`` is ``(kappa B)^n``);
    any other order term as it is."""
    if order.variable == PARAMETERS["eta"].symbol and not order.at_infinity:
        return dataclasses.replace(order, variable=PARAMETERS["kappa"].symbol)
    return order


def series_in_eta(expr: sp.Expr) -> sp.Expr:
    """``expr`` (in ``kappa``) with ``kappa = eta/B``, for a series in ``eta`` at fixed
    ``B``."""
    return expr.xreplace(
        {PARAMETERS["kappa"].symbol: PARAMETERS["eta"].symbol / PARAMETERS["B"].symbol}
    )


def _checked_order(
    spec: Quantity, order: OrderTerm, fixed: Mapping[str, int | float], *, in_eta: bool = False
) -> str:
    """How the order term ``order`` is read, after checking that it is in a free parameter
    of ``spec`` and asks for no more than the derivation gives (a one-line error
    otherwise).  For a formula read in ``eta`` and ``B`` (``in_eta``), an order term in
    ``eta`` is the series in ``eta`` at fixed ``B``, which compares the same coefficients as
    the series in ``kappa = eta/B`` (:func:`series_in_eta`)."""
    if in_eta and order_in_kappa(order) is not order:
        if "kappa" in fixed:
            raise FormulaError(
                f"Got the order term {order}, but kappa = eta/B is held fixed (--at kappa=...);"
                " a series in eta needs it free."
            )
        if spec.first_order_in == "kappa" and order.compared > 2:
            raise FormulaError(
                f"Got the order term {order}, but {spec.name} is derived to first order in"
                " kappa = eta/B only, so its terms beyond that cannot be compared; write"
                " + O(eta**2)."
            )
        return (
            f"order term {order}: compared with the derived result {order.agreement()} (the"
            " series in eta at fixed B, kappa = eta/B), higher orders not compared"
        )
    name = str(order.variable)
    if name not in spec.parameters:
        raise FormulaError(
            f"Got the order term {order}, but {name} is not a parameter of {spec.name}"
            f" ({', '.join(spec.parameters)})."
        )
    if name in fixed:
        raise FormulaError(
            f"Got the order term {order}, but {name} is held fixed (--at {name}=...); a series"
            f" in {name} needs it free."
        )
    if spec.first_order_in == name and (order.at_infinity or order.compared > 2):
        raise FormulaError(
            f"Got the order term {order}, but {spec.name} is derived to first order in {name}"
            f" only, so its terms beyond that cannot be compared; write + O({name}**2)."
        )
    return (
        f"order term {order}: compared with the derived result {order.agreement()} (the"
        f" series in {name}), higher orders not compared"
    )


def _fixed_values(spec: Quantity, at: Mapping[str, Any] | None) -> dict[str, int | float]:
    """``at`` validated: parameters of ``spec``, numbers in their domains (one-line errors)."""
    fixed: dict[str, int | float] = {}
    for name, given in (at or {}).items():
        if name not in spec.parameters:
            raise InvalidParameter(
                f"Got at {name}=..., but the parameters of {spec.name} are"
                f" {', '.join(spec.parameters)}."
            )
        if name == spec.up_to_factor_in:
            raise InvalidParameter(
                f"Got at {name}=..., but {spec.name} is compared as a function of {name}"
                f" (up to a factor free of {name}), so {name} cannot be fixed."
            )
        try:
            if isinstance(given, bool):
                raise ValueError
            value = float(given)
        except (TypeError, ValueError):
            raise InvalidParameter(f"Got at {name}={given}, but it must be a number.") from None
        parameter = PARAMETERS[name]
        symbol = parameter.symbol
        if not math.isfinite(value):
            raise InvalidParameter(f"Got at {name}={given}, but it must be finite.")
        if parameter.integer and value != int(value):
            raise InvalidParameter(f"Got at {name}={given}, but {name} is an integer.")
        if name in BOUNDARY_AT_ZERO and value < 0:
            raise InvalidParameter(
                f"Got at {name}={given}, but {name} must be >= 0 (0: the mode still at 0)."
            )
        if symbol.is_positive and value <= 0 and name not in BOUNDARY_AT_ZERO:
            raise InvalidParameter(f"Got at {name}={given}, but {name} must be > 0.")
        if symbol.is_nonnegative and value < 0:
            raise InvalidParameter(f"Got at {name}={given}, but {name} must be >= 0.")
        if name == "L" and not spec.fixed_depths[0] <= value <= spec.fixed_depths[1]:
            low, high = spec.fixed_depths
            raise InvalidParameter(
                f"Got at L={given}, but {spec.name} is checked at depths {low}-{high}."
            )
        fixed[name] = int(value) if parameter.integer else value
    return fixed


def outside_domain(spec: Quantity, fixed: Mapping[str, int | float]) -> InvalidParameter:
    """The error for fixed values that leave no point where ``spec`` is checked."""
    shown = ", ".join(f"{name}={value:g}" for name, value in fixed.items())
    return InvalidParameter(
        f"Got at {shown}, but {spec.name} is checked only where"
        f" {spec.domain or 'its constraint holds'}."
    )


def _exact(value: int | float) -> sp.Rational:
    """A fixed value as the exact rational it prints as (``0.1`` is ``1/10``)."""
    return sp.Rational(str(value))


def fixed_depth(fixed: Mapping[str, int | float]) -> int | None:
    """The depth ``L`` held fixed, if any."""
    return None if "L" not in fixed else int(fixed["L"])


def at_fixed_values(expr: sp.Expr, substitution: Mapping[sp.Symbol, sp.Rational]) -> sp.Expr:
    """``expr`` at the fixed values, one at a time; where a value lands on a removable
    singularity of a closed form (``0/0``, e.g. ``s_b = s`` in a geometric sum over layers),
    the two-sided limit there instead, or the limit from above at 0 for a positive parameter
    (``s_b = 0``, :data:`BOUNDARY_AT_ZERO`); left as ``nan`` if SymPy finds none."""
    for symbol, value in substitution.items():
        replaced = expr.xreplace({symbol: value})
        if replaced.has(sp.nan, sp.zoo):
            direction = "+" if value == 0 and symbol.is_positive else "+-"
            try:
                limit = sp.limit(expr, symbol, value, dir=direction)
            except (NotImplementedError, ValueError, TypeError, ArithmeticError):
                limit = sp.nan
            if limit.is_finite or (limit.is_finite is None and not limit.has(sp.Limit)):
                replaced = limit
        expr = replaced
    return expr
