"""The Redis cache backend: shared by every worker and replica.

Prefix invalidation walks the keyspace with ``SCAN … MATCH`` and removes what
it finds with ``UNLINK`` in batches; it never uses ``KEYS``, which blocks the
Redis server for the whole keyspace. Alternatives were weighed:

* a generation counter per prefix (``INCR`` to invalidate, the counter folded
  into every key) makes invalidation O(1) but costs an extra round trip on
  every read and only works for prefixes declared in advance;
* a Redis set indexing the keys of each prefix is exact but must be kept in
  step with expiry, which Redis does not do for set members.

``SCAN`` is O(size of the database) per invalidation, spread over many small
non-blocking calls, and needs no bookkeeping on the hot read path. Invalidation
is rare next to reads, so that is the trade this backend makes. Under Redis
Cluster ``SCAN`` sees one node only, so the walk runs on every primary in turn;
``UNLINK`` of what one node returns is split by slot by the cluster client.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, TypeVar

from fastmvc.cache.backend import CacheUnavailableError
from fastmvc.redis import is_cluster

if TYPE_CHECKING:
    from fastmvc.redis import RedisClient

__all__ = ["RedisCacheBackend", "escape_glob"]

T = TypeVar("T")

DEFAULT_TIMEOUT_SECONDS = 1.0
DEFAULT_SCAN_COUNT = 500

_GLOB_SPECIAL = re.compile(r"([\\*?\[\]])")


def escape_glob(text: str) -> str:
    """Escape Redis glob metacharacters so ``text`` matches only itself in ``MATCH``."""
    return _GLOB_SPECIAL.sub(r"\\\1", text)


class RedisCacheBackend:
    """Stores cache entries as plain Redis strings with ``PX`` expiry.

    Every command runs under ``timeout`` (on top of the client's own socket
    timeouts, because redis-py retries connection errors with backoff and a
    retry loop could otherwise outlast a request). Any client error or timeout
    becomes :class:`~fastmvc.cache.backend.CacheUnavailableError`.

    Args:
        client: An async redis-py client (``fastmvc.redis.create_redis``).
        timeout: Seconds one Redis command may take, retries included.
        scan_count: The ``COUNT`` hint of each ``SCAN`` call, which is also the
            largest ``UNLINK`` batch.
    """

    def __init__(
        self,
        client: RedisClient,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        scan_count: int = DEFAULT_SCAN_COUNT,
    ) -> None:
        # Imported here so the embedded default runs without the redis extra.
        from redis.exceptions import RedisError

        if timeout <= 0 or scan_count < 1:
            raise ValueError("timeout must be positive and scan_count at least 1")
        self._client = client
        self._timeout = timeout
        self._scan_count = scan_count
        self._errors: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)

    async def get(self, key: str) -> bytes | None:
        """Return the stored bytes or ``None``."""
        value = await self._run(self._client.get(key))
        if isinstance(value, str):  # a client built with decode_responses=True
            return value.encode()
        return value

    async def set(self, key: str, value: bytes, ttl: float | None) -> None:
        """``SET key value [PX ms]``; sub-millisecond TTLs round up to one millisecond."""
        px = None if ttl is None else max(1, round(ttl * 1000))
        await self._run(self._client.set(key, value, px=px))

    async def delete(self, *keys: str) -> int:
        """``UNLINK`` the keys (memory is reclaimed off the main Redis thread)."""
        if not keys:
            return 0
        return await self._run(self._client.unlink(*keys))

    async def delete_prefix(self, prefix: str) -> int:
        """``SCAN`` for ``prefix*`` (metacharacters escaped) and ``UNLINK`` each batch.

        Each command has its own timeout, so a large keyspace takes many short
        calls rather than one long one. Keys written while the walk runs may
        survive it; that is inherent to invalidating without locks.
        """
        pattern = escape_glob(prefix) + "*"
        client = self._client
        if not is_cluster(client):
            return await self._delete_matching(pattern, None)
        from redis.asyncio.cluster import RedisCluster

        assert isinstance(client, RedisCluster)
        # The slot map is loaded lazily; without it there would be no primaries to walk.
        await self._run(client.initialize())
        removed = 0
        for node in client.get_primaries():
            removed += await self._delete_matching(pattern, node)
        return removed

    async def _delete_matching(self, pattern: str, node: Any) -> int:
        """One ``SCAN`` walk (of ``node`` on a cluster), unlinking each batch it returns."""
        target: dict[str, Any] = {} if node is None else {"target_nodes": node}
        removed = 0
        cursor = 0
        while True:
            reply = await self._run(
                self._client.scan(cursor=cursor, match=pattern, count=self._scan_count, **target)
            )
            position: Any = reply[0]
            keys = reply[1]
            # A cluster client answers with a cursor per node it asked.
            cursor = position[node.name] if node is not None else position
            if keys:
                removed += await self._run(self._client.unlink(*keys))
            if cursor == 0:
                return removed

    async def _run(self, command: Awaitable[T]) -> T:
        try:
            async with asyncio.timeout(self._timeout):
                return await command
        except self._errors as exc:
            raise CacheUnavailableError(f"Redis cache unavailable: {exc!r}") from exc
