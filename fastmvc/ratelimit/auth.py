"""The limits that guard authentication: login, register and password reset.

Each one is a :class:`~fastmvc.ratelimit.RateLimit` made ``critical``: while
Redis is down it is counted in a per-process memory backend instead of
vanishing (the app-wide limit follows ``RATE_LIMIT_FAIL_OPEN``; these never
do). Every auth limit also refuses a body larger than
:data:`~fastmvc.ratelimit.keys.AUTH_MAX_BODY_BYTES` with 413 before keying.

Routes pick them by name::

    @router.post("/auth/password/forgot", dependencies=[Depends(auth_rate_limit("password_reset"))])
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from fastmvc.ratelimit.dependency import KeyFunction, RateLimit
from fastmvc.ratelimit.keys import client_ip_and_email_key, client_ip_key, read_auth_body
from fastmvc.ratelimit.rules import RateLimitRule
from fastmvc.settings import Settings

__all__ = [
    "AUTH_LIMITS",
    "AuthLimit",
    "auth_rate_limit",
    "login_rate_limit",
    "password_reset_rate_limit",
    "register_rate_limit",
]


@dataclass(frozen=True, slots=True)
class AuthLimit:
    """One auth limit as data: the setting holding its per-minute limit, and its key."""

    setting: str
    key: KeyFunction


async def _client_ip_of_bounded_body(request: Request) -> str:
    await read_auth_body(request)
    return await client_ip_key(request)


AUTH_LIMITS: dict[str, AuthLimit] = {
    # Per IP and email: one account cannot be guessed fast, one NAT is not locked out.
    "login": AuthLimit("login_rate_limit_per_minute", client_ip_and_email_key),
    # Per IP: probing which emails are taken, or creating accounts in bulk.
    "register": AuthLimit("register_rate_limit_per_minute", _client_ip_of_bounded_body),
    # Per IP and email when the body names one (forgot), per IP otherwise (reset).
    "password_reset": AuthLimit("password_reset_rate_limit_per_minute", client_ip_and_email_key),
}

_BUILT: dict[str, RateLimit] = {}


def auth_rate_limit(name: str) -> RateLimit:
    """The dependency for the auth limit ``name`` (one of :data:`AUTH_LIMITS`).

    The same object is returned for one name, so every route using it shares
    one log per client.

    Raises:
        KeyError: ``name`` is not an auth limit.
    """
    limit = _BUILT.get(name)
    if limit is None:
        spec = AUTH_LIMITS[name]

        def rules(settings: Settings) -> tuple[RateLimitRule, ...]:
            per_minute: int = getattr(settings, spec.setting)
            return (RateLimitRule(per_minute, 60, name=name),)

        limit = _BUILT[name] = RateLimit(rules, key=spec.key, name=name, critical=True)
    return limit


login_rate_limit = auth_rate_limit("login")
"""``POST /auth/login``: ``LOGIN_RATE_LIMIT_PER_MINUTE`` (5) per client IP and email."""

register_rate_limit = auth_rate_limit("register")
"""``POST /auth/register``: ``REGISTER_RATE_LIMIT_PER_MINUTE`` (5) per client IP."""

password_reset_rate_limit = auth_rate_limit("password_reset")
"""Password-reset routes: ``PASSWORD_RESET_RATE_LIMIT_PER_MINUTE`` (5) per IP and email."""
