"""The outcome of one limiter check, with everything the response headers need."""

from __future__ import annotations

from dataclasses import dataclass

from fastmvc.ratelimit.rules import RateLimitRule

__all__ = ["RateLimitResult", "WindowState"]


@dataclass(frozen=True, slots=True)
class WindowState:
    """One window's state right after a check.

    Attributes:
        rule: The rule this window enforces.
        remaining: Hits still allowed in the window (never negative).
        reset_after: Seconds until the oldest hit in the window leaves it,
            freeing a slot; the whole window when it is empty.
        retry_after: For a window that refused the hit, seconds until it
            would allow one; ``None`` for a window that had room.
    """

    rule: RateLimitRule
    remaining: int
    reset_after: float
    retry_after: float | None = None

    @property
    def refused(self) -> bool:
        """Whether this window was full."""
        return self.retry_after is not None


@dataclass(frozen=True, slots=True)
class RateLimitResult:
    """What :meth:`RateLimiter.check <fastmvc.ratelimit.RateLimiter.check>` decided.

    Attributes:
        allowed: Whether the hit was allowed (and recorded in every window).
        windows: One state per rule, in the order of the rules.
        checked: ``False`` when the backend was down and the limiter failed
            open: the hit passed without being counted, and ``windows`` is
            empty, so no rate-limit headers are sent.
    """

    allowed: bool
    windows: tuple[WindowState, ...]
    checked: bool = True

    @classmethod
    def unchecked(cls) -> RateLimitResult:
        """The result of failing open: allowed, uncounted, no headers."""
        return cls(allowed=True, windows=(), checked=False)

    @property
    def retry_after(self) -> float | None:
        """Seconds until every full window has room again; ``None`` when allowed."""
        waits = [w.retry_after for w in self.windows if w.retry_after is not None]
        return max(waits) if waits else None

    @property
    def binding(self) -> WindowState | None:
        """The window the single-valued ``X-RateLimit-*`` headers describe.

        On a refusal it is the full window with the longest wait; otherwise the
        window with the fewest remaining hits (the longer reset breaks a tie).
        """
        # One plain loop: every allowed request of a limited route asks this.
        refused: WindowState | None = None
        fewest: WindowState | None = None
        for window in self.windows:
            wait = window.retry_after
            if wait is not None:
                if refused is None or wait > (refused.retry_after or 0.0):
                    refused = window
            elif fewest is None or (window.remaining, -window.reset_after) < (
                fewest.remaining,
                -fewest.reset_after,
            ):
                fewest = window
        return refused if refused is not None else fewest
