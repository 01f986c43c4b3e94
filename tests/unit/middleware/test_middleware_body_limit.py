"""413 on a big Content-Length and on a big chunked body, without buffering."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, MutableMapping
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from fastmvc.middleware import BodyLimitMiddleware
from fastmvc.middleware.body_limit import DRAIN_BYTES

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
    """The body is never buffered: past the limit only DRAIN_BYTES more are read, then dropped."""
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
    assert pulled == 3 + -(-DRAIN_BYTES // 100)
    assert sent[0]["status"] == 413


def _counting_receive(chunks: list[bytes]) -> tuple[Callable[[], Any], list[int]]:
    """A receive that hands out ``chunks`` and then fails the test if called again."""
    pulled = [0]

    async def receive() -> dict[str, Any]:
        assert pulled[0] < len(chunks), "read past the end of the body"
        pulled[0] += 1
        more = pulled[0] < len(chunks)
        return {"type": "http.request", "body": chunks[pulled[0] - 1], "more_body": more}

    return receive, pulled


async def _run(
    middleware: BodyLimitMiddleware, headers: list[tuple[bytes, bytes]], receive: Any
) -> int:
    sent: list[MutableMapping[str, Any]] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    await middleware(scope, receive, send)
    status: int = sent[0]["status"]
    return status


async def _never_called(scope: Any, receive: Any, send: Any) -> None:
    raise AssertionError("the app must not run")


async def test_a_body_a_little_over_its_content_length_limit_is_read_before_the_413() -> None:
    # Servers that close with unread bytes reset the connection, losing the 413.
    receive, pulled = _counting_receive([b"x" * 200, b"x" * 200])
    headers = [(b"content-length", b"400")]
    assert (
        await _run(BodyLimitMiddleware(_never_called, max_body_bytes=250), headers, receive) == 413
    )
    assert pulled == [2]


async def test_a_content_length_far_over_the_limit_is_answered_without_reading() -> None:
    receive, pulled = _counting_receive([b"x"])
    headers = [(b"content-length", str(250 + DRAIN_BYTES + 1).encode())]
    assert (
        await _run(BodyLimitMiddleware(_never_called, max_body_bytes=250), headers, receive) == 413
    )
    assert pulled == [0]


async def test_a_chunked_body_that_ended_over_the_limit_is_not_read_again() -> None:
    receive, pulled = _counting_receive([b"x" * 200, b"x" * 200])

    async def app(scope: Any, receive: Any, send: Any) -> None:
        while True:
            await receive()

    assert await _run(BodyLimitMiddleware(app, max_body_bytes=250), [], receive) == 413
    assert pulled == [2]


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
