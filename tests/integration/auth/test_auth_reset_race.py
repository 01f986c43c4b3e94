"""Two resets racing with one token: exactly one wins, on memory and on Redis.

No test transaction here: each request gets its own connection and session,
as in production, so the race is real.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from fastmvc.app import create_app
from fastmvc.auth import auth_routers
from fastmvc.db import Base
from tests.integration.auth.account_support import Outbox
from tests.integration.auth.auth_helpers import AuthTestUser, auth_settings, login, register
from tests.services import require


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def racing_app(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    prefix = f"test-i9-race-{uuid.uuid4().hex[:8]}"
    redis_url = require("redis") if request.param == "redis" else None
    settings = auth_settings(
        f"sqlite+aiosqlite:///{tmp_path / 'race.db'}",
        redis_url=redis_url,
        token_store_prefix=prefix,
    )
    app = create_app(settings, routers=auth_routers(AuthTestUser), setup_logging=False)
    await app.state.fastmvc.database.create_all(Base.metadata)
    try:
        yield app
    finally:
        await app.state.fastmvc.aclose()
        if redis_url is not None:
            client = Redis.from_url(redis_url)
            keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
            if keys:
                await client.delete(*keys)
            await client.aclose()


async def test_two_concurrent_resets_with_one_token_exactly_one_wins(racing_app: Any) -> None:
    outbox = Outbox()
    racing_app.state.fastmvc.mailer = outbox
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=racing_app), base_url="http://t"
    ) as client:
        await register(client, "race@example.com")
        await client.post("/auth/password/forgot", json={"email": "race@example.com"})
        token = outbox.token_for("race@example.com")
        first, second = await asyncio.gather(
            client.post(
                "/auth/password/reset", json={"token": token, "password": "first new password"}
            ),
            client.post(
                "/auth/password/reset", json={"token": token, "password": "second new password"}
            ),
        )
        codes = sorted([first.status_code, second.status_code])
        assert codes == [200, 400], (first.text, second.text)
        winner = "first new password" if first.status_code == 200 else "second new password"
        loser = "second new password" if winner.startswith("first") else "first new password"
        await login(client, "race@example.com", winner)
        refused = await client.post(
            "/auth/login", json={"email": "race@example.com", "password": loser}
        )
        assert refused.status_code == 401
