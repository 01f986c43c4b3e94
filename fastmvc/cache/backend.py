"""The storage contract behind :class:`~fastmvc.cache.Cache`.

A backend stores opaque bytes under full keys (the cache has already added its
namespace) and knows nothing about serialization, decorators or single-flight.
That keeps each backend small enough to read in one sitting and makes a new one
(Memcached, a tiered cache…) a matter of five methods.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from fastmvc.errors import ServiceUnavailableError

__all__ = ["CacheBackend", "CacheUnavailableError"]


class CacheUnavailableError(ServiceUnavailableError):
    """The backend's store cannot be reached (Redis down, a timeout…).

    Backends raise it instead of their client's own errors, so that
    :class:`~fastmvc.cache.Cache` can degrade to computing values without
    knowing which client sits underneath. It never escapes ``Cache``; code that
    talks to a backend directly gets a 503 if it lets it through.
    """

    response_key = "error_cache_unavailable"
    default_message = "Cache unavailable"


@runtime_checkable
class CacheBackend(Protocol):
    """Bytes in, bytes out, under full keys, with optional expiry.

    Every method may raise :class:`CacheUnavailableError`; no other error is
    part of the contract.
    """

    async def get(self, key: str) -> bytes | None:
        """Return the stored bytes, or ``None`` when the key is missing or expired."""
        ...

    async def set(self, key: str, value: bytes, ttl: float | None) -> None:
        """Store ``value``; it expires after ``ttl`` seconds (never when ``None``)."""
        ...

    async def delete(self, *keys: str) -> int:
        """Remove the keys; return how many existed."""
        ...

    async def delete_prefix(self, prefix: str) -> int:
        """Remove every key that starts with ``prefix`` (taken literally); return the count."""
        ...
