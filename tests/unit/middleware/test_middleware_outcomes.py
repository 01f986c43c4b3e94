"""401, 413, 429 and 500 come out with the request id, security and CORS headers."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from fastmvc.middleware import API_CSP

MakeApp = Callable[..., FastAPI]
ClientFor = Callable[..., httpx.AsyncClient]

ORIGIN = "https://app.example.com"


def _assert_headers_and_envelope(response: httpx.Response, status: int, key: str) -> None:
    assert response.status_code == status
    body = response.json()
    assert body["status"] == "FAILED"
    assert body["responseKey"] == key
    assert body["data"] is None
    assert body["transactionUrn"] == response.headers["x-request-id"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["content-security-policy"] == API_CSP
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["cross-origin-opener-policy"] == "same-origin"
    assert response.headers["permissions-policy"]
    assert float(response.headers["x-process-time"]) >= 0
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower()
    text = response.text
    assert "Traceback" not in text
    assert "hunter2" not in text
    assert 'File "' not in text


async def test_401_from_require_user(make_app: MakeApp, client_for: ClientFor) -> None:
    async with client_for(make_app(cors_origins=[ORIGIN])) as client:
        response = await client.get("/private", headers={"Origin": ORIGIN})
    _assert_headers_and_envelope(response, 401, "error_unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"


async def test_500_from_an_unhandled_exception(make_app: MakeApp, client_for: ClientFor) -> None:
    async with client_for(make_app(cors_origins=[ORIGIN])) as client:
        response = await client.get("/boom", headers={"Origin": ORIGIN})
    _assert_headers_and_envelope(response, 500, "error_internal")
    assert response.json()["responseMessage"] == "Internal server error"


async def test_429_from_the_rate_limit_middleware(make_app: MakeApp, client_for: ClientFor) -> None:
    app = make_app(cors_origins=[ORIGIN], rate_limit_enabled=True, rate_limit_per_minute=1)
    async with client_for(app) as client:
        first = await client.get("/ping", headers={"Origin": ORIGIN})
        second = await client.get("/ping", headers={"Origin": ORIGIN})
    assert first.status_code == 200
    _assert_headers_and_envelope(second, 429, "error_rate_limited")
    assert int(second.headers["retry-after"]) >= 1
    assert "retry-after" in second.headers["access-control-expose-headers"].lower()


async def test_429_raised_by_a_route(make_app: MakeApp, client_for: ClientFor) -> None:
    async with client_for(make_app(cors_origins=[ORIGIN])) as client:
        response = await client.get("/limited", headers={"Origin": ORIGIN})
    _assert_headers_and_envelope(response, 429, "error_rate_limited")


async def test_413_from_the_body_limit(make_app: MakeApp, client_for: ClientFor) -> None:
    async with client_for(make_app(cors_origins=[ORIGIN], max_body_bytes=10)) as client:
        response = await client.post("/echo", content=b"x" * 11, headers={"Origin": ORIGIN})
    _assert_headers_and_envelope(response, 413, "error_payload_too_large")


@pytest.mark.parametrize("request_id", ["client-id-1", None])
async def test_error_envelope_echoes_the_request_id(
    make_app: MakeApp, client_for: ClientFor, request_id: str | None
) -> None:
    headers = {"Origin": ORIGIN}
    if request_id:
        headers["X-Request-ID"] = request_id
    async with client_for(make_app(cors_origins=[ORIGIN])) as client:
        response = await client.get("/boom", headers=headers)
    if request_id:
        assert response.headers["x-request-id"] == request_id
    assert response.json()["transactionUrn"] == response.headers["x-request-id"]
