"""Exactness across processes: 4 workers of `fastmvc run`, on every server, share one Redis log."""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.ratelimit.ratelimit_support import connect
from tests.services import RATE_LIMIT_PREFIX, require
from tests.support.servers import SERVERS, fastmvc_run, write_project

pytestmark = [pytest.mark.redis, pytest.mark.slow]

LIMIT = 50
REQUESTS = 400
# The workers inherit the run's RATE_LIMIT_PREFIX (tests/conftest.py), and
# the client is an address of its own (sent through a trusted
# X-Forwarded-For): each server's burst starts from empty windows, and only
# its keys are deleted from the shared TEST_REDIS_URL.
CLIENT_IP = f"198.18.{random.randrange(256)}.{random.randrange(1, 255)}"
CLIENT_KEYS = (
    f"{RATE_LIMIT_PREFIX}:{{ip:{CLIENT_IP}}}:60",
    f"{RATE_LIMIT_PREFIX}:{{ip:{CLIENT_IP}}}:3600",
)


# The app under test, with each response naming the worker process that sent it.
SERVED_APP = """
import os

from fastmvc.app import create_app


class WorkerPid:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_pid(message):
            if message["type"] == "http.response.start":
                pid = str(os.getpid()).encode()
                message["headers"] = [*message.get("headers", []), (b"x-worker-pid", pid)]
            await send(message)

        await self.app(scope, receive, send_with_pid)


app = create_app()
app.add_middleware(WorkerPid)
"""


async def delete_client_keys() -> None:
    client = await connect(require("redis"))
    try:
        await client.delete(*CLIENT_KEYS)
    finally:
        await client.aclose()


@pytest.fixture(params=SERVERS)
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """``fastmvc run --server NAME --workers 4`` serving ``create_app()``, stopped afterwards."""
    env = {
        **os.environ,
        "REDIS_URL": require("redis"),
        "TRUSTED_PROXIES": "127.0.0.1/32",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}",
        "RATE_LIMIT_PER_MINUTE": str(LIMIT),
        "RATE_LIMIT_PER_HOUR": "1000",
        # A Redis error must show up as a 503, never as an uncounted 200.
        "RATE_LIMIT_FAIL_OPEN": "false",
        "ENVIRONMENT": "test",
        "PYTHONPATH": str(Path.cwd()),
    }
    # Its own folder: no stray .env is read, app.db stays in tmp_path.
    project = write_project(tmp_path / "project", SERVED_APP)
    with fastmvc_run(
        project, request.param, "--workers", "4", env=env, log=tmp_path / "server.log"
    ) as served:
        time.sleep(1.0)  # let the other workers finish booting too
        yield served.base_url


async def test_exactly_the_limit_passes_across_four_workers(server: str) -> None:
    await delete_client_keys()
    try:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        headers = {"X-Forwarded-For": CLIENT_IP}
        async with httpx.AsyncClient(
            base_url=server, limits=limits, timeout=30, headers=headers
        ) as client:
            responses = await asyncio.gather(
                *(client.get("/openapi.json") for _ in range(REQUESTS))
            )
    finally:
        await delete_client_keys()

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: LIMIT, 429: REQUESTS - LIMIT}
    # Several processes answered (and counted), or "across workers" would prove nothing.
    workers = {r.headers["x-worker-pid"] for r in responses}
    assert len(workers) >= 2, workers

    allowed = [r for r in responses if r.status_code == 200]
    # Every slot was handed out exactly once, whichever worker handed it out.
    assert sorted(int(r.headers["X-RateLimit-Remaining"]) for r in allowed) == list(range(LIMIT))
    policy = f'"minute";q={LIMIT};w=60, "hour";q=1000;w=3600'
    for response in allowed:
        assert response.headers["RateLimit-Policy"] == policy
        assert response.headers["X-RateLimit-Limit"] == str(LIMIT)

    for response in (r for r in responses if r.status_code == 429):
        assert response.json()["responseKey"] == "error_rate_limited"
        assert 1 <= int(response.headers["Retry-After"]) <= 60
        assert response.headers["X-RateLimit-Limit"] == str(LIMIT)
        assert response.headers["X-RateLimit-Remaining"] == "0"
        assert response.headers["RateLimit-Policy"] == policy
        assert response.headers["RateLimit"].startswith('"minute";r=0;t=')
        assert f'"hour";r={1000 - LIMIT};t=' in response.headers["RateLimit"]
