"""CORS from CORS_ORIGINS: allowed and denied origins, preflights, and none when unset."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from fastapi import FastAPI

MakeApp = Callable[..., FastAPI]
ClientFor = Callable[..., httpx.AsyncClient]

ALLOWED = "https://app.example.com"
DENIED = "https://evil.example.net"


async def test_allowed_origin_gets_cors_headers(make_app: MakeApp, client_for: ClientFor) -> None:
    async with client_for(make_app(cors_origins=[ALLOWED])) as client:
        response = await client.get("/ping", headers={"Origin": ALLOWED})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED
    exposed = response.headers["access-control-expose-headers"].lower()
    assert "x-request-id" in exposed
    assert "retry-after" in exposed
    assert "origin" in response.headers["vary"].lower()


async def test_denied_origin_gets_no_cors_headers(make_app: MakeApp, client_for: ClientFor) -> None:
    async with client_for(make_app(cors_origins=[ALLOWED])) as client:
        response = await client.get("/ping", headers={"Origin": DENIED})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


async def test_preflight_for_an_allowed_origin(make_app: MakeApp, client_for: ClientFor) -> None:
    async with client_for(make_app(cors_origins=[ALLOWED])) as client:
        response = await client.options(
            "/echo",
            headers={
                "Origin": ALLOWED,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "Authorization, Content-Type",
            },
        )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed_headers = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed_headers
    # The preflight answer went through the outer layers too.
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-request-id"]


async def test_preflight_for_a_denied_origin_is_refused(
    make_app: MakeApp, client_for: ClientFor
) -> None:
    async with client_for(make_app(cors_origins=[ALLOWED])) as client:
        response = await client.options(
            "/echo", headers={"Origin": DENIED, "Access-Control-Request-Method": "POST"}
        )
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def test_no_cors_when_origins_are_unset(make_app: MakeApp, client_for: ClientFor) -> None:
    async with client_for(make_app()) as client:
        simple = await client.get("/ping", headers={"Origin": ALLOWED})
        preflight = await client.options(
            "/echo", headers={"Origin": ALLOWED, "Access-Control-Request-Method": "POST"}
        )
    assert "access-control-allow-origin" not in simple.headers
    assert "access-control-allow-origin" not in preflight.headers
    assert preflight.status_code == 405  # no CORS layer: the router sees a plain OPTIONS
