"""The auth limits: one mechanism by name, bounded bodies, canonical emails, never vanishing.

Issue 8: defect 3 (a limiter outage must not lift auth limits) and defect 8
(a padded body or a reshaped email must not buy a fresh bucket).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from types import SimpleNamespace

import httpx
import pytest
from fastapi import Depends, FastAPI, Request
from starlette.responses import Response

from fastmvc.errors import FastMVCError, ServiceUnavailableError
from fastmvc.ratelimit import (
    AUTH_LIMITS,
    AUTH_MAX_BODY_BYTES,
    MemoryRateLimitBackend,
    RateLimiter,
    RateLimitResult,
    RateLimitRule,
    auth_rate_limit,
    login_rate_limit,
    password_reset_rate_limit,
    register_rate_limit,
)
from fastmvc.responses import error_response
from fastmvc.settings import Settings


class DownBackend:
    """A backend whose store cannot be reached, as the Redis backend reports it."""

    async def hit(self, key: str, rules: Sequence[RateLimitRule]) -> RateLimitResult:
        raise ServiceUnavailableError("Rate limiter is unavailable")


def make_app(settings: Settings, limiter: RateLimiter | None = None) -> FastAPI:
    app = FastAPI()
    limiter = limiter or RateLimiter(MemoryRateLimitBackend(), rules=[RateLimitRule(1000, 60)])
    app.state.fastmvc = SimpleNamespace(settings=settings, limiter=limiter)

    @app.exception_handler(FastMVCError)
    async def handle(request: Request, exc: FastMVCError) -> Response:
        return error_response(exc)

    for name in AUTH_LIMITS:

        @app.post(f"/{name}", dependencies=[Depends(auth_rate_limit(name))])
        async def limited() -> dict[str, bool]:
            return {"ok": True}

    return app


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def test_auth_limits_are_found_by_name_and_shared() -> None:
    assert auth_rate_limit("login") is login_rate_limit
    assert auth_rate_limit("register") is register_rate_limit
    assert auth_rate_limit("password_reset") is password_reset_rate_limit
    assert all(auth_rate_limit(name).critical for name in AUTH_LIMITS)
    settings = Settings(password_reset_rate_limit_per_minute=2, register_rate_limit_per_minute=4)
    assert password_reset_rate_limit.rules(settings) == (RateLimitRule(2, 60, "password_reset"),)
    assert register_rate_limit.rules(settings) == (RateLimitRule(4, 60, "register"),)
    with pytest.raises(KeyError):
        auth_rate_limit("nope")


@pytest.mark.parametrize("name", sorted(AUTH_LIMITS))
async def test_auth_limits_hold_while_the_limiter_backend_is_down(name: str) -> None:
    settings = Settings(
        login_rate_limit_per_minute=2,
        register_rate_limit_per_minute=2,
        password_reset_rate_limit_per_minute=2,
    )
    down = RateLimiter(DownBackend(), rules=[RateLimitRule(1000, 60)], fail_open=True)
    async with client_for(make_app(settings, down)) as client:
        codes = [
            (await client.post(f"/{name}", json={"email": "ada@example.com"})).status_code
            for _ in range(4)
        ]
        # The app-wide check on the same limiter still fails open, as configured.
        assert (await down.check("ip:x")).allowed
    assert codes == [200, 200, 429, 429]


async def test_an_oversized_auth_body_is_refused_before_keying() -> None:
    settings = Settings(login_rate_limit_per_minute=2)
    padded = json.dumps({"email": "ada@example.com", "password": "x", "pad": "p" * 70_000})
    async with client_for(make_app(settings)) as client:
        for name in AUTH_LIMITS:
            response = await client.post(
                f"/{name}", content=padded, headers={"content-type": "application/json"}
            )
            assert response.status_code == 413, name
            assert response.json()["responseKey"] == "error_payload_too_large"
        fits = json.dumps({"email": "ada@example.com", "pad": "p" * (AUTH_MAX_BODY_BYTES - 100)})
        assert (await client.post("/login", content=fits)).status_code == 200


async def test_email_spellings_and_padding_share_one_login_bucket() -> None:
    settings = Settings(login_rate_limit_per_minute=3)
    long_local = "a" * 400
    async with client_for(make_app(settings)) as client:
        codes = [
            (await client.post("/login", json={"email": email})).status_code
            for email in [
                "ADA@EXAMPLE.COM",
                "\uff41\uff44\uff41@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com",  # fullwidth
                " ada@example.com ",
                "ada@example.com",
            ]
        ]
        assert codes == [200, 200, 200, 429]
        # Past 320 characters the email is cut: padding it further is the same bucket.
        padded = [
            (await client.post("/login", json={"email": long_local + tail})).status_code
            for tail in ("", "b", "@c.d", "zzz")
        ]
    assert padded == [200, 200, 200, 429]
