"""Shared test configuration: hypothesis profiles.

* ``ci`` — selected when the ``CI`` environment variable is set: derandomised (the same
  examples every run), no example database, no deadline (timing noise on shared CI machines
  must not fail a mathematical check), a bounded number of examples.
* ``dev`` — the default elsewhere: random exploration with more examples.

Select explicitly with ``pytest --hypothesis-profile=dev``.
"""

import os

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
