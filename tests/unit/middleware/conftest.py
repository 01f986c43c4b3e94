"""A tiny app built by create_app (so behind the full middleware stack), one route per outcome."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from fastmvc.app import create_app
from fastmvc.context import set_current_user_id
from fastmvc.errors import RateLimitedError
from fastmvc.security import require_user
from fastmvc.settings import Settings

router = APIRouter()


@router.get("/ping")
async def ping() -> dict[str, bool]:
    return {"ok": True}


@router.get("/private", dependencies=[Depends(require_user)])
async def private() -> dict[str, bool]:
    return {"ok": True}


@router.get("/boom")
async def boom() -> dict[str, bool]:
    raise RuntimeError("secret detail: password=hunter2")


@router.get("/limited")
async def limited() -> dict[str, bool]:
    raise RateLimitedError(headers={"Retry-After": "60"})


@router.post("/echo")
async def echo(request: Request) -> dict[str, int]:
    return {"received": len(await request.body())}


@router.post("/items")
async def create_item(item: dict[str, Any]) -> dict[str, int]:
    """FastAPI parses this body itself (and turns a failed read into a 400)."""
    return {"keys": len(item)}


@router.get("/me")
async def me() -> dict[str, bool]:
    set_current_user_id(42)
    return {"ok": True}


@router.get("/log")
async def log_line() -> dict[str, bool]:
    logging.getLogger("tests.middleware").warning("inside the request")
    return {"ok": True}


@router.get("/cached")
async def cached() -> Response:
    return JSONResponse({"ok": True}, headers={"Cache-Control": "public, max-age=60"})


@router.get("/own-csp")
async def own_csp() -> Response:
    return HTMLResponse("<p>hi</p>", headers={"Content-Security-Policy": "default-src 'self'"})


@router.get("/text")
async def text() -> Response:
    return PlainTextResponse("plain")


def build_app(**overrides: Any) -> FastAPI:
    """create_app with the test routes, embedded backends and rate limiting off by default."""
    overrides.setdefault("rate_limit_enabled", False)
    settings = Settings(
        _env_file=None,
        database_url="sqlite+aiosqlite:///:memory:",
        redis_url=None,
        redis_host=None,
        **overrides,
    )
    return create_app(settings, routers=[router], setup_logging=False)


@pytest.fixture
def make_app() -> Callable[..., FastAPI]:
    """Build an app; keyword arguments are Settings fields."""
    return build_app


def asgi_client(app: ASGIApp, base_url: str = "http://testserver") -> httpx.AsyncClient:
    """An httpx client that serves each request in its own task, as a real server does.

    The task keeps the request context (a contextvar) from leaking into the test.
    """

    async def isolated(scope: Scope, receive: Receive, send: Send) -> None:
        async def serve() -> None:
            await app(scope, receive, send)

        await asyncio.create_task(serve())

    transport = httpx.ASGITransport(app=isolated, client=("203.0.113.5", 4321))
    return httpx.AsyncClient(transport=transport, base_url=base_url)


@pytest.fixture
def client_for() -> Callable[..., httpx.AsyncClient]:
    return asgi_client
