"""The last run's seconds per claim: longest handed out first, never required."""

import json

import pytest

from reports.claims import all_claims
from reports.engine.claim_seconds import last_seconds, longest_first, record_seconds
from reports.engine.derivation_cache import cache_directory


@pytest.fixture
def claims(tmp_path, monkeypatch):
    monkeypatch.setenv("DLNVERIFY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("DLNVERIFY_CACHE", raising=False)
    return list(all_claims())[:4]


def _ids(claims):
    return [claim.id for claim in claims]


def test_without_times_the_order_is_kept(claims):
    assert last_seconds() == {}
    assert _ids(longest_first(claims)) == _ids(claims)


def test_longest_first_and_untimed_before_timed(claims):
    first, second, third, fourth = _ids(claims)
    record_seconds({first: 1.0, second: 30.0, third: 5.0})
    assert _ids(longest_first(claims)) == [fourth, second, third, first]
    record_seconds({first: 100.0})  # merged over the earlier values
    assert last_seconds() == {first: 100.0, second: 30.0, third: 5.0}
    assert _ids(longest_first(claims)) == [fourth, first, second, third]


@pytest.mark.parametrize("content", ["", "[1, 2]", '{"C1": "slow", "C2": -1, "C3": 2}'])
def test_unreadable_or_foreign_values_are_ignored(claims, content):
    cache_directory().mkdir(parents=True)
    (cache_directory() / "claim-seconds.json").write_text(content, encoding="utf-8")
    assert last_seconds() == ({"C3": 2.0} if "C3" in content else {})
    assert len(longest_first(claims)) == len(claims)


def test_switched_off_nothing_is_read_or_written(claims, monkeypatch):
    record_seconds({"C1": 3.0})
    monkeypatch.setenv("DLNVERIFY_CACHE", "off")
    assert last_seconds() == {}
    record_seconds({"C1": 9.0})
    stored = json.loads((cache_directory() / "claim-seconds.json").read_text(encoding="utf-8"))
    assert stored == {"C1": 3.0}
