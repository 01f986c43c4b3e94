"""The facade the app talks to: default rules, fail-open or fail-closed."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from fastmvc.errors import ServiceUnavailableError
from fastmvc.ratelimit.backend import RateLimitBackend
from fastmvc.ratelimit.memory import MemoryRateLimitBackend
from fastmvc.ratelimit.result import RateLimitResult
from fastmvc.ratelimit.rules import RateLimitRule, default_rules, validate_rules
from fastmvc.settings import Settings

if TYPE_CHECKING:
    from fastmvc.redis import RedisClient

__all__ = ["RateLimiter", "build_limiter"]

logger = logging.getLogger("fastmvc.ratelimit")


class RateLimiter:
    """Check hits against sliding windows kept by a :class:`RateLimitBackend`.

    When the backend is down, a fail-open limiter lets the hit through
    uncounted and logs a warning at most once per ``warn_interval`` seconds;
    a fail-closed one raises :class:`~fastmvc.errors.ServiceUnavailableError`
    (503). Nothing is cached about the outage: the next check tries the
    backend again, so the limiter recovers as soon as the backend does.

    Checks made with ``critical=True`` (the limits that guard authentication)
    neither pass uncounted nor fail: during an outage they are counted in a
    per-process memory backend, so a login limit still holds, per process,
    while Redis is down.
    """

    def __init__(
        self,
        backend: RateLimitBackend,
        *,
        rules: Sequence[RateLimitRule],
        fail_open: bool = True,
        warn_interval: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Create a limiter.

        Args:
            backend: Where the windows live.
            rules: The rules :meth:`check` applies when given none.
            fail_open: Allow hits while the backend is down.
            warn_interval: Least seconds between two "backend down" warnings.
            clock: Monotonic seconds, for the warning interval.
        """
        self.backend = backend
        self.rules = validate_rules(rules)
        self.fail_open = fail_open
        self._warn_interval = warn_interval
        self._clock = clock
        self._last_warning: float | None = None
        self._fallback: MemoryRateLimitBackend | None = None

    async def check(
        self,
        key: str,
        rules: Sequence[RateLimitRule] | None = None,
        *,
        critical: bool = False,
    ) -> RateLimitResult:
        """Count one hit for ``key``, unless a window is full.

        Args:
            key: Who is limited, e.g. ``"ip:203.0.113.7"`` or ``"login:…"``.
                Checks with different rule sets but one key and one window
                share that window's log.
            rules: Rules for this check; the limiter's own when ``None``.
            critical: Count the hit in the per-process fallback when the
                backend is down, whatever ``fail_open`` says.

        Returns:
            The decision and each window's state.

        Raises:
            ServiceUnavailableError: The backend is down and the limiter fails closed.
        """
        checked_rules = self.rules if rules is None else validate_rules(rules)
        try:
            return await self.backend.hit(key, checked_rules)
        except ServiceUnavailableError as exc:
            if critical:
                self._warn(exc, "counting authentication limits in this process only")
                if self._fallback is None:
                    self._fallback = MemoryRateLimitBackend()
                return await self._fallback.hit(key, checked_rules)
            if not self.fail_open:
                raise
            self._warn(exc, "letting requests through")
            return RateLimitResult.unchecked()

    def _warn(self, exc: BaseException, action: str) -> None:
        now = self._clock()
        if self._last_warning is not None and now - self._last_warning < self._warn_interval:
            return
        self._last_warning = now
        cause = exc.__cause__ or exc
        logger.warning(
            "rate limiter backend unavailable, %s (%s: %s)",
            action,
            type(cause).__name__,
            cause,
        )


def build_limiter(settings: Settings, redis: RedisClient | None) -> RateLimiter:
    """Build the app's limiter: Redis when a client is given, memory otherwise.

    Args:
        settings: Supplies ``RATE_LIMIT_PER_MINUTE``, ``RATE_LIMIT_PER_HOUR``,
            ``RATE_LIMIT_FAIL_OPEN`` and ``RATE_LIMIT_PREFIX`` (Redis keys).
        redis: The shared client from :func:`fastmvc.redis.create_redis`, or ``None``.
    """
    backend: RateLimitBackend
    if redis is None:
        backend = MemoryRateLimitBackend()
    else:
        from fastmvc.ratelimit.redis_backend import RedisRateLimitBackend

        backend = RedisRateLimitBackend(redis, prefix=settings.rate_limit_prefix)
    return RateLimiter(
        backend,
        rules=default_rules(settings),
        fail_open=settings.rate_limit_fail_open,
    )
