"""Redis dies: the login and register limits keep counting (issue 8, defect 3).

The app-wide limit fails open as configured; the auth limits fall back to a
per-process memory limiter instead of vanishing.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from fastmvc.app import create_app
from fastmvc.auth import auth_routers
from fastmvc.db import Base
from tests.integration.auth.auth_helpers import AuthTestUser, auth_settings
from tests.support.redis_server import ThrowawayRedis

pytestmark = [pytest.mark.redis, pytest.mark.slow]


async def test_auth_limits_survive_a_redis_outage(
    redis_server: ThrowawayRedis, tmp_path: Path
) -> None:
    settings = auth_settings(
        f"sqlite+aiosqlite:///{tmp_path / 'auth.db'}",
        redis_url=redis_server.url,
        rate_limit_fail_open=True,
        login_rate_limit_per_minute=3,
        register_rate_limit_per_minute=2,
    )
    app = create_app(settings, routers=auth_routers(AuthTestUser), setup_logging=False)
    await app.state.fastmvc.database.create_all(Base.metadata)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            redis_server.kill()
            credentials = {"email": "victim@example.com", "password": "guess-0001"}
            logins = [
                (await client.post("/auth/login", json=credentials)).status_code for _ in range(5)
            ]
            registrations = [
                (
                    await client.post(
                        "/auth/register",
                        json={"email": f"bulk{n}@example.com", "password": "long enough pw"},
                    )
                ).status_code
                for n in range(4)
            ]
    finally:
        await app.state.fastmvc.aclose()
    assert logins == [401, 401, 401, 429, 429]
    assert registrations == [201, 201, 429, 429]
