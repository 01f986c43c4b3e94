"""In-process backend: the embedded default and the reference for unit tests.

Per process only: behind several workers each keeps its own logs, which is
why production requires Redis (ARCHITECTURE.md).
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence

from fastmvc.ratelimit.result import RateLimitResult, WindowState
from fastmvc.ratelimit.rules import RateLimitRule

__all__ = ["MemoryRateLimitBackend"]


class MemoryRateLimitBackend:
    """Sliding-window logs in a bounded LRU map, one deque of hit times per (key, window).

    :meth:`hit` never awaits, so on one event loop each call runs to the end
    before another starts: that makes it atomic without a lock.

    Memory is bounded twice: a log never holds more than its rule's limit
    (a refused hit is not recorded), and at most ``max_logs`` logs are kept,
    the least recently used going first.
    """

    def __init__(
        self,
        *,
        max_logs: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Create an empty store.

        Args:
            max_logs: How many (key, window) logs to keep at most.
            clock: Seconds from a monotonic clock; tests pass a fake one.
        """
        if max_logs < 1:
            raise ValueError("max_logs must be at least 1")
        self._max_logs = max_logs
        self._clock = clock
        self._logs: OrderedDict[tuple[str, int], deque[float]] = OrderedDict()

    def __len__(self) -> int:
        """How many logs are held (for tests and metrics)."""
        return len(self._logs)

    async def hit(self, key: str, rules: Sequence[RateLimitRule]) -> RateLimitResult:
        """Check and maybe record one hit; see :class:`~fastmvc.ratelimit.RateLimitBackend`."""
        now = self._clock()
        logs = [self._log(key, rule, now) for rule in rules]
        allowed = True
        for rule, log in zip(rules, logs, strict=True):
            if len(log) >= rule.limit:
                allowed = False
                break
        if allowed:
            for log in logs:
                log.append(now)
        refused = not allowed
        windows = tuple(
            [_state(rule, log, now, refused=refused) for rule, log in zip(rules, logs, strict=True)]
        )
        return RateLimitResult(allowed=allowed, windows=windows)

    def _log(self, key: str, rule: RateLimitRule, now: float) -> deque[float]:
        slot = (key, rule.window_seconds)
        log = self._logs.get(slot)
        if log is None:
            log = self._logs[slot] = deque()
            while len(self._logs) > self._max_logs:
                self._logs.popitem(last=False)
        else:
            self._logs.move_to_end(slot)
        horizon = now - rule.window_seconds
        while log and log[0] <= horizon:
            log.popleft()
        return log


def _state(rule: RateLimitRule, log: deque[float], now: float, *, refused: bool) -> WindowState:
    window = rule.window_seconds
    count = len(log)
    reset_after = log[0] + window - now if log else float(window)
    retry_after = None
    if refused and count >= rule.limit:
        # The hit fits once all but limit - 1 of the logged hits have left.
        retry_after = log[count - rule.limit] + window - now
    return WindowState(
        rule=rule,
        remaining=max(0, rule.limit - count),
        reset_after=reset_after,
        retry_after=retry_after,
    )
