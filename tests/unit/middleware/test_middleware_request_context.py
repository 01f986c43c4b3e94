"""X-Request-ID: kept when safe, replaced otherwise, and the client ip on the context."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from ulid import ULID

from fastmvc.context import current_context
from fastmvc.middleware import RequestContextMiddleware
from fastmvc.middleware.client_ip import client_ip

MakeApp = Callable[..., FastAPI]
ClientFor = Callable[..., httpx.AsyncClient]


def _is_ulid(value: str) -> bool:
    try:
        ULID.from_str(value)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("incoming", ["abc-123", "A.b_c-9", "x" * 64, "01JABCDEFGHJKMNPQRSTVWXYZ0"])
async def test_safe_request_id_is_kept(
    make_app: MakeApp, client_for: ClientFor, incoming: str
) -> None:
    async with client_for(make_app()) as client:
        response = await client.get("/ping", headers={"X-Request-ID": incoming})
    assert response.headers["X-Request-ID"] == incoming


@pytest.mark.parametrize(
    "incoming",
    ["x" * 65, "has space", "new\nline", "cr\rlf", "semi;colon", "slash/", 'quote"', "é", ""],
)
async def test_unsafe_request_id_is_replaced_by_a_ulid(
    make_app: MakeApp, client_for: ClientFor, incoming: str
) -> None:
    async with client_for(make_app()) as client:
        response = await client.get("/ping", headers=[(b"x-request-id", incoming.encode())])
    echoed = response.headers["X-Request-ID"]
    assert echoed != incoming
    assert _is_ulid(echoed)
    assert response.json() == {"ok": True}


async def test_missing_request_id_gets_a_fresh_ulid_per_request(
    make_app: MakeApp, client_for: ClientFor
) -> None:
    async with client_for(make_app()) as client:
        first = (await client.get("/ping")).headers["X-Request-ID"]
        second = (await client.get("/ping")).headers["X-Request-ID"]
    assert _is_ulid(first)
    assert _is_ulid(second)
    assert first != second


async def test_request_id_header_appears_once(make_app: MakeApp, client_for: ClientFor) -> None:
    async with client_for(make_app()) as client:
        response = await client.get("/ping", headers={"X-Request-ID": "abc"})
    assert response.headers.get_list("X-Request-ID") == ["abc"]


async def _call(middleware: Any, scope: dict[str, Any]) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await middleware(scope, receive, send)
    return sent


async def test_context_holds_request_id_and_client_ip_from_a_trusted_proxy() -> None:
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        ctx = current_context()
        assert ctx is not None
        seen.update(request_id=ctx.request_id, client_ip=ctx.client_ip)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    proxy = ipaddress.ip_network("10.0.0.0/8")
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": [(b"x-request-id", b"req-1"), (b"x-forwarded-for", b"203.0.113.7, 10.0.0.2")],
        "client": ("10.0.0.1", 5000),
    }
    sent = await _call(RequestContextMiddleware(app, trusted_proxies=[proxy]), scope)
    assert seen == {"request_id": "req-1", "client_ip": "203.0.113.7"}
    assert (b"x-request-id", b"req-1") in sent[0]["headers"]


async def test_untrusted_peer_cannot_forge_its_address() -> None:
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        ctx = current_context()
        assert ctx is not None
        seen["client_ip"] = ctx.client_ip
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": [(b"x-forwarded-for", b"1.2.3.4")],
        "client": ("198.51.100.9", 5000),
    }
    trusted = [ipaddress.ip_network("10.0.0.0/8")]
    await _call(RequestContextMiddleware(app, trusted_proxies=trusted), scope)
    assert seen["client_ip"] == "198.51.100.9" == client_ip(scope, trusted)
