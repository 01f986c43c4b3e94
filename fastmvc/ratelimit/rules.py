"""What a limit is: so many hits per sliding window of so many seconds."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from fastmvc.settings import Settings

__all__ = ["RateLimitRule", "default_rules", "validate_rules"]

_WINDOW_NAMES = {1: "second", 60: "minute", 3600: "hour", 86_400: "day"}
# Policy names travel as Structured Field strings in the RateLimit headers.
_SAFE_NAME = re.compile(r"[A-Za-z0-9._:/-]{1,64}")


@dataclass(frozen=True, slots=True)
class RateLimitRule:
    """At most ``limit`` hits in any ``window_seconds`` long sliding window.

    Attributes:
        limit: Hits allowed per window (at least 1).
        window_seconds: Length of the window in whole seconds (at least 1).
        name: The policy name shown in the ``RateLimit-Policy`` and
            ``RateLimit`` headers; derived from the window when left empty
            (``"minute"``, ``"hour"``, ``"300s"``…).
    """

    limit: int
    window_seconds: int
    name: str = field(default="")

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError(f"limit must be at least 1, got {self.limit}")
        if self.window_seconds < 1:
            raise ValueError(f"window_seconds must be at least 1, got {self.window_seconds}")
        if not self.name:
            default = _WINDOW_NAMES.get(self.window_seconds, f"{self.window_seconds}s")
            object.__setattr__(self, "name", default)
        elif not _SAFE_NAME.fullmatch(self.name):
            raise ValueError(f"invalid rate-limit policy name {self.name!r}")


def validate_rules(rules: Sequence[RateLimitRule]) -> tuple[RateLimitRule, ...]:
    """Check a rule set once, when it is configured.

    A check stores one log per window, so two rules with the same window
    would share (and double-count) one log; that is refused here.
    """
    checked = tuple(rules)
    if not checked:
        raise ValueError("a rate limit needs at least one rule")
    windows = [rule.window_seconds for rule in checked]
    if len(set(windows)) != len(windows):
        raise ValueError(f"two rules share a window: {windows}")
    names = [rule.name for rule in checked]
    if len(set(names)) != len(names):
        raise ValueError(f"two rules share a policy name: {names}")
    return checked


def default_rules(settings: Settings) -> tuple[RateLimitRule, ...]:
    """The app-wide rules: ``RATE_LIMIT_PER_MINUTE`` and ``RATE_LIMIT_PER_HOUR``."""
    return (
        RateLimitRule(settings.rate_limit_per_minute, 60),
        RateLimitRule(settings.rate_limit_per_hour, 3600),
    )
