"""Serving an app as a subprocess for the scale-out tests, and firing bursts at it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.net import free_port
from tests.support.serving import wait_until_live

STOP_TIMEOUT_SECONDS = 10
# Four workers importing FastAPI at once on a busy two-core machine can take a while.
LIVE_TIMEOUT_SECONDS = 120


@contextmanager
def served(
    command: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    log: Path,
    what: str,
    port: int | None = None,
    settle_seconds: float = 0.0,
) -> Iterator[str]:
    """Run ``command`` (which must listen on ``{port}``), yield its base URL, always stop it.

    ``{port}`` in any argument is replaced by the chosen port. The output goes
    to a file, not a pipe that nobody drains and that would block the server.
    """
    port = port if port is not None else free_port()
    argv = [part.replace("{port}", str(port)) for part in command]
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=dict(env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_live(base_url, process, log, what, timeout=LIVE_TIMEOUT_SECONDS)
            if settle_seconds:
                time.sleep(settle_seconds)  # the other workers finish booting
            yield base_url
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=STOP_TIMEOUT_SECONDS)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=STOP_TIMEOUT_SECONDS)


async def burst(
    urls: Sequence[str], requests: int, *, path: str = "/openapi.json"
) -> list[httpx.Response]:
    """``requests`` concurrent GETs of ``path``, dealt round-robin over ``urls``."""
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        return await asyncio.gather(
            *(client.get(urls[index % len(urls)] + path) for index in range(requests))
        )


def assert_exact_limit(responses: Sequence[httpx.Response], limit: int) -> None:
    """Exactly ``limit`` answers passed, each handing out a distinct slot; the rest got 429."""
    statuses = Counter(response.status_code for response in responses)
    assert statuses == {200: limit, 429: len(responses) - limit}, statuses
    allowed = [response for response in responses if response.status_code == 200]
    remaining = sorted(int(response.headers["X-RateLimit-Remaining"]) for response in allowed)
    assert remaining == list(range(limit))
    for refused in (response for response in responses if response.status_code == 429):
        assert refused.json()["responseKey"] == "error_rate_limited"
