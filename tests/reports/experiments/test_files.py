"""Experiment files (reports.experiments.files) and ``simulate --experiment``: the shipped files
are valid, layers apply in order (experiment < config < flags), bad files are one-line errors."""

import json

import pytest
from cpu_time import cpu_seconds_below

from dlnverify.errors import InvalidParameter
from reports.cli import ExitCode, main
from reports.experiments.files import (
    MAX_CONFIG_BYTES,
    load_experiment,
    shipped_experiment,
    shipped_experiments,
)
from reports.experiments.kind import ExperimentKind
from reports.experiments.sweep import sweep_configs
from reports.experiments.training import SimulationConfig


def test_every_shipped_experiment_is_described_and_valid():
    from reports.experiments.stationary import check_stationary_config, default_stationary_config

    names = shipped_experiments()
    assert {"fig1", "fig2", "fig3", "fig4", "fig4-collapse", "appK"} <= set(names)
    for name, description in names.items():
        assert description, name
        file = shipped_experiment(name)
        base = default_stationary_config() if file.stationary else SimulationConfig()
        config = SimulationConfig.from_mapping(file.parameters, base=base)
        configs = sweep_configs(config, file.sweep) if file.sweep else [config]
        for each in configs:
            if file.stationary:
                check_stationary_config(each, file.start or "aligned")


def test_app_k_sweeps_dt_at_fixed_kappa_and_time():
    file = shipped_experiment("appK")
    from reports.experiments.stationary import default_stationary_config

    base = SimulationConfig.from_mapping(file.parameters, base=default_stationary_config())
    configs = sweep_configs(base, file.sweep)
    assert len({c.kappa for c in configs}) == 1
    assert len({c.time_step for c in configs}) == len(configs) > 1
    assert {round(c.steps * c.time_step, 9) for c in configs} == {40.0}


def test_layers_apply_in_order(tmp_path, capsys):
    config = tmp_path / "mine.toml"
    config.write_text("ensemble = 12\nseed = 3\n", encoding="utf-8")
    argv = [
        "simulate", "--experiment", "fig4", "--config", str(config), "--optimizer", "sgd",
        "--steps", "20", "--record-every", "10", "--seed", "4", "--json", "--quiet",
    ]  # fmt: skip
    assert main(argv) == ExitCode.OK
    summary = json.loads(capsys.readouterr().out)
    # The file's stationary flag and start apply; --optimizer fixes the swept optimiser.
    assert summary["start"] == "aligned"
    assert summary["config"]["optimizer"] == "sgd"
    assert summary["config"]["label_noise"] == 0.5  # from the experiment
    assert summary["n_networks"] == 12  # from the config file
    assert summary["config"]["seed"] == 4  # the flag wins


def test_sweep_table_from_a_file_and_flags_replace_its_values(tmp_path, capsys):
    config = tmp_path / "sweep.toml"
    config.write_text(
        "width = 4\nsteps = 10\n[sweep]\neta = [0.01, 0.02]\nseed = [0, 1]\n", encoding="utf-8"
    )
    argv = ["simulate", "--config", str(config), "--sweep", "seed=5", "--json", "--quiet"]
    assert main([*argv, "--scheduler", "synchronous"]) == ExitCode.OK
    payload = json.loads(capsys.readouterr().out)
    assert [(r["config"]["eta"], r["config"]["seed"]) for r in payload["runs"]] == [
        (0.01, 5),
        (0.02, 5),
    ]


def test_list_experiments(capsys):
    assert main(["simulate", "--list-experiments"]) == ExitCode.OK
    # the table wraps the descriptions to the terminal's width: compare word sequences
    words = " ".join(capsys.readouterr().out.split())
    for name, description in shipped_experiments().items():
        assert name in words
        assert " ".join(description.split()) in words
    assert main(["simulate", "--list-experiments", "--json"]) == ExitCode.OK
    listed = json.loads(capsys.readouterr().out)["experiments"]
    assert {item["name"]: item["description"] for item in listed} == shipped_experiments()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("stationary = 1\n", "stationary must be true or false"),
        ("collapse = 'yes'\n", "collapse must be true or false"),
        ("stationary = true\ncollapse = true\n", "exclude each other"),
        ("description = 3\n", "description must be a string"),
        ("start = 2\n", "start must be a string"),
        ("collapse = true\nstart_gap = 'small'\n", "start_gap must be a number"),
        ("start_gap = true\n", "start_gap must be a number"),
        ("[sweep]\neta = []\n", "non-empty lists"),
        ("[sweep]\neta = 0.1\n", "non-empty lists"),
        ("simulate = 3\n", "must be a table"),
        ("width = 4\n[simulate]\neta = 0.1\n", "'width' stands outside \\[simulate\\]"),
        ("[simulate]\neta = 0.1\n[simulat]\nwidth = 4\n", "'simulat' stands outside"),
        ("eta = = 1\n", "not valid TOML"),
    ],
)
def test_bad_files_are_one_line_errors(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidParameter, match=message) as info:
        load_experiment(path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--experiment", "fig9"], "must be one of"),
        (["--config", "CONFIG", "--width", "4"], "not a simulation parameter"),
        (["--experiment", "fig1", "--start", "small"], "add --stationary"),
        (["--experiment", "fig4", "--figure", "f.png"], "--optimizer is swept"),
    ],
)
def test_bad_experiments_exit_2(tmp_path, capsys, argv, message):
    config = tmp_path / "bad.toml"
    config.write_text("[sweep]\ncolour = ['red']\n", encoding="utf-8")
    argv = [str(config) if a == "CONFIG" else a for a in argv]
    assert main(["simulate", "--quiet", *argv]) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("", None),
        ('kind = "training"\n', ExperimentKind.TRAINING),
        ('kind = "stationary"\n', ExperimentKind.STATIONARY),
        ('kind = "collapse"\n', ExperimentKind.COLLAPSE),
        ("stationary = true\n", ExperimentKind.STATIONARY),
        ("collapse = true\n", ExperimentKind.COLLAPSE),
        ("stationary = false\ncollapse = false\n", None),
        ('kind = "stationary"\nstationary = true\n', ExperimentKind.STATIONARY),
        ('kind = "collapse"\nstationary = false\n', ExperimentKind.COLLAPSE),
        ('[simulate]\nkind = "collapse"\nwidth = 4\n', ExperimentKind.COLLAPSE),
    ],
)
def test_kind_key_and_the_booleans_name_the_kind(tmp_path, text, kind):
    path = tmp_path / "kind.toml"
    path.write_text(text, encoding="utf-8")
    file = load_experiment(path)
    assert file.kind is kind
    assert file.stationary == (kind is ExperimentKind.STATIONARY)
    assert file.collapse == (kind is ExperimentKind.COLLAPSE)
    assert "kind" not in file.parameters


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('kind = "training"\nstationary = true\n', 'kind = "training" contradicts stationary'),
        ('kind = "stationary"\ncollapse = true\n', 'kind = "stationary" contradicts collapse'),
        ('kind = "sweep"\n', "got kind = 'sweep', but it must be one of training, stationary"),
        ('kind = "Stationary"\n', "must be one of training, stationary, collapse"),
        ("kind = 1\n", "got kind = 1, but it must be one of"),
        ("kind = true\n", "must be one of"),
    ],
)
def test_bad_kinds_are_one_line_errors(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidParameter, match=message) as info:
        load_experiment(path)
    assert "\n" not in str(info.value)


def test_kind_key_runs_as_the_boolean_did(tmp_path, capsys):
    runs = []
    for name, line in (("key", 'kind = "stationary"'), ("boolean", "stationary = true")):
        path = tmp_path / f"{name}.toml"
        path.write_text(f'{line}\nstart = "small"\nensemble = 8\nsteps = 20\n', encoding="utf-8")
        assert main(["simulate", "--config", str(path), "--json", "--quiet"]) == ExitCode.OK
        runs.append(capsys.readouterr().out)
    assert runs[0] == runs[1]
    assert json.loads(runs[0])["start"] == "small"


def test_kind_of_a_file_and_a_flag_exclude_each_other(tmp_path, capsys):
    path = tmp_path / "collapse.toml"
    path.write_text('kind = "collapse"\n', encoding="utf-8")
    argv = ["simulate", "--config", str(path), "--stationary", "--quiet"]
    assert main(argv) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert "different experiments; choose one" in err
    assert err.count("\n") == 1


# --- a config is read within a size limit, as UTF-8 TOML, in bounded time ------------------------


def _refused_config(capsys, path):
    """``simulate --config PATH``: exit 2 within a second of CPU time, nothing on stdout, one
    line on stderr (returned without its prefix and newline)."""
    with cpu_seconds_below(1.0):
        code = main(["simulate", "--quiet", "--config", str(path)])
    captured = capsys.readouterr()
    assert code == ExitCode.BAD_INPUT
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    return captured.err.removeprefix("dlnverify: error: ").removesuffix("\n")


def test_a_config_at_the_limit_is_read_and_one_byte_more_is_refused(tmp_path, capsys):
    path = tmp_path / "padded.toml"
    entry = b"eta = 0.02\n"
    path.write_bytes(entry + b"#" * (MAX_CONFIG_BYTES - len(entry) - 1) + b"\n")
    assert load_experiment(path).parameters == {"eta": 0.02}
    path.write_bytes(path.read_bytes() + b"\n")
    assert _refused_config(capsys, path) == (
        f"Config {str(path)!r} is {MAX_CONFIG_BYTES + 1:,} bytes; the limit of a config is"
        f" {MAX_CONFIG_BYTES:,} bytes; an experiment file holds parameters, not data."
    )


def test_a_huge_config_is_refused_from_its_size_without_being_read(tmp_path, capsys):
    path = tmp_path / "huge.toml"
    with path.open("wb") as sparse:
        sparse.truncate(50 * 10**9)  # 50 GB of nothing, instantly
    assert "is 50,000,000,000 bytes; the limit" in _refused_config(capsys, path)


def test_an_endless_config_is_refused(capsys):
    message = _refused_config(capsys, "/dev/zero")
    assert message.startswith(f"Config '/dev/zero' is more than {MAX_CONFIG_BYTES:,} bytes;")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (bytes(range(256)) * 4, "is not UTF-8: byte 0x80 at byte offset 128 (line 2)"),  # binary
        ("eta = 0.01 # σ\n".encode("cp1253"), "is not UTF-8: byte 0xF3 at byte offset 13 (line 1)"),
        (b"\xef\xbb\xbfeta = 0.01\n", "starts with a UTF-8 byte-order mark (U+FEFF)"),
        (b"eta = 0.01\x00\n", "is not valid TOML"),
        (("a" + ".a" * 40_000 + " = 1\n").encode(), "the key on line 1 has 40,001 dotted parts"),
        (("x = " + "[" * 5000 + "]" * 5000).encode(), "nested too deeply to read"),
    ],
)
def test_a_config_that_is_not_utf8_toml_is_one_line(tmp_path, capsys, data, message):
    path = tmp_path / "bad.toml"
    path.write_bytes(data)
    assert message in _refused_config(capsys, path)
