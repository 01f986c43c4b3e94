"""Real Redis for the token-store tests: the shared one, and throwaway ones to break."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from secrets import token_hex

import pytest
from redis.asyncio import Redis

from tests.services import require
from tests.support.redis_server import ThrowawayRedis, throwaway_redis_server


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(require("redis"), socket_timeout=2, socket_connect_timeout=2)
    yield client
    await client.aclose()


@pytest.fixture
def key_prefix() -> str:
    # Other suites share this Redis: never flush, always a unique prefix.
    return f"test:sec:{token_hex(6)}"


@pytest.fixture
def throwaway_redis() -> Iterator[ThrowawayRedis]:
    """A private redis-server on a free port, which a test may kill."""
    with throwaway_redis_server() as server:
        yield server
