"""Waiting for an app server a test started as a subprocess."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import AnyStr

import httpx
import pytest

LIVE_TIMEOUT_SECONDS = 30


def wait_until_live(base_url: str, process: subprocess.Popen[AnyStr], log: Path, what: str) -> None:
    """Return once ``GET {base_url}/health/live`` answers 200; fail the test otherwise.

    Args:
        base_url: Where the server listens, e.g. ``http://127.0.0.1:8123``.
        process: The server process; if it exits, its log is the failure message.
        log: The file the server writes its output to.
        what: The server's name in failure messages, e.g. ``"uvicorn"``.
    """
    deadline = time.monotonic() + LIVE_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = log.read_text(errors="replace")
            pytest.fail(f"{what} exited with {process.returncode}:\n{output}")
        try:
            if httpx.get(f"{base_url}/health/live", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{what} did not answer /health/live within {LIVE_TIMEOUT_SECONDS} s")
