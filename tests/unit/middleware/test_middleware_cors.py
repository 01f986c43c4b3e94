"""CORS from CORS_ORIGINS: allowed and denied origins, preflights, and none when unset."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from fastmvc.middleware import CORSStep, Edge

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


# The CORS step must answer exactly as Starlette's CORSMiddleware with the same arguments.

_CASES = [
    ("GET", {}),
    ("GET", {"Origin": ALLOWED}),
    ("GET", {"Origin": DENIED}),
    ("OPTIONS", {"Origin": ALLOWED}),
    ("OPTIONS", {"Origin": ALLOWED, "Access-Control-Request-Method": "POST"}),
    ("OPTIONS", {"Origin": DENIED, "Access-Control-Request-Method": "POST"}),
    (
        "OPTIONS",
        {
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "X-Unknown",
        },
    ),
]

_CONFIGS = [
    {"allow_origins": [ALLOWED], "expose_headers": ["X-Request-ID"]},
    {"allow_origins": ["*"]},
    {"allow_origins": [ALLOWED], "allow_credentials": True, "allow_methods": ["GET", "POST"]},
]


@pytest.mark.parametrize("config", _CONFIGS)
@pytest.mark.parametrize(
    "app_headers", [[], [(b"vary", b"Accept"), (b"access-control-allow-origin", b"x")]]
)
async def test_the_cors_step_answers_as_starlette_does(
    config: dict[str, Any], app_headers: list[tuple[bytes, bytes]]
) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": list(app_headers)})
        await send({"type": "http.response.body", "body": b"ok"})

    theirs = CORSMiddleware(app, **config)
    ours = Edge(app, [CORSStep(**config)])
    for method, headers in _CASES:
        answers = []
        for asgi in (theirs, ours):
            transport = httpx.ASGITransport(app=asgi)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                response = await client.request(method, "/x", headers=headers)
            answers.append(
                (response.status_code, sorted(response.headers.multi_items()), response.content)
            )
        assert answers[0] == answers[1], (method, headers)
