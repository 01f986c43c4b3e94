"""The per-application runtime: settings plus every shared backend.

``create_app`` builds one :class:`Runtime` and keeps it at
``app.state.fastmvc``. Processes stay stateless: the backends are either
PostgreSQL/Redis clients or, in the embedded default, in-memory stand-ins.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from starlette.requests import HTTPConnection

from fastmvc.db.engine import Database
from fastmvc.redis import is_cluster
from fastmvc.settings import Settings

if TYPE_CHECKING:
    from fastmvc.cache import Cache
    from fastmvc.mail import Mailer
    from fastmvc.ratelimit import RateLimiter
    from fastmvc.redis import RedisClient
    from fastmvc.security import PasswordHasher, TokenService

__all__ = ["Runtime", "get_runtime"]

logger = logging.getLogger("fastmvc")


@dataclass(slots=True)
class Runtime:
    """Everything a request may need beyond its own session."""

    settings: Settings
    database: Database
    redis: RedisClient | None
    limiter: RateLimiter
    cache: Cache
    tokens: TokenService
    passwords: PasswordHasher
    mailer: Mailer

    async def start(self) -> None:
        """Load a Redis Cluster's slot map before traffic arrives (called by the app's lifespan).

        Left to the first command, the load would run under the first burst of
        requests, and redis-py refreshes its node connections while that burst
        is using them. A cluster that does not answer yet is no reason to stay
        down: the client loads the map on first use, and requests meanwhile
        follow the outage rules.
        """
        if self.redis is None or not is_cluster(self.redis):
            return
        try:
            async with asyncio.timeout(4 * self.settings.redis_timeout_seconds):
                await self.redis.initialize()
        except Exception as exc:  # any client error: start anyway, load it later
            logger.warning("Redis Cluster not reachable at start-up: %r", exc)

    async def aclose(self) -> None:
        """Release connections (called by the app's lifespan on shutdown)."""
        await self.database.dispose()
        if self.redis is not None:
            await self.redis.aclose()


def get_runtime(connection: HTTPConnection) -> Runtime:
    """Return the runtime of the app serving ``connection`` (a Request works)."""
    state: Any = connection.app.state
    return cast(Runtime, state.fastmvc)
