"""The per-application runtime: settings plus every shared backend.

``create_app`` builds one :class:`Runtime` and keeps it at
``app.state.fastmvc``. Processes stay stateless: the backends are either
PostgreSQL/Redis clients or, in the embedded default, in-memory stand-ins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from starlette.requests import HTTPConnection

from fastmvc.db.engine import Database
from fastmvc.settings import Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from fastmvc.cache import Cache
    from fastmvc.mail import Mailer
    from fastmvc.ratelimit import RateLimiter
    from fastmvc.security import PasswordHasher, TokenService

__all__ = ["Runtime", "get_runtime"]


@dataclass(slots=True)
class Runtime:
    """Everything a request may need beyond its own session."""

    settings: Settings
    database: Database
    redis: Redis | None
    limiter: RateLimiter
    cache: Cache
    tokens: TokenService
    passwords: PasswordHasher
    mailer: Mailer

    async def aclose(self) -> None:
        """Release connections (called by the app's lifespan on shutdown)."""
        await self.database.dispose()
        if self.redis is not None:
            await self.redis.aclose()


def get_runtime(connection: HTTPConnection) -> Runtime:
    """Return the runtime of the app serving ``connection`` (a Request works)."""
    state: Any = connection.app.state
    return cast(Runtime, state.fastmvc)
