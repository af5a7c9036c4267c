"""A headless Chromium driven through chromedriver's W3C WebDriver HTTP protocol, with the
standard library only (no Selenium, no Playwright, nothing downloaded): Debian's
``chromium`` and ``chromium-driver``, which ``.ci/run`` installs when missing.

:func:`open_browser` starts chromedriver on a free loopback port and one browser session
that cannot resolve any host name (so a page that tries to load anything from the network
logs an error); :class:`Browser` loads a page, runs a script in it, reads the console and
prints the page to PDF.  Both processes end when the block ends.
"""

import base64
import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

__all__ = ["Browser", "browser_available", "open_browser"]

CHROMIUM = "chromium"
CHROMEDRIVER = "chromedriver"


def browser_available() -> bool:
    """Whether ``chromium`` and ``chromedriver`` are on ``PATH``."""
    return shutil.which(CHROMIUM) is not None and shutil.which(CHROMEDRIVER) is not None


class Browser:
    """One WebDriver session."""

    def __init__(self, port: int, session: str) -> None:
        self._base = f"http://127.0.0.1:{port}/session/{session}"

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        return _request(method, self._base + path, body)

    def load(self, url: str) -> None:
        """Navigate to ``url`` and wait until the page has loaded."""
        self._call("POST", "/url", {"url": url})

    def run(self, script: str, *args: Any) -> Any:
        """The value of ``script`` (a function body) run in the page with ``args``."""
        return self._call("POST", "/execute/sync", {"script": script, "args": list(args)})

    def console(self) -> list[dict[str, Any]]:
        """The console messages since the last call (level, message)."""
        return list(self._call("POST", "/se/log", {"type": "browser"}))

    def pdf(self) -> bytes:
        """The page printed to PDF."""
        return base64.b64decode(self._call("POST", "/print", {}))


def _request(method: str, url: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())["value"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def open_browser() -> Iterator[Browser]:
    """A headless Chromium session; chromedriver and the browser end with the block."""
    port = _free_port()
    driver = subprocess.Popen(
        [shutil.which(CHROMEDRIVER) or CHROMEDRIVER, f"--port={port}"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    session = None
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                _request("GET", f"http://127.0.0.1:{port}/status")
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or driver.poll() is not None:
                    raise RuntimeError("chromedriver did not start") from None
                time.sleep(0.05)
        options = {
            "binary": shutil.which(CHROMIUM),
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--host-resolver-rules=MAP * ~NOTFOUND",  # no network: a fetch fails loudly
            ],
        }
        capabilities = {
            "browserName": "chrome",
            "goog:chromeOptions": options,
            "goog:loggingPrefs": {"browser": "ALL"},
        }
        created = _request(
            "POST",
            f"http://127.0.0.1:{port}/session",
            {"capabilities": {"alwaysMatch": capabilities}},
        )
        session = created["sessionId"]
        yield Browser(port, session)
    finally:
        if session is not None:
            with suppress(urllib.error.URLError, ConnectionError):
                _request("DELETE", f"http://127.0.0.1:{port}/session/{session}")
        driver.terminate()
        try:
            driver.wait(timeout=10)
        except subprocess.TimeoutExpired:
            driver.kill()
            driver.wait()
