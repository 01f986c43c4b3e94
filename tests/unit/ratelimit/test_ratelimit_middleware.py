"""The ASGI middleware on a memory limiter."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from fastmvc.errors import ServiceUnavailableError
from fastmvc.middleware.request_context import RequestContextMiddleware
from fastmvc.ratelimit import (
    MemoryRateLimitBackend,
    RateLimiter,
    RateLimitMiddleware,
    RateLimitResult,
    RateLimitRule,
)

RATE_HEADERS = ("RateLimit-Policy", "RateLimit", "X-RateLimit-Limit", "X-RateLimit-Remaining")


class DownBackend:
    async def hit(self, key: str, rules: Sequence[RateLimitRule]) -> RateLimitResult:
        raise ServiceUnavailableError("Rate limiter is unavailable")


def make_app(limiter: RateLimiter, *, trusted: str | None = None) -> FastAPI:
    app = FastAPI()

    @app.get("/items")
    async def items() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/health/live")
    async def live() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/own-headers")
    async def own_headers() -> JSONResponse:
        return JSONResponse({"ok": True}, headers={"RateLimit": '"route";r=1;t=5'})

    proxies = [ipaddress.ip_network(trusted)] if trusted else []
    app.add_middleware(RateLimitMiddleware, limiter=limiter, trusted_proxies=proxies)
    app.add_middleware(RequestContextMiddleware)
    return app


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_allowed_then_refused_with_envelope_and_headers() -> None:
    limiter = RateLimiter(MemoryRateLimitBackend(), rules=[RateLimitRule(2, 60)])
    async with client_for(make_app(limiter)) as client:
        first = await client.get("/items")
        second = await client.get("/items")
        third = await client.get("/items")
    assert first.status_code == second.status_code == 200
    assert first.json() == {"ok": True}
    for name in RATE_HEADERS:
        assert name in first.headers
    assert first.headers["X-RateLimit-Remaining"] == "1"
    assert second.headers["RateLimit"] == '"minute";r=0;t=60'
    assert "Retry-After" not in second.headers

    assert third.status_code == 429
    body = third.json()
    assert body["status"] == "FAILED"
    assert body["responseKey"] == "error_rate_limited"
    assert body["transactionUrn"] == third.headers["X-Request-ID"]
    assert third.headers["Retry-After"] == "60"
    assert third.headers["RateLimit-Policy"] == '"minute";q=2;w=60'
    assert third.headers["X-RateLimit-Remaining"] == "0"
    assert third.headers["X-RateLimit-Limit"] == "2"


async def test_health_routes_are_exempt() -> None:
    limiter = RateLimiter(MemoryRateLimitBackend(), rules=[RateLimitRule(1, 60)])
    async with client_for(make_app(limiter)) as client:
        for _ in range(5):
            response = await client.get("/health/live")
            assert response.status_code == 200
            assert "RateLimit" not in response.headers
        assert (await client.get("/items")).status_code == 200


async def test_forwarded_for_counts_only_from_trusted_proxies() -> None:
    rules = [RateLimitRule(1, 60)]
    untrusted = RateLimiter(MemoryRateLimitBackend(), rules=rules)
    async with client_for(make_app(untrusted)) as client:
        assert (await client.get("/items", headers={"X-Forwarded-For": "198.51.100.1"})).is_success
        # A forged header does not buy a fresh window.
        forged = await client.get("/items", headers={"X-Forwarded-For": "198.51.100.2"})
        assert forged.status_code == 429

    trusted = RateLimiter(MemoryRateLimitBackend(), rules=rules)
    async with client_for(make_app(trusted, trusted="127.0.0.0/8")) as client:
        assert (await client.get("/items", headers={"X-Forwarded-For": "198.51.100.1"})).is_success
        other = await client.get("/items", headers={"X-Forwarded-For": "198.51.100.2"})
        assert other.status_code == 200
        same = await client.get("/items", headers={"X-Forwarded-For": "198.51.100.1"})
        assert same.status_code == 429


async def test_route_headers_win_over_the_global_ones() -> None:
    limiter = RateLimiter(MemoryRateLimitBackend(), rules=[RateLimitRule(5, 60)])
    async with client_for(make_app(limiter)) as client:
        response = await client.get("/own-headers")
    assert response.headers["RateLimit"] == '"route";r=1;t=5'
    assert "X-RateLimit-Limit" not in response.headers


@pytest.mark.parametrize("fail_open", [True, False])
async def test_backend_down(fail_open: bool) -> None:
    limiter = RateLimiter(DownBackend(), rules=[RateLimitRule(1, 60)], fail_open=fail_open)
    async with client_for(make_app(limiter)) as client:
        responses = [await client.get("/items") for _ in range(3)]
    if fail_open:
        assert [r.status_code for r in responses] == [200, 200, 200]
        assert "RateLimit" not in responses[0].headers
    else:
        assert [r.status_code for r in responses] == [503, 503, 503]
        assert responses[0].json()["responseKey"] == "error_service_unavailable"
