"""Caching for services: ``Cache`` over Redis or memory, ``@cache.cached``, invalidation.

>>> cache = build_cache(settings, redis)          # create_app does this once
>>> @cache.cached(ttl=60, key="product:{product_id}")
... async def get_product(product_id: int) -> ProductOut: ...
>>> await cache.delete("product:42")              # or cache.invalidate(get_product, 42)
"""

from fastmvc.cache.backend import CacheBackend, CacheUnavailableError
from fastmvc.cache.cache import Cache, Ttl
from fastmvc.cache.factory import build_cache
from fastmvc.cache.memory import MemoryCacheBackend
from fastmvc.cache.redis_backend import RedisCacheBackend
from fastmvc.cache.serializer import CacheDecodeError
from fastmvc.cache.singleflight import SingleFlight

__all__ = [
    "Cache",
    "CacheBackend",
    "CacheDecodeError",
    "CacheUnavailableError",
    "MemoryCacheBackend",
    "RedisCacheBackend",
    "SingleFlight",
    "Ttl",
    "build_cache",
]
