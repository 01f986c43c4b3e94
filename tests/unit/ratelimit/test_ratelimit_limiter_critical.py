"""Critical checks (the auth limits) while the backend is down: counted in this process."""

from __future__ import annotations

import logging

import pytest

from fastmvc.errors import ServiceUnavailableError
from fastmvc.ratelimit import RateLimiter, RateLimitRule
from tests.unit.ratelimit.test_ratelimit_limiter_outage import RULES, DownBackend, warnings_of


@pytest.mark.parametrize("fail_open", [True, False])
async def test_critical_hits_are_counted_exactly_in_process(fail_open: bool) -> None:
    limiter = RateLimiter(DownBackend(ConnectionError("down")), rules=RULES, fail_open=fail_open)

    decisions = [(await limiter.check("login:a", critical=True)).allowed for _ in range(3)]

    # Two per minute: the third is refused, whatever fail_open says.
    assert decisions == [True, True, False]
    result = await limiter.check("login:a", critical=True)
    assert result.checked and not result.allowed
    # Each key keeps its own window in the fallback.
    assert (await limiter.check("login:b", critical=True)).allowed


async def test_critical_hits_use_the_rules_of_the_check() -> None:
    limiter = RateLimiter(DownBackend(None), rules=RULES)
    one = (RateLimitRule(1, 60),)

    assert (await limiter.check("login:a", one, critical=True)).allowed
    assert not (await limiter.check("login:a", one, critical=True)).allowed


async def test_a_plain_check_still_fails_closed_beside_critical_ones() -> None:
    limiter = RateLimiter(DownBackend(None), rules=RULES, fail_open=False)
    assert (await limiter.check("login:a", critical=True)).allowed
    with pytest.raises(ServiceUnavailableError):
        await limiter.check("ip:a")


async def test_the_warning_says_auth_limits_are_counted_in_process(
    caplog: pytest.LogCaptureFixture,
) -> None:
    limiter = RateLimiter(DownBackend(ConnectionError("connection refused")), rules=RULES)
    with caplog.at_level(logging.WARNING, logger="fastmvc.ratelimit"):
        await limiter.check("login:a", critical=True)
    assert warnings_of(caplog) == [
        "rate limiter backend unavailable, counting authentication limits in this process "
        "only (ConnectionError: connection refused)"
    ]
