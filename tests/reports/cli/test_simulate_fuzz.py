"""Hostile input to ``dlnverify simulate``: any text for any option, and any TOML value for
any key of an experiment file, is either accepted or refused with exit code 2 and one line,
never a traceback.  The run itself is replaced by a stub, so only the planning runs (argparse
and :func:`reports.experiments.plan.plan_run`, which checks everything before any work) and
no simulation does."""

import json
import math
import string
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.cli import ExitCode, main
from reports.cli.simulate import _SIMULATE_FLAGS
from reports.experiments.files import shipped_experiments
from reports.experiments.training import SimulationConfig


class _Planned(Exception):
    """Raised by the stub run: the command line was accepted and planned."""


@pytest.fixture(autouse=True)
def _no_run(monkeypatch):
    """The run is a stub; the working directory is a fresh one (outputs are only checked)."""

    def planned(plan, **_options):
        raise _Planned(plan)

    monkeypatch.setattr("reports.experiments.runs.run_plan", planned)
    with tempfile.TemporaryDirectory() as directory:
        monkeypatch.chdir(directory)
        yield Path(directory)


def _outcome(argv, capsys):
    """``"planned"`` if ``dlnverify ARGV`` was accepted, else ``"refused"`` after checking
    that it was exit code 2 with one line on stderr and the JSON error object on stdout; any
    other exception (a traceback) fails the test."""
    try:
        code = main([*argv, "--json", "--quiet"])
    except _Planned:
        capsys.readouterr()
        return "planned"
    except SystemExit as usage:  # argparse: a usage error
        code = usage.code
    captured = capsys.readouterr()
    assert code == ExitCode.BAD_INPUT, (argv, captured)
    assert captured.err.count("\n") == 1, (argv, captured.err)
    assert captured.err.startswith("dlnverify: error: "), (argv, captured.err)
    assert json.loads(captured.out)["exit_code"] == 2
    return "refused"


#: Text a hostile or careless user types: anything printable, numbers in every spelling,
#: sizes far beyond any cap, separators of lists and sweeps.
_NUMBER_TEXT = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(
        ["nan", "-inf", "1e400", "1e-400", "0x10", "1_000", "١٢", "１", "0", "-0", "1e12", "2**64"]
    ),
)
_TEXT = st.one_of(
    _NUMBER_TEXT,
    st.text(max_size=30),
    st.text(string.digits + ".,;-+eE_ ", max_size=30),
    st.lists(_NUMBER_TEXT, min_size=1, max_size=4).map(",".join),
)

#: Every option of ``simulate`` that takes a value, as the command line spells it.
_VALUE_OPTIONS = [
    *(f"--{name.replace('_', '-')}" for name, _, _ in _SIMULATE_FLAGS),
    "--sweep",
    "--start-gap",
    "--workers",
    "--scheduler",
    "--output",
    "--figure",
    "--report",
    "--pdf",
    "--start",
    "--experiment",
]
#: Flags without a value, which change what the options above mean.
_SWITCHES = ["--stationary", "--collapse"]


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    options=st.lists(st.tuples(st.sampled_from(_VALUE_OPTIONS), _TEXT), max_size=4),
    switches=st.lists(st.sampled_from(_SWITCHES), max_size=1, unique=True),
)
def test_any_option_value_is_planned_or_refused_in_one_line(capsys, options, switches):
    argv = ["simulate", *switches]
    for option, value in options:
        argv += [f"{option}={value}"]  # '=': a value may start with '-'
    if all("\x00" not in argument for argument in argv):  # a command line holds no NUL
        _outcome(argv, capsys)


@pytest.mark.parametrize("option", _VALUE_OPTIONS)
def test_every_option_is_reached_by_the_fuzz(option, capsys):
    """Each option accepts some value and refuses another (so the fuzz above exercises both
    sides of it, not only argparse)."""
    accepted = {
        "--optimizer": "gd",
        "--label-noise": "0.1",
        "--eta": "0.01",
        "--dt": "0.01",
        "--temperature": "0.1",
        "--duration": "1",
        "--singular-values": "2,1",
        "--sweep": "seed=1,2",
        "--start-gap": "0.1",
        "--scheduler": "synchronous",
        "--output": "run.json",
        "--figure": "figure.png",
        "--report": "report",
        "--pdf": "no",
        "--dtype": "float32",
        "--start": "small",
        "--experiment": next(iter(shipped_experiments())),
    }
    needs = {
        "--start-gap": ["--collapse"],
        "--start": ["--stationary"],
        "--dt": ["--optimizer", "anisotropic"],
        "--figure": ["--diffusion-samples", "4"],
        "--pdf": ["--report", "report"],
        "--workers": ["--sweep", "seed=1,2"],
        "--dtype": ["--optimizer", "anisotropic"],
        "--scheduler": ["--sweep", "seed=1,2"],
    }.get(option, [])
    good = accepted.get(option, "4")
    assert _outcome(["simulate", *needs, f"{option}={good}"], capsys) == "planned"
    bad = "/proc/version/report" if option == "--report" else "\x01nonsense"  # under a file
    assert _outcome(["simulate", *needs, f"{option}={bad}"], capsys) == "refused"


# --- experiment files ------------------------------------------------------------------------


def _toml_key(key):
    return (
        key
        if key and all(c in string.ascii_letters + string.digits + "_-" for c in key)
        else json.dumps(key)
    )


def _toml_value(value):
    """``value`` written as TOML (strings as JSON strings, which TOML reads the same)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"


_SCALARS = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    _TEXT,
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=2)
    ),
    max_leaves=6,
)
#: The keys an experiment file knows, and some it does not.
_KEYS = st.one_of(
    st.sampled_from(
        [
            *SimulationConfig.__dataclass_fields__,
            "description",
            "kind",
            "stationary",
            "collapse",
            "start",
            "start_gap",
        ]
    ),
    st.text(max_size=8),
)
_SWEEP = st.dictionaries(
    st.one_of(st.sampled_from(list(SimulationConfig.__dataclass_fields__)), st.text(max_size=8)),
    st.one_of(st.lists(_SCALARS, max_size=3), _SCALARS),
    max_size=2,
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    entries=st.dictionaries(_KEYS, _VALUES, max_size=5),
    sweep=_SWEEP,
    in_table=st.booleans(),
)
def test_any_value_in_an_experiment_file_is_planned_or_refused_in_one_line(
    capsys, entries, sweep, in_table
):
    lines = ["[simulate]"] if in_table else []
    lines += [f"{_toml_key(key)} = {_toml_value(value)}" for key, value in entries.items()]
    if sweep:
        lines += ["[sweep]"] + [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in sweep.items()]
    path = Path("experiment.toml")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _outcome(["simulate", "--config", str(path)], capsys)
