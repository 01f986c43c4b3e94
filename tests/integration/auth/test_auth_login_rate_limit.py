"""POST /auth/login is throttled per client IP and email (LOGIN_RATE_LIMIT_PER_MINUTE)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from fastmvc.app import create_app
from fastmvc.auth import auth_routers
from fastmvc.settings import Settings
from tests.integration.auth.auth_helpers import PASSWORD, AuthTestUser, register


@pytest.fixture
def fastmvc_app_factory() -> Any:
    def factory(settings: Settings) -> Any:
        # The shipped default (5/min), not the relaxed value of the test overrides.
        strict = settings.model_copy(update={"login_rate_limit_per_minute": 5})
        return create_app(strict, routers=auth_routers(AuthTestUser))

    return factory


async def test_sixth_login_in_a_minute_is_429_for_that_email_only(
    client: httpx.AsyncClient,
) -> None:
    await register(client, "ada@example.com")
    await register(client, "bob@example.com")
    wrong = {"email": "ada@example.com", "password": "not the password"}

    attempts = [await client.post("/auth/login", json=wrong) for _ in range(5)]
    limited = await client.post(
        "/auth/login", json={"email": "ada@example.com", "password": PASSWORD}
    )
    other = await client.post(
        "/auth/login", json={"email": "bob@example.com", "password": PASSWORD}
    )

    assert [r.status_code for r in attempts] == [401] * 5
    assert "ratelimit-policy" in {key.lower() for key in attempts[0].headers}
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.json()["responseKey"] == "error_rate_limited"
    assert other.status_code == 200
