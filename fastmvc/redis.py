"""The one shared async Redis client, with short timeouts so an outage never hangs a request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastmvc.settings import Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["create_redis"]


def create_redis(settings: Settings) -> Redis | None:
    """Return an async Redis client for ``REDIS_URL``, or ``None`` when it is unset.

    redis-py is imported here, not at module level, so the embedded default
    runs without the ``redis`` extra installed.
    """
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
