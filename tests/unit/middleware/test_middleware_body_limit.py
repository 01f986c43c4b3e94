"""413 on a big Content-Length and on a big chunked body, without buffering."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, MutableMapping
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from fastmvc.middleware import BodyLimitMiddleware

MakeApp = Callable[..., FastAPI]
ClientFor = Callable[..., httpx.AsyncClient]

LIMIT = 1024


def _assert_413_envelope(response: httpx.Response) -> None:
    assert response.status_code == 413
    body = response.json()
    assert body["status"] == "FAILED"
    assert body["responseKey"] == "error_payload_too_large"
    assert body["transactionUrn"] == response.headers["x-request-id"]
    assert response.headers["x-content-type-options"] == "nosniff"


async def _chunks(count: int, size: int) -> AsyncIterator[bytes]:
    for _ in range(count):
        yield b"x" * size


async def test_body_within_the_limit_passes(make_app: MakeApp, client_for: ClientFor) -> None:
    async with client_for(make_app(max_body_bytes=LIMIT)) as client:
        response = await client.post("/echo", content=b"x" * LIMIT)
    assert response.status_code == 200
    assert response.json() == {"received": LIMIT}


async def test_big_content_length_is_refused(make_app: MakeApp, client_for: ClientFor) -> None:
    async with client_for(make_app(max_body_bytes=LIMIT)) as client:
        response = await client.post("/echo", content=b"x" * (LIMIT + 1))
    _assert_413_envelope(response)


async def test_chunked_body_within_the_limit_passes(
    make_app: MakeApp, client_for: ClientFor
) -> None:
    async with client_for(make_app(max_body_bytes=LIMIT)) as client:
        response = await client.post("/echo", content=_chunks(4, LIMIT // 4))
    assert response.request.headers.get("content-length") is None
    assert response.status_code == 200
    assert response.json() == {"received": LIMIT}


async def test_big_chunked_body_without_content_length_is_refused(
    make_app: MakeApp, client_for: ClientFor
) -> None:
    async with client_for(make_app(max_body_bytes=LIMIT)) as client:
        response = await client.post("/echo", content=_chunks(10, 300))
    assert response.request.headers.get("content-length") is None
    _assert_413_envelope(response)


async def test_big_chunked_json_body_parsed_by_fastapi_is_refused_with_413(
    make_app: MakeApp, client_for: ClientFor
) -> None:
    async def json_chunks() -> AsyncIterator[bytes]:
        yield b'{"a": "'
        for _ in range(10):
            yield b"x" * 300
        yield b'"}'

    async with client_for(make_app(max_body_bytes=LIMIT)) as client:
        ok = await client.post("/items", json={"a": 1, "b": 2})
        response = await client.post(
            "/items", content=json_chunks(), headers={"Content-Type": "application/json"}
        )
    assert ok.json() == {"keys": 2}
    _assert_413_envelope(response)


async def test_reading_stops_at_the_chunk_that_crosses_the_limit() -> None:
    """The body is never buffered: the middleware stops pulling once over the limit."""
    pulled = 0

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b"x" * 100, "more_body": True}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        while True:  # an app that would read forever
            await receive()

    sent: list[MutableMapping[str, Any]] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": []}
    await BodyLimitMiddleware(app, max_body_bytes=250)(scope, receive, send)
    assert pulled == 3
    assert sent[0]["status"] == 413


async def test_error_after_the_response_started_propagates() -> None:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"x" * 100, "more_body": True}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        while True:
            await receive()

    async def send(message: MutableMapping[str, Any]) -> None:
        pass

    scope = {"type": "http", "method": "POST", "path": "/", "headers": []}
    with pytest.raises(Exception, match="too large"):
        await BodyLimitMiddleware(app, max_body_bytes=150)(scope, receive, send)
