"""The one shared async Redis client, with short timeouts so an outage never hangs a request.

This is the single place that builds it. ``REDIS_CLUSTER_NODES`` set gives
redis-py's :class:`~redis.asyncio.cluster.RedisCluster`; otherwise
``REDIS_URL`` gives a plain :class:`~redis.asyncio.Redis`. The limiter, the
cache and the token store take whichever comes back, so all of them follow a
cluster's ``MOVED`` redirects with no change of their own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from fastmvc.settings import Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.cluster import RedisCluster

# A string, so importing this module never imports redis-py.
RedisClient: TypeAlias = "Redis | RedisCluster"

__all__ = ["RedisClient", "create_redis", "is_cluster"]


def create_redis(settings: Settings) -> RedisClient | None:
    """Return an async client for the cluster or ``REDIS_URL``, or ``None`` when neither is set.

    redis-py is imported here, not at module level, so the embedded default
    runs without the ``redis`` extra installed.
    """
    if settings.redis_cluster_nodes:
        return _create_cluster(settings)
    if not settings.redis_url:
        return None
    from redis.asyncio import BlockingConnectionPool, Redis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    timeout = settings.redis_timeout_seconds
    # A blocking pool makes a burst wait briefly for a free connection; the
    # default pool raises at its cap, which would look like an outage.
    pool = BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=settings.redis_max_connections,
        timeout=timeout,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        # redis-py's default retries with backoff for seconds; during an
        # outage a request must get its answer (fail open or 503) quickly.
        retry=Retry(NoBackoff(), 1),
        health_check_interval=30,
        decode_responses=False,
    )
    return Redis.from_pool(pool)


def _create_cluster(settings: Settings) -> RedisCluster:
    from redis.asyncio.cluster import ClusterNode, RedisCluster
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    nodes = []
    for item in settings.redis_cluster_nodes:
        host, _, port = item.rpartition(":")
        nodes.append(ClusterNode(host, int(port)))
    timeout = settings.redis_timeout_seconds
    return RedisCluster(
        startup_nodes=nodes,
        # Per node. The async cluster client raises at this cap instead of
        # waiting; the limiter's own concurrency bound keeps it below.
        max_connections=settings.redis_max_connections,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        # One retry, no backoff: after a MOVED or a dead node the client
        # refreshes its slot map once, and a request still gets its answer
        # (fail open or 503) within the callers' deadlines.
        retry=Retry(NoBackoff(), 1),
        decode_responses=False,
    )


def is_cluster(client: object) -> bool:
    """Whether ``client`` is a :class:`~redis.asyncio.cluster.RedisCluster`."""
    from redis.asyncio.cluster import RedisCluster

    return isinstance(client, RedisCluster)
