"""The facade: default rules, fail-open and fail-closed."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pytest

from fastmvc.errors import ServiceUnavailableError
from fastmvc.ratelimit import (
    MemoryRateLimitBackend,
    RateLimiter,
    RateLimitResult,
    RateLimitRule,
    build_limiter,
)
from fastmvc.settings import Settings

RULES = (RateLimitRule(2, 60),)


class SwitchableBackend:
    """A memory backend that can be told the store is down."""

    def __init__(self) -> None:
        self.inner = MemoryRateLimitBackend()
        self.down = False

    async def hit(self, key: str, rules: Sequence[RateLimitRule]) -> RateLimitResult:
        if self.down:
            raise ServiceUnavailableError("Rate limiter is unavailable") from ConnectionError(
                "refused"
            )
        return await self.inner.hit(key, rules)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_check_uses_default_rules_unless_given_others() -> None:
    limiter = RateLimiter(MemoryRateLimitBackend(), rules=RULES)
    assert (await limiter.check("a")).windows[0].rule == RULES[0]
    other = (RateLimitRule(9, 10),)
    assert (await limiter.check("a", other)).windows[0].rule == other[0]
    with pytest.raises(ValueError):
        await limiter.check("a", [])


async def test_fail_open_lets_hits_through_and_warns_once_per_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    backend, clock = SwitchableBackend(), Clock()
    limiter = RateLimiter(backend, rules=RULES, fail_open=True, warn_interval=30, clock=clock)
    backend.down = True
    with caplog.at_level(logging.WARNING, logger="fastmvc.ratelimit"):
        for _ in range(10):
            result = await limiter.check("a")
            assert result.allowed
            assert not result.checked
            assert result.windows == ()
        assert len(caplog.records) == 1
        assert "ConnectionError" in caplog.records[0].getMessage()
        clock.now = 29.9
        await limiter.check("a")
        assert len(caplog.records) == 1
        clock.now = 30.0
        await limiter.check("a")
        assert len(caplog.records) == 2


async def test_fail_closed_raises_service_unavailable() -> None:
    backend = SwitchableBackend()
    limiter = RateLimiter(backend, rules=RULES, fail_open=False)
    backend.down = True
    with pytest.raises(ServiceUnavailableError) as info:
        await limiter.check("a")
    assert info.value.status_code == 503


async def test_limiter_recovers_when_the_backend_does() -> None:
    backend = SwitchableBackend()
    limiter = RateLimiter(backend, rules=RULES, fail_open=False)
    backend.down = True
    with pytest.raises(ServiceUnavailableError):
        await limiter.check("a")
    backend.down = False
    assert (await limiter.check("a")).allowed
    assert (await limiter.check("a")).allowed
    assert not (await limiter.check("a")).allowed


def test_build_limiter_uses_memory_without_redis() -> None:
    settings = Settings(rate_limit_per_minute=5, rate_limit_per_hour=50, rate_limit_fail_open=False)
    limiter = build_limiter(settings, None)
    assert isinstance(limiter.backend, MemoryRateLimitBackend)
    assert limiter.rules == (RateLimitRule(5, 60), RateLimitRule(50, 3600))
    assert limiter.fail_open is False
