"""Remembering that the cache store is down, and saying so without flooding the log."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

__all__ = ["OutageTracker"]

logger = logging.getLogger("fastmvc.cache")


class OutageTracker:
    """A tiny circuit breaker with a rate-limited warning.

    After a failure the cache skips its store for ``backoff`` seconds, so that
    during an outage each request pays for at most one timeout per backoff
    window instead of one per cache call. Warnings are logged at most once per
    ``warn_interval``; recovery is logged once.
    """

    def __init__(
        self,
        *,
        backoff: float,
        warn_interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._backoff = backoff
        self._warn_interval = warn_interval
        self._clock = clock
        self._skip_until = float("-inf")
        self._next_warning = float("-inf")
        self._down = False

    @property
    def skipping(self) -> bool:
        """Whether the store failed so recently that it should not be asked now."""
        return self._clock() < self._skip_until

    def failed(self, operation: str, exc: BaseException) -> None:
        """Record a failed store call and warn unless a warning went out recently."""
        now = self._clock()
        self._down = True
        self._skip_until = now + self._backoff
        if now >= self._next_warning:
            self._next_warning = now + self._warn_interval
            logger.warning(
                "cache store unavailable during %s, computing values without it: %s",
                operation,
                exc,
            )

    def succeeded(self) -> None:
        """Record a working store call; log once when it ends an outage."""
        if self._down:
            self._down = False
            logger.info("cache store available again")
