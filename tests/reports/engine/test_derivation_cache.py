"""The derivation cache: computed once, never required, never stale, never half-written."""

import dataclasses
import json
import pickle

import pytest

from derivations.batch_noise import batch_noise_claim
from reports.claims import get_claim
from reports.cli import main
from reports.cli._common import ExitCode
from reports.engine import derivation_cache
from reports.engine.derivation_cache import cache_info, clear_cache, derive

CALLS = []


def _counted_derivation():
    CALLS.append(1)
    return batch_noise_claim()


@pytest.fixture
def claim(tmp_path, monkeypatch):
    monkeypatch.setenv("DLNVERIFY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("DLNVERIFY_CACHE", raising=False)
    CALLS.clear()
    return dataclasses.replace(get_claim("C4"), derive=_counted_derivation)


def _printed(result):
    return (
        result.claim,
        result.holds,
        [step.text() for step in result.steps],
        [step.latex() for step in result.steps],
        list(result.cases),
        [str(f) for f in result.findings],
        str(result.derived),
    )


def test_derived_once_then_read_with_the_same_printed_forms(claim):
    cold = derive(claim)
    warm = derive(claim)
    assert len(CALLS) == 1
    assert _printed(warm) == _printed(cold) == _printed(batch_noise_claim())
    assert cache_info().entries == ("C4",)


def test_another_source_or_sympy_is_another_entry(claim, monkeypatch):
    derive(claim)
    monkeypatch.setattr(derivation_cache, "_source_digest", lambda _file: "changed")
    derive(claim)
    assert len(CALLS) == 2
    assert cache_info().entries == ("C4", "C4")
    monkeypatch.setattr("sympy.__version__", "0.0")
    derive(claim)
    assert len(CALLS) == 3


@pytest.mark.parametrize(
    "content",
    [b"", b"not a pickle", pickle.dumps("a string"), None],
    ids=["empty", "garbage", "not-a-result", "other-claim"],
)
def test_an_unreadable_entry_is_derived_again_and_replaced(claim, content):
    derive(claim)
    (entry,) = derivation_cache.cache_directory().iterdir()
    if content is None:  # a result of another claim under this claim's name
        content = pickle.dumps(dataclasses.replace(batch_noise_claim(), claim="C5"))
    entry.write_bytes(content)
    assert _printed(derive(claim)) == _printed(batch_noise_claim())
    assert len(CALLS) == 2
    assert pickle.loads(entry.read_bytes()).claim == "C4"  # rewritten


def test_switched_off_it_neither_reads_nor_writes(claim, monkeypatch):
    monkeypatch.setenv("DLNVERIFY_CACHE", "off")
    derive(claim)
    derive(claim)
    assert len(CALLS) == 2
    assert not derivation_cache.cache_directory().exists()
    assert not cache_info().enabled


def test_a_directory_that_cannot_be_written_is_skipped(claim, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("DLNVERIFY_CACHE_DIR", str(blocker / "cache"))
    assert _printed(derive(claim)) == _printed(batch_noise_claim())
    assert cache_info().entries == ()


def test_clear_removes_every_entry_and_leaves_other_files(claim):
    derive(claim)
    other = derivation_cache.cache_directory() / "notes.txt"
    other.write_text("mine", encoding="utf-8")
    assert clear_cache() == 1
    assert cache_info().entries == ()
    assert other.read_text(encoding="utf-8") == "mine"


def test_cli_info_and_clear(claim, capsys):
    derive(claim)
    assert main(["cache", "info", "--json"]) == ExitCode.OK
    info = json.loads(capsys.readouterr().out)
    assert info["entries"] == ["C4"]
    assert info["enabled"] is True
    assert info["bytes"] > 0
    assert main(["cache", "info"]) == ExitCode.OK
    assert "entries:   1 (C4)" in capsys.readouterr().out
    assert main(["cache", "clear"]) == ExitCode.OK
    assert "removed 1 derivation(s)" in capsys.readouterr().out
    assert main(["cache", "info", "--json"]) == ExitCode.OK
    assert json.loads(capsys.readouterr().out)["entries"] == []
    with pytest.raises(SystemExit) as exited:
        main(["cache", "purge"])
    assert exited.value.code == ExitCode.BAD_INPUT


def _unpicklable_derivation():
    CALLS.append(1)
    return dataclasses.replace(batch_noise_claim(), derived=lambda: None)


def test_a_result_that_cannot_be_pickled_is_returned_and_not_kept(claim):
    claim = dataclasses.replace(claim, derive=_unpicklable_derivation)
    assert derive(claim).claim == "C4"
    assert derive(claim).claim == "C4"
    assert len(CALLS) == 2
    assert cache_info().entries == ()
