"""The extension point: where the sliding-window logs live."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from fastmvc.ratelimit.result import RateLimitResult
from fastmvc.ratelimit.rules import RateLimitRule

__all__ = ["RateLimitBackend"]


@runtime_checkable
class RateLimitBackend(Protocol):
    """Stores one sliding-window log per (key, window) and checks hits against them.

    An implementation must make :meth:`hit` atomic per key: it checks every
    window first and records the hit in all of them only if all allow it, so
    a hit refused by one window uses no slot in another.
    """

    async def hit(self, key: str, rules: Sequence[RateLimitRule]) -> RateLimitResult:
        """Check one hit for ``key`` against ``rules`` and record it if allowed.

        Args:
            key: Who is being limited (``"ip:203.0.113.7"``…).
            rules: Validated rules, with distinct windows.

        Raises:
            ServiceUnavailableError: The store cannot be reached.
        """
        ...
