"""Redis dies and comes back: fail-open, fail-closed, no hang, recovery without a restart."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from fastmvc.app import create_app
from fastmvc.settings import Settings
from tests.support.redis_server import ThrowawayRedis

pytestmark = [pytest.mark.redis, pytest.mark.slow]

# redis.py gives the client 0.5 s socket timeouts; a check must fail well within this.
NO_HANG_SECONDS = 3.0


def make_app(redis_url: str, tmp_path: Path, *, fail_open: bool) -> FastAPI:
    settings = Settings(
        redis_url=redis_url,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'app.db'}",
        rate_limit_per_minute=3,
        rate_limit_fail_open=fail_open,
    )

    def add_ping(app: FastAPI) -> None:
        @app.get("/ping")
        async def ping() -> dict[str, bool]:
            return {"ok": True}

    return create_app(settings, configure=add_ping)


async def timed_get(client: httpx.AsyncClient) -> httpx.Response:
    started = time.monotonic()
    response = await client.get("/ping")
    assert time.monotonic() - started < NO_HANG_SECONDS
    return response


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_outage_and_recovery(
    redis_server: ThrowawayRedis, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    open_app = make_app(redis_server.url, tmp_path, fail_open=True)
    closed_app = make_app(redis_server.url, tmp_path, fail_open=False)
    async with client_for(open_app) as open_client, client_for(closed_app) as closed_client:
        before = await timed_get(open_client)
        assert before.status_code == 200
        assert before.headers["X-RateLimit-Remaining"] == "2"
        assert (await timed_get(closed_client)).status_code == 200

        redis_server.kill()

        with caplog.at_level(logging.WARNING, logger="fastmvc.ratelimit"):
            passed = [await timed_get(open_client) for _ in range(6)]
        assert [r.status_code for r in passed] == [200] * 6
        assert all("RateLimit" not in r.headers for r in passed)
        warnings = [r for r in caplog.records if r.name == "fastmvc.ratelimit"]
        assert len(warnings) == 1
        assert warnings[0].levelno == logging.WARNING

        refused = [await timed_get(closed_client) for _ in range(3)]
        assert [r.status_code for r in refused] == [503] * 3
        body = refused[0].json()
        assert body["status"] == "FAILED"
        assert body["responseKey"] == "error_service_unavailable"
        assert body["transactionUrn"] == refused[0].headers["X-Request-ID"]

        redis_server.start()  # same port, empty data: the same apps must recover

        closed_after = [await timed_get(closed_client) for _ in range(4)]
        assert [r.status_code for r in closed_after] == [200, 200, 200, 429]
        assert closed_after[0].headers["X-RateLimit-Remaining"] == "2"
        assert closed_after[3].headers["Retry-After"] == "60"

        open_after = [await timed_get(open_client) for _ in range(4)]
        # The closed app's hits share the key (same client IP, same Redis).
        assert [r.status_code for r in open_after] == [429] * 4
        assert open_after[0].headers["X-RateLimit-Remaining"] == "0"
