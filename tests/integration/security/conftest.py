"""Real Redis for the token-store tests: the shared one, and throwaway ones to break."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from secrets import token_hex

import pytest
from redis.asyncio import Redis

from tests.services import require
from tests.support.redis_server import ThrowawayRedis, throwaway_redis_server


@pytest.fixture
async def redis(key_prefix: str) -> AsyncIterator[Redis]:
    """The shared Redis; every key under ``key_prefix`` is deleted after the test, pass or fail."""
    client = Redis.from_url(require("redis"), socket_timeout=2, socket_connect_timeout=2)
    try:
        yield client
    finally:
        keys = [key async for key in client.scan_iter(match=f"{key_prefix}:*", count=500)]
        if keys:
            await client.delete(*keys)
        await client.aclose()


@pytest.fixture
def key_prefix() -> str:
    # Other suites share this Redis: never flush, always a unique prefix.
    return f"test:sec:{token_hex(6)}"


@pytest.fixture
def throwaway_redis() -> Iterator[ThrowawayRedis]:
    """A private redis-server on a free port, which a test may kill."""
    with throwaway_redis_server() as server:
        yield server
