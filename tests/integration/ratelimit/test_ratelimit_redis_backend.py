"""What only the Redis backend promises: one round trip per tick, cluster-safe keys, expiry."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis
from redis.crc import key_slot
from redis.exceptions import ReadOnlyError

from fastmvc.errors import ServiceUnavailableError
from fastmvc.ratelimit import RateLimitRule, RedisRateLimitBackend
from fastmvc.ratelimit.redis_backend import SLIDING_WINDOW_LUA
from tests.integration.ratelimit.ratelimit_support import connect, delete_prefix, record_writes
from tests.support.net import free_port
from tests.support.redis_server import ThrowawayRedis

pytestmark = pytest.mark.redis

RULES = (RateLimitRule(60, 60), RateLimitRule(1000, 3600))


async def test_one_round_trip_per_tick_and_noscript_fallback(
    redis_server: ThrowawayRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = await connect(redis_server.url)
    try:
        writes = record_writes(monkeypatch)
        backend = RedisRateLimitBackend(client, prefix="t")
        # Fresh server: EVALSHA fails with NOSCRIPT, the script is loaded, EVALSHA again.
        assert (await backend.hit("k", RULES)).allowed
        assert writes == [["EVALSHA"], ["SCRIPT LOAD"], ["EVALSHA"]]
        writes.clear()
        for _ in range(3):  # one check per tick: one round trip each
            await backend.hit("k", RULES)
        assert writes == [["EVALSHA"]] * 3
        writes.clear()
        # Five checks started in one tick: one pipelined round trip.
        await asyncio.gather(*(backend.hit("k", RULES) for _ in range(5)))
        assert writes == [["EVALSHA"] * 5]
        # A SCRIPT FLUSH (or a restart) costs one reload for the batch, not an error.
        await client.script_flush()
        writes.clear()
        results = await asyncio.gather(*(backend.hit("k", RULES) for _ in range(3)))
        assert all(result.allowed for result in results)
        assert sorted(result.windows[0].remaining for result in results) == [48, 49, 50]
        assert writes == [["EVALSHA"] * 3, ["SCRIPT LOAD"], ["EVALSHA"] * 3]
    finally:
        await client.aclose()


async def test_keys_share_a_hash_slot_and_expire_with_the_longest_window(
    redis: Redis, key_prefix: str
) -> None:
    backend = RedisRateLimitBackend(redis, prefix=key_prefix)
    rules = (RateLimitRule(5, 1), RateLimitRule(5, 60), RateLimitRule(5, 7200))
    try:
        await backend.hit("ip:203.0.113.9", rules)
        keys = backend.keys_for("ip:203.0.113.9", rules)
        assert keys == [
            f"{key_prefix}:{{ip:203.0.113.9}}:1",
            f"{key_prefix}:{{ip:203.0.113.9}}:60",
            f"{key_prefix}:{{ip:203.0.113.9}}:7200",
        ]
        assert len({key_slot(key.encode()) for key in keys}) == 1
        for key in keys:
            ttl = await redis.pttl(key)
            assert 7_190_000 < ttl <= 7_200_000
        braces = backend.keys_for("a}b{c", rules)
        assert len({key_slot(key.encode()) for key in braces}) == 1
    finally:
        await delete_prefix(redis, key_prefix)


async def test_hits_are_stamped_with_the_server_clock_and_unique(
    redis: Redis, key_prefix: str
) -> None:
    backend = RedisRateLimitBackend(redis, prefix=key_prefix)
    rule = RateLimitRule(500, 60)
    try:
        await asyncio.gather(*(backend.hit("k", (rule,)) for _ in range(300)))
        seconds, micros = await redis.time()
        server_now = seconds * 1_000_000 + micros
        entries = await redis.zrange(backend.keys_for("k", (rule,))[0], 0, -1, withscores=True)
        assert len(entries) == 300
        members = [member for member, _ in entries]
        assert len(set(members)) == 300
        for member, score in entries:
            assert 0 <= server_now - score < 10_000_000
            # Member = a hit id unique across processes: equal times stay distinct.
            assert len(member.decode()) > 12
    finally:
        await delete_prefix(redis, key_prefix)


async def test_a_retried_call_does_not_count_its_hit_twice(redis: Redis, key_prefix: str) -> None:
    """redis-py resends a script whose reply timed out; the hit it already made must not double."""
    backend = RedisRateLimitBackend(redis, prefix=key_prefix)
    rules = (RateLimitRule(2, 60), RateLimitRule(10, 3600))
    keys = backend.keys_for("k", rules)
    script = redis.register_script(SLIDING_WINDOW_LUA)
    args = ["hit-id-under-test", 3_600_000, 2, 60_000_000, 10, 3_600_000_000]
    try:
        first = await script(keys=keys, args=args)
        again = await script(keys=keys, args=args)  # the same hit, resent
        assert first[0] == again[0] == 1
        assert [await redis.zcard(key) for key in keys] == [1, 1]
        assert (await backend.hit("k", rules)).allowed  # the second real hit still fits
        assert not (await backend.hit("k", rules)).allowed  # the third does not
        assert (await script(keys=keys, args=args))[0] == 1  # a late resend is still its own
    finally:
        await delete_prefix(redis, key_prefix)


async def test_server_side_refusal_reads_as_unavailable(redis_server: ThrowawayRedis) -> None:
    client = await connect(redis_server.url)
    try:
        backend = RedisRateLimitBackend(client, prefix="t")
        assert (await backend.hit("k", RULES)).allowed
        # A replica (as after a failover gone wrong) refuses the script's writes.
        await client.replicaof("127.0.0.1", str(free_port()))
        with pytest.raises(ServiceUnavailableError) as info:
            await backend.hit("k", RULES)
        assert isinstance(info.value.__cause__, ReadOnlyError)
        await client.replicaof("NO", "ONE")
        assert (await backend.hit("k", RULES)).allowed
    finally:
        await client.aclose()
