"""Auth with the Redis token denylist: revocations are shared, and a Redis outage fails closed."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from jose import jwt
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from fastmvc.app import create_app
from fastmvc.auth import auth_routers
from fastmvc.security import RedisTokenStore
from fastmvc.settings import Settings
from fastmvc.testing import bind_app_to_connection
from tests.integration.auth.auth_helpers import AuthTestUser, bearer, login, register
from tests.services import require
from tests.support.redis_server import ThrowawayRedis, throwaway_redis_server

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_url() -> str:
    return require("redis")


@pytest.fixture
def fastmvc_app_factory(redis_url: str) -> Any:
    def factory(settings: Settings) -> Any:
        with_redis = settings.model_copy(update={"redis_url": redis_url})
        return create_app(with_redis, routers=auth_routers(AuthTestUser))

    return factory


@pytest.fixture
async def client(app: Any, redis_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client from an address of its own, whose rate-limit keys are deleted afterwards.

    The app keeps its limiter windows in the shared Redis under the run's
    ``RATE_LIMIT_PREFIX``, keyed by client IP; a unique IP makes this test's
    keys its own, so deleting them never touches another test's.
    """
    ip = "10." + ".".join(str(byte) for byte in secrets.token_bytes(3))
    transport = httpx.ASGITransport(app=app, client=(ip, 50000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
    finally:
        redis = Redis.from_url(redis_url)
        # {ip:10.1.2.3}, and the login limiter's {login:10.1.2.3:<email digest>}.
        prefix = app.state.fastmvc.settings.rate_limit_prefix
        pattern = f"{prefix}:{{*:{ip}[:}}]*"
        keys = [key async for key in redis.scan_iter(match=pattern, count=500)]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


@pytest.fixture
async def families(app: Any, redis_url: str) -> AsyncIterator[list[str]]:
    """Families a test created; their denylist keys are deleted afterwards."""
    seen: list[str] = []
    yield seen
    client = Redis.from_url(redis_url)
    prefix = app.state.fastmvc.settings.token_store_prefix
    for fam in seen:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:{{{fam}}}:*")]
        if keys:
            await client.delete(*keys)
    await client.aclose()


def fam_of(token: str) -> str:
    fam: str = jwt.get_unverified_claims(token)["fam"]
    return fam


async def test_app_uses_the_redis_store(app: Any) -> None:
    assert isinstance(app.state.fastmvc.tokens.store, RedisTokenStore)


async def test_logout_and_reuse_detection_through_redis(
    app: Any, client: httpx.AsyncClient, redis_url: str, families: list[str]
) -> None:
    await register(client, "ada@example.com")
    first = await login(client, "ada@example.com")
    families.append(fam_of(first["access_token"]))

    rotated = (
        await client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    ).json()["data"]
    reuse = await client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401
    assert (
        await client.get("/users/me", headers=bearer(rotated["access_token"]))
    ).status_code == 401

    second = await login(client, "ada@example.com")
    families.append(fam_of(second["access_token"]))
    assert (await client.post("/auth/logout", headers=bearer(second["access_token"]))).is_success
    assert (
        await client.get("/users/me", headers=bearer(second["access_token"]))
    ).status_code == 401

    # The revocations are in Redis, where every worker sees them.
    client_redis = Redis.from_url(redis_url)
    fam_key = f"{app.state.fastmvc.settings.token_store_prefix}:{{{families[1]}}}:fam"
    assert await client_redis.exists(fam_key)
    assert 0 < await client_redis.ttl(fam_key) <= 7 * 24 * 3600 + 60
    await client_redis.aclose()


@pytest.fixture
def dying_redis() -> Iterator[ThrowawayRedis]:
    with throwaway_redis_server() as server:
        yield server


async def test_redis_outage_gives_503_not_401_or_500(
    dying_redis: ThrowawayRedis, fastmvc_settings: Settings, app: Any, db_session: AsyncSession
) -> None:
    settings = fastmvc_settings.model_copy(update={"redis_url": dying_redis.url})
    outage_app = create_app(settings, routers=auth_routers(AuthTestUser))
    # Same rolled-back test session as the `app` fixture, so the user is visible.
    assert isinstance(db_session.bind, AsyncConnection)
    bind_app_to_connection(outage_app, db_session.bind)
    transport = httpx.ASGITransport(app=outage_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await register(client, "ada@example.com")
        pair = await login(client, "ada@example.com")
        assert (
            await client.get("/users/me", headers=bearer(pair["access_token"]))
        ).status_code == 200

        dying_redis.kill()

        me = await client.get("/users/me", headers=bearer(pair["access_token"]))
        refreshed = await client.post(
            "/auth/refresh", json={"refresh_token": pair["refresh_token"]}
        )
        logout = await client.post("/auth/logout", headers=bearer(pair["access_token"]))
    await outage_app.state.fastmvc.aclose()

    for response in (me, refreshed, logout):
        assert response.status_code == 503, response.text
        assert response.json()["responseKey"] == "error_service_unavailable"
