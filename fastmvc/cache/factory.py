"""Building the application's cache from settings (called once by ``create_app``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastmvc.cache.backend import CacheBackend
from fastmvc.cache.cache import Cache
from fastmvc.cache.memory import MemoryCacheBackend
from fastmvc.cache.redis_backend import RedisCacheBackend
from fastmvc.settings import Settings

if TYPE_CHECKING:
    from fastmvc.redis import RedisClient

__all__ = ["build_cache"]


def build_cache(settings: Settings, redis: RedisClient | None) -> Cache:
    """Return a Redis-backed cache when a client is given, else an in-memory one.

    Reads ``cache_namespace``, ``cache_default_ttl_seconds`` and
    ``cache_max_entries`` from the settings when they define them, and the
    defaults of :class:`Cache` and :class:`MemoryCacheBackend` otherwise.
    Each Redis command is bounded by twice ``redis_timeout_seconds``, retries
    included.
    """
    # getattr: these settings are optional knobs; Settings may not declare them.
    namespace: str = settings.cache_namespace
    default_ttl: float | None = settings.cache_default_ttl_seconds
    backend: CacheBackend
    if redis is not None:
        backend = RedisCacheBackend(redis, timeout=2 * settings.redis_timeout_seconds)
    else:
        max_entries: int = settings.cache_max_entries
        backend = MemoryCacheBackend(max_entries=max_entries)
    return Cache(backend, namespace=namespace, default_ttl=default_ttl)
