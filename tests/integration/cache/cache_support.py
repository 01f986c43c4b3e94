"""Helpers for the cache integration tests: the shared Redis, never flushed."""

from __future__ import annotations

from redis.asyncio import Redis

from fastmvc.cache.redis_backend import escape_glob
from tests.services import REDIS_URL, require_reachable


def redis_url() -> str:
    """The shared test Redis: ``TEST_REDIS_URL``, like every Redis test."""
    return REDIS_URL


async def connect_shared(url: str | None = None) -> Redis:
    """The shared Redis (other suites use it too: never flush it).

    Skips (fails under CI) only when nothing answers on Redis's port; any
    other error, such as a refused PING, is raised as it is.
    """
    client = Redis.from_url(
        require_reachable(url or redis_url(), 6379), socket_timeout=2, socket_connect_timeout=2
    )
    try:
        await client.ping()
    except BaseException:
        await client.aclose()
        raise
    return client


async def delete_own_keys(client: Redis, prefix: str) -> None:
    """Remove the keys this test wrote, and only those."""
    async for key in client.scan_iter(match=escape_glob(prefix) + "*", count=1000):
        await client.unlink(key)
