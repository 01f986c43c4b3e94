"""An in-process, bounded, TTL-aware LRU cache backend.

The default when no ``REDIS_URL`` is set. It is per process: behind several
workers each one has its own copy, which is why production requires Redis.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

__all__ = ["MemoryCacheBackend"]

DEFAULT_MAX_ENTRIES = 10_000


class MemoryCacheBackend:
    """Least-recently-used entries are evicted once ``max_entries`` is reached.

    Expired entries are dropped when they are read or when eviction reaches
    them; they never outlive the entry bound, so memory stays bounded without a
    background sweeper task.

    Args:
        max_entries: The most entries kept at once.
        clock: A monotonic clock in seconds; tests pass a fake one.
    """

    def __init__(
        self,
        *,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._max_entries = max_entries
        self._clock = clock
        # key -> (value, deadline or None); order is least recently used first.
        self._entries: OrderedDict[str, tuple[bytes, float | None]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, key: str) -> bytes | None:
        """Return the value and mark it recently used, or ``None`` if missing or expired."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        value, deadline = entry
        if deadline is not None and self._clock() >= deadline:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    async def set(self, key: str, value: bytes, ttl: float | None) -> None:
        """Store the value, evicting the least recently used entries past the bound."""
        deadline = None if ttl is None else self._clock() + ttl
        self._entries[key] = (value, deadline)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    async def delete(self, *keys: str) -> int:
        """Remove the keys; return how many were present."""
        return sum(self._entries.pop(key, None) is not None for key in keys)

    async def delete_prefix(self, prefix: str) -> int:
        """Remove every key starting with ``prefix``; a linear scan, bounded by ``max_entries``."""
        doomed = [key for key in self._entries if key.startswith(prefix)]
        for key in doomed:
            del self._entries[key]
        return len(doomed)
