"""Engines the scale-out tests start for themselves: a Redis Cluster, a primary and a replica.

Each is started once per module that asks for it and always stopped; none of
them touches the shared PostgreSQL on 5432 or Redis on 6379.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.availability import unavailable
from tests.support.postgres_replica import PostgresUnavailable, ReplicatedPostgres
from tests.support.redis_cluster import ThrowawayCluster, throwaway_redis_cluster


@pytest.fixture(scope="module")
def redis_cluster() -> Iterator[ThrowawayCluster]:
    """A three-primary Redis Cluster on loopback ports."""
    with throwaway_redis_cluster() as cluster:
        yield cluster


@pytest.fixture(scope="module")
def replicated() -> Iterator[ReplicatedPostgres]:
    """A PostgreSQL primary of the tests' own and a streaming replica made by pg_basebackup -R."""
    try:
        pair = ReplicatedPostgres()  # finds the server programs and their user
    except PostgresUnavailable as exc:
        unavailable(str(exc))
    try:
        pair.start()
        yield pair
    finally:
        pair.stop()
