"""Redis backend: one Lua script, so one round trip, per check."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import secrets
from collections.abc import Sequence
from importlib.resources import files
from typing import TYPE_CHECKING

from fastmvc.errors import ServiceUnavailableError
from fastmvc.ratelimit.result import RateLimitResult, WindowState
from fastmvc.ratelimit.rules import RateLimitRule

if TYPE_CHECKING:
    from fastmvc.redis import RedisClient

__all__ = ["DEFAULT_PREFIX", "SLIDING_WINDOW_LUA", "RedisRateLimitBackend"]

DEFAULT_PREFIX = "fastmvc:rl"
SLIDING_WINDOW_LUA = files("fastmvc.ratelimit").joinpath("sliding_window.lua").read_text("utf-8")

_MICROS = 1_000_000


class RedisRateLimitBackend:
    """Sliding-window logs in Redis sorted sets, shared by every app process.

    Each check is one ``EVALSHA`` of ``sliding_window.lua``: redis-py's
    ``Script`` object sends ``EVALSHA`` and, only when the server answers
    ``NOSCRIPT`` (first use, or after a restart or ``SCRIPT FLUSH``), loads
    the script and retries. The script reads the server's clock with
    ``TIME``, so app hosts with skewed clocks still agree.

    Keys look like ``fastmvc:rl:{ip:203.0.113.7}:60``: every key of one check
    shares the ``{...}`` hash tag, so the script also runs on Redis Cluster.
    """

    def __init__(
        self,
        redis: RedisClient,
        *,
        prefix: str = DEFAULT_PREFIX,
        timeout: float | None = 2.0,
        max_concurrency: int = 64,
    ) -> None:
        """Bind the backend to a client.

        Args:
            redis: An async client; the one from :func:`fastmvc.redis.create_redis`
                has short socket timeouts.
            prefix: Start of every key; must not contain ``{`` or ``}``.
            timeout: A deadline for one check in seconds, a backstop for
                clients built without socket timeouts; ``None`` for none.
            max_concurrency: Checks in flight at once in this process. Further
                checks wait (within ``timeout``) instead of draining the
                client's connection pool: redis-py's default pool raises
                ``MaxConnectionsError`` when empty, which would read as an outage
                and, failing open, let a burst of requests through uncounted.
        """
        if "{" in prefix or "}" in prefix:
            raise ValueError("the key prefix must not contain '{' or '}'")
        self._prefix = prefix
        self._timeout = timeout
        self._slots = asyncio.Semaphore(max_concurrency)
        # Hit ids: random per backend instance (so per process), then a counter.
        self._id_prefix = secrets.token_hex(6)
        self._id_counter = itertools.count()
        self._script = redis.register_script(SLIDING_WINDOW_LUA)
        # Imported here so that the embedded default runs without redis-py.
        from redis.exceptions import RedisError

        # Refused connections, socket timeouts, our own deadline (a builtin
        # TimeoutError, hence an OSError), an exhausted pool, and server-side
        # refusals such as READONLY after a failover or LOADING after a
        # restart: all mean "no answer from Redis now", never a 500.
        self._unreachable: tuple[type[BaseException], ...] = (RedisError, OSError)

    def keys_for(self, key: str, rules: Sequence[RateLimitRule]) -> list[str]:
        """The Redis keys one check of ``key`` touches, one per rule."""
        if "{" in key or "}" in key:
            # A brace inside the tag would cut it short; a digest keeps keys apart.
            key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
        return [f"{self._prefix}:{{{key}}}:{rule.window_seconds}" for rule in rules]

    async def hit(self, key: str, rules: Sequence[RateLimitRule]) -> RateLimitResult:
        """Check and maybe record one hit; see :class:`~fastmvc.ratelimit.RateLimitBackend`."""
        longest_ms = max(rule.window_seconds for rule in rules) * 1000
        hit_id = f"{self._id_prefix}{next(self._id_counter):x}"
        args: list[str | int] = [hit_id, longest_ms]
        for rule in rules:
            args.extend((rule.limit, rule.window_seconds * _MICROS))
        try:
            async with asyncio.timeout(self._timeout), self._slots:
                reply = await self._script(keys=self.keys_for(key, rules), args=args)
        except self._unreachable as exc:
            raise ServiceUnavailableError("Rate limiter is unavailable") from exc
        return _parse(reply, rules)


def _parse(reply: list[int], rules: Sequence[RateLimitRule]) -> RateLimitResult:
    allowed = reply[0] == 1
    windows = []
    for index, rule in enumerate(rules):
        count, reset_us, retry_us = reply[1 + 3 * index : 4 + 3 * index]
        windows.append(
            WindowState(
                rule=rule,
                remaining=max(0, rule.limit - int(count)),
                reset_after=int(reset_us) / _MICROS,
                retry_after=None if int(retry_us) < 0 else int(retry_us) / _MICROS,
            )
        )
    return RateLimitResult(allowed=allowed, windows=tuple(windows))
