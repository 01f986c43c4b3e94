"""Helpers for the cache integration tests: the shared Redis, never flushed."""

from __future__ import annotations

from redis.asyncio import Redis

from fastmvc.cache.redis_backend import escape_glob
from tests.services import REDIS_URL
from tests.support.availability import unavailable


def redis_url() -> str:
    """The shared test Redis: ``TEST_REDIS_URL``, like every Redis test."""
    return REDIS_URL


async def connect_shared() -> Redis:
    """The shared Redis (other suites use it too: never flush it)."""
    client = Redis.from_url(redis_url(), socket_timeout=2, socket_connect_timeout=2)
    try:
        await client.ping()
    except Exception as exc:
        await client.aclose()
        unavailable(f"Redis at {redis_url()} is not reachable: {exc!r}")
    return client


async def delete_own_keys(client: Redis, prefix: str) -> None:
    """Remove the keys this test wrote, and only those."""
    async for key in client.scan_iter(match=escape_glob(prefix) + "*", count=1000):
        await client.unlink(key)
