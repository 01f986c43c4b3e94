"""Where revoked tokens are remembered: Redis, or process memory.

A token is revoked by its ``jti``; a whole refresh family by its ``fam``; every
token of one user by a "revoked before" mark on its subject (deactivation, a
password change or reset). Each entry lives exactly as long as the thing it
revokes could still be presented, so the store never grows past the tokens in
flight. The three are read in one call (one Redis round trip).

In Redis every key of one family shares the hash tag ``{fam}``, so the
multi-key reads below stay on one Redis Cluster slot.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import anyio

from fastmvc.errors import ServiceUnavailableError

if TYPE_CHECKING:
    from fastmvc.redis import RedisClient

__all__ = ["MemoryTokenStore", "RedisTokenStore", "TokenStore"]


@runtime_checkable
class TokenStore(Protocol):
    """The token denylist that :class:`~fastmvc.security.TokenService` writes and reads.

    Times are Unix epoch seconds. Implementations raise
    :class:`~fastmvc.errors.ServiceUnavailableError` when their backend is down,
    so authentication fails closed.
    """

    async def is_revoked(
        self, jti: str, fam: str, *, subject: str | None = None, issued_at: float | None = None
    ) -> bool:
        """Tell whether the token ``jti``, its family ``fam`` or its subject was revoked.

        The subject counts as revoked when it has a mark later than ``issued_at``.
        """
        ...

    async def revoke_subject(self, subject: str, *, before: float, until: int) -> None:
        """Revoke every token of ``subject`` issued before ``before``, kept until ``until``."""
        ...

    async def revoke(self, jti: str, fam: str, *, until: int) -> None:
        """Revoke one token until ``until`` (its own ``exp``)."""
        ...

    async def revoke_family(self, fam: str, *, until: int) -> None:
        """Revoke every token of family ``fam`` until ``until``."""
        ...

    async def consume(self, jti: str, fam: str, *, until: int) -> bool:
        """Revoke ``jti`` atomically and tell whether this call was the first to do it.

        Refresh rotation uses it: only the first presenter of a refresh token
        gets a new pair; any later one is a reuse.
        """
        ...


class MemoryTokenStore:
    """A per-process denylist, for development, tests and single-process apps."""

    _SWEEP_EVERY = 1024

    def __init__(self) -> None:
        self._entries: dict[str, int] = {}
        self._marks: dict[str, tuple[float, int]] = {}
        self._writes = 0

    async def is_revoked(
        self, jti: str, fam: str, *, subject: str | None = None, issued_at: float | None = None
    ) -> bool:
        now = int(time.time())
        if any(
            self._entries.get(key, 0) > now for key in (_jti_key("", fam, jti), _fam_key("", fam))
        ):
            return True
        if subject is None or issued_at is None:
            return False
        before, until = self._marks.get(subject, (0.0, 0))
        return until > now and issued_at < before

    async def revoke_subject(self, subject: str, *, before: float, until: int) -> None:
        earlier, _ = self._marks.get(subject, (0.0, 0))
        self._marks[subject] = (max(before, earlier), until)

    async def revoke(self, jti: str, fam: str, *, until: int) -> None:
        self._put(_jti_key("", fam, jti), until)

    async def revoke_family(self, fam: str, *, until: int) -> None:
        self._put(_fam_key("", fam), until)

    async def consume(self, jti: str, fam: str, *, until: int) -> bool:
        # No await between the read and the write: atomic on the event loop.
        key = _jti_key("", fam, jti)
        if self._entries.get(key, 0) > int(time.time()):
            return False
        self._put(key, until)
        return True

    def _put(self, key: str, until: int) -> None:
        self._entries[key] = max(until, self._entries.get(key, 0))
        self._writes += 1
        if self._writes % self._SWEEP_EVERY == 0:
            now = int(time.time())
            self._entries = {k: exp for k, exp in self._entries.items() if exp > now}


class RedisTokenStore:
    """The shared denylist in Redis; every worker and replica sees the same revocations.

    Args:
        redis: An async client (``decode_responses`` may be either).
        prefix: Key prefix, so several apps can share one Redis.
        timeout_seconds: Upper bound on each call. A slow Redis answers 503
            instead of hanging the request.
    """

    def __init__(
        self, redis: RedisClient, *, prefix: str = "fastmvc:tok", timeout_seconds: float = 1.0
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._timeout = timeout_seconds

    async def is_revoked(
        self, jti: str, fam: str, *, subject: str | None = None, issued_at: float | None = None
    ) -> bool:
        keys = (_jti_key(self._prefix, fam, jti), _fam_key(self._prefix, fam))
        if subject is None or issued_at is None:
            async with _guarded(self._timeout):
                found = await self._redis.exists(*keys)
            return bool(found)
        # One round trip: the denylist and the subject's mark in one pipeline.
        async with _guarded(self._timeout):
            pipe = self._redis.pipeline(transaction=False)
            pipe.exists(*keys)
            pipe.get(_subject_key(self._prefix, subject))
            found, mark = await pipe.execute()
        return bool(found) or (mark is not None and issued_at < _as_float(mark))

    async def revoke_subject(self, subject: str, *, before: float, until: int) -> None:
        key = _subject_key(self._prefix, subject)
        async with _guarded(self._timeout):
            # GREATEST semantics in one atomic call: an older mark never wins.
            await self._redis.eval(_RAISE_MARK, 1, key, repr(before), _future(until))

    async def revoke(self, jti: str, fam: str, *, until: int) -> None:
        async with _guarded(self._timeout):
            await self._redis.set(_jti_key(self._prefix, fam, jti), b"1", exat=_future(until))

    async def revoke_family(self, fam: str, *, until: int) -> None:
        async with _guarded(self._timeout):
            await self._redis.set(_fam_key(self._prefix, fam), b"1", exat=_future(until))

    async def consume(self, jti: str, fam: str, *, until: int) -> bool:
        key = _jti_key(self._prefix, fam, jti)
        async with _guarded(self._timeout):
            first = await self._redis.set(key, b"1", nx=True, exat=_future(until))
        return bool(first)


@asynccontextmanager
async def _guarded(seconds: float) -> AsyncIterator[None]:
    """Bound one Redis call in time and turn any failure into a 503 (fail closed)."""
    from redis.exceptions import RedisError

    try:
        with anyio.fail_after(seconds):
            yield
    except (RedisError, OSError) as exc:
        # OSError covers the builtin TimeoutError raised by fail_after.
        raise ServiceUnavailableError("Authentication store unavailable") from exc


def _jti_key(prefix: str, fam: str, jti: str) -> str:
    return f"{prefix}:{{{fam}}}:jti:{jti}"


def _subject_key(prefix: str, subject: str) -> str:
    return f"{prefix}:{{u:{subject}}}:before"


def _as_float(value: bytes | str) -> float:
    try:
        return float(value)
    except ValueError:
        return float("inf")  # an unreadable mark fails closed


_RAISE_MARK = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local wanted = tonumber(ARGV[1])
if wanted > current then current = wanted end
redis.call('SET', KEYS[1], string.format('%.6f', current), 'EXAT', ARGV[2])
return 1
"""


def _fam_key(prefix: str, fam: str) -> str:
    return f"{prefix}:{{{fam}}}:fam"


def _future(until: int) -> int:
    # EXAT in the past is an error in some Redis versions; a token that is
    # already expired needs no entry, but one second more is harmless.
    return max(until, int(time.time()) + 1)
