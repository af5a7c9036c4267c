r"""Gradient flow on the full deep linear network against the derived mode dynamics (C9).

The numeric side simulates the *definition*: the weights :math:`\theta = (W_1, \dots, W_L)`
follow :math:`\dot\theta = -\nabla L(\theta)` (the simulator's population gradient,
:func:`numerics.network.population_gradient`), integrated by
:func:`scipy.integrate.solve_ivp` (DOP853) from aligned-balanced weights with Haar-random hidden
bases (:func:`numerics.weights.aligned_balanced_weights`), several modes, hidden layers wider
than the number of modes; the mode amplitudes :math:`s_a = u_a^\top W v_a` are read off the
end-to-end map (:func:`numerics.network.mode_amplitudes`).  No closed form enters the
simulation.  It is compared with the derived results of :mod:`derivations.gradient_flow`:
the logistic solution at :math:`L = 2`, and for :math:`L = 1, \dots, 4` the amplitude
obtained by inverting the derived closed-form time :math:`t(s)` (60-digit ``mpmath`` root
finding, so the reference is exact to far below the integration error).

Standard errors.  The simulation is deterministic; its error is the integration error.  Each
estimate is the run at ``rtol = 1e-10, atol = 1e-12`` (:data:`TOLERANCES`\ ``[0]``); its
standard error is the absolute difference from a run at ``rtol = 1e-12, atol = 1e-14``
(:data:`TOLERANCES`\ ``[1]``): the tighter run's own error is about a hundred times smaller, so
the difference estimates the reported run's error.  Where the two runs agree by accident
(an error curve crossing zero) the standard error is floored at :data:`FLOOR_ULPS` machine
epsilons times the value (about :math:`9\times10^{-13}` relative, the tighter run's requested
relative tolerance): the error the tighter run itself may make.  The z-test of
:mod:`reports.engine.verdict` then reads :math:`|z| \lesssim 1` for a correct formula, while a
formula off by 10 % sits about :math:`10^{8}` standard errors away.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from derivations.gradient_flow import (
    flow_time,
    flow_time_integral,
    gradient_flow_claim,
    half_time,
    logistic_solution,
)
from numerics.montecarlo import Estimate
from numerics.network import (
    flatten_layers,
    mode_amplitudes,
    network_widths,
    population_gradient,
    unflatten_layers,
)
from numerics.teacher import Teacher, random_teacher
from numerics.weights import aligned_balanced_weights
from reports.engine.claim import Claim, ClaimFigure, MonteCarlo
from reports.engine.quantity import Quantity
from reports.engine.verdict import Comparison
from reports.render.figures import figure_file, figure_path

__all__ = [
    "CLAIMS",
    "FLOOR_ULPS",
    "GRADIENT_FLOW",
    "GRADIENT_FLOW_FIGURE",
    "HORIZON_GROWTH",
    "MAX_HORIZON",
    "QUANTITIES",
    "TOLERANCES",
    "crossing_time_estimates",
    "flow_amplitude_estimates",
    "gradient_flow_comparisons",
    "gradient_flow_figure",
    "mode_flow_comparisons",
    "ordering_comparisons",
    "simulate_gradient_flow",
    "simulated_gf_solution",
    "simulated_gf_time",
    "simulated_half_time",
    "single_mode_crossing",
    "single_mode_flow",
]


#: ``(rtol, atol)`` of the reported run and of the tighter reference run.
TOLERANCES = ((1e-10, 1e-12), (1e-12, 1e-14))
#: Floor of every standard error, in machine epsilons times the value.
FLOOR_ULPS = 4096
_EPS = float(np.finfo(float).eps)


def _flow_rhs(teacher: Teacher, widths: tuple[int, ...]) -> Callable:
    def rhs(_time: float, vector: np.ndarray) -> np.ndarray:
        layers = unflatten_layers(vector, widths)
        return -flatten_layers(population_gradient(layers, teacher))

    return rhs


def _amplitudes_of(vector: np.ndarray, teacher: Teacher, widths: tuple[int, ...]) -> np.ndarray:
    return mode_amplitudes(unflatten_layers(vector, widths), teacher)


def simulate_gradient_flow(
    weights,
    teacher: Teacher,
    times: ArrayLike,
    *,
    rtol: float,
    atol: float,
    levels: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    r"""Integrate :math:`\dot\theta = -\nabla L(\theta)` from ``weights`` (DOP853).

    Parameters
    ----------
    weights : sequence of arrays
        Initial :math:`(W_1, \dots, W_L)`.
    teacher : Teacher
        The teacher (no label noise enters the population gradient's direction).
    times : sequence of float
        Increasing times :math:`> 0` at which to read the mode amplitudes.
    rtol, atol : float
        Tolerances of :func:`scipy.integrate.solve_ivp`.
    levels : sequence of float, optional
        One level per teacher mode: the first time :math:`s_a` crosses ``levels[a]`` upwards
        is located (``solve_ivp`` events on the dense output).

    Returns
    -------
    amplitudes : numpy.ndarray, shape (len(times), r)
    crossings : numpy.ndarray, shape (r,) or None
        First upward crossing times (``nan`` if a level is not reached by ``times[-1]``).
    """
    widths = network_widths(weights)
    grid = np.asarray(times, dtype=float)
    events = None
    if levels is not None:
        events = []
        for mode, level in enumerate(np.asarray(levels, dtype=float)):

            def event(_time, vector, mode=mode, level=float(level)):  # type: ignore[no-untyped-def]
                return _amplitudes_of(vector, teacher, widths)[mode] - level

            event.direction = 1.0  # type: ignore[attr-defined]
            events.append(event)
    from scipy.integrate import solve_ivp  # lazily: `dlnverify list` stays fast

    solution = solve_ivp(
        _flow_rhs(teacher, widths),
        (0.0, float(grid[-1])),
        flatten_layers(weights),
        method="DOP853",
        t_eval=grid,
        rtol=rtol,
        atol=atol,
        events=events,
    )
    if not solution.success:
        raise RuntimeError(f"solve_ivp failed: {solution.message}")
    amplitudes = np.array([_amplitudes_of(y, teacher, widths) for y in solution.y.T])
    crossings = None
    if levels is not None:
        crossings = np.array(
            [float(found[0]) if found.size else np.nan for found in solution.t_events]
        )
    return amplitudes, crossings


def _estimate(reported: np.ndarray, reference: np.ndarray) -> Estimate:
    """The reported run with SE = |reported - reference|, floored (module docstring)."""
    floor = FLOOR_ULPS * _EPS * np.abs(reported)
    return Estimate(reported, np.maximum(np.abs(reported - reference), floor), 0)


def flow_amplitude_estimates(weights, teacher: Teacher, times: ArrayLike) -> Estimate:
    """Mode amplitudes at ``times`` (shape ``(len(times), r)``) with their integration SE."""
    runs = [
        simulate_gradient_flow(weights, teacher, times, rtol=rtol, atol=atol)[0]
        for rtol, atol in TOLERANCES
    ]
    return _estimate(*runs)


def crossing_time_estimates(weights, teacher: Teacher, levels: ArrayLike, t_max: float) -> Estimate:
    """First times each mode crosses its level, with their integration SE."""
    runs = []
    for rtol, atol in TOLERANCES:
        crossings = simulate_gradient_flow(
            weights, teacher, [t_max], rtol=rtol, atol=atol, levels=levels
        )[1]
        assert crossings is not None  # levels were given
        runs.append(crossings)
    return _estimate(*runs)


def single_mode_flow(point: Mapping[str, float], rng: np.random.Generator) -> Estimate:
    r"""The ``gf_solution`` observable: :math:`s(t)` of one mode under gradient flow, depth 2.

    A teacher of shape ``(3, 2)`` with one singular value :math:`\sigma` and Haar-random
    bases; weights of widths ``(2, 3, 3)`` on the aligned-balanced manifold with amplitude
    :math:`s_0` (the other directions start, and stay, at 0); the flow is integrated to
    :math:`t` and the amplitude read off :math:`W_2W_1`.
    """
    sigma, start, time = float(point["sigma"]), float(point["s0"]), float(point["t"])
    teacher = random_teacher([sigma], shape=(3, 2), rng=rng)
    weights = aligned_balanced_weights(teacher, [start], (2, 3, 3), rng=rng)
    if time <= 0.0:
        value = mode_amplitudes(weights, teacher)[:1]
        return Estimate(float(value[0]), FLOOR_ULPS * _EPS * abs(float(value[0])), 0)
    estimate = flow_amplitude_estimates(weights, teacher, [time])
    value, error = np.asarray(estimate.value), np.asarray(estimate.standard_error)
    return Estimate(float(value[0, 0]), float(error[0, 0]), estimate.n_samples)


#: Horizons of :func:`single_mode_crossing`: the first is 1, each next this many times longer.
HORIZON_GROWTH = 4.0
#: The longest horizon tried before giving up.
MAX_HORIZON = 1e6


def single_mode_crossing(point: Mapping[str, float], rng: np.random.Generator) -> Estimate:
    r"""The ``gf_time`` observable: the time one mode of a depth-:math:`L` network takes
    under gradient flow to grow from :math:`s_0` to :math:`s`.

    A teacher of shape ``(3, 2)`` with one singular value :math:`\sigma` and Haar-random
    bases; weights of widths ``(2, 3, ..., 3)`` on the aligned-balanced manifold with amplitude
    :math:`s_0`; the flow of all the weights is integrated and the first upward crossing of
    :math:`s` located (``solve_ivp`` events), over horizons :math:`1, 4, 16, \dots` until the
    crossing lies inside one.  The standard error is the integration error
    (:func:`crossing_time_estimates`).
    """
    depth, sigma = int(point["L"]), float(point["sigma"])
    start, level = float(point["s0"]), float(point["s"])
    if not 0 < start < level < sigma:
        raise ValueError(f"Got s0={start}, s={level}, sigma={sigma}; need 0 < s0 < s < sigma.")
    teacher = random_teacher([sigma], shape=(3, 2), rng=rng)
    weights = aligned_balanced_weights(teacher, [start], (2, *(3,) * depth), rng=rng)
    horizon = 1.0
    while horizon <= MAX_HORIZON:
        estimate = crossing_time_estimates(weights, teacher, [level], horizon)
        value, error = np.asarray(estimate.value), np.asarray(estimate.standard_error)
        if np.isfinite(value[0]) and np.isfinite(error[0]):
            return Estimate(float(value[0]), float(error[0]), estimate.n_samples)
        horizon *= HORIZON_GROWTH
    raise RuntimeError(f"the mode did not reach s={level} within t={MAX_HORIZON:g}")


# --- the derived side ----------------------------------------------------------------------


@cache
def _derived_time(depth: int) -> Callable:
    """The derived :math:`t(s)` at ``depth`` as an mpmath function ``(s, s0, sigma)``."""
    import sympy as sp

    from derivations.conventions import s, s0, sigma
    from derivations.gradient_flow import flow_time

    return sp.lambdify((s, s0, sigma), flow_time(depth), modules="mpmath")


@cache
def _derived_logistic() -> Callable:
    import sympy as sp

    from derivations.conventions import s0, sigma, t
    from derivations.gradient_flow import logistic_solution

    return sp.lambdify((t, s0, sigma), logistic_solution(), modules="numpy")


@cache
def _derived_rate(depth: int) -> Callable:
    r"""The derived ODE right-hand side :math:`ds/dt` (the C7 drift) at ``depth``, mpmath."""
    import sympy as sp

    from derivations.conventions import s, sigma
    from derivations.gradient_flow import flow_ode

    rhs = flow_ode(depth).rhs.subs(flow_ode(depth).lhs.args[0], s)
    return sp.lambdify((s, sigma), rhs, modules="mpmath")


def _inverted_time(depth: int, time: float, start: float, sigma: float) -> float:
    r"""The amplitude :math:`s` with derived :math:`t(s) = ` ``time``, at 60 digits.

    :math:`t(s)` increases on :math:`(s_0, \sigma)`; in the variable
    :math:`y = -\log(1 - s/\sigma)` (which tames the logarithmic end at :math:`\sigma`) a
    Newton iteration with :math:`dt/ds = 1/\dot s` (the derived ODE) is safeguarded by
    bisection on the bracket :math:`[y(s_0), 80]`.  Near :math:`s = \sigma` the closed form
    loses about :math:`y / \ln 10` digits to cancellation, hence the 60 working digits; the
    residual :math:`|t(s) - \text{time}|` is required below :math:`10^{-20}`.
    """
    import mpmath

    function, rate = _derived_time(depth), _derived_rate(depth)
    with mpmath.workdps(60):
        start_mp, sigma_mp, target = mpmath.mpf(start), mpmath.mpf(sigma), mpmath.mpf(time)

        def amplitude(y):  # type: ignore[no-untyped-def]
            return sigma_mp * -mpmath.expm1(-y)

        def excess(y):  # type: ignore[no-untyped-def]
            return function(amplitude(y), start_mp, sigma_mp) - target

        low, high = -mpmath.log1p(-start_mp / sigma_mp), mpmath.mpf(80)
        if excess(high) < 0:
            raise ValueError(f"t = {time} lies beyond s = sigma (1 - e^-80)")
        y, tolerance = (low + high) / 2, mpmath.mpf(10) ** -50
        for _ in range(300):
            value = excess(y)
            if value > 0:
                high = y
            else:
                low = y
            # dt/dy = (dt/ds)(ds/dy) = sigma e^-y / rate(s)
            step = value * rate(amplitude(y), sigma_mp) / (sigma_mp * mpmath.exp(-y))
            if abs(step) <= tolerance * max(1, abs(y)):
                y -= step
                break
            candidate = y - step
            y = candidate if low < candidate < high else (low + high) / 2
            if high - low <= tolerance * max(1, abs(high)):
                break
        residual = abs(excess(y))
        if residual > mpmath.mpf(10) ** -20 * max(1, target):
            raise RuntimeError(f"inverting t(s) = {time} failed (residual {residual})")
        return float(amplitude(y))


def _derived_amplitudes(depth: int, times, starts, sigmas) -> np.ndarray:
    pairs = list(zip(starts, sigmas, strict=True))
    if depth == 2:
        logistic = _derived_logistic()
        return np.array([[logistic(time, a, b) for a, b in pairs] for time in times])
    return np.array([[_inverted_time(depth, time, a, b) for a, b in pairs] for time in times])


@cache
def _derived_half_time(depth: int) -> Callable:
    import sympy as sp

    from derivations.conventions import s0, sigma
    from derivations.gradient_flow import fraction, fraction_time

    expr = fraction_time(depth).subs(fraction, sp.Rational(1, 2))
    return sp.lambdify((s0, sigma), expr, modules="mpmath")


def _half_time_threshold(depth: int) -> float:
    from derivations.gradient_flow import half_time_threshold

    return float(half_time_threshold(depth))


# --- the comparisons -----------------------------------------------------------------------

#: Teacher of the mode-flow checks: shape (m, n) = (4, 3), three modes; hidden width 5.
_SHAPE = (4, 3)
_HIDDEN = 5
_SINGULAR_VALUES = np.array([2.0, 1.5, 1.0])
#: Observation times as fractions of the derived half time of the slowest mode.
_TIME_FRACTIONS = np.array([0.4, 0.8, 1.0, 1.3, 2.0])


def _network(depth: int, singular_values, starts, rng: np.random.Generator):
    teacher = random_teacher(singular_values, shape=_SHAPE, rng=rng)
    widths = (_SHAPE[1], *([_HIDDEN] * (depth - 1)), _SHAPE[0])
    return teacher, aligned_balanced_weights(teacher, starts, widths, rng=rng)


def _rounded(values) -> list[float]:
    return [round(float(v), 4) for v in np.ravel(values)]


def mode_flow_comparisons(rng: np.random.Generator) -> list[Comparison]:
    r"""Amplitudes of three modes under gradient flow of the full network, depths 1-4,
    against the derived solution (logistic at :math:`L = 2`, inverted :math:`t(s)` else).

    :math:`\sigma = (2, 1.5, 1)`, :math:`s_{0,a} \sim U(0.01, 0.1)`; times are fractions
    :data:`_TIME_FRACTIONS` of the derived half time of the slowest mode (the transition).
    """
    comparisons = []
    for depth in (1, 2, 3, 4):
        starts = rng.uniform(0.01, 0.1, size=_SINGULAR_VALUES.size)
        teacher, weights = _network(depth, _SINGULAR_VALUES, starts, rng)
        half = float(_derived_half_time(depth)(starts[-1], _SINGULAR_VALUES[-1]))
        times = _TIME_FRACTIONS * half
        estimate = flow_amplitude_estimates(weights, teacher, times)
        derived = _derived_amplitudes(depth, times, starts, _SINGULAR_VALUES)
        params = {
            "L": depth,
            "observable": "mode amplitudes s_a(t)",
            "sigma": _rounded(_SINGULAR_VALUES),
            "s0": _rounded(starts),
            "t": _rounded(times),
        }
        labels = tuple(
            f"s_{a}(t_{k})" for k in range(1, times.size + 1) for a in range(1, starts.size + 1)
        )
        comparisons.append(Comparison(params, estimate, derived, labels=labels, worst_only=True))
    return comparisons


#: Configurations of the ordering check: depth, singular values, common s0, predicted order.
_ORDERINGS = (
    (2, (2.0, 1.5, 1.0), 0.01),
    (3, (2.0, 1.5, 1.0), 0.01),
    (2, (1.0, 0.75), 0.25),  # s0 / sigma > u*_2: the larger mode reaches its half later
)


def ordering_comparisons(
    rng: np.random.Generator, *, unconditional: bool = False
) -> list[Comparison]:
    r"""Larger modes first: the first time each mode crosses :math:`\sigma_a/2`.

    All modes start at the same :math:`s_0`.  Two comparisons per configuration: the crossing
    times against the derived half times :math:`t(\sigma_a/2)`; and an indicator (exact,
    standard error 0) that the observed order is the one the derived threshold predicts —
    decreasing in :math:`\sigma` when every :math:`s_0/\sigma_a < u^*_L`, increasing when
    every :math:`s_0/\sigma_a` lies in :math:`(u^*_L, 1/2)`.  ``unconditional=True``
    predicts "largest first" everywhere (the paper's statement without the condition on
    :math:`s_0`), which tests show the simulation rejects.
    """
    comparisons = []
    for depth, singular_values, start in _ORDERINGS:
        sigmas = np.array(singular_values)
        starts = np.full(sigmas.size, start)
        teacher, weights = _network(depth, sigmas, starts, rng)
        derived = np.array([float(_derived_half_time(depth)(start, b)) for b in sigmas])
        crossings = crossing_time_estimates(weights, teacher, sigmas / 2, 1.5 * derived.max())
        params = {"L": depth, "sigma": _rounded(sigmas), "s0": start}
        comparisons.append(
            Comparison(
                params | {"observable": "first time s_a = sigma_a/2"},
                crossings,
                derived,
                labels=tuple(f"first time s_{a} = sigma_{a}/2" for a in range(1, sigmas.size + 1)),
            )
        )
        threshold = _half_time_threshold(depth)
        ratios = start / sigmas
        order = np.argsort(crossings.value)  # modes in the order they reach their half
        if unconditional or np.all(ratios < threshold):
            predicted = np.argsort(-sigmas)  # largest first
        elif np.all((ratios > threshold) & (ratios < 0.5)):
            predicted = np.argsort(sigmas)  # smallest first
        else:
            raise ValueError("configuration straddles the threshold: no predicted order")
        observed = float(np.array_equal(order, predicted))
        comparisons.append(
            Comparison(
                params | {"observable": "crossing order as predicted by s0/sigma vs u*_L"},
                Estimate(observed, 0.0, 0),
                1.0,
            )
        )
    return comparisons


def gradient_flow_comparisons(rng: np.random.Generator) -> list[Comparison]:
    """C9: :func:`mode_flow_comparisons` and :func:`ordering_comparisons`."""
    return mode_flow_comparisons(rng) + ordering_comparisons(rng)


def simulated_gf_solution(point: Mapping[str, float], rng: np.random.Generator) -> Estimate:
    r"""Mode amplitude :math:`s(t)` under gradient flow of the full depth-2 network from the
    aligned-balanced point of amplitude :math:`s_0` (``solve_ivp`` on all the weights; the
    standard error is the integration error, see :mod:`reports.claims.gradient_flow`)."""
    return single_mode_flow(point, rng)


def simulated_gf_time(point: Mapping[str, float], rng: np.random.Generator) -> Estimate:
    r"""Time for a mode of the full depth-:math:`L` network to grow from :math:`s_0` to
    :math:`s` under gradient flow from the aligned-balanced point (``solve_ivp`` events; the
    standard error is the integration error, see :mod:`reports.claims.gradient_flow`)."""
    return single_mode_crossing(point, rng)


def simulated_half_time(point: Mapping[str, float], rng: np.random.Generator) -> Estimate:
    r"""Time for a mode of the full depth-:math:`L` network to grow from :math:`s_0` to
    :math:`\sigma/2` under gradient flow from the aligned-balanced point: the crossing time of
    :func:`single_mode_crossing` at the level :math:`s = \sigma/2` (``solve_ivp`` events; the
    standard error is the integration error, see :mod:`reports.claims.gradient_flow`)."""
    return single_mode_crossing(dict(point) | {"s": float(point["sigma"]) / 2}, rng)


def gradient_flow_figure(path: str | Path) -> Path:
    r"""The derived gradient flow :math:`s(t)/\sigma` at :math:`L = 2` for three teacher values.

    :math:`\sigma \in \{1, 2, 3\}` (arithmetic progression), :math:`s_0 = 0.01`: the logistic
    solution of :func:`derivations.gradient_flow.logistic_solution`; larger modes rise first.

    Parameters
    ----------
    path : str or pathlib.Path
        Output file (``.pdf`` or ``.png``).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    import sympy as sp

    from derivations.conventions import s0, sigma, t
    from derivations.gradient_flow import logistic_solution

    target = figure_path(path)
    flow = sp.lambdify((t, sigma, s0), logistic_solution() / sigma)
    with figure_file(target) as axes:
        times = np.linspace(0.0, 3.5, 400)
        start = 0.01
        for value, color in zip(
            (1.0, 2.0, 3.0), ("tab:blue", "tab:orange", "tab:green"), strict=True
        ):
            axes.plot(
                times,
                flow(times, value, start),
                color=color,
                lw=1.5,
                label=rf"$\sigma = {value:g}$",
            )
            half = float(np.log(value / start - 1.0) / (2.0 * value))
            axes.plot([half], [0.5], "o", color=color, ms=4)
        axes.axhline(0.5, color="0.5", lw=0.8, ls=":")
        axes.set_xlim(0.0, 3.5)
        axes.set_ylim(0.0, 1.05)
        axes.set_xlabel(r"time $t = k\eta$")
        axes.set_ylabel(r"$s(t) / \sigma$")
        axes.set_title(
            rf"Gradient flow, $L = 2$, $s_0 = {start:g}$: larger modes first", fontsize=10
        )
        axes.legend(loc="lower right", fontsize=8, frameon=False)
    return target


GRADIENT_FLOW_FIGURE = ClaimFigure(
    gradient_flow_figure,
    "gradient_flow",
    (
        r"Derived gradient flow $s(t)/\sigma$ at $L = 2$ for $\sigma = 1, 2, 3$ from the same "
        r"$s_0$: larger modes are learned first (dots: half times)."
    ),
)

GRADIENT_FLOW = Claim(
    "C9",
    "Gradient flow of a mode: logistic at L = 2, separable ODE, larger modes first",
    "Eqs. 2-3",
    r"\dot s = L s^{2-2/L}(\sigma - s);\quad L = 2:\ "
    r"s(t) = \frac{\sigma}{1 + (\sigma/s_0 - 1)e^{-2\sigma t}};\quad"
    r" \text{larger modes are learned first}",
    gradient_flow_claim,
    MonteCarlo(
        gradient_flow_comparisons,
        "Gradient flow of the full network (solve_ivp), depths 1-4, three modes; SE = "
        "integration error (difference of two tolerance levels).",
    ),
    quantities=("gf_solution", "gf_time", "half_time"),
    figure=GRADIENT_FLOW_FIGURE,
)


def _flow_time(depth: int | None = None) -> Any:
    return flow_time_integral() if depth is None else flow_time(depth)


def _growing(point: Mapping[str, float]) -> bool:
    return bool(point["s0"] < point["s"] < point["sigma"])


def _below_half(point: Mapping[str, float]) -> bool:
    return bool(point["s0"] < point["sigma"] / 2)


def _half_time(depth: int | None = None) -> Any:
    return half_time(depth)


def _time_quantity(
    name: str,
    description: str,
    parameters: tuple[str, ...],
    time: Callable[[int | None], Any],
    observable: Callable[[Mapping[str, float], np.random.Generator], Estimate],
    constraint: Callable[[Mapping[str, float]], bool],
    domain: str,
) -> Quantity:
    """A gradient-flow time at any depth: ``time()`` the integral for free ``L``,
    ``time(depth)`` its closed form at depths 1-4 (the convention kind ``time``)."""
    return Quantity(
        name,
        description,
        parameters,
        "C9",
        lambda: {"time": time(None)},
        observable,
        constraint=constraint,
        domain=domain,
        depth_range=(1, 4),
        # the closed form at a fixed depth integrates a rational function of degree ~ L
        deepest_fixed_depth=4,
        at_depth=lambda depth: {"time": time(depth)},
    )


QUANTITIES = (
    Quantity(
        "gf_solution",
        "mode amplitude s(t) under gradient flow from s(0) = s0, depth L = 2 (Eq. 3)",
        ("t", "s0", "sigma"),
        "C9",
        lambda: {"solution": logistic_solution()},
        simulated_gf_solution,
        depth_range=(2, 2),
        deepest_fixed_depth=2,
    ),
    _time_quantity(
        "gf_time",
        "time t for a mode to grow from s0 to s < sigma under gradient flow, any depth (Eq. 2 "
        "separated); closed forms at fixed depth (--at L=3)",
        ("s", "s0", "sigma", "L"),
        _flow_time,
        simulated_gf_time,
        _growing,
        "s0 < s < sigma",
    ),
    _time_quantity(
        "half_time",
        "time t for a mode to grow from s0 to sigma/2 under gradient flow, any depth (Eq. 2 "
        "separated; at L = 2 log(sigma/s0 - 1)/(2 sigma)); closed forms at fixed depth (--at L=3)",
        ("s0", "sigma", "L"),
        _half_time,
        simulated_half_time,
        _below_half,
        "s0 < sigma/2",
    ),
)
CLAIMS = (GRADIENT_FLOW,)
