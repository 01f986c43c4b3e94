"""Two ``fastmvc run`` instances of one generated project, sharing PostgreSQL and Redis.

They must behave as one app: the rate limit is exact across both, a logout
on one is refused on the other at the next request, and a cache entry
invalidated by one is gone for the other.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from fastmvc.app import create_runtime
from fastmvc.settings import Settings
from fastmvc.testing import temporary_postgres_database
from tests.integration.scaleout.scaleout_support import assert_exact_limit, burst
from tests.services import RATE_LIMIT_PREFIX, require
from tests.support.redis_server import ThrowawayRedis, throwaway_redis_server
from tests.support.serving import generate_project, run_cli, served_process

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

LIMIT = 30
REQUESTS = 120
# The served apps inherit the run's RATE_LIMIT_PREFIX (tests/conftest.py).
LOCAL_LIMITER_KEYS = (
    f"{RATE_LIMIT_PREFIX}:{{ip:127.0.0.1}}:60",
    f"{RATE_LIMIT_PREFIX}:{{ip:127.0.0.1}}:3600",
)


@pytest.fixture(scope="module")
def redis_server() -> Iterator[ThrowawayRedis]:
    with throwaway_redis_server() as server:
        yield server


@pytest.fixture(scope="module")
async def database_url() -> AsyncIterator[str]:
    async with temporary_postgres_database(require("postgres")) as url:
        yield url


@pytest.fixture(scope="module")
def project(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, redis_server: ThrowawayRedis
) -> tuple[Path, dict[str, str]]:
    """One generated project, migrated once, and the environment it runs with."""
    root = tmp_path_factory.mktemp("instances")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
    env |= {
        "NO_COLOR": "1",
        "COLUMNS": "200",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_server.url,
        "RATE_LIMIT_PER_MINUTE": str(LIMIT),
        "RATE_LIMIT_FAIL_OPEN": "false",
        # Exactness is the point here, not timeouts: a loaded two-core machine
        # can stall a reply past the default 0.5 s, and failing closed that is a 503.
        "REDIS_TIMEOUT_SECONDS": "3",
        "PASSWORD_HASH_TIME_COST": "1",
        "PASSWORD_HASH_MEMORY_KIB": "1024",
    }
    # Public reads: the limited burst needs a route anyone may call that the
    # limiter counts (the docs and /openapi.json are exempt in development).
    shop = generate_project(root, ["Product", "name:str", "price:decimal", "--public"], env=env)
    return shop, env


@pytest.fixture(scope="module")
def instances(project: tuple[Path, dict[str, str]]) -> Iterator[list[str]]:
    """The project served by two processes on two ports."""
    shop, env = project
    command = [sys.executable, "-m", "fastmvc_cli", "run", "--no-reload", "--port", "{port}"]
    with ExitStack() as stack:
        urls = [
            stack.enter_context(
                served_process(
                    command, cwd=shop, env=env, log=shop / f"server-{name}.log", what=name
                )
            )
            for name in ("instance-a", "instance-b")
        ]
        yield urls


@pytest.fixture
async def fresh_limits(redis_server: ThrowawayRedis) -> AsyncIterator[None]:
    """Each test starts with no hits recorded for 127.0.0.1, and leaves none."""
    client = Redis.from_url(redis_server.url)
    try:
        await client.delete(*LOCAL_LIMITER_KEYS)
        yield
        await client.delete(*LOCAL_LIMITER_KEYS)
    finally:
        await client.aclose()


@pytest.mark.usefixtures("fresh_limits")
async def test_the_limit_is_exact_across_instances(instances: list[str]) -> None:
    responses = await burst(instances, REQUESTS, path="/products")
    # Each instance answered half the burst, more than the limit: with a
    # window per instance, 2 x LIMIT would have passed.
    for url in instances:
        assert sum(str(r.request.url).startswith(url) for r in responses) == REQUESTS // 2
    assert REQUESTS // 2 > LIMIT
    assert_exact_limit(responses, LIMIT)


@pytest.mark.usefixtures("fresh_limits")
async def test_logout_on_one_instance_is_refused_on_the_other(instances: list[str]) -> None:
    first, second = instances
    user = {"email": "grace@example.com", "password": "correct horse battery"}
    async with httpx.AsyncClient(timeout=30) as http:
        registered = await http.post(f"{first}/auth/register", json=user)
        assert registered.status_code == 201, registered.text
        login = await http.post(f"{second}/auth/login", json=user)
        assert login.status_code == 200, login.text
        tokens = login.json()["data"]
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        for url in instances:
            assert (await http.get(f"{url}/users/me", headers=auth)).status_code == 200

        created = await http.post(
            f"{first}/products", json={"name": "Lamp", "price": "12.50"}, headers=auth
        )
        assert created.status_code == 201, created.text
        product_id = created.json()["data"]["id"]
        seen = await http.get(f"{second}/products/{product_id}", headers=auth)
        assert seen.json()["data"]["name"] == "Lamp"

        assert (await http.post(f"{second}/auth/logout", headers=auth)).status_code == 200
        for url in instances:
            refused = await http.get(f"{url}/users/me", headers=auth)
            assert refused.status_code == 401
            assert refused.headers["WWW-Authenticate"] == "Bearer"
        reuse = await http.post(
            f"{first}/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        assert reuse.status_code == 401


@pytest.mark.usefixtures("fresh_limits")
async def test_deactivation_from_the_shell_is_refused_by_both_instances(
    instances: list[str], project: tuple[Path, dict[str, str]]
) -> None:
    shop, env = project
    first, second = instances
    user = {"email": "hopper@example.com", "password": "correct horse battery"}
    async with httpx.AsyncClient(timeout=30) as http:
        registered = await http.post(f"{second}/auth/register", json=user)
        assert registered.status_code == 201, registered.text
        login = await http.post(f"{first}/auth/login", json=user)
        assert login.status_code == 200, login.text
        auth = {"Authorization": f"Bearer {login.json()['data']['access_token']}"}
        for url in instances:
            assert (await http.get(f"{url}/users/me", headers=auth)).status_code == 200

        # Neither process is told: the per-user mark in the shared Redis is the message.
        run_cli(["users", "deactivate", user["email"]], shop, env)

        for url in instances:
            refused = await http.get(f"{url}/users/me", headers=auth)
            assert refused.status_code == 401, (url, refused.text)
        again = await http.post(f"{second}/auth/login", json=user)
        assert again.status_code == 401


async def test_cache_invalidation_on_one_instance_reaches_the_other(
    redis_server: ThrowawayRedis, tmp_path: Path
) -> None:
    settings = Settings(
        environment="test",
        redis_url=redis_server.url,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'app.db'}",
        cache_namespace="test:instances:",
    )
    # Two runtimes, each with its own Redis client: two instances' worth.
    first, second = create_runtime(settings), create_runtime(settings)
    try:
        calls = 0

        async def load(product_id: int) -> dict[str, int]:
            nonlocal calls
            calls += 1
            return {"id": product_id, "version": calls}

        for runtime in (first, second):
            for product_id in (1, 2):
                await runtime.cache.get_or_set(
                    f"product:{product_id}", lambda product_id=product_id: load(product_id)
                )
        assert calls == 2  # the second instance read what the first stored

        assert await second.cache.delete_prefix("product:") == 2
        refreshed = await first.cache.get_or_set("product:1", lambda: load(1))
        assert refreshed == {"id": 1, "version": 3}
        assert await first.cache.clear() == 1
    finally:
        await first.aclose()
        await second.aclose()
