"""The cache that services use: values in, values out, over any backend.

``Cache`` adds to a :class:`~fastmvc.cache.backend.CacheBackend` what every
backend would otherwise repeat: the key namespace, JSON serialization, default
TTLs, the ``@cached`` decorator, single-flight on misses, and graceful
degradation when the store is down (values are computed, a warning is logged,
requests never fail or hang because of the cache).
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Awaitable, Callable, Collection, Coroutine
from datetime import timedelta
from typing import Any, ParamSpec, TypeVar, cast

from fastmvc.cache import serializer
from fastmvc.cache._outage import OutageTracker
from fastmvc.cache.backend import CacheBackend, CacheUnavailableError
from fastmvc.cache.keys import KeyBuilder
from fastmvc.cache.serializer import CacheDecodeError
from fastmvc.cache.singleflight import SingleFlight

__all__ = ["DEFAULT_NAMESPACE", "DEFAULT_TTL_SECONDS", "Cache", "Ttl"]

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

Ttl = float | timedelta | None
"""Seconds, a ``timedelta``, or ``None`` for the cache's default TTL."""

DEFAULT_NAMESPACE = "fastmvc:cache:"
DEFAULT_TTL_SECONDS = 300.0
_KEY_BUILDER_ATTR = "__fastmvc_cache_key__"

logger = logging.getLogger("fastmvc.cache")


class Cache:
    """Namespaced, serialized, stampede-safe caching over a backend.

    Args:
        backend: Where the bytes live (``RedisCacheBackend`` or ``MemoryCacheBackend``).
        namespace: Put in front of every key, so several apps (or tests) can
            share one Redis and ``delete_prefix("")`` only clears this cache.
        default_ttl: Used when a call gives no TTL; ``None`` means no expiry.
        outage_backoff: After a store error, seconds during which the cache is
            bypassed (values are computed) before the store is tried again.
        warn_interval: At most one "store unavailable" warning per this many seconds.

    Example:
        >>> cache = Cache(MemoryCacheBackend())
        >>> @cache.cached(ttl=60, key="product:{product_id}")
        ... async def get_product(product_id: int) -> ProductOut: ...
        >>> await cache.delete("product:42")
    """

    def __init__(
        self,
        backend: CacheBackend,
        *,
        namespace: str = DEFAULT_NAMESPACE,
        default_ttl: Ttl = DEFAULT_TTL_SECONDS,
        outage_backoff: float = 1.0,
        warn_interval: float = 30.0,
    ) -> None:
        self._backend = backend
        self._namespace = namespace
        self._default_ttl = None if default_ttl is None else _positive_seconds(default_ttl)
        self._outage = OutageTracker(backoff=outage_backoff, warn_interval=warn_interval)
        self._flight = SingleFlight()

    @property
    def backend(self) -> CacheBackend:
        """The backend holding the bytes."""
        return self._backend

    @property
    def namespace(self) -> str:
        """The prefix of every stored key."""
        return self._namespace

    # -- explicit operations -------------------------------------------------------------

    async def get(self, key: str, default: Any = None) -> Any:
        """Return the cached value, or ``default`` on a miss.

        A cached ``None`` is returned as ``None``; pass a sentinel ``default``
        to tell it from a miss. An unreadable entry (stale model schema,
        foreign bytes) and an unavailable store both count as a miss.
        """
        full_key = self._namespace + key
        raw = await self._read(full_key)
        if raw is None:
            return default
        try:
            return serializer.loads(raw)
        except CacheDecodeError as exc:
            logger.warning("ignoring unreadable cache entry %r: %s", full_key, exc)
            return default

    async def set(self, key: str, value: object, *, ttl: Ttl = None) -> None:
        """Store ``value`` (``None`` included) under ``key``.

        Raises:
            TypeError: The value cannot be serialized (raised before any I/O).
        """
        raw = serializer.dumps(value)
        await self._write(self._namespace + key, raw, self._ttl_seconds(ttl))

    async def delete(self, *keys: str) -> int:
        """Invalidate keys; return how many existed (0 if the store is down)."""
        return await self._invalidate("delete", self._backend.delete, *self._full(keys))

    async def delete_prefix(self, prefix: str) -> int:
        """Invalidate every key starting with ``prefix`` (taken literally, no globbing).

        Returns how many keys went (0 if the store is down: entries then live
        until their TTL, which is why every entry has one by default).
        """
        return await self._invalidate(
            "delete_prefix", self._backend.delete_prefix, self._namespace + prefix
        )

    async def clear(self) -> int:
        """Invalidate everything under this cache's namespace, and nothing else."""
        return await self.delete_prefix("")

    async def get_or_set(
        self, key: str, compute: Callable[[], Awaitable[T]], *, ttl: Ttl = None
    ) -> T:
        """Return the cached value, or compute, store and return it.

        Concurrent misses on one key in this process run ``compute`` once; its
        error reaches every waiter and nothing is stored. The value returned
        on a miss is the one decoded from the stored bytes, so a miss and a
        later hit give the same types, and each caller gets its own copy.
        """
        full_key = self._namespace + key
        seconds = self._ttl_seconds(ttl)

        async def load() -> tuple[bytes, Any]:
            raw = await self._read(full_key)
            if raw is not None:
                try:
                    return raw, serializer.loads(raw)
                except CacheDecodeError as exc:
                    logger.warning("recomputing unreadable cache entry %r: %s", full_key, exc)
            raw = serializer.dumps(await compute())
            await self._write(full_key, raw, seconds)
            return raw, serializer.loads(raw)

        (raw, value), joined = await self._flight.run(full_key, load)
        return cast(T, serializer.loads(raw) if joined else value)

    # -- decorator ---------------------------------------------------------------------

    def cached(
        self,
        *,
        ttl: Ttl = None,
        prefix: str | None = None,
        key: str | None = None,
        ignore: Collection[str] = (),
    ) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Coroutine[Any, Any, R]]]:
        """Cache an async function's (or method's) results by its arguments.

        Args:
            ttl: Lifetime of each entry; the cache's default when ``None``.
            prefix: Start of hashed keys (default ``module.qualname``). Keys are
                ``"{prefix}:{sha256(canonical JSON of the bound arguments)}"``.
            key: A template such as ``"product:{product_id}"`` formatted with
                the bound arguments; it is the whole key. Excludes ``prefix``.
            ignore: Parameters left out of hashed keys (e.g. ``"session"``). A
                leading ``self``/``cls`` is always left out: cache per instance
                with a template such as ``"{self.tenant}:…"``.

        Raises:
            TypeError: The function is not a coroutine function.
            ValueError: ``key`` and ``prefix`` are both given, or they name
                parameters the function does not have.
        """
        seconds = self._ttl_seconds(ttl)

        def decorate(func: Callable[P, Awaitable[R]]) -> Callable[P, Coroutine[Any, Any, R]]:
            if not inspect.iscoroutinefunction(func):
                raise TypeError(f"@cached needs an async function, got {func!r}")
            builder = KeyBuilder(func, prefix=prefix, template=key, ignore=ignore)

            @functools.wraps(func)
            async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
                return await self.get_or_set(
                    builder(args, kwargs), lambda: func(*args, **kwargs), ttl=seconds
                )

            setattr(wrapper, _KEY_BUILDER_ATTR, builder)
            return wrapper

        return decorate

    async def invalidate(
        self, func: Callable[P, Awaitable[Any]], /, *args: P.args, **kwargs: P.kwargs
    ) -> bool:
        """Invalidate the entry a ``@cached`` function would use for these arguments.

        ``await cache.invalidate(get_product, 42)``; for a method, pass the
        bound method (``service.get_product``). Returns whether it existed.
        """
        builder, call_args = _key_builder(func, args)
        return await self.delete(builder(call_args, kwargs)) > 0

    async def invalidate_all(self, func: Callable[..., Awaitable[Any]]) -> int:
        """Invalidate every entry of a ``@cached`` function that uses hashed keys."""
        builder, _ = _key_builder(func, ())
        if builder.is_templated:
            raise TypeError(
                "invalidate_all() needs hashed keys; delete a template's keys with delete_prefix()"
            )
        return await self.delete_prefix(builder.prefix + ":")

    # -- store access with degradation ----------------------------------------------------

    async def _read(self, full_key: str) -> bytes | None:
        if self._outage.skipping:
            return None
        try:
            raw = await self._backend.get(full_key)
        except CacheUnavailableError as exc:
            self._outage.failed("get", exc)
            return None
        self._outage.succeeded()
        return raw

    async def _write(self, full_key: str, raw: bytes, ttl: float | None) -> None:
        if self._outage.skipping:
            return
        try:
            await self._backend.set(full_key, raw, ttl)
        except CacheUnavailableError as exc:
            self._outage.failed("set", exc)
            return
        self._outage.succeeded()

    async def _invalidate(
        self, operation: str, call: Callable[..., Awaitable[int]], *arguments: str
    ) -> int:
        # Invalidations are tried even while reads are being skipped: a stale entry
        # outliving an invalidation is worse than one slow call.
        try:
            count = await call(*arguments)
        except CacheUnavailableError as exc:
            self._outage.failed(operation, exc)
            return 0
        self._outage.succeeded()
        return count

    def _full(self, keys: tuple[str, ...]) -> list[str]:
        return [self._namespace + key for key in keys]

    def _ttl_seconds(self, ttl: Ttl) -> float | None:
        return self._default_ttl if ttl is None else _positive_seconds(ttl)


def _positive_seconds(ttl: float | timedelta) -> float:
    seconds = ttl.total_seconds() if isinstance(ttl, timedelta) else float(ttl)
    if seconds <= 0:
        raise ValueError(f"a cache TTL must be positive, got {ttl!r}")
    return seconds


def _key_builder(
    func: Callable[..., Awaitable[Any]], args: tuple[Any, ...]
) -> tuple[KeyBuilder, tuple[Any, ...]]:
    """Find the key builder of a ``@cached`` function; a bound method's ``self`` joins the args."""
    if inspect.ismethod(func):
        args = (func.__self__, *args)
    builder = getattr(func, _KEY_BUILDER_ATTR, None)
    if not isinstance(builder, KeyBuilder):
        raise TypeError(f"{func!r} is not decorated with @cache.cached")
    return builder, args
