"""Single-flight: concurrent callers for one key share one computation.

When a popular entry expires, every request that misses at once would
recompute it (a cache stampede). :class:`SingleFlight` lets the first caller
(the leader) run the work while the others await its outcome. It is per
process and per event loop; across processes the cache itself deduplicates
once the first value is stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

__all__ = ["SingleFlight"]

T = TypeVar("T")


class _LeaderGone(Exception):
    """The leader was cancelled before finishing; a waiter should take over."""


class SingleFlight:
    """Coalesces concurrent calls that share a key.

    * The leader's result is handed to every waiter.
    * The leader's exception is raised in every waiter, and nothing is kept:
      the next call starts afresh.
    * If the leader is cancelled (its client went away), the waiters are not:
      one of them becomes the new leader and runs the work itself, in its own
      context (its own DB session, for instance), so no one waits forever.
    * A cancelled waiter leaves the shared computation untouched.
    """

    def __init__(self) -> None:
        self._calls: dict[str, asyncio.Future[Any]] = {}

    def __len__(self) -> int:
        """How many keys are being computed right now."""
        return len(self._calls)

    async def run(self, key: str, work: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """Return ``(result, joined)``: ``joined`` is true when another caller did the work.

        A waiter gets the very object the leader produced; callers that hand it
        on should copy it if they mind sharing.
        """
        while (call := self._calls.get(key)) is not None:
            try:
                # shield: a waiter's cancellation must not cancel the leader's future.
                return await asyncio.shield(call), True
            except _LeaderGone:
                continue
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._calls[key] = future
        try:
            result = await work()
        except Exception as exc:
            _settle(future, exc)
            raise
        except BaseException:
            _settle(future, _LeaderGone())
            raise
        else:
            future.set_result(result)
            return result, False
        finally:
            if self._calls.get(key) is future:
                del self._calls[key]


def _settle(future: asyncio.Future[Any], exc: BaseException) -> None:
    future.set_exception(exc)
    # Mark it retrieved: with no waiters, asyncio would log "exception never retrieved".
    future.exception()
