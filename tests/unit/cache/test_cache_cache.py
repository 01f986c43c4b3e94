"""Cache behaviour that needs no real store: options, methods, degradation, typing.

The behaviours shared with Redis (hits, TTL, invalidation, single-flight…) are
checked against both backends in tests/integration/cache/.
"""

import asyncio
import logging
import re
import subprocess
import sys
import textwrap
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import NoReturn

import pytest

from fastmvc.cache import (
    Cache,
    CacheUnavailableError,
    MemoryCacheBackend,
    RedisCacheBackend,
    build_cache,
)
from fastmvc.settings import Settings


class DownBackend:
    """A backend whose store is unreachable: every call fails the way Redis's would."""

    def __init__(self) -> None:
        self.calls = 0

    async def get(self, key: str) -> bytes | None:
        return self._fail()

    async def set(self, key: str, value: bytes, ttl: float | None) -> None:
        self._fail()

    async def delete(self, *keys: str) -> int:
        return self._fail()

    async def delete_prefix(self, prefix: str) -> int:
        return self._fail()

    def _fail(self) -> NoReturn:
        self.calls += 1
        raise CacheUnavailableError("store down")


def test_build_cache_picks_memory_without_a_client() -> None:
    cache = build_cache(Settings(), None)
    assert isinstance(cache.backend, MemoryCacheBackend)
    assert cache.namespace == "fastmvc:cache:"


async def test_build_cache_picks_redis_with_a_client() -> None:
    from redis.asyncio import Redis

    client = Redis(host="127.0.0.1", port=1)  # never contacted by this test
    try:
        assert isinstance(build_cache(Settings(), client).backend, RedisCacheBackend)
    finally:
        await client.aclose()


async def test_get_tells_a_cached_none_from_a_miss() -> None:
    cache = Cache(MemoryCacheBackend())
    missing = object()
    assert await cache.get("k", missing) is missing
    await cache.set("k", None)
    assert await cache.get("k", missing) is None


async def test_unreadable_entry_counts_as_a_miss_and_is_recomputed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    backend = MemoryCacheBackend()
    cache = Cache(backend, namespace="ns:")
    await backend.set("ns:k", b"\x80\x04K\x01.", None)
    assert await cache.get("k", "miss") == "miss"
    assert await cache.get_or_set("k", _value(5)) == 5
    assert await cache.get("k") == 5
    assert "unreadable cache entry" in caplog.text


async def test_ttl_must_be_positive() -> None:
    cache = Cache(MemoryCacheBackend())
    with pytest.raises(ValueError, match="positive"):
        await cache.set("k", 1, ttl=0)
    with pytest.raises(ValueError, match="positive"):
        cache.cached(ttl=timedelta(seconds=-1))
    with pytest.raises(ValueError, match="positive"):
        Cache(MemoryCacheBackend(), default_ttl=0)


async def test_timedelta_ttl_expires() -> None:
    cache = Cache(MemoryCacheBackend())
    await cache.set("k", 1, ttl=timedelta(milliseconds=50))
    await asyncio.sleep(0.1)
    assert await cache.get("k") is None


def test_decorating_a_sync_function_fails_early() -> None:
    cache = Cache(MemoryCacheBackend())
    with pytest.raises(TypeError, match="async function"):
        cache.cached()(lambda: 1)  # type: ignore[arg-type, return-value]


async def test_methods_are_cached_per_arguments_not_per_instance() -> None:
    cache = Cache(MemoryCacheBackend())
    calls: list[int] = []

    class ProductService:
        @cache.cached(ttl=60, prefix="svc")
        async def get(self, product_id: int) -> dict[str, int]:
            calls.append(product_id)
            return {"id": product_id}

    assert await ProductService().get(1) == {"id": 1}
    assert await ProductService().get(1) == {"id": 1}
    assert calls == [1]
    service = ProductService()
    assert await cache.invalidate(service.get, 1) is True
    assert await cache.invalidate(service.get, 1) is False
    await service.get(1)
    assert calls == [1, 1]


async def test_invalidate_all_removes_only_that_functions_entries() -> None:
    cache = Cache(MemoryCacheBackend())

    @cache.cached(prefix="square")
    async def square(x: int) -> int:
        return x * x

    @cache.cached(prefix="squared")
    async def squared(x: int) -> int:
        return x * x

    for x in range(3):
        await square(x)
        await squared(x)
    assert await cache.invalidate_all(square) == 3
    assert await cache.invalidate_all(squared) == 3


async def test_invalidate_needs_a_cached_function() -> None:
    cache = Cache(MemoryCacheBackend())

    async def plain(x: int) -> int:
        return x

    @cache.cached(key="t:{x}")
    async def templated(x: int) -> int:
        return x

    with pytest.raises(TypeError, match="not decorated"):
        await cache.invalidate(plain, 1)
    with pytest.raises(TypeError, match="hashed keys"):
        await cache.invalidate_all(templated)


async def test_a_down_store_degrades_to_computing(caplog: pytest.LogCaptureFixture) -> None:
    backend = DownBackend()
    cache = Cache(backend, outage_backoff=60)
    calls = 0

    @cache.cached()
    async def compute(x: int) -> int:
        nonlocal calls
        calls += 1
        return x + 1

    with caplog.at_level(logging.WARNING, logger="fastmvc.cache"):
        assert [await compute(1) for _ in range(5)] == [2] * 5
        await cache.set("k", 1)
        assert await cache.get("k", "miss") == "miss"
    assert calls == 5
    assert backend.calls == 1  # the first failure opened the backoff window
    assert len(caplog.records) == 1
    # Invalidations are still attempted during the window, and fail quietly.
    assert await cache.delete("k") == 0
    assert await cache.clear() == 0
    assert backend.calls == 3


async def test_unserializable_result_raises_and_stores_nothing() -> None:
    backend = MemoryCacheBackend()
    cache = Cache(backend)

    @cache.cached()
    async def make() -> object:
        return object()

    with pytest.raises(TypeError, match="cannot cache"):
        await make()
    assert len(backend) == 0


def test_mypy_keeps_the_decorated_signature(tmp_path: Path) -> None:
    source = textwrap.dedent(
        """
        from fastmvc.cache import Cache, MemoryCacheBackend

        cache = Cache(MemoryCacheBackend())

        @cache.cached(ttl=10)
        async def get_name(product_id: int, *, lang: str = "en") -> str:
            return str(product_id)

        class Service:
            @cache.cached()
            async def count(self, category: str) -> int:
                return 0

        async def main() -> None:
            reveal_type(get_name)
            name: str = await get_name(1, lang="fr")
            await get_name("x")
            count: int = await Service().count("toys")
            await Service().count(1)
            await cache.invalidate(get_name, 1, lang="fr")
            await cache.invalidate(get_name, lang=2)
        """
    )
    module = tmp_path / "typed_usage.py"
    module.write_text(source)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(module)],
        capture_output=True,
        text=True,
        check=False,
    )
    out = result.stdout
    assert "def (product_id: int, *, lang: str =) -> typing.Coroutine[Any, Any, str]" in out
    # Only the three deliberately wrong calls (lines 18, 20 and 22) are errors.
    error_lines = {int(m) for m in re.findall(r"typed_usage\.py:(\d+): error:", out)}
    assert error_lines == {18, 20, 22}, out


def _value(value: int) -> Callable[[], Awaitable[int]]:
    async def compute() -> int:
        return value

    return compute
