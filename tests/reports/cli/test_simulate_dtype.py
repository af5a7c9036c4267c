"""``simulate --dtype`` and ``dtype`` in experiment files: float32 runs the anisotropic step in
float32 (reproducibly, and not the float64 run), anything else is exit 2 and one line, and
float32 is refused where it has no path (other optimisers, the coupled collapse runs)."""

import json

import numpy as np
import pytest

from reports.cli import ExitCode, main

FAST = ["--steps", "40", "--record-every", "10", "--width", "4", "--quiet"]
ANISOTROPIC = ["--optimizer", "anisotropic", "--eta", "0.02", "--ensemble", "3"]


def _json_run(capsys, *argv):
    assert main(["simulate", *FAST, "--json", *argv]) == ExitCode.OK
    return json.loads(capsys.readouterr().out)


def test_float32_runs_reproducibly_and_differs_from_float64(capsys):
    single = _json_run(capsys, *ANISOTROPIC, "--dtype", "float32")
    assert single["config"]["dtype"] == "float32"
    assert _json_run(capsys, *ANISOTROPIC, "--dtype", "float32") == single
    double = _json_run(capsys, *ANISOTROPIC)
    assert double["config"]["dtype"] == "float64"
    assert single["final_modes"] != double["final_modes"]
    # the same dynamics, another stream and precision: close, as two seeds would be
    np.testing.assert_allclose(single["final_modes"], double["final_modes"], rtol=0.5)


def test_float32_from_an_experiment_file_and_a_trajectory_in_float32(tmp_path, capsys):
    config = tmp_path / "run.toml"
    config.write_text(
        '[simulate]\noptimizer = "anisotropic"\ndtype = "float32"\neta = 0.02\n', encoding="utf-8"
    )
    output = tmp_path / "run.npz"
    summary = _json_run(capsys, "--config", str(config), "--output", str(output))
    assert summary["config"]["dtype"] == "float32"
    flag = _json_run(capsys, *ANISOTROPIC[:4], "--dtype", "float32")
    assert flag["final_modes"] == summary["final_modes"]


@pytest.mark.parametrize("bad", ["float16", "Float32", "f4", "double", "float32 ", "", "64"])
def test_anything_but_float32_or_float64_is_exit_2_and_one_line(capsys, bad):
    assert main(["simulate", *FAST, *ANISOTROPIC, "--json", "--dtype", bad]) == ExitCode.BAD_INPUT
    captured = capsys.readouterr()
    assert "dtype must be one of 'float64', 'float32'" in captured.err
    assert captured.err.count("\n") == 1
    assert json.loads(captured.out)["exit_code"] == ExitCode.BAD_INPUT


def test_a_file_dtype_that_is_not_text_is_exit_2(tmp_path, capsys):
    config = tmp_path / "run.toml"
    config.write_text('optimizer = "anisotropic"\ndtype = 32\n', encoding="utf-8")
    assert main(["simulate", *FAST, "--config", str(config)]) == ExitCode.BAD_INPUT
    assert "dtype" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--optimizer", "sgd"], "float32 is the working precision of the anisotropic"),
        (["--optimizer", "isotropic"], "float32 is the working precision of the anisotropic"),
        (["--collapse"], "--collapse couples dt and dt/2 runs"),
    ],
)
def test_float32_is_refused_where_it_has_no_path(capsys, argv, message):
    assert main(["simulate", *FAST, "--dtype", "float32", *argv]) == ExitCode.BAD_INPUT
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.err.count("\n") == 1


def test_float32_stationary_ensemble_runs(capsys):
    summary = _json_run(capsys, "--stationary", "--dtype", "float32", "--ensemble", "64")
    assert summary["config"]["dtype"] == "float32"
