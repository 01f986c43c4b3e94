"""The suite's service checks skip only when nothing answers; any other failure is an error."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from tests.integration.cache import cache_support
from tests.integration.ratelimit import ratelimit_support
from tests.support.net import free_port


@pytest.fixture
async def wrong_redis() -> AsyncIterator[str]:
    """A server on a free port that accepts connections and answers every command with an error."""

    async def answer_errors(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while chunk := await reader.read(65536):
            # One error reply per RESP command (each starts a line with "*").
            commands = sum(1 for line in chunk.split(b"\r\n") if line.startswith(b"*"))
            writer.write(b"-ERR this is not the Redis you want\r\n" * max(commands, 1))
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer_errors, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.close()
        await server.wait_closed()


def connectors(url: str) -> list[Callable[[], Awaitable[Redis]]]:
    return [lambda: cache_support.connect_shared(url), lambda: ratelimit_support.connect(url)]


async def test_a_server_that_answers_wrongly_is_an_error_not_a_skip(
    wrong_redis: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    for connect in connectors(wrong_redis):
        with pytest.raises(ResponseError, match="not the Redis you want"):
            await no_skip(connect)


async def no_skip(connect: Callable[[], Awaitable[Redis]]) -> Redis:
    """Run ``connect``, turning a skip (which would hide the broken server) into a failure."""
    try:
        return await connect()
    except pytest.skip.Exception as skipped:
        pytest.fail(f"skipped instead of raising: {skipped}")


async def test_nothing_listening_skips_locally_and_fails_under_ci(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"
    for connect in connectors(closed):
        monkeypatch.delenv("CI", raising=False)
        with pytest.raises(pytest.skip.Exception):
            await connect()
        monkeypatch.setenv("CI", "true")
        with pytest.raises(pytest.fail.Exception):
            await connect()
