"""Shared test configuration: hypothesis profiles, and fixtures for optional tools.

* ``ci`` — selected when the ``CI`` environment variable is set: derandomised (the same
  examples every run), no example database, no deadline (timing noise on shared CI machines
  must not fail a mathematical check), a bounded number of examples.
* ``dev`` — the default elsewhere: random exploration with more examples.

Select explicitly with ``pytest --hypothesis-profile=dev``.

Every run gets a fresh derivation cache directory of its own (``DLNVERIFY_CACHE_DIR``),
shared by its workers and removed at the end.

The fixtures ``report_extra`` (jinja2, matplotlib and latex2mathml), ``pdflatex`` (a TeX
distribution) and ``chromium`` (Debian's ``chromium`` and ``chromium-driver``) skip a test
when the tool is missing, except under ``CI``, which installs them: there a missing tool fails
the test.
"""

import importlib.util
import os
import shutil
import tempfile

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=20,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev",
    deadline=None,
    max_examples=50,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def pytest_configure(config):
    """One fresh derivation cache for the whole run (reports.engine.derivation_cache), made by
    the controlling process and inherited by pytest-xdist's workers and by the subprocesses
    of the CLI tests: a derivation is computed once per run, never taken from an earlier one."""
    if hasattr(config, "workerinput"):  # a worker: the controller has set it
        return
    directory = tempfile.mkdtemp(prefix="dlnverify-test-cache-")
    config._derivation_cache = directory
    os.environ["DLNVERIFY_CACHE_DIR"] = directory
    os.environ.pop("DLNVERIFY_CACHE", None)


def pytest_unconfigure(config):
    directory = getattr(config, "_derivation_cache", None)
    if directory is not None:
        shutil.rmtree(directory, ignore_errors=True)


def _require(available: bool, what: str) -> None:
    """Skip without ``what`` outside CI; fail in CI, which installs it."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required in CI (it is installed there); it is missing here")
    pytest.skip(f"{what} is not installed (set CI=1 to make this a failure)")


@pytest.fixture
def report_extra():
    for module in ("jinja2", "matplotlib", "latex2mathml"):
        _require(
            importlib.util.find_spec(module) is not None, f"{module} (a dependency of the report)"
        )


@pytest.fixture
def pdflatex(report_extra):
    _require(shutil.which("pdflatex") is not None, "pdflatex (a TeX distribution)")


@pytest.fixture
def chromium(report_extra):
    from browser import browser_available

    _require(browser_available(), "chromium and chromedriver (a headless browser)")
