"""The stack behind a real uvicorn server: body limits on real sockets, headers on errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from fastapi import APIRouter, Request

from fastmvc.app import create_app
from fastmvc.settings import Settings
from tests.support.net import free_port

pytestmark = pytest.mark.slow

LIMIT = 1024
ORIGIN = "https://app.example.com"

router = APIRouter()


@router.post("/echo")
async def echo(request: Request) -> dict[str, int]:
    return {"received": len(await request.body())}


@router.get("/boom")
async def boom() -> dict[str, bool]:
    raise RuntimeError("secret detail")


@pytest.fixture
async def base_url() -> AsyncIterator[str]:
    settings = Settings(
        _env_file=None,
        database_url="sqlite+aiosqlite:///:memory:",
        redis_url=None,
        redis_host=None,
        rate_limit_enabled=False,
        max_body_bytes=LIMIT,
        cors_origins=[ORIGIN],
    )
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, routers=[router]),
        host="127.0.0.1",
        port=port,
        log_config=None,
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.025)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


def _assert_envelope_with_headers(response: httpx.Response, status: int) -> None:
    assert response.status_code == status
    body = response.json()
    assert body["status"] == "FAILED"
    assert body["transactionUrn"] == response.headers["x-request-id"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "x-process-time" in response.headers


async def _chunks(count: int, size: int) -> AsyncIterator[bytes]:
    for _ in range(count):
        yield b"x" * size


async def test_chunked_body_over_the_limit_gets_413(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as client:
        small = await client.post("/echo", content=_chunks(2, 100), headers={"Origin": ORIGIN})
        big = await client.post("/echo", content=_chunks(20, 100), headers={"Origin": ORIGIN})
    assert small.request.headers["transfer-encoding"] == "chunked"
    assert small.json() == {"received": 200}
    assert big.request.headers["transfer-encoding"] == "chunked"
    _assert_envelope_with_headers(big, 413)


async def test_big_content_length_is_refused_before_the_body_is_sent(base_url: str) -> None:
    host, port = base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        # Announce a gigabyte and send none of it: the answer must not wait for the body.
        writer.write(
            b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Length: 1000000000\r\n\r\n"
        )
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 5)
    finally:
        writer.close()
    assert status_line.startswith(b"HTTP/1.1 413")


async def test_500_over_a_real_server_carries_every_header(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as client:
        response = await client.get("/boom", headers={"Origin": ORIGIN})
    _assert_envelope_with_headers(response, 500)
    assert "secret detail" not in response.text
