"""The cache on a Redis that dies, hangs or comes back: requests never fail or hang."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from fastmvc.cache import Cache, RedisCacheBackend, build_cache
from fastmvc.redis import create_redis
from fastmvc.settings import Settings
from tests.support.redis_server import ThrowawayRedis

pytestmark = [pytest.mark.redis, pytest.mark.slow]


@pytest.fixture
async def client(throwaway_redis: ThrowawayRedis) -> AsyncIterator[Redis]:
    # The production wiring: create_redis with short timeouts, then build_cache.
    settings = Settings(redis_url=throwaway_redis.url, redis_timeout_seconds=0.2)
    redis = create_redis(settings)
    assert redis is not None
    yield redis
    await redis.aclose()


def _cache(client: Redis, *, outage_backoff: float = 1.0) -> Cache:
    settings = Settings(redis_timeout_seconds=0.2)
    cache = build_cache(settings, client)
    assert isinstance(cache.backend, RedisCacheBackend)
    # Same backend, but a test-sized backoff window.
    return Cache(cache.backend, namespace=cache.namespace, outage_backoff=outage_backoff)


async def test_killed_redis_degrades_to_computing(
    throwaway_redis: ThrowawayRedis, client: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    cache = _cache(client, outage_backoff=0.05)
    calls = 0

    @cache.cached(ttl=60)
    async def price(product_id: int) -> int:
        nonlocal calls
        calls += 1
        return product_id * 100

    assert await price(1) == 100
    assert await price(1) == 100
    assert calls == 1

    throwaway_redis.kill()
    with caplog.at_level(logging.WARNING, logger="fastmvc.cache"):
        async with asyncio.timeout(10):
            for _ in range(5):
                assert await price(1) == 100
                await asyncio.sleep(0.06)  # past the backoff: Redis is tried every time
            assert await cache.delete("x") == 0
            assert await cache.delete_prefix("") == 0
    assert calls == 6
    warnings = [r for r in caplog.records if r.name == "fastmvc.cache"]
    assert len(warnings) == 1  # at most one warning per interval
    assert "unavailable" in warnings[0].getMessage()


async def test_frozen_redis_does_not_hang_requests(
    throwaway_redis: ThrowawayRedis, client: Redis
) -> None:
    cache = _cache(client)

    @cache.cached(ttl=60)
    async def value() -> str:
        return "computed"

    assert await value() == "computed"  # warm up the connection
    throwaway_redis.freeze()
    async with asyncio.timeout(5):  # a hang would fail here, not block the suite
        assert await cache.delete("any") == 0
        assert await value() == "computed"
        assert await value() == "computed"  # inside the backoff: Redis is not even asked


async def test_cache_recovers_when_redis_returns(
    throwaway_redis: ThrowawayRedis, client: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    cache = _cache(client, outage_backoff=0.05)
    throwaway_redis.kill()
    with caplog.at_level(logging.INFO, logger="fastmvc.cache"):
        await cache.set("k", 1, ttl=60)
        assert await cache.get("k") is None
        throwaway_redis.start()
        await asyncio.sleep(0.1)
        await cache.set("k", 2, ttl=60)
        assert await cache.get("k") == 2
    assert "available again" in caplog.text


async def test_prefix_invalidation_uses_scan_and_batched_unlink_never_keys(
    throwaway_redis: ThrowawayRedis, client: Redis
) -> None:
    cache = Cache(RedisCacheBackend(client, scan_count=25), namespace="ns:")
    for n in range(300):
        await cache.set(f"p:{n}", n, ttl=60)
    await cache.set("q:1", 1, ttl=60)
    await client.config_resetstat()

    assert await cache.delete_prefix("p:") == 300

    stats = await client.info("commandstats")
    assert "cmdstat_keys" not in stats
    assert stats["cmdstat_scan"]["calls"] > 1
    assert stats["cmdstat_unlink"]["calls"] > 1
    assert await client.dbsize() == 1
