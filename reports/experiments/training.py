r"""``dlnverify simulate``: configure, run and save one training experiment (DESIGN.md §8).

The set-up of the paper's App. H: a teacher with given singular values (default three in
arithmetic progression, :math:`3, 2, 1`) and Haar-random singular bases, online standard
Gaussian inputs, optional isotropic label noise, a network of depth :math:`L` with square
hidden layers (default :math:`d = 12`), small Gaussian initialisation :math:`N(0, d^{-\gamma})`
with :math:`\gamma > 1` (rich regime), and one of four optimisers
(:mod:`numerics.trajectory`).  Parameters come from defaults, then experiment files
(:mod:`reports.experiments.files`), then command-line flags; every value is validated before
the run, and the same seed gives the same trajectory.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from dlnverify.errors import InvalidParameter
from numerics.ensemble import WorkingDtype, check_working_dtype
from numerics.teacher import Teacher, random_teacher
from numerics.trajectory import OPTIMIZERS, Trajectory, simulate_trajectory
from numerics.weights import aligned_balanced_weights, small_gaussian_init
from reports.experiments.summary import Summary
from reports.render.files import atomic_path, write_text_atomically
from reports.render.json import json_text

__all__ = [
    "DiffusionModeSummary",
    "DiffusionSummary",
    "MAX_STEPS",
    "OUTPUT_FORMATS",
    "SimulationConfig",
    "TrainingSummary",
    "aligned_init",
    "run_simulation",
    "seeded_teacher",
    "small_init",
    "summarise",
    "train",
    "training_summary",
    "write_trajectory",
]

#: Most steps a run may take, however they are given (``steps``, ``duration``, a file, a
#: sweep's values): a typo such as ``steps = 10**12`` or ``duration = 4e6`` is refused
#: rather than started.
MAX_STEPS = 10**8

#: File suffixes ``write_trajectory`` understands.
OUTPUT_FORMATS = (".csv", ".json", ".npz")


@dataclass(frozen=True)
class SimulationConfig:
    r"""Parameters of one experiment; the defaults follow the paper's App. H.

    Attributes
    ----------
    optimizer : str
        ``"gd"``, ``"sgd"``, ``"anisotropic"`` or ``"isotropic"``.
    depth : int
        :math:`L \ge 1`.
    width : int
        Input and output dimension :math:`d` (square teacher).
    hidden : int
        Hidden width (``0``: equal to ``width``).
    singular_values : tuple[float, ...]
        Teacher singular values, positive, at most ``width`` of them.
    label_noise : float
        :math:`\sigma_\varepsilon \ge 0` (:math:`\Sigma_\varepsilon = \sigma_\varepsilon^2 I`).
    gamma : float
        Initialisation exponent: entries :math:`N(0, d^{-\gamma})`.
    eta : float
        Learning rate; also the Euler-Maruyama step of the Langevin optimisers unless ``dt``
        is given.
    dt : float
        Euler-Maruyama step :math:`dt` of ``"anisotropic"`` and ``"isotropic"`` (``0``:
        equal to ``eta``), so the discretisation error can be varied at fixed
        :math:`\kappa = \eta/B` (paper App. K); time is :math:`t = k\,dt`.
    batch_size : int
        :math:`B` (SGD batch; :math:`\kappa = \eta/B` for anisotropic Langevin).
    temperature : float
        :math:`T` of isotropic Langevin.
    steps : int
        Number of steps, at most :data:`MAX_STEPS`.
    duration : float
        ``0`` (default), or the time to run to: then ``steps`` is
        :math:`\lceil\text{duration}/dt\rceil`, recomputed whenever ``dt`` or ``eta`` changes
        (a sweep over ``dt`` at a fixed time, paper App. K).  In :meth:`from_mapping` the later
        of ``steps`` and ``duration`` wins; giving both at once is an error.
    record_every : int
        Record the observables every this many steps.
    ensemble : int
        Independent networks run together.
    seed : int
        Seed of the teacher, the initialisation and the data or noise.
    diffusion_samples : int
        ``0`` (default) or ``>= 2``: fresh samples per record for the empirical modewise
        diffusion :math:`\kappa\,\widehat{\operatorname{Var}}\langle\nabla s_a,
        \nabla\ell\rangle` (:func:`numerics.trajectory.empirical_diffusion`).
    dtype : str
        Working precision of the anisotropic Langevin step, ``"float64"`` (default) or
        ``"float32"`` (:class:`numerics.ensemble.AnisotropicEnsembleStep`); the other
        optimisers run in float64 only.
    """

    optimizer: str = "sgd"
    depth: int = 2
    width: int = 12
    hidden: int = 0
    singular_values: tuple[float, ...] = (3.0, 2.0, 1.0)
    label_noise: float = 0.0
    gamma: float = 2.0
    eta: float = 0.01
    dt: float = 0.0
    batch_size: int = 1
    temperature: float = 0.0
    steps: int = 3000
    duration: float = 0.0
    record_every: int = 10
    ensemble: int = 1
    seed: int = 0
    diffusion_samples: int = 0
    dtype: str = "float64"

    def __post_init__(self) -> None:
        # ``duration`` (when set and usable) decides ``steps``; validation is in from_mapping.
        step = self.time_step
        if self.duration > 0 and math.isfinite(self.duration) and math.isfinite(step) and step > 0:
            count = math.ceil(self.duration / step - 1e-9)
            object.__setattr__(self, "steps", max(1, min(count, MAX_STEPS + 1)))

    @classmethod
    def from_mapping(
        cls, values: Mapping[str, Any], base: SimulationConfig | None = None
    ) -> SimulationConfig:
        """``base`` (default: the defaults) updated by ``values``; unknown keys are refused."""
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise InvalidParameter(
                f"Got unknown simulation parameter(s) {', '.join(map(repr, unknown))}; "
                f"known: {', '.join(known)}."
            )
        updates = {name: _coerce(name, known[name].type, value) for name, value in values.items()}
        if "steps" in updates:  # the later layer wins: steps given here switch duration off
            if updates.get("duration"):
                raise InvalidParameter(
                    f"Got steps={updates['steps']} and duration={updates['duration']}, but only"
                    " one of them can set the length of the run."
                )
            updates["duration"] = 0.0
        return (base or cls())._validated(updates)

    def _validated(self, updates: Mapping[str, Any]) -> SimulationConfig:
        config = replace(self, **updates)
        if config.optimizer not in OPTIMIZERS:
            raise InvalidParameter(
                f"Got optimizer={config.optimizer!r}, but it must be one of {', '.join(OPTIMIZERS)}."
            )
        for name in ("depth", "width", "batch_size", "steps", "record_every", "ensemble"):
            if getattr(config, name) < 1:
                raise InvalidParameter(f"Got {name}={getattr(config, name)}, but it must be >= 1.")
        if config.diffusion_samples < 0 or config.diffusion_samples == 1:
            raise InvalidParameter(
                f"Got diffusion_samples={config.diffusion_samples}, but it must be 0 (off) or "
                ">= 2 (a variance needs two samples)."
            )
        if config.seed < 0:
            raise InvalidParameter(f"Got seed={config.seed}, but it must be >= 0.")
        if check_working_dtype(config.dtype) is not WorkingDtype.FLOAT64 and (
            config.optimizer != "anisotropic"
        ):
            raise InvalidParameter(
                f"Got dtype={config.dtype!r} with optimizer={config.optimizer!r}, but float32 is"
                " the working precision of the anisotropic Langevin step only."
            )
        if config.hidden < 0:
            raise InvalidParameter(f"Got hidden={config.hidden}, but it must be >= 0 (0: = width).")
        for name in ("eta", "dt", "duration", "gamma", "label_noise", "temperature"):
            value = getattr(config, name)
            if not math.isfinite(value) or value < 0 or (name == "eta" and value == 0):
                bound = {"eta": "> 0", "dt": ">= 0 (0: equal to eta)"}.get(name, ">= 0")
                raise InvalidParameter(f"Got {name}={value}, but it must be finite and {bound}.")
        if config.dt and config.optimizer in ("gd", "sgd"):
            raise InvalidParameter(
                f"Got dt={config.dt} with optimizer={config.optimizer!r}, but dt is the "
                "Euler-Maruyama step of the Langevin optimisers (anisotropic, isotropic); "
                "gd and sgd step by eta."
            )
        if config.steps > MAX_STEPS:
            given = (
                f"duration={config.duration} at dt={config.time_step}, but that is"
                if config.duration
                else f"steps={config.steps}, but that is"
            )
            raise InvalidParameter(f"Got {given} more than the {MAX_STEPS} steps allowed.")
        values = config.singular_values
        if not values or any(not math.isfinite(v) or v <= 0 for v in values):
            raise InvalidParameter(
                f"Got singular_values={values}, but they must be one or more finite numbers > 0."
            )
        if len(values) > min(config.width, config.hidden or config.width):
            raise InvalidParameter(
                f"Got {len(values)} singular values, but the rank must be <= min(width, hidden)"
                f" = {min(config.width, config.hidden or config.width)}."
            )
        return config

    @property
    def time_step(self) -> float:
        """The step :math:`dt` of one iteration in time units: ``dt`` if set, else ``eta``."""
        return self.dt or self.eta

    @property
    def kappa(self) -> float:
        """Noise scale :math:`\\kappa = \\eta/B` of the SDE (paper Eq. 1)."""
        return self.eta / self.batch_size

    @property
    def widths(self) -> tuple[int, ...]:
        """:math:`(h_0, \\dots, h_L)`."""
        hidden = self.hidden or self.width
        return (self.width, *[hidden] * (self.depth - 1), self.width)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["singular_values"] = list(self.singular_values)
        return data


def _coerce(name: str, kind: Any, value: Any) -> Any:
    """``value`` as the field's type, with a one-line error (no implicit truncation, and no
    digit of another script read as an ASCII one)."""
    kind = str(kind)
    if kind == "tuple[float, ...]":
        if isinstance(value, str):
            parts = [p for p in value.replace(",", " ").split() if p]
        elif isinstance(value, list | tuple):
            parts = list(value)
        else:
            raise InvalidParameter(f"Got {name}={value!r}, but it must be a list of numbers.")
        return tuple(_coerce(name, "float", p) for p in parts)
    if kind == "str":
        if not isinstance(value, str):
            raise InvalidParameter(f"Got {name}={value!r}, but it must be a string.")
        return value
    if isinstance(value, str) and not value.isascii():  # int() and float() read '٤', '１'
        raise InvalidParameter(
            f"Got {name}={value!r}, but a number is written in ASCII (digits 0-9)."
        )
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise InvalidParameter(f"Got {name}={value!r}, but it must be an integer.")
        try:
            return int(value)
        except ValueError:
            raise InvalidParameter(f"Got {name}={value!r}, but it must be an integer.") from None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidParameter(f"Got {name}={value!r}, but it must be a number.")
    try:
        return float(value)
    except ValueError:
        raise InvalidParameter(f"Got {name}={value!r}, but it must be a number.") from None


def run_simulation(
    config: SimulationConfig,
    *,
    progress: Callable[[int, int], None] | None = None,
    diffusion_progress: Callable[[int, int, int], None] | None = None,
) -> Trajectory:
    """Build the teacher and the initial ensemble from ``config.seed`` and run it (``progress``
    and ``diffusion_progress`` as in :func:`train`)."""
    rng, teacher = seeded_teacher(config)
    return train(
        config,
        small_init(config, rng),
        teacher,
        rng=rng,
        progress=progress,
        diffusion_progress=diffusion_progress,
    )


def seeded_teacher(config: SimulationConfig) -> tuple[np.random.Generator, Teacher]:
    """The generator seeded by ``config.seed`` and the teacher it draws first (singular
    values, Haar bases, label noise of ``config``); the run goes on with the same generator."""
    rng = np.random.default_rng(config.seed)
    teacher = random_teacher(
        config.singular_values,
        shape=(config.width, config.width),
        rng=rng,
        label_noise=config.label_noise,
    )
    return rng, teacher


def small_init(config: SimulationConfig, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    r"""``config.ensemble`` networks (no ensemble axis for one) with entries
    :math:`N(0, d^{-\gamma})`, drawn from ``rng``."""
    batch = () if config.ensemble == 1 else (config.ensemble,)
    return tuple(
        small_gaussian_init(
            config.widths, gamma=config.gamma, rng=rng, d=config.width, batch_shape=batch
        )
    )


def aligned_init(
    config: SimulationConfig,
    teacher: Teacher,
    amplitudes: ArrayLike,
    rng: np.random.Generator,
) -> tuple[np.ndarray, ...]:
    r"""``config.ensemble`` copies (ensemble axis first) of one aligned-balanced point with mode
    amplitudes ``amplitudes`` on ``teacher``'s bases, its hidden bases drawn from ``rng``
    (:func:`numerics.weights.aligned_balanced_weights`)."""
    single = aligned_balanced_weights(teacher, amplitudes, config.widths, rng=rng)
    return tuple(np.broadcast_to(w, (config.ensemble, *w.shape)).copy() for w in single)


def train(
    config: SimulationConfig,
    weights: Sequence[np.ndarray],
    teacher: Teacher,
    *,
    rng: np.random.Generator,
    progress: Callable[[int, int], None] | None = None,
    diffusion_progress: Callable[[int, int, int], None] | None = None,
) -> Trajectory:
    """Run ``config``'s optimiser from ``weights`` on ``teacher`` and record the observables
    (:func:`numerics.trajectory.simulate_trajectory` with the config's parameters;
    ``progress(done, steps)`` over the steps, ``diffusion_progress(step, done, samples)`` over
    the diffusion samples of each record)."""
    return simulate_trajectory(
        weights,
        teacher,
        optimizer=config.optimizer,
        eta=config.eta,
        dt=config.dt or None,
        steps=config.steps,
        rng=rng,
        batch_size=config.batch_size,
        temperature=config.temperature,
        record_every=config.record_every,
        progress=progress,
        diffusion_samples=config.diffusion_samples,
        diffusion_progress=diffusion_progress,
        dtype=config.dtype,
    )


def _ensemble_axis(array: np.ndarray, config: SimulationConfig) -> np.ndarray:
    """Arrays with an explicit ensemble axis after the record axis."""
    return array if config.ensemble > 1 else array[:, np.newaxis]


@dataclass(frozen=True)
class DiffusionModeSummary(Summary):
    r"""One mode's diffusion along training against Eq. 7
    (:func:`reports.experiments.diffusion.diffusion_summary`).

    Attributes
    ----------
    mode : int
        :math:`a`, from 1.
    sigma : float
    s_star : float or None
        The derived peak amplitude (Eq. 9; ``None`` where it does not exist).
    empirical_peak_time, peak_time_uncertainty : float
        Time of the largest empirical diffusion, uncertain by one record spacing.
    formula_peak_time, s_star_crossing_time, half_time, full_time : float or None
        Argmax of Eq. 7 along the run; first time :math:`s_a` reaches :math:`s^\ast`,
        :math:`\sigma_a/2` and :math:`0.9\sigma_a` (``None``: never).
    peak_before_half, peak_before_full : bool or None
        The empirical peak at least one record spacing earlier than those.
    max_diffusion, max_formula : float or None
        Largest empirical diffusion and Eq. 7 along the run.
    max_abs_z_aligned : float or None
        Largest :math:`|z|` over the records close to aligned and balanced.
    n_aligned_records : int
    median_relative_error_window, max_relative_error_window, max_abs_z_window : float or None
        Over the learning window (Eq. 7 at least 10 % of its maximum).
    max_abs_z_all, worst_time_all : float or None
        Largest :math:`|z|` over every record with :math:`s_a \ge 0`, and its time.
    """

    mode: int
    sigma: float
    s_star: float | None
    empirical_peak_time: float
    peak_time_uncertainty: float
    formula_peak_time: float | None
    s_star_crossing_time: float | None
    half_time: float | None
    full_time: float | None
    peak_before_half: bool | None
    peak_before_full: bool | None
    max_diffusion: float
    max_formula: float | None
    max_abs_z_aligned: float | None
    n_aligned_records: int
    median_relative_error_window: float | None
    max_relative_error_window: float | None
    max_abs_z_window: float | None
    max_abs_z_all: float | None
    worst_time_all: float | None


@dataclass(frozen=True)
class DiffusionSummary(Summary):
    r"""The diffusion along a training run against Eq. 7
    (:func:`reports.experiments.diffusion.diffusion_summary`).

    Attributes
    ----------
    config : SimulationConfig
    diffusion_samples : int
    kappa, aligned_tolerance : float
    threshold : float
        Bonferroni :math:`z^\ast` at ``false_alarm_rate`` over the aligned comparisons.
    false_alarm_rate : float
    modes : tuple[DiffusionModeSummary, ...]
    """

    config: SimulationConfig
    diffusion_samples: int
    kappa: float
    aligned_tolerance: float
    threshold: float
    false_alarm_rate: float
    modes: tuple[DiffusionModeSummary, ...]


@dataclass(frozen=True)
class TrainingSummary(Summary):
    r"""End-of-run figures of a training run (:func:`training_summary`).

    Attributes
    ----------
    config : SimulationConfig
    final_time, final_loss : float
        Last record time and population loss (ensemble mean).
    final_modes : tuple[float, ...]
        Ensemble-mean :math:`s_a` at the end.
    half_times : tuple[float or None, ...]
        First record time at which the ensemble-mean :math:`s_a` reaches
        :math:`\sigma_a/2` (``None``: never).
    max_cross_mode : float
        Largest cross-mode amplitude over the run.
    final_relative_imbalance : tuple[float, ...]
        Ensemble mean per layer pair at the end.
    diffusion : DiffusionSummary or None
        The diffusion along training when recorded (left out of the JSON form while
        ``None``).
    """

    OPTIONAL = ("diffusion",)

    config: SimulationConfig
    final_time: float
    final_loss: float
    final_modes: tuple[float, ...]
    half_times: tuple[float | None, ...]
    max_cross_mode: float
    final_relative_imbalance: tuple[float, ...]
    diffusion: DiffusionSummary | None = None


def training_summary(trajectory: Trajectory, config: SimulationConfig) -> TrainingSummary:
    r"""End-of-run figures, averaged over the ensemble.

    ``half_times[a]``: the first recorded time at which the ensemble-mean :math:`s_a` reaches
    :math:`\sigma_a / 2` (``None`` if it does not).
    """
    modes = _ensemble_axis(trajectory.modes, config).mean(axis=1)
    sigmas = np.asarray(config.singular_values)
    reached = modes >= sigmas / 2
    half_times = tuple(
        float(trajectory.times[np.argmax(reached[:, a])]) if reached[:, a].any() else None
        for a in range(sigmas.size)
    )
    return TrainingSummary(
        config=config,
        final_time=float(trajectory.times[-1]),
        final_loss=float(np.mean(trajectory.loss[-1])),
        final_modes=tuple(modes[-1].tolist()),
        half_times=half_times,
        max_cross_mode=float(np.max(trajectory.cross_modes)),
        final_relative_imbalance=tuple(
            _ensemble_axis(trajectory.relative_imbalance, config)[-1].mean(axis=0).tolist()
        ),
    )


def summarise(trajectory: Trajectory, config: SimulationConfig) -> dict[str, Any]:
    r"""End-of-run figures, averaged over the ensemble: the JSON form of
    :func:`training_summary`.

    ``half_times[a]``: the first recorded time at which the ensemble-mean :math:`s_a` reaches
    :math:`\sigma_a / 2` (``None`` if it does not).
    """
    return training_summary(trajectory, config).to_json()


def write_trajectory(trajectory: Trajectory, config: SimulationConfig, path: str | Path) -> Path:
    """Save the recorded arrays: ``.npz`` (with the config), ``.json`` or ``.csv``.

    CSV has one row per record and ensemble member: ``step, time, member, loss, s_1..s_r,
    cross_modes, imbalance_1..imbalance_{L-1}``.
    """
    target = Path(path)
    if target.suffix not in OUTPUT_FORMATS:
        raise InvalidParameter(
            f"Got output {str(target)!r}, but its suffix must be one of {', '.join(OUTPUT_FORMATS)}."
        )
    if target.is_dir():
        raise InvalidParameter(f"Got output {str(target)!r}, but it is a directory.")
    target.parent.mkdir(parents=True, exist_ok=True)
    arrays = trajectory.arrays()
    if target.suffix == ".npz":
        payload: dict[str, Any] = {"config": np.array(json.dumps(config.to_json())), **arrays}
        with atomic_path(target) as temporary, temporary.open("wb") as handle:
            np.savez(handle, **payload)
    elif target.suffix == ".json":
        payload = {"config": config.to_json(), **{k: v.tolist() for k, v in arrays.items()}}
        write_text_atomically(target, json_text(payload) + "\n")
    else:
        with atomic_path(target) as temporary:
            _write_csv(trajectory, config, temporary)
    return target


def _write_csv(trajectory: Trajectory, config: SimulationConfig, target: Path) -> None:
    rank, pairs = len(config.singular_values), config.depth - 1
    header = ["step", "time", "member", "loss"]
    header += [f"s_{a}" for a in range(1, rank + 1)] + ["cross_modes"]
    header += [f"imbalance_{l}" for l in range(1, pairs + 1)]
    loss = _ensemble_axis(trajectory.loss, config)
    modes = _ensemble_axis(trajectory.modes, config)
    cross = _ensemble_axis(trajectory.cross_modes, config)
    imbalance = _ensemble_axis(trajectory.imbalance, config)
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for i, (step, time) in enumerate(zip(trajectory.steps, trajectory.times, strict=True)):
            for member in range(config.ensemble):
                writer.writerow(
                    [int(step), repr(float(time)), member, repr(float(loss[i, member]))]
                    + [repr(float(v)) for v in modes[i, member]]
                    + [repr(float(cross[i, member]))]
                    + [repr(float(v)) for v in imbalance[i, member]]
                )
