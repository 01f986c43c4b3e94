"""Per-route limits as a FastAPI dependency: stricter, or keyed by user or email."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from starlette.requests import Request
from starlette.responses import Response

from fastmvc.errors import RateLimitedError
from fastmvc.ratelimit.headers import rate_limit_headers
from fastmvc.ratelimit.result import RateLimitResult
from fastmvc.ratelimit.rules import RateLimitRule, validate_rules
from fastmvc.settings import Settings
from fastmvc.state import get_runtime

__all__ = ["KeyFunction", "RateLimit", "RulesSource"]

KeyFunction = Callable[[Request], Awaitable[str]]
"""Turns a request into the identity being limited (an IP, a user id…)."""

RulesSource = Sequence[RateLimitRule] | Callable[[Settings], Sequence[RateLimitRule]]
"""Fixed rules, or a function that reads them from the app's settings."""


class RateLimit:
    """A FastAPI dependency that limits one route (or router) on its own log.

    Example::

        per_user = RateLimit([RateLimitRule(10, 60)], key=user_id_key, name="export")

        @router.post("/export", dependencies=[Depends(per_user)])
        async def export() -> ...: ...

    It finds the limiter with ``get_runtime(request).limiter`` (the runtime
    that ``create_app`` builds), so it shares the app's backend and fail-open
    setting. The limited identity is ``f"{name}:{await key(request)}"``.

    A refusal raises :class:`~fastmvc.errors.RateLimitedError` carrying
    ``Retry-After`` and the rate-limit headers; an allowed request gets the
    same headers on its response, and the dependency's value is the
    :class:`RateLimitResult`.
    """

    def __init__(
        self,
        rules_or_settings_factory: RulesSource,
        *,
        key: KeyFunction,
        name: str,
        critical: bool = False,
    ) -> None:
        """Configure the limit.

        Args:
            rules_or_settings_factory: The rules, or ``settings -> rules``
                (e.g. to read ``LOGIN_RATE_LIMIT_PER_MINUTE``).
            key: Async function from the request to the limited identity.
            name: Namespace of this limit's keys; keep it unique per limit.
            critical: Never let the limit vanish: while the backend is down,
                count in a per-process fallback (see :class:`RateLimiter`).
        """
        if not name:
            raise ValueError("a RateLimit needs a name")
        self.name = name
        self.key = key
        self.critical = critical
        self._fixed: tuple[RateLimitRule, ...] | None = None
        self._factory: Callable[[Settings], Sequence[RateLimitRule]] | None = None
        if callable(rules_or_settings_factory):
            self._factory = rules_or_settings_factory
        else:
            self._fixed = validate_rules(rules_or_settings_factory)
        self._cached: tuple[Settings, tuple[RateLimitRule, ...]] | None = None

    def rules(self, settings: Settings) -> tuple[RateLimitRule, ...]:
        """The rules this limit applies under ``settings``."""
        if self._fixed is not None:
            return self._fixed
        assert self._factory is not None
        if self._cached is None or self._cached[0] is not settings:
            self._cached = (settings, validate_rules(self._factory(settings)))
        return self._cached[1]

    async def __call__(self, request: Request, response: Response) -> RateLimitResult:
        """Check one hit; raise :class:`~fastmvc.errors.RateLimitedError` when refused."""
        runtime = get_runtime(request)
        identity = await self.key(request)
        result = await runtime.limiter.check(
            f"{self.name}:{identity}", self.rules(runtime.settings), critical=self.critical
        )
        headers = rate_limit_headers(result)
        if not result.allowed:
            raise RateLimitedError(headers=headers)
        response.headers.update(headers)
        return result
