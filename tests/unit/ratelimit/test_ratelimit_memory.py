"""The memory backend with a fake clock: exact windows, to the microsecond."""

from __future__ import annotations

import asyncio

import pytest

from fastmvc.ratelimit import MemoryRateLimitBackend, RateLimitRule


class FakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


MINUTE = RateLimitRule(3, 60)
HOUR = RateLimitRule(5, 3600)


async def test_window_slides_one_hit_at_a_time(clock: FakeClock) -> None:
    backend = MemoryRateLimitBackend(clock=clock)
    for _ in range(3):
        assert (await backend.hit("k", [MINUTE])).allowed
        clock.advance(10)
    # Hits at t=0, 10, 20; now t=30.
    refused = await backend.hit("k", [MINUTE])
    assert not refused.allowed
    assert refused.retry_after == pytest.approx(30)
    clock.advance(29.999)
    assert not (await backend.hit("k", [MINUTE])).allowed
    clock.advance(0.001)  # t=60: the hit of t=0 has left the window.
    again = await backend.hit("k", [MINUTE])
    assert again.allowed
    assert again.windows[0].remaining == 0
    assert again.windows[0].reset_after == pytest.approx(10)  # the t=10 hit leaves at 70
    assert not (await backend.hit("k", [MINUTE])).allowed


async def test_hour_refusal_uses_no_minute_slot(clock: FakeClock) -> None:
    backend = MemoryRateLimitBackend(clock=clock)
    for _ in range(5):
        assert (await backend.hit("k", [MINUTE, HOUR])).allowed
        clock.advance(61)
    for _ in range(4):
        result = await backend.hit("k", [MINUTE, HOUR])
        assert not result.allowed
        minute, hour = result.windows
        assert minute.retry_after is None
        assert minute.remaining == 3
        assert hour.remaining == 0
        assert hour.retry_after == pytest.approx(3600 - 5 * 61)
    # The minute log is untouched: three hits still fit in it.
    for _ in range(3):
        assert (await backend.hit("k", [MINUTE])).allowed
    assert not (await backend.hit("k", [MINUTE])).allowed


async def test_hits_at_the_same_instant_all_count(clock: FakeClock) -> None:
    backend = MemoryRateLimitBackend(clock=clock)
    rule = RateLimitRule(40, 60)
    results = await asyncio.gather(*(backend.hit("k", [rule]) for _ in range(50)))
    assert sum(r.allowed for r in results) == 40
    assert sorted(r.windows[0].remaining for r in results if r.allowed) == list(range(40))


async def test_keys_are_independent(clock: FakeClock) -> None:
    backend = MemoryRateLimitBackend(clock=clock)
    rule = RateLimitRule(1, 60)
    assert (await backend.hit("a", [rule])).allowed
    assert not (await backend.hit("a", [rule])).allowed
    assert (await backend.hit("b", [rule])).allowed


async def test_memory_is_bounded(clock: FakeClock) -> None:
    backend = MemoryRateLimitBackend(max_logs=10, clock=clock)
    rule = RateLimitRule(2, 60)
    for index in range(100):
        for _ in range(5):
            await backend.hit(f"client-{index}", [rule])
    assert len(backend) == 10
    assert all(len(log) <= 2 for log in backend._logs.values())


async def test_least_recently_used_log_goes_first(clock: FakeClock) -> None:
    backend = MemoryRateLimitBackend(max_logs=2, clock=clock)
    rule = RateLimitRule(1, 60)
    await backend.hit("a", [rule])
    await backend.hit("b", [rule])
    await backend.hit("a", [rule])  # touches a
    await backend.hit("c", [rule])  # evicts b, not a
    assert not (await backend.hit("a", [rule])).allowed


async def test_over_full_log_waits_for_enough_hits_to_leave(clock: FakeClock) -> None:
    backend = MemoryRateLimitBackend(clock=clock)
    for _ in range(5):
        await backend.hit("k", [RateLimitRule(5, 60)])
        clock.advance(1)
    # The limit was lowered to 2: three of the five logged hits must leave first.
    result = await backend.hit("k", [RateLimitRule(2, 60)])
    assert not result.allowed
    assert result.retry_after == pytest.approx(60 + 3 - 5)
