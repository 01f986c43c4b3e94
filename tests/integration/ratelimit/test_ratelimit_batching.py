"""Checks coalesced into one round trip stay exact, fail like single checks, survive cancellation.

All on a real Redis: the shared one under a unique prefix, or a throwaway
server for the tests that kill, freeze or demote it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ReadOnlyError

from fastmvc.errors import ServiceUnavailableError
from fastmvc.ratelimit import RateLimiter, RateLimitResult, RateLimitRule, RedisRateLimitBackend
from tests.integration.ratelimit.ratelimit_support import connect, record_writes
from tests.support.net import free_port
from tests.support.redis_server import ThrowawayRedis

pytestmark = pytest.mark.redis

LIMIT = 25
RULES = (RateLimitRule(LIMIT, 60), RateLimitRule(1000, 3600))


def remaining(results: list[RateLimitResult]) -> list[int]:
    return sorted(result.windows[0].remaining for result in results if result.allowed)


async def test_a_tick_of_checks_on_one_key_allows_exactly_the_limit_in_one_round_trip(
    redis: Redis, key_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = RedisRateLimitBackend(redis, prefix=key_prefix)
    await backend.hit("warm", RULES)  # the script is loaded, the connection open
    writes = record_writes(monkeypatch)
    results = await asyncio.gather(*(backend.hit("ip:198.51.100.1", RULES) for _ in range(100)))
    assert writes == [["EVALSHA"] * 100]
    assert sum(result.allowed for result in results) == LIMIT
    # Every slot handed out exactly once, in the order Redis ran the calls.
    assert remaining(results) == list(range(LIMIT))
    for result in results:
        if not result.allowed:
            assert result.windows[0].remaining == 0
            assert result.retry_after is not None and 0 < result.retry_after <= 60
            assert result.windows[1].remaining == 1000 - LIMIT


async def test_many_keys_in_one_tick_each_get_exactly_their_limit(
    redis: Redis, key_prefix: str
) -> None:
    backend = RedisRateLimitBackend(redis, prefix=key_prefix, max_batch=64)
    keys = [f"user:{index}" for index in range(12)]
    calls = [key for _ in range(LIMIT + 7) for key in keys]  # interleaved, 384 checks
    results = await asyncio.gather(*(backend.hit(key, RULES) for key in calls))
    allowed = Counter(key for key, result in zip(calls, results, strict=True) if result.allowed)
    assert allowed == dict.fromkeys(keys, LIMIT)


async def test_two_processes_batching_at_once_share_the_limit_exactly(key_prefix: str) -> None:
    """Two backends with their own clients, as two workers: their batches interleave on Redis."""
    first, second = await connect(), await connect()
    try:
        backends = [
            RedisRateLimitBackend(first, prefix=key_prefix),
            RedisRateLimitBackend(second, prefix=key_prefix),
        ]
        for round_index in range(3):
            key = f"ip:203.0.113.{round_index}"
            # Several ticks' worth from each, so batches of both are in flight together.
            waves = [
                backend.hit(key, RULES) for _ in range(4) for backend in backends for _ in range(10)
            ]
            results = await asyncio.gather(*waves)
            assert sum(result.allowed for result in results) == LIMIT
            assert remaining(results) == list(range(LIMIT))
    finally:
        keys = [key async for key in first.scan_iter(match=f"{key_prefix}:*")]
        if keys:
            await first.delete(*keys)
        await first.aclose()
        await second.aclose()


async def test_a_dead_redis_fails_every_check_of_the_batch_as_a_single_check_fails(
    redis_server: ThrowawayRedis, caplog: pytest.LogCaptureFixture
) -> None:
    client = await connect(redis_server.url)
    try:
        backend = RedisRateLimitBackend(client, prefix="t")
        assert (await backend.hit("k", RULES)).allowed
        redis_server.kill()

        errors = await asyncio.gather(
            *(backend.hit("k", RULES) for _ in range(6)), return_exceptions=True
        )
        assert all(isinstance(error, ServiceUnavailableError) for error in errors)
        assert len({id(error) for error in errors}) == 6  # each waiter its own error
        causes = {id(error.__cause__) for error in errors if isinstance(error, BaseException)}
        assert len(causes) == 1  # ...all caused by the one failed round trip
        assert isinstance(errors[0], BaseException)
        assert isinstance(errors[0].__cause__, RedisConnectionError | OSError)

        # Through the limiter, each waiter gets what a single check gets today.
        closed = RateLimiter(backend, rules=RULES, fail_open=False)
        refused = await asyncio.gather(
            *(closed.check("k") for _ in range(4)), return_exceptions=True
        )
        assert all(isinstance(error, ServiceUnavailableError) for error in refused)

        opened = RateLimiter(backend, rules=RULES, fail_open=True)
        with caplog.at_level(logging.WARNING, logger="fastmvc.ratelimit"):
            passed = await asyncio.gather(*(opened.check("k") for _ in range(4)))
        assert all(result.allowed and not result.checked for result in passed)
        assert len([r for r in caplog.records if r.name == "fastmvc.ratelimit"]) == 1

        # Critical checks are counted per process: still exactly the limit.
        login = (RateLimitRule(3, 60),)
        counted = await asyncio.gather(
            *(opened.check("login:k", login, critical=True) for _ in range(8))
        )
        assert [result.allowed for result in counted].count(True) == 3

        redis_server.start()  # back, empty: the same backend recovers at once
        results = await asyncio.gather(*(backend.hit("k", RULES) for _ in range(LIMIT + 3)))
        assert sum(result.allowed for result in results) == LIMIT
    finally:
        await client.aclose()


async def test_a_refusing_server_fails_each_call_of_the_batch(redis_server: ThrowawayRedis) -> None:
    """A per-call error (READONLY on a demoted primary) reaches each waiter as a 503 cause."""
    client = await connect(redis_server.url)
    try:
        backend = RedisRateLimitBackend(client, prefix="t")
        assert (await backend.hit("k", RULES)).allowed
        await client.replicaof("127.0.0.1", str(free_port()))
        errors = await asyncio.gather(
            *(backend.hit(f"k{index}", RULES) for index in range(5)), return_exceptions=True
        )
        assert all(isinstance(error, ServiceUnavailableError) for error in errors)
        assert all(
            isinstance(error, BaseException) and isinstance(error.__cause__, ReadOnlyError)
            for error in errors
        )
        await client.replicaof("NO", "ONE")
        assert (await backend.hit("k", RULES)).windows[0].remaining == LIMIT - 2
    finally:
        await client.aclose()


async def test_a_cancelled_waiter_does_not_break_its_batch(redis_server: ThrowawayRedis) -> None:
    client = await connect(redis_server.url)
    try:
        backend = RedisRateLimitBackend(client, prefix="t")
        await backend.hit("warm", RULES)
        key = backend.keys_for("k", RULES)[0]

        # Cancelled before the batch is sent: left out, so not counted.
        tasks = [asyncio.create_task(backend.hit("k", RULES)) for _ in range(10)]
        await asyncio.sleep(0)  # each task has joined the batch; it is sent next tick
        for task in tasks[:3]:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert all(isinstance(result, asyncio.CancelledError) for result in results[:3])
        assert remaining([r for r in results[3:] if isinstance(r, RateLimitResult)]) == list(
            range(LIMIT - 7, LIMIT)
        )
        assert await client.zcard(key) == 7

        # Cancelled while the round trip is in flight (the server is frozen):
        # the others still get their answers, and the hits already sent count.
        tasks = [asyncio.create_task(backend.hit("k", RULES)) for _ in range(10)]
        redis_server.freeze()
        try:
            await asyncio.sleep(0.2)
            for task in tasks[:3]:
                task.cancel()
            await asyncio.sleep(0)
        finally:
            redis_server.thaw()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert all(isinstance(result, asyncio.CancelledError) for result in results[:3])
        answered = [r for r in results[3:] if isinstance(r, RateLimitResult)]
        assert len(answered) == 7 and all(result.allowed for result in answered)
        assert await client.zcard(key) == 17
        # The backend carries on: the next check sees all 17.
        assert (await backend.hit("k", RULES)).windows[0].remaining == LIMIT - 18
    finally:
        await client.aclose()


async def test_a_hung_server_times_the_batch_out_and_the_next_batch_reads_clean_replies(
    redis_server: ThrowawayRedis,
) -> None:
    client = await connect(redis_server.url)
    try:
        backend = RedisRateLimitBackend(client, prefix="t", timeout=0.3)
        assert (await backend.hit("other", RULES)).windows[0].remaining == LIMIT - 1
        redis_server.freeze()
        try:
            errors = await asyncio.gather(
                *(backend.hit("k", RULES) for _ in range(5)), return_exceptions=True
            )
        finally:
            redis_server.thaw()
        assert all(isinstance(error, ServiceUnavailableError) for error in errors)
        assert all(
            isinstance(error, BaseException) and isinstance(error.__cause__, TimeoutError)
            for error in errors
        )
        # The timed-out connection was dropped, not handed on with five replies
        # unread: the next batch gets its own answers, for its own key.
        results = await asyncio.gather(*(backend.hit("other", RULES) for _ in range(3)))
        assert remaining(results) == [LIMIT - 4, LIMIT - 3, LIMIT - 2]
    finally:
        await client.aclose()


async def test_non_ascii_keys_are_written_as_redis_py_writes_them(
    redis: Redis, key_prefix: str
) -> None:
    """The packed commands encode as the client does (UTF-8): other readers find the same keys."""
    backend = RedisRateLimitBackend(redis, prefix=key_prefix)
    identity = "login:203.0.113.5:zoë@exämple.org"
    results = await asyncio.gather(*(backend.hit(identity, RULES) for _ in range(3)))
    assert remaining(results) == [LIMIT - 3, LIMIT - 2, LIMIT - 1]
    assert [await redis.zcard(key) for key in backend.keys_for(identity, RULES)] == [3, 3]
