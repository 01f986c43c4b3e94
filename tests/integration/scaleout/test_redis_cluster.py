"""FastMVC on a real three-primary Redis Cluster: limiter, revocation, cache, a dead primary."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio.cluster import RedisCluster
from redis.crc import key_slot

from fastmvc.app import create_app
from fastmvc.cache import Cache, RedisCacheBackend
from fastmvc.errors import ServiceUnavailableError, UnauthorizedError
from fastmvc.ratelimit import RedisRateLimitBackend
from fastmvc.ratelimit.rules import RateLimitRule
from fastmvc.redis import create_redis
from fastmvc.security.store import _fam_key, _jti_key
from fastmvc.security.tokens import TokenPair
from fastmvc.settings import Settings
from fastmvc.state import Runtime
from tests.integration.scaleout.scaleout_support import assert_exact_limit, burst
from tests.services import RATE_LIMIT_PREFIX, TOKEN_STORE_PREFIX
from tests.support.redis_cluster import ThrowawayCluster
from tests.support.serving import served_process

pytestmark = [pytest.mark.redis, pytest.mark.slow]

SECRET = "k7Qp2vX9mR4tL8wZ1nB6yC3hF5jD0sGe"
LIMIT = 40
REQUESTS = 200
# The served apps inherit the run's RATE_LIMIT_PREFIX (tests/conftest.py).
LOCAL_LIMITER_KEYS = (
    f"{RATE_LIMIT_PREFIX}:{{ip:127.0.0.1}}:60",
    f"{RATE_LIMIT_PREFIX}:{{ip:127.0.0.1}}:3600",
)


def cluster_settings(cluster: ThrowawayCluster, tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": "test",
        "jwt_secret_key": SECRET,
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}",
        "redis_cluster_nodes": cluster.nodes_setting,
        "rate_limit_per_minute": LIMIT,
        "rate_limit_fail_open": False,
        "log_format": "console",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@asynccontextmanager
async def cluster_client(cluster: ThrowawayCluster, tmp_path: Path) -> AsyncIterator[RedisCluster]:
    # Exactness is the point of these tests, not timeouts: on a loaded two-core
    # machine one of a burst's replies can take longer than the default 0.5 s.
    client = create_redis(cluster_settings(cluster, tmp_path, redis_timeout_seconds=3))
    assert isinstance(client, RedisCluster)
    await client.initialize()  # load the slot map, which node_of() reads
    try:
        yield client
    finally:
        await client.aclose()


@asynccontextmanager
async def app_on(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(settings, setup_logging=False)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            yield app, http
    finally:
        runtime: Runtime = app.state.fastmvc
        await runtime.aclose()


def node_of(client: RedisCluster, key: str) -> int:
    return int(client.get_node_from_key(key).port)


async def test_the_settings_build_a_cluster_client(
    redis_cluster: ThrowawayCluster, tmp_path: Path
) -> None:
    async with cluster_client(redis_cluster, tmp_path) as client:
        await client.initialize()
        primaries = sorted(int(node.port) for node in client.get_primaries())
        assert primaries == sorted(node.port for node in redis_cluster.nodes)


async def test_every_multi_key_operation_stays_in_one_slot(
    redis_cluster: ThrowawayCluster, tmp_path: Path
) -> None:
    rules = [
        RateLimitRule(limit=3, window_seconds=60),
        RateLimitRule(limit=50, window_seconds=3600),
    ]
    async with cluster_client(redis_cluster, tmp_path) as client:
        backend = RedisRateLimitBackend(client, prefix="test:slots")
        nodes = set()
        for index in range(30):
            for odd in ("", "{", "}{", "{tag}"):
                keys = backend.keys_for(f"ip:203.0.113.{index}{odd}", rules)
                assert len({key_slot(key.encode()) for key in keys}) == 1, keys
            keys = backend.keys_for(f"user:{index}", rules)
            nodes.add(node_of(client, keys[0]))
            # One EVALSHA over both windows: a CROSSSLOT error would raise here.
            for _ in range(4):
                result = await backend.hit(f"user:{index}", rules)
            assert not result.allowed
            assert [window.remaining for window in result.windows] == [0, 47]
        # The clients' keys landed on every primary, so every node ran the script.
        assert len(nodes) == len(redis_cluster.nodes)
        for fam in ("fam-a", "fam-b", "x" * 22):
            pair = (_jti_key("fastmvc:tok", fam, "jti-1"), _fam_key("fastmvc:tok", fam))
            assert len({key_slot(key.encode()) for key in pair}) == 1, pair


async def test_a_batch_spread_over_every_primary_stays_exact(
    redis_cluster: ThrowawayCluster, tmp_path: Path
) -> None:
    """One tick's checks on keys of every primary: each node runs its own calls, exactly."""
    rules = [
        RateLimitRule(limit=5, window_seconds=60),
        RateLimitRule(limit=50, window_seconds=3600),
    ]
    async with cluster_client(redis_cluster, tmp_path) as client:
        backend = RedisRateLimitBackend(client, prefix="test:batch")
        users = [f"user:{index}" for index in range(24)]
        nodes = {node_of(client, backend.keys_for(user, rules)[0]) for user in users}
        assert len(nodes) == len(redis_cluster.nodes)
        calls = [user for _ in range(8) for user in users]
        results = await asyncio.gather(*(backend.hit(user, rules) for user in calls))
        for user in users:
            mine = [r for u, r in zip(calls, results, strict=True) if u == user]
            assert [r.allowed for r in mine].count(True) == 5
            assert sorted(r.windows[0].remaining for r in mine if r.allowed) == [0, 1, 2, 3, 4]
        await client.delete(*(key for user in users for key in backend.keys_for(user, rules)))


async def test_limiter_is_exact_through_four_workers(
    redis_cluster: ThrowawayCluster, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "ENVIRONMENT": "test",
        "JWT_SECRET_KEY": SECRET,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}",
        "REDIS_CLUSTER_NODES": redis_cluster.nodes_setting,
        "RATE_LIMIT_PER_MINUTE": str(LIMIT),
        "RATE_LIMIT_PER_HOUR": "1000",
        # A node error must show as a 503, never as an uncounted 200.
        "RATE_LIMIT_FAIL_OPEN": "false",
        # Exactness is the point here, not timeouts: a loaded two-core machine
        # can stall a reply past the default 0.5 s, and failing closed that is a 503.
        "REDIS_TIMEOUT_SECONDS": "3",
        "PYTHONPATH": str(Path.cwd()),
    }
    env.pop("REDIS_URL", None)
    command = [
        sys.executable,
        *("-m", "uvicorn", "--factory", "fastmvc.app:create_app"),
        *("--host", "127.0.0.1", "--port", "{port}", "--workers", "4", "--no-access-log"),
    ]
    async with cluster_client(redis_cluster, tmp_path) as client:
        await client.delete(*LOCAL_LIMITER_KEYS)
        log = tmp_path / "uvicorn.log"
        with served_process(
            command, cwd=tmp_path, env=env, log=log, what="uvicorn", settle_seconds=1.0
        ) as url:
            responses = await burst([url], REQUESTS)
        await client.delete(*LOCAL_LIMITER_KEYS)
    assert_exact_limit(responses, LIMIT)


async def test_logout_revokes_on_the_cluster(
    redis_cluster: ThrowawayCluster, tmp_path: Path
) -> None:
    settings = cluster_settings(redis_cluster, tmp_path)
    async with app_on(settings) as (app, _http):
        tokens = app.state.fastmvc.tokens
        pairs = [tokens.issue(f"user-{index}") for index in range(12)]
        principals = [await tokens.verify_access(pair.access_token) for pair in pairs]
        for principal in principals[::2]:
            await tokens.logout(principal)
        # A second app, its own client: another instance sees the same denylist.
        async with app_on(settings) as (other, _):
            other_tokens = other.state.fastmvc.tokens
            for index, pair in enumerate(pairs):
                if index % 2 == 0:
                    with pytest.raises(UnauthorizedError):
                        await other_tokens.verify_access(pair.access_token)
                    with pytest.raises(UnauthorizedError):
                        await other_tokens.refresh(pair.refresh_token)
                else:
                    assert (
                        await other_tokens.verify_access(pair.access_token)
                    ).sub == f"user-{index}"
                    rotated = await other_tokens.refresh(pair.refresh_token)
                    with pytest.raises(UnauthorizedError):  # reuse of the rotated token
                        await tokens.refresh(pair.refresh_token)
                    with pytest.raises(UnauthorizedError):  # ...which revoked its family
                        await tokens.verify_access(rotated.access_token)
        async with cluster_client(redis_cluster, tmp_path) as client:
            fams = {principal.fam for principal in principals}
            nodes = {node_of(client, _fam_key(TOKEN_STORE_PREFIX, fam)) for fam in fams}
            assert len(nodes) > 1  # the families really were spread over the primaries


async def test_prefix_invalidation_reaches_every_primary(
    redis_cluster: ThrowawayCluster, tmp_path: Path
) -> None:
    async with cluster_client(redis_cluster, tmp_path) as client:
        namespace = "test:cache:cluster:"
        writer = Cache(RedisCacheBackend(client), namespace=namespace)
        for index in range(60):
            await writer.set(f"product:{index}", {"id": index})
            await writer.set(f"order:{index}", index)
        full = [f"{namespace}product:{index}" for index in range(60)]
        assert {node_of(client, key) for key in full} == {node.port for node in redis_cluster.nodes}
        # Invalidated through another client, as another instance would.
        async with cluster_client(redis_cluster, tmp_path) as other_client:
            other = Cache(RedisCacheBackend(other_client), namespace=namespace)
            assert await other.delete_prefix("product:") == 60
        assert await client.exists(*full) == 0
        assert [await writer.get(f"product:{index}") for index in range(60)] == [None] * 60
        assert [await writer.get(f"order:{index}") for index in range(60)] == list(range(60))
        assert await writer.clear() == 60


async def test_a_dead_primary_follows_the_outage_rules(
    redis_cluster: ThrowawayCluster, tmp_path: Path
) -> None:
    """Keys on the dead primary fail at once; once the cluster marks it failed, every key does.

    Limiter: 503 when failing closed, allowed when failing open. Tokens: 503
    (always closed). Cache: values are computed without it. All come back
    when the primary does.
    """
    closed = cluster_settings(redis_cluster, tmp_path)
    opened = cluster_settings(redis_cluster, tmp_path, rate_limit_fail_open=True)
    async with (
        cluster_client(redis_cluster, tmp_path) as client,
        app_on(closed) as (app, http_closed),
        app_on(opened) as (_, http_open),
    ):
        await client.delete(*LOCAL_LIMITER_KEYS)
        assert (await http_closed.get("/openapi.json")).status_code == 200
        runtime: Runtime = app.state.fastmvc
        dead_port = node_of(client, LOCAL_LIMITER_KEYS[0])
        dead = next(node for node in redis_cluster.nodes if node.port == dead_port)
        survivors = [node for node in redis_cluster.nodes if node is not dead]
        # Tokens and cache keys on the dead node and on a live one.
        tokens = [runtime.tokens.issue("u") for _ in range(60)]
        on_dead_token = next(
            pair for pair in tokens if token_node(client, runtime, pair) == dead_port
        )
        on_live_token = next(
            pair for pair in tokens if token_node(client, runtime, pair) != dead_port
        )
        keys = [f"k{index}" for index in range(60)]
        on_dead = next(
            key for key in keys if node_of(client, runtime.cache.namespace + key) == dead_port
        )
        on_live = next(
            key for key in keys if node_of(client, runtime.cache.namespace + key) != dead_port
        )
        dead.kill()
        try:
            refused = await http_closed.get("/openapi.json")
            assert refused.status_code == 503
            assert refused.json()["status"] == "FAILED"
            assert (await http_open.get("/openapi.json")).status_code == 200
            with pytest.raises(ServiceUnavailableError):
                await runtime.tokens.verify_access(on_dead_token.access_token)
            # Until the cluster notices, keys on the live primaries still work.
            assert (await runtime.tokens.verify_access(on_live_token.access_token)).sub == "u"
            assert await runtime.cache.get_or_set(on_dead, _value("computed")) == "computed"
            assert await runtime.cache.get_or_set(on_live, _value("live")) == "live"

            redis_cluster.wait_for_state("fail", survivors)
            # Now a full outage: even keys on the live primaries are refused.
            for node in survivors:
                assert node.answers_ping()
            with pytest.raises(ServiceUnavailableError):
                await runtime.tokens.verify_access(on_live_token.access_token)
            assert await runtime.cache.get_or_set(on_live, _value("again")) == "again"
            assert (await http_closed.get("/openapi.json")).status_code == 503
            assert (await http_open.get("/openapi.json")).status_code == 200
        finally:
            dead.start()
            redis_cluster.wait_for_state("ok", redis_cluster.nodes)
        ready = await http_closed.get("/openapi.json")
        assert ready.status_code == 200, ready.text
        for pair in (on_dead_token, on_live_token):
            assert (await runtime.tokens.verify_access(pair.access_token)).sub == "u"
        await client.delete(*LOCAL_LIMITER_KEYS)


def token_node(client: RedisCluster, runtime: Runtime, pair: TokenPair) -> int:
    fam = runtime.tokens.decode(pair.access_token, typ="access").fam
    return node_of(client, _fam_key(TOKEN_STORE_PREFIX, fam))


def _value(value: str):  # type: ignore[no-untyped-def]
    async def compute() -> str:
        return value

    return compute
