"""Fixtures for the rate-limit integration tests: the shared Redis, and throwaway ones."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from secrets import token_hex

import pytest
from redis.asyncio import Redis

from fastmvc.ratelimit import MemoryRateLimitBackend, RateLimitBackend, RedisRateLimitBackend
from tests.integration.ratelimit.ratelimit_support import connect, delete_prefix
from tests.support.redis_server import ThrowawayRedis, throwaway_redis_server


@pytest.fixture
async def redis(key_prefix: str) -> AsyncIterator[Redis]:
    """The shared Redis; whatever the test wrote under ``key_prefix`` is deleted afterwards."""
    client = await connect()
    try:
        yield client
    finally:
        await delete_prefix(client, key_prefix)
        await client.aclose()


@pytest.fixture
def key_prefix() -> str:
    # Other suites share this Redis: never flush, always a unique prefix.
    return f"test:rl:{token_hex(6)}"


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def backend(
    request: pytest.FixtureRequest, key_prefix: str
) -> AsyncIterator[RateLimitBackend]:
    """The same semantic tests run on both backends."""
    if request.param == "memory":
        yield MemoryRateLimitBackend()
        return
    client = await connect()
    try:
        yield RedisRateLimitBackend(client, prefix=key_prefix)
    finally:
        await delete_prefix(client, key_prefix)
        await client.aclose()


@pytest.fixture
def redis_server() -> Iterator[ThrowawayRedis]:
    with throwaway_redis_server() as server:
        yield server
