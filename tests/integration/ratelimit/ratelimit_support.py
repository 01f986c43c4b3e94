"""Helpers for the rate-limit integration tests: clients for the shared Redis."""

from __future__ import annotations

from redis.asyncio import Redis

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
