"""RedisTokenStore and TokenService on a real Redis."""

from __future__ import annotations

import asyncio
import time

import anyio
import pytest
from redis.asyncio import Redis

from fastmvc.errors import ServiceUnavailableError, UnauthorizedError
from fastmvc.security import RedisTokenStore, TokenService, TokenStore
from fastmvc.security._keys import JWTKeys
from tests.support.redis_server import ThrowawayRedis

pytestmark = pytest.mark.redis

KEYS = JWTKeys(
    "HS256", "integration-test-key-0123456789abcdef", "integration-test-key-0123456789abcdef"
)


def service(store: TokenStore) -> TokenService:
    return TokenService(KEYS, store)


async def test_revocation_keys_expire_with_the_token_and_share_the_family_hash_tag(
    redis: Redis, key_prefix: str
) -> None:
    store = RedisTokenStore(redis, prefix=key_prefix)
    exp = int(time.time()) + 120

    await store.revoke("jti-1", "fam-1", until=exp)
    await store.revoke_family("fam-1", until=exp + 600)

    keys = sorted(k.decode() for k in await redis.keys(f"{key_prefix}:*"))
    assert keys == [f"{key_prefix}:{{fam-1}}:fam", f"{key_prefix}:{{fam-1}}:jti:jti-1"]
    assert await redis.expiretime(f"{key_prefix}:{{fam-1}}:jti:jti-1") == exp
    assert await redis.expiretime(f"{key_prefix}:{{fam-1}}:fam") == exp + 600
    assert await store.is_revoked("jti-1", "fam-1")
    assert await store.is_revoked("jti-2", "fam-1")  # family revoked
    assert not await store.is_revoked("jti-1", "fam-2")
    await redis.delete(*keys)


async def test_consume_wins_exactly_once_under_concurrency(redis: Redis, key_prefix: str) -> None:
    store = RedisTokenStore(redis, prefix=key_prefix)
    until = int(time.time()) + 60
    results: list[bool] = []

    async def attempt() -> None:
        results.append(await store.consume("jti-r", "fam-r", until=until))

    async with anyio.create_task_group() as tg:
        for _ in range(20):
            tg.start_soon(attempt)

    assert results.count(True) == 1
    await redis.delete(f"{key_prefix}:{{fam-r}}:jti:jti-r")


async def test_rotation_and_reuse_are_seen_by_every_worker(redis: Redis, key_prefix: str) -> None:
    # Two services on one Redis stand for two worker processes.
    worker_a = service(RedisTokenStore(redis, prefix=key_prefix))
    worker_b = service(RedisTokenStore(redis, prefix=key_prefix))
    first = worker_a.issue("u1")

    second = await worker_b.refresh(first.refresh_token)
    with pytest.raises(UnauthorizedError):
        await worker_a.refresh(first.refresh_token)  # reuse, seen on the other worker

    with pytest.raises(UnauthorizedError):
        await worker_b.verify_access(second.access_token)  # family revoked everywhere
    with pytest.raises(UnauthorizedError):
        await worker_a.refresh(second.refresh_token)
    await _cleanup(redis, key_prefix)


async def test_logout_is_seen_by_every_worker(redis: Redis, key_prefix: str) -> None:
    worker_a = service(RedisTokenStore(redis, prefix=key_prefix))
    worker_b = service(RedisTokenStore(redis, prefix=key_prefix))
    pair = worker_a.issue("u1")

    await worker_a.logout(await worker_a.verify_access(pair.access_token))

    with pytest.raises(UnauthorizedError):
        await worker_b.verify_access(pair.access_token)
    with pytest.raises(UnauthorizedError):
        await worker_b.refresh(pair.refresh_token)
    await _cleanup(redis, key_prefix)


async def test_redis_down_fails_closed_with_503(
    throwaway_redis: ThrowawayRedis,
) -> None:
    client = Redis.from_url(throwaway_redis.url, socket_timeout=0.5, socket_connect_timeout=0.5)
    tokens = service(RedisTokenStore(client, timeout_seconds=1.0))
    pair = tokens.issue("u1")
    assert (await tokens.verify_access(pair.access_token)).sub == "u1"

    throwaway_redis.kill()

    with pytest.raises(ServiceUnavailableError):
        await tokens.verify_access(pair.access_token)
    with pytest.raises(ServiceUnavailableError):
        await tokens.refresh(pair.refresh_token)
    await client.aclose()


async def test_silent_redis_gives_503_instead_of_hanging() -> None:
    # A server that accepts connections and never answers: the store's own
    # time bound must turn that into a 503.
    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(-1)
        writer.close()

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = Redis.from_url(f"redis://127.0.0.1:{port}/0", socket_timeout=30)
    tokens = service(RedisTokenStore(client, timeout_seconds=0.3))
    pair = tokens.issue("u1")
    try:
        with anyio.fail_after(10):  # guards the test itself, not a latency claim
            with pytest.raises(ServiceUnavailableError):
                await tokens.verify_access(pair.access_token)
    finally:
        await client.aclose()
        server.close()
        await server.wait_closed()


async def _cleanup(redis: Redis, prefix: str) -> None:
    keys = await redis.keys(f"{prefix}:*")
    if keys:
        await redis.delete(*keys)


async def test_the_subject_mark_is_read_in_the_denylist_round_trip(
    redis: Redis, key_prefix: str
) -> None:
    store = RedisTokenStore(redis, prefix=key_prefix)
    now = time.time()
    await store.revoke_subject("42", before=now, until=int(now) + 60)
    await store.revoke_subject("42", before=now - 50, until=int(now) + 60)  # never lowers it
    assert await store.is_revoked("j", "f", subject="42", issued_at=now - 0.01)
    assert not await store.is_revoked("j", "f", subject="42", issued_at=now + 0.01)
    assert not await store.is_revoked("j", "f", subject="43", issued_at=now - 10)
    (key,) = [k async for k in redis.scan_iter(match=f"{key_prefix}:*")]
    assert key.decode() == f"{key_prefix}:{{u:42}}:before"
    assert 0 < await redis.ttl(key) <= 61
    calls: list[str] = []
    original = redis.pipeline

    def counting_pipeline(*args: object, **kwargs: object) -> object:
        calls.append("pipeline")
        return original(*args, **kwargs)  # type: ignore[arg-type]

    redis.pipeline = counting_pipeline  # type: ignore[method-assign]
    try:
        await store.is_revoked("j", "f", subject="42", issued_at=now)
    finally:
        redis.pipeline = original  # type: ignore[method-assign]
    assert calls == ["pipeline"]  # denylist and mark: one pipeline, one round trip


async def test_revoke_subject_through_redis_ends_earlier_tokens(
    redis: Redis, key_prefix: str
) -> None:
    tokens = service(RedisTokenStore(redis, prefix=key_prefix))
    old = tokens.issue(5)
    await tokens.revoke_subject(5)
    with pytest.raises(UnauthorizedError):
        await tokens.verify_access(old.access_token)
    assert (await tokens.verify_access(tokens.issue(5).access_token)).sub == "5"
