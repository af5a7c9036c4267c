"""The quantities' derived expressions kept on disk (:mod:`reports.engine.quantity_cache`):
read back exactly as derived, never required, never trusted when unreadable or foreign, and
``check`` gives the same verdicts from a warm cache as without one."""

import pickle

import pytest
import sympy as sp

from reports.claims import get_quantity
from reports.engine.derivation_cache import cache_info, clear_cache
from reports.engine.quantity_cache import cached_components
from reports.formulas.engine import check
from reports.formulas.result import Verdict

ITO = "kappa*L*(L-1)*s**(3-4/L)*((sigma-s)**2+sigma_eps**2/2)"


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("DLNVERIFY_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("DLNVERIFY_CACHE", raising=False)
    return tmp_path


def _entries(directory):
    return sorted(directory.glob("quantity.*.derivation.pickle"))


@pytest.mark.parametrize(("name", "depth"), [("ito_drift", None), ("gf_time", 2)])
def test_an_entry_is_written_once_and_reads_back_equal_to_the_derivation(cache_dir, name, depth):
    spec = get_quantity(name)
    first = cached_components(spec, depth)
    (entry,) = _entries(cache_dir)
    assert ("@L2" in entry.name) == (depth is not None)
    written = entry.stat().st_mtime_ns
    again = cached_components(spec, depth)
    assert again == first == spec.components_at(depth)
    assert entry.stat().st_mtime_ns == written  # read, not derived and written again


def test_depths_get_entries_of_their_own(cache_dir):
    spec = get_quantity("gf_time")
    general, at_two = cached_components(spec), cached_components(spec, 2)
    assert general != at_two
    assert len(_entries(cache_dir)) == 2


def test_an_unreadable_entry_is_derived_again_and_replaced(cache_dir):
    spec = get_quantity("ito_drift")
    cached_components(spec)
    (entry,) = _entries(cache_dir)
    entry.write_bytes(b"not a pickle")
    assert cached_components(spec) == spec.components_at()
    assert pickle.loads(entry.read_bytes()) == spec.components_at()


def test_an_entry_with_a_foreign_symbol_is_not_trusted(cache_dir):
    spec = get_quantity("ito_drift")
    cached_components(spec)
    (entry,) = _entries(cache_dir)
    entry.write_bytes(pickle.dumps({"ito_drift": sp.Symbol("intruder")}))
    assert cached_components(spec) == spec.components_at()


def test_an_expression_that_would_not_read_back_unchanged_is_not_kept(cache_dir):
    # plateau_loss is built unevaluated (1/12 times a sum); a pickle would distribute it
    spec = get_quantity("plateau_loss")
    derived = spec.components_at()
    assert pickle.loads(pickle.dumps(derived)) != derived
    assert cached_components(spec) == derived
    assert _entries(cache_dir) == []


def test_off_switch_writes_nothing(cache_dir, monkeypatch):
    monkeypatch.setenv("DLNVERIFY_CACHE", "off")
    assert cached_components(get_quantity("ito_drift")) == get_quantity("ito_drift").components_at()
    assert _entries(cache_dir) == []


def test_cache_info_lists_and_clear_removes_the_quantities(cache_dir):
    cached_components(get_quantity("ito_drift"))
    assert "quantity.ito_drift" in cache_info().entries
    assert clear_cache() >= 1
    assert _entries(cache_dir) == []


@pytest.mark.parametrize(
    ("formula", "verdict"), [(ITO, Verdict.VERIFIED), ("1.1*" + ITO, Verdict.REFUTED)]
)
def test_check_verdicts_are_the_same_cold_and_from_the_cache(cache_dir, formula, verdict):
    cold = check("ito_drift", formula, monte_carlo=False)
    assert _entries(cache_dir)
    warm = check("ito_drift", formula, monte_carlo=False)
    assert cold.verdict == warm.verdict == verdict
    assert cold.derived == warm.derived
    assert cold.difference == warm.difference
    assert cold.counterexample == warm.counterexample
