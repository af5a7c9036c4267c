"""Helpers for tests that start ``dlnverify`` in its own process group and stop it."""

import os
import time

__all__ = ["assert_group_ends"]


def assert_group_ends(pgid: int, *, within: float = 10.0, what: str = "the parent") -> None:
    """Wait until no process of group ``pgid`` is left (the workers of a stopped run are
    gone); fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        assert time.monotonic() < deadline, f"workers outlived {what}"
        time.sleep(0.1)
