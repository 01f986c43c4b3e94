"""Limiter checks per second on the real Redis: FastMVC vs limits (slowapi) vs fastapi-limiter.

Every contender enforces the same policy on the same Redis, with the same
number of concurrent callers and the same client keys:

- 60 hits per minute AND 1000 per hour (FastMVC's defaults), per client key;
- ``--keys`` client keys, hit round-robin, so most checks past the first
  minute's quota are refusals, as under a real flood.

What one check costs in each library:

``fastmvc``
    ``RateLimiter.check(key)``: one EVALSHA that checks both windows and
    returns everything the headers need; the checks the concurrent callers
    start in one event-loop tick share one pipelined round trip.
``limits``
    What slowapi does per request, with the async API of the same package
    (slowapi itself calls the sync API, which blocks the event loop): for each
    limit ``MovingWindowRateLimiter.hit`` until one refuses, then
    ``get_window_stats`` on the reported limit for the headers, so two or
    three round trips.
``fastapi-limiter``
    ``pyrate_limiter.Limiter.try_acquire_async(key, blocking=False)``, the
    call its ``RateLimiter`` dependency makes, on a ``RedisBucket`` per client
    key (its default single bucket would put every client in one quota). The
    buckets' background leak task is left out, which only flatters it.

The allowed count is printed as a sanity check: with the run shorter than a
minute, every exact limiter allows ``min(60, hits per key)`` per key.

Usage::

    .venv/bin/python benchmarks/ratelimit/bench_limiter.py [--checks N]
        [--rounds R] [--concurrency C] [--keys K] [--redis-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from fastmvc.ratelimit import RateLimiter, RateLimitRule, RedisRateLimitBackend

Check = Callable[[str], Awaitable[bool]]
PER_MINUTE, PER_HOUR = 60, 1000


@dataclass
class Outcome:
    name: str
    checks: int
    seconds: float
    allowed: int
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.checks / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


async def fastmvc_check(redis: Redis, prefix: str) -> Check:
    rules = (RateLimitRule(PER_MINUTE, 60), RateLimitRule(PER_HOUR, 3600))
    limiter = RateLimiter(RedisRateLimitBackend(redis, prefix=prefix), rules=rules, fail_open=False)

    async def check(key: str) -> bool:
        return (await limiter.check(key)).allowed

    return check


async def limits_check(url: str, prefix: str) -> Check:
    from limits import RateLimitItemPerHour, RateLimitItemPerMinute
    from limits.aio.storage import RedisStorage
    from limits.aio.strategies import MovingWindowRateLimiter

    storage = RedisStorage("async+" + url, implementation="redispy", key_prefix=prefix)
    strategy = MovingWindowRateLimiter(storage)
    items = (RateLimitItemPerMinute(PER_MINUTE), RateLimitItemPerHour(PER_HOUR))

    async def check(key: str) -> bool:
        reported = items[0]
        allowed = True
        for item in items:
            reported = item
            if not await strategy.hit(item, key):
                allowed = False
                break
        await strategy.get_window_stats(reported, key)  # slowapi's header values
        return allowed

    return check


async def fastapi_limiter_check(redis: Redis, prefix: str) -> Check:
    import fastapi_limiter.depends  # noqa: F401  (the dependency whose limiter call we time)
    from pyrate_limiter import BucketFactory, Duration, Limiter, Rate, RateItem
    from pyrate_limiter.buckets.redis_bucket import LuaScript, RedisBucket

    rates = [Rate(PER_MINUTE, Duration.MINUTE), Rate(PER_HOUR, Duration.HOUR)]
    script_hash = await redis.script_load(LuaScript.PUT_ITEM)

    class PerKeyRedisBuckets(BucketFactory):
        """One Redis bucket per client key (the leak task is not scheduled)."""

        def __init__(self) -> None:
            self.buckets: dict[str, RedisBucket] = {}

        def wrap_item(self, name: str, weight: int = 1) -> Any:
            return RateItem(name, time.time_ns() // 1_000_000, weight=weight)

        def get(self, item: Any) -> Any:
            bucket = self.buckets.get(item.name)
            if bucket is None:
                key = f"{prefix}:{item.name}"
                bucket = self.buckets[item.name] = RedisBucket(rates, redis, key, script_hash)
            return bucket

    limiter = Limiter(PerKeyRedisBuckets())

    async def check(key: str) -> bool:
        return bool(await limiter.try_acquire_async(key, blocking=False))

    return check


async def drive(name: str, check: Check, keys: list[str], checks: int, concurrency: int) -> Outcome:
    latencies: list[float] = []
    allowed = 0
    next_index = 0

    async def worker() -> None:
        nonlocal allowed, next_index
        while next_index < checks:
            key = keys[next_index % len(keys)]
            next_index += 1
            started = time.perf_counter()
            if await check(key):
                allowed += 1
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Outcome(name, checks, time.perf_counter() - started, allowed, latencies)


async def delete_prefix(redis: Redis, prefix: str) -> None:
    keys = [key async for key in redis.scan_iter(match=f"{prefix}*", count=1000)]
    for start in range(0, len(keys), 500):
        await redis.delete(*keys[start : start + 500])


def print_table(outcomes: list[Outcome], skipped: dict[str, str], args: argparse.Namespace) -> None:
    print(
        f"limiter checks on {args.redis_url}: median of {args.rounds} rounds of "
        f"{args.checks} checks, concurrency {args.concurrency}, {args.keys} client keys, "
        f"{PER_MINUTE}/min + {PER_HOUR}/h"
    )
    header = (
        f"{'limiter':<18}{'checks/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'allowed':>9}{'vs fastmvc':>12}"
    )
    print(header)
    print("-" * len(header))
    base = next((o.rate for o in outcomes if o.name == "fastmvc"), None)
    for outcome in outcomes:
        ratio = f"{outcome.rate / base:.2f}x" if base else "-"
        print(
            f"{outcome.name:<18}{outcome.rate:>10.0f}{outcome.percentile(0.5):>9.2f}"
            f"{outcome.percentile(0.99):>9.2f}{outcome.allowed:>9}{ratio:>12}"
        )
    for name, reason in skipped.items():
        print(f"{name:<18}skipped: {reason}")
    if base:
        for outcome in outcomes:
            if outcome.name != "fastmvc":
                print(f"ratio: fastmvc / {outcome.name} = {base / outcome.rate:.2f}x checks/s")


async def main(args: argparse.Namespace) -> int:
    redis = Redis.from_url(args.redis_url, socket_timeout=5, socket_connect_timeout=5)
    run = f"bench:rl:{secrets.token_hex(4)}"
    outcomes: list[Outcome] = []
    skipped: dict[str, str] = {}
    contenders: list[tuple[str, Callable[[], Awaitable[Check]]]] = [
        ("fastmvc", lambda: fastmvc_check(redis, f"{run}:fastmvc")),
        ("limits (slowapi)", lambda: limits_check(args.redis_url, f"{run}:limits")),
        ("fastapi-limiter", lambda: fastapi_limiter_check(redis, f"{run}:pyrate")),
    ]
    checks: dict[str, Check] = {}
    rounds: dict[str, list[Outcome]] = {}
    try:
        await redis.ping()
        for name, build in contenders:
            try:
                checks[name] = await build()
            except ImportError as exc:
                skipped[name] = f"not installed ({exc.name}); see requirements.txt"
                continue
            # Warm up on other keys: script loads and connections are not measured.
            await drive(name, checks[name], [f"warmup-{i}" for i in range(8)], 200, 8)
            rounds[name] = []
        # Rounds take turns, each on fresh keys, so a noisy moment hits all alike.
        for index in range(args.rounds):
            names = list(checks)
            names = names[index % len(names) :] + names[: index % len(names)]
            keys = [f"r{index}-client-{i}" for i in range(args.keys)]
            for name in names:
                outcome = await drive(name, checks[name], keys, args.checks, args.concurrency)
                rounds[name].append(outcome)
    finally:
        await delete_prefix(redis, run)
        await redis.aclose()
    # Each contender's median round by rate.
    for measured in rounds.values():
        outcomes.append(sorted(measured, key=lambda o: o.rate)[len(measured) // 2])
    print_table(outcomes, skipped, args)
    expected = expected_allowed(args.checks, args.keys)
    for outcome in outcomes:
        if outcome.allowed != expected:
            print(f"note: {outcome.name} allowed {outcome.allowed}, exact is {expected}")
    return 0


def expected_allowed(checks: int, keys: int) -> int:
    """What an exact limiter allows in a run shorter than a minute."""
    per_key = [checks // keys + (1 if index < checks % keys else 0) for index in range(keys)]
    return sum(min(PER_MINUTE, hits) for hits in per_key)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--checks", type=int, default=10_000, help="checks per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the median is shown")
    parser.add_argument("--concurrency", type=int, default=50, help="concurrent callers")
    parser.add_argument("--keys", type=int, default=100, help="distinct client keys")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        help="the Redis to run against (keys use a random prefix and are deleted)",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
