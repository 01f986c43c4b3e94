"""The per-route dependency and the login key, on a memory limiter."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import httpx
from fastapi import Depends, FastAPI, Request
from starlette.responses import Response

from fastmvc.app import create_app
from fastmvc.errors import FastMVCError
from fastmvc.ratelimit import (
    MemoryRateLimitBackend,
    RateLimit,
    RateLimiter,
    RateLimitRule,
    client_ip_and_email_key,
    login_rate_limit,
)
from fastmvc.responses import error_response
from fastmvc.settings import Settings


def make_app(settings: Settings) -> FastAPI:
    app = FastAPI()
    limiter = RateLimiter(MemoryRateLimitBackend(), rules=[RateLimitRule(1000, 60)])
    app.state.fastmvc = SimpleNamespace(settings=settings, limiter=limiter)

    @app.exception_handler(FastMVCError)
    async def handle(request: Request, exc: FastMVCError) -> Response:
        return error_response(exc)

    async def header_key(request: Request) -> str:
        return request.headers.get("x-user", "anonymous")

    per_user = RateLimit([RateLimitRule(2, 10, name="export")], key=header_key, name="export")

    @app.post("/auth/login", dependencies=[Depends(login_rate_limit)])
    async def login() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/export", dependencies=[Depends(per_user)])
    async def export() -> dict[str, bool]:
        return {"ok": True}

    @app.post("/key")
    async def key(request: Request) -> dict[str, str]:
        return {"key": await client_ip_and_email_key(request)}

    return app


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_login_is_limited_per_ip_and_email() -> None:
    app = make_app(Settings(login_rate_limit_per_minute=3))
    async with client_for(app) as client:
        for _ in range(3):
            ok = await client.post("/auth/login", json={"email": "Ann@Example.com "})
            assert ok.status_code == 200
            assert ok.headers["RateLimit-Policy"] == '"login";q=3;w=60'
        # Case and spaces do not make a new key.
        refused = await client.post("/auth/login", json={"email": "ann@example.COM"})
        assert refused.status_code == 429
        assert refused.json()["responseKey"] == "error_rate_limited"
        assert refused.headers["Retry-After"] == "60"
        assert refused.headers["X-RateLimit-Limit"] == "3"
        assert refused.headers["RateLimit"] == '"login";r=0;t=60'
        # Another account from the same IP has its own budget.
        other = await client.post("/auth/login", json={"email": "bob@example.com"})
        assert other.status_code == 200


async def test_login_key_survives_bad_bodies() -> None:
    app = make_app(Settings())
    async with client_for(app) as client:
        keys = []
        for body in [
            b"{not json",
            b"[1, 2]",
            b'{"email": 5}',
            b"",
            b'{"email": "  "}',
            b"\xff\xfe",
        ]:
            response = await client.post("/key", content=body)
            assert response.status_code == 200
            keys.append(response.json()["key"])
        good = await client.post("/key", json={"email": "A@b.c"})
    assert set(keys) == {"127.0.0.1"}
    key = good.json()["key"]
    assert key.startswith("127.0.0.1:")
    assert "a@b.c" not in key  # the address is hashed, never stored


async def test_bad_json_login_is_limited_by_ip_and_never_500() -> None:
    app = make_app(Settings(login_rate_limit_per_minute=2))
    async with client_for(app) as client:
        codes = [
            (
                await client.post(
                    "/auth/login", content=b"{oops", headers={"content-type": "application/json"}
                )
            ).status_code
            for _ in range(3)
        ]
    assert 500 not in codes
    assert codes[-1] == 429


async def test_custom_key_and_rules() -> None:
    app = make_app(Settings())
    async with client_for(app) as client:
        assert (await client.get("/export", headers={"x-user": "u1"})).status_code == 200
        assert (await client.get("/export", headers={"x-user": "u1"})).status_code == 200
        refused = await client.get("/export", headers={"x-user": "u1"})
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "10"
        assert (await client.get("/export", headers={"x-user": "u2"})).status_code == 200


async def test_settings_factory_rules_are_read_from_the_runtime() -> None:
    limit = RateLimit(
        lambda s: [RateLimitRule(s.login_rate_limit_per_minute, 30)],
        key=client_ip_and_email_key,
        name="x",
    )
    assert limit.rules(Settings(login_rate_limit_per_minute=4)) == (RateLimitRule(4, 30),)


async def test_with_create_app_the_handler_sends_the_headers(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'app.db'}",
        # Not development, where /openapi.json is exempt from the app-wide limit.
        environment="test",
        login_rate_limit_per_minute=1,
        rate_limit_per_minute=100,
    )

    def add_login(app: FastAPI) -> None:
        @app.post("/auth/login", dependencies=[Depends(login_rate_limit)])
        async def login() -> dict[str, bool]:
            return {"ok": True}

    app = create_app(settings, configure=add_login)
    async with client_for(app) as client:
        ok = await client.post("/auth/login", json={"email": "a@b.c"})
        refused = await client.post("/auth/login", json={"email": "a@b.c"})
        other_route = await client.get("/openapi.json")
    # The route's stricter headers win over the app-wide ones on the same response.
    assert ok.status_code == 200
    assert ok.headers["RateLimit-Policy"] == '"login";q=1;w=60'
    assert refused.status_code == 429
    assert refused.json()["responseKey"] == "error_rate_limited"
    assert refused.headers["Retry-After"] == "60"
    assert refused.headers["RateLimit"] == '"login";r=0;t=60'
    assert other_route.headers["X-RateLimit-Limit"] == "100"
    assert other_route.headers["X-RateLimit-Remaining"] == "97"
