"""RateLimiter while its backend is down: the exact warning, its default interval, the defaults."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pytest
from redis.asyncio import Redis

from fastmvc.errors import ServiceUnavailableError
from fastmvc.ratelimit import (
    MemoryRateLimitBackend,
    RateLimiter,
    RateLimitResult,
    RateLimitRule,
    RedisRateLimitBackend,
    build_limiter,
)
from fastmvc.settings import Settings

RULES = (RateLimitRule(2, 60),)


class DownBackend:
    """A backend whose store is unreachable, with or without a cause attached."""

    def __init__(self, cause: BaseException | None) -> None:
        self.cause = cause

    async def hit(self, key: str, rules: Sequence[RateLimitRule]) -> RateLimitResult:
        error = ServiceUnavailableError("Rate limiter is unavailable")
        if self.cause is None:
            raise error
        raise error from self.cause


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "fastmvc.ratelimit"]


@pytest.mark.parametrize(
    ("cause", "named"),
    [
        (ConnectionError("connection refused"), "ConnectionError: connection refused"),
        (None, "ServiceUnavailableError: Rate limiter is unavailable"),
    ],
)
async def test_the_warning_names_the_underlying_error(
    caplog: pytest.LogCaptureFixture, cause: BaseException | None, named: str
) -> None:
    limiter = RateLimiter(DownBackend(cause), rules=RULES)
    with caplog.at_level(logging.WARNING, logger="fastmvc.ratelimit"):
        result = await limiter.check("a")
    assert result.allowed and not result.checked
    assert warnings_of(caplog) == [
        f"rate limiter backend unavailable, letting requests through ({named})"
    ]
    assert caplog.records[0].levelno == logging.WARNING


async def test_by_default_one_warning_per_30_seconds(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    limiter = RateLimiter(DownBackend(ConnectionError("x")), rules=RULES, clock=clock)
    with caplog.at_level(logging.WARNING, logger="fastmvc.ratelimit"):
        await limiter.check("a")
        clock.now = 129.9
        await limiter.check("a")
        assert len(warnings_of(caplog)) == 1
        clock.now = 130.0
        await limiter.check("a")
        assert len(warnings_of(caplog)) == 2
        clock.now = 159.9
        await limiter.check("a")
        assert len(warnings_of(caplog)) == 2


async def test_the_first_warning_comes_at_once_whatever_the_clock(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    clock.now = 0.0  # a monotonic clock may start anywhere, even at zero
    limiter = RateLimiter(DownBackend(None), rules=RULES, clock=clock)
    with caplog.at_level(logging.WARNING, logger="fastmvc.ratelimit"):
        await limiter.check("a")
    assert len(warnings_of(caplog)) == 1


async def test_defaults_fail_open_on_the_real_clock(caplog: pytest.LogCaptureFixture) -> None:
    limiter = RateLimiter(DownBackend(None), rules=RULES)
    assert limiter.fail_open is True
    with caplog.at_level(logging.WARNING, logger="fastmvc.ratelimit"):
        assert (await limiter.check("a")).allowed
        assert (await limiter.check("a")).allowed
    assert len(warnings_of(caplog)) == 1


async def test_given_rules_are_validated_like_the_defaults() -> None:
    limiter = RateLimiter(MemoryRateLimitBackend(), rules=RULES)
    with pytest.raises(ValueError):
        await limiter.check("a", [RateLimitRule(1, 60), RateLimitRule(2, 60)])
    with pytest.raises(ValueError):
        RateLimiter(MemoryRateLimitBackend(), rules=[])


def test_build_limiter_uses_redis_when_given_a_client() -> None:
    client = Redis()  # never connected: building the limiter sends nothing
    limiter = build_limiter(Settings(rate_limit_per_minute=7, rate_limit_per_hour=70), client)
    assert isinstance(limiter.backend, RedisRateLimitBackend)
    assert limiter.backend._redis is client
    assert limiter.rules == (RateLimitRule(7, 60), RateLimitRule(70, 3600))
    assert limiter.fail_open is True


def test_build_limiter_keys_its_windows_under_rate_limit_prefix() -> None:
    client = Redis()  # never connected
    limiter = build_limiter(Settings(rate_limit_prefix="shop-eu:rl"), client)
    assert isinstance(limiter.backend, RedisRateLimitBackend)
    assert limiter.backend.keys_for("ip:203.0.113.7", limiter.rules) == [
        "shop-eu:rl:{ip:203.0.113.7}:60",
        "shop-eu:rl:{ip:203.0.113.7}:3600",
    ]


async def test_each_key_has_its_own_window() -> None:
    limiter = RateLimiter(MemoryRateLimitBackend(), rules=RULES)
    assert (await limiter.check("a")).allowed
    assert (await limiter.check("a")).allowed
    assert not (await limiter.check("a")).allowed
    assert (await limiter.check("b")).allowed
