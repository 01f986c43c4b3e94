"""Helpers for the rate-limit integration tests: clients for the shared Redis, round trips."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection

from tests.services import require, require_reachable


async def connect(url: str | None = None) -> Redis:
    """A client for ``url`` (the shared test Redis by default), checked with a PING."""
    # Only "nothing answers on the port" may skip; any other error is raised.
    url = require_reachable(url, 6379) if url else require("redis")
    client = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        await client.ping()
    except BaseException:
        await client.aclose()
        raise
    return client


async def delete_prefix(client: Redis, prefix: str) -> None:
    """Delete this test's keys; the shared Redis is never flushed."""
    keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=500)]
    if keys:
        await client.delete(*keys)


def command_names(packed: bytes) -> list[str]:
    """The command names in one write of RESP arrays (``SCRIPT LOAD`` keeps its subcommand)."""
    names: list[str] = []
    position = 0
    while position < len(packed):
        end = packed.index(b"\r\n", position)
        count, position = int(packed[position + 1 : end]), end + 2
        parts: list[bytes] = []
        for _ in range(count):
            end = packed.index(b"\r\n", position)
            length, position = int(packed[position + 1 : end]), end + 2
            parts.append(packed[position : position + length])
            position += length + 2
        name = parts[0].decode().upper()
        if name in ("SCRIPT", "CLIENT"):
            name += " " + parts[1].decode().upper()
        names.append(name)
    return names


def record_writes(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Record what every redis-py connection writes: one list of command names per round trip."""
    writes: list[list[str]] = []
    original = AbstractConnection.send_packed_command

    async def recording(
        self: AbstractConnection,
        command: bytes | str | Iterable[bytes],
        check_health: bool = True,
    ) -> None:
        chunks = [command] if isinstance(command, bytes | str) else list(command)
        packed = b"".join(
            chunk.encode() if isinstance(chunk, str) else bytes(chunk) for chunk in chunks
        )
        names = command_names(packed)
        if not {"PING", "HELLO", "CLIENT SETINFO"} & set(names):
            writes.append(names)
        await original(self, command if isinstance(command, bytes | str) else chunks, check_health)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", recording)
    return writes
