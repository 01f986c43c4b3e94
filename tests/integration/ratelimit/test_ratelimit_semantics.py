"""One behaviour, two backends: the memory log and the Redis Lua script agree."""

from __future__ import annotations

import asyncio

import pytest

from fastmvc.ratelimit import RateLimitBackend, RateLimitRule, rate_limit_headers


async def test_exact_count_per_window(backend: RateLimitBackend) -> None:
    rules = (RateLimitRule(5, 60), RateLimitRule(8, 3600))
    results = [await backend.hit("client", rules) for _ in range(7)]
    assert [r.allowed for r in results] == [True] * 5 + [False] * 2
    assert [r.windows[0].remaining for r in results[:5]] == [4, 3, 2, 1, 0]
    assert [r.windows[1].remaining for r in results[:5]] == [7, 6, 5, 4, 3]
    # Refusals record nothing: the hour window still shows 3 left.
    assert results[-1].windows[1].remaining == 3


async def test_hour_refusal_does_not_use_a_minute_slot(backend: RateLimitBackend) -> None:
    minute, hour = RateLimitRule(5, 60), RateLimitRule(3, 3600)
    for _ in range(3):
        assert (await backend.hit("client", (minute, hour))).allowed
    for _ in range(10):
        refused = await backend.hit("client", (minute, hour))
        assert not refused.allowed
        assert refused.windows[0].retry_after is None
        assert refused.windows[0].remaining == 2
        assert refused.windows[1].retry_after is not None
    # The minute log holds 3 hits, not 13: exactly 2 more fit in it.
    alone = [await backend.hit("client", (minute,)) for _ in range(3)]
    assert [r.allowed for r in alone] == [True, True, False]


async def test_concurrent_hits_all_count(backend: RateLimitBackend) -> None:
    rule = RateLimitRule(150, 60)
    results = await asyncio.gather(*(backend.hit("burst", (rule,)) for _ in range(400)))
    assert sum(r.allowed for r in results) == 150
    assert sorted(r.windows[0].remaining for r in results if r.allowed) == list(range(150))


async def test_retry_after_and_headers(backend: RateLimitBackend) -> None:
    rules = (RateLimitRule(2, 60), RateLimitRule(100, 3600))
    await backend.hit("client", rules)
    allowed = await backend.hit("client", rules)
    assert rate_limit_headers(allowed) == {
        "RateLimit-Policy": '"minute";q=2;w=60, "hour";q=100;w=3600',
        "RateLimit": '"minute";r=0;t=60, "hour";r=98;t=3600',
        "X-RateLimit-Limit": "2",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "60",
    }
    refused = await backend.hit("client", rules)
    assert not refused.allowed
    assert refused.retry_after is not None
    assert 58 < refused.retry_after <= 60
    headers = rate_limit_headers(refused)
    assert headers["Retry-After"] == "60"
    assert headers["X-RateLimit-Remaining"] == "0"
    assert headers["RateLimit"] == '"minute";r=0;t=60, "hour";r=98;t=3600'


async def test_window_slides(backend: RateLimitBackend) -> None:
    # Real time, short window: the one place a wait is the behaviour under test.
    rule = RateLimitRule(2, 1)
    assert (await backend.hit("slide", (rule,))).allowed
    await asyncio.sleep(0.4)
    assert (await backend.hit("slide", (rule,))).allowed
    refused = await backend.hit("slide", (rule,))
    assert not refused.allowed
    assert refused.retry_after == pytest.approx(0.6, abs=0.15)
    await asyncio.sleep(refused.retry_after + 0.05)
    # The first hit has left; the second is still in the window.
    assert (await backend.hit("slide", (rule,))).allowed
    assert not (await backend.hit("slide", (rule,))).allowed


async def test_keys_do_not_share_windows(backend: RateLimitBackend) -> None:
    rule = RateLimitRule(1, 60)
    assert (await backend.hit("a", (rule,))).allowed
    assert (await backend.hit("b", (rule,))).allowed
    assert (await backend.hit("a{weird}", (rule,))).allowed
    assert not (await backend.hit("a", (rule,))).allowed
    assert not (await backend.hit("a{weird}", (rule,))).allowed
