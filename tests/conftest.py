"""Shared test configuration: hypothesis profiles, and fixtures for optional tools.

* ``ci`` — selected when the ``CI`` environment variable is set: derandomised (the same
  examples every run), no example database, no deadline (timing noise on shared CI machines
  must not fail a mathematical check), a bounded number of examples.
* ``dev`` — the default elsewhere: random exploration with more examples.

Select explicitly with ``pytest --hypothesis-profile=dev``.

The fixtures ``report_extra`` (jinja2 and matplotlib) and ``pdflatex`` (a TeX distribution)
skip a test when the tool is missing, except under ``CI``, which installs both: there a
missing tool fails the test.
"""

import importlib.util
import os
import shutil

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


def _require(available: bool, what: str) -> None:
    """Skip without ``what`` outside CI; fail in CI, which installs it."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required in CI (it is installed there); it is missing here")
    pytest.skip(f"{what} is not installed (set CI=1 to make this a failure)")


@pytest.fixture
def report_extra():
    for module in ("jinja2", "matplotlib"):
        _require(
            importlib.util.find_spec(module) is not None, f"{module} (a dependency of the report)"
        )


@pytest.fixture
def pdflatex(report_extra):
    _require(shutil.which("pdflatex") is not None, "pdflatex (a TeX distribution)")
