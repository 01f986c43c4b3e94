"""Redis backend: one Lua script per check, the checks of one event-loop tick in one round trip."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from typing import TYPE_CHECKING, cast

from fastmvc.errors import ServiceUnavailableError
from fastmvc.ratelimit.batcher import TickBatcher
from fastmvc.ratelimit.pipeline import pack_command, run_packed
from fastmvc.ratelimit.result import RateLimitResult, WindowState
from fastmvc.ratelimit.rules import RateLimitRule

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from fastmvc.redis import RedisClient

__all__ = ["DEFAULT_PREFIX", "SLIDING_WINDOW_LUA", "RedisRateLimitBackend"]

DEFAULT_PREFIX = "fastmvc:rl"
SLIDING_WINDOW_LUA = files("fastmvc.ratelimit").joinpath("sliding_window.lua").read_text("utf-8")

_MICROS = 1_000_000
_UNAVAILABLE = "Rate limiter is unavailable"

Reply = list[int]


@dataclass(frozen=True, slots=True)
class _Call:
    """One check's script call: its keys and arguments."""

    keys: list[str]
    args: list[str | int]


class RedisRateLimitBackend:
    """Sliding-window logs in Redis sorted sets, shared by every app process.

    Each check is one run of ``sliding_window.lua``, which checks and records
    the hit in every window atomically on the server. The checks started in
    the same event-loop tick (every request that reached the limiter while
    the loop was busy with the others) are coalesced by a
    :class:`~fastmvc.ratelimit.batcher.TickBatcher` into one pipeline of
    ``EVALSHA`` calls: one round trip for all of them (on a single Redis or
    a replicated one; Redis Cluster differs, see below). That does not loosen
    the limit: Redis still runs each script call whole, one after the other,
    so two checks of one key in a batch see each other exactly as two checks
    from two processes do.

    A pipeline answer of ``NOSCRIPT`` (first use, or after a restart or
    ``SCRIPT FLUSH``) loads the script and resends the calls it refused. The
    script reads the server's clock with ``TIME``, so app hosts with skewed
    clocks still agree. Replies are integers only; nothing is unpickled.

    Keys look like ``fastmvc:rl:{ip:203.0.113.7}:60``: every key of one check
    shares the ``{...}`` hash tag, so each call runs on Redis Cluster. There a
    batch is sent as concurrent single calls, one per check, each to its
    node, not as a cluster pipeline (see :meth:`_one_by_one`): a cluster
    gets the same exact counts, without the saving of one round trip.
    """

    def __init__(
        self,
        redis: RedisClient,
        *,
        prefix: str = DEFAULT_PREFIX,
        timeout: float | None = 2.0,
        max_concurrency: int = 64,
        max_batch: int = 256,
    ) -> None:
        """Bind the backend to a client.

        Args:
            redis: An async client; the one from :func:`fastmvc.redis.create_redis`
                has short socket timeouts.
            prefix: Start of every key; must not contain ``{`` or ``}``.
            timeout: A deadline for one round trip in seconds (waiting for a
                slot included), a backstop for clients built without socket
                timeouts; ``None`` for none.
            max_concurrency: Round trips in flight at once in this process.
                Further batches wait (within ``timeout``) instead of draining
                the client's connection pool: redis-py's default pool raises
                ``MaxConnectionsError`` when empty, which would read as an
                outage and, failing open, let a burst through uncounted.
            max_batch: Most checks in one round trip.
        """
        if "{" in prefix or "}" in prefix:
            raise ValueError("the key prefix must not contain '{' or '}'")
        self._redis = redis
        self._prefix = prefix
        self._timeout = timeout
        self._slots = asyncio.Semaphore(max_concurrency)
        self._batcher: TickBatcher[_Call, Reply] = TickBatcher(self._send, max_batch=max_batch)
        # Hit ids: random per backend instance (so per process), then a counter.
        self._id_prefix = secrets.token_hex(6)
        self._id_counter = itertools.count()
        self._sha = hashlib.sha1(SLIDING_WINDOW_LUA.encode(), usedforsecurity=False).hexdigest()
        # Imported here so that the embedded default runs without redis-py.
        from redis.exceptions import NoScriptError, RedisError

        from fastmvc.redis import is_cluster

        self._no_script = NoScriptError
        self._cluster = is_cluster(redis)
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
        """Check and maybe record one hit; see :class:`~fastmvc.ratelimit.RateLimitBackend`.

        The hit joins this tick's batch; it raises alone when its own call
        fails, and with every other check of the batch when the round trip does.
        """
        longest_ms = max(rule.window_seconds for rule in rules) * 1000
        hit_id = f"{self._id_prefix}{next(self._id_counter):x}"
        args: list[str | int] = [hit_id, longest_ms]
        for rule in rules:
            args.extend((rule.limit, rule.window_seconds * _MICROS))
        reply = await self._batcher.submit(_Call(self.keys_for(key, rules), args))
        return _parse(reply, rules)

    async def _send(self, calls: list[_Call]) -> list[Reply | BaseException]:
        """Run ``calls``; each gets its reply or a :class:`ServiceUnavailableError` in its place.

        On a plain Redis one pipelined round trip, on a cluster concurrent
        single calls; when the script must be loaded, that and a resend of
        the refused calls follow.
        """
        run = self._one_by_one if self._cluster else self._pipeline
        try:
            async with asyncio.timeout(self._timeout):
                replies = await run(calls)
                refused = [i for i, r in enumerate(replies) if isinstance(r, self._no_script)]
                if refused:
                    await self._redis.script_load(SLIDING_WINDOW_LUA)
                    again = await run([calls[i] for i in refused])
                    for index, reply in zip(refused, again, strict=True):
                        replies[index] = reply
        except self._unreachable as exc:
            # Each waiter gets an error of its own (one shared instance would
            # gather every waiter's traceback), all caused by the same failure.
            return [_unavailable(exc) for _ in calls]
        return [
            _unavailable(reply) if isinstance(reply, self._unreachable) else reply
            for reply in replies
        ]

    async def _pipeline(self, calls: list[_Call]) -> list[Reply | BaseException]:
        # Not a transaction: each script call is atomic on its own, and safe
        # to resend after a lost connection (the hit id makes it idempotent).
        commands = [
            pack_command("EVALSHA", self._sha, len(call.keys), *call.keys, *call.args)
            for call in calls
        ]
        async with self._slots:
            return await run_packed(cast("Redis", self._redis), commands)

    async def _one_by_one(self, calls: list[_Call]) -> list[Reply | BaseException]:
        # Redis Cluster: the calls go out concurrently, each to its own node.
        # Not as a cluster pipeline: when one node is down, redis-py's cluster
        # pipeline closes the whole shared client, failing keys on the live
        # nodes too (the token store's among them), where a single call marks
        # only the dead node for the client's reinitialization.
        async def call_one(call: _Call) -> Reply:
            async with self._slots:
                reply: Reply = await self._redis.execute_command(
                    "EVALSHA", self._sha, len(call.keys), *call.keys, *call.args
                )
            return reply

        return await asyncio.gather(*(call_one(call) for call in calls), return_exceptions=True)


def _unavailable(cause: BaseException) -> ServiceUnavailableError:
    error = ServiceUnavailableError(_UNAVAILABLE)
    error.__cause__ = cause
    return error


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
