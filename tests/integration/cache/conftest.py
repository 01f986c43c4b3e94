"""Fixtures for the cache integration tests: each behaviour runs on memory and real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from secrets import token_hex

import pytest
from redis.asyncio import Redis

from fastmvc.cache import Cache, MemoryCacheBackend, RedisCacheBackend
from tests.integration.cache.cache_support import connect_shared, delete_own_keys
from tests.support.redis_server import ThrowawayRedis, throwaway_redis_server

# Small, so that tests with a few hundred keys need many SCAN rounds.
SCAN_COUNT = 10


@pytest.fixture
def namespace() -> str:
    # Other suites share this Redis: never flush, always a unique namespace.
    return f"fastmvc:test:cache:{token_hex(6)}:"


@pytest.fixture
async def shared_redis(namespace: str) -> AsyncIterator[Redis]:
    client = await connect_shared()
    try:
        yield client
    finally:
        await delete_own_keys(client, namespace)
        await client.aclose()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def cache(request: pytest.FixtureRequest, namespace: str) -> AsyncIterator[Cache]:
    """A cache over each backend, under this test's own namespace."""
    if request.param == "memory":
        yield Cache(MemoryCacheBackend(), namespace=namespace)
        return
    client = await connect_shared()
    try:
        yield Cache(RedisCacheBackend(client, scan_count=SCAN_COUNT), namespace=namespace)
    finally:
        await delete_own_keys(client, namespace)
        await client.aclose()


@pytest.fixture
def throwaway_redis() -> Iterator[ThrowawayRedis]:
    with throwaway_redis_server() as server:
        yield server
