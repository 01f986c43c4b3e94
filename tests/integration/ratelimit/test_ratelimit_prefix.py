"""RATE_LIMIT_PREFIX on the real Redis: apps under different prefixes count apart."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from fastmvc.app import create_app
from fastmvc.ratelimit import RateLimiter, build_limiter
from fastmvc.settings import Settings
from tests.services import REDIS_URL

pytestmark = pytest.mark.redis

CLIENT = "ip:198.51.100.7"


def limiter(redis: Redis, prefix: str) -> RateLimiter:
    """The limiter an app with ``RATE_LIMIT_PREFIX=prefix`` builds: two a minute."""
    settings = Settings(
        rate_limit_prefix=prefix,
        rate_limit_per_minute=2,
        rate_limit_per_hour=100,
        rate_limit_fail_open=False,
    )
    return build_limiter(settings, redis)


async def allowed(limiter: RateLimiter, times: int) -> list[bool]:
    return [(await limiter.check(CLIENT)).allowed for _ in range(times)]


async def stored_keys(redis: Redis, key_prefix: str) -> list[str]:
    return sorted([key.decode() async for key in redis.scan_iter(match=f"{key_prefix}:*")])


async def test_limiters_under_two_prefixes_do_not_share_counts(
    redis: Redis, key_prefix: str
) -> None:
    first, second = limiter(redis, f"{key_prefix}:a"), limiter(redis, f"{key_prefix}:b")

    assert await allowed(first, 3) == [True, True, False]
    # The same client, the same Redis, another prefix: a window of its own.
    assert await allowed(second, 3) == [True, True, False]
    # The control: a third limiter under the first prefix shares its window.
    assert await allowed(limiter(redis, f"{key_prefix}:a"), 1) == [False]

    assert await stored_keys(redis, key_prefix) == [
        f"{key_prefix}:a:{{{CLIENT}}}:3600",
        f"{key_prefix}:a:{{{CLIENT}}}:60",
        f"{key_prefix}:b:{{{CLIENT}}}:3600",
        f"{key_prefix}:b:{{{CLIENT}}}:60",
    ]
    for name in ("a", "b"):
        assert await redis.zcard(f"{key_prefix}:{name}:{{{CLIENT}}}:60") == 2


async def test_an_app_keys_its_windows_under_its_rate_limit_prefix(
    redis: Redis, key_prefix: str, tmp_path: Path
) -> None:
    settings = Settings(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'app.db'}",
        redis_url=REDIS_URL,
        rate_limit_prefix=f"{key_prefix}:app",
        rate_limit_per_minute=2,
    )
    application = create_app(settings, setup_logging=False)
    transport = httpx.ASGITransport(app=application, client=("198.51.100.8", 50000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            statuses = [(await http.get("/openapi.json")).status_code for _ in range(3)]
    finally:
        await application.state.fastmvc.aclose()

    assert statuses == [200, 200, 429]
    assert await stored_keys(redis, key_prefix) == [
        f"{key_prefix}:app:{{ip:198.51.100.8}}:3600",
        f"{key_prefix}:app:{{ip:198.51.100.8}}:60",
    ]
