"""Sliding-window rate limiting: Redis (one Lua call per check, one round trip per
event-loop tick) or memory backends, an app-wide ASGI middleware and a per-route dependency.
"""

from fastmvc.ratelimit.auth import (
    AUTH_LIMITS,
    AuthLimit,
    auth_rate_limit,
    login_rate_limit,
    password_reset_rate_limit,
    register_rate_limit,
)
from fastmvc.ratelimit.backend import RateLimitBackend
from fastmvc.ratelimit.dependency import KeyFunction, RateLimit, RulesSource
from fastmvc.ratelimit.headers import rate_limit_headers
from fastmvc.ratelimit.keys import AUTH_MAX_BODY_BYTES, client_ip_and_email_key, client_ip_key
from fastmvc.ratelimit.limiter import RateLimiter, build_limiter
from fastmvc.ratelimit.memory import MemoryRateLimitBackend
from fastmvc.ratelimit.middleware import RateLimitMiddleware, RateLimitStep
from fastmvc.ratelimit.redis_backend import RedisRateLimitBackend
from fastmvc.ratelimit.result import RateLimitResult, WindowState
from fastmvc.ratelimit.rules import RateLimitRule, default_rules

__all__ = [
    "AUTH_LIMITS",
    "AUTH_MAX_BODY_BYTES",
    "AuthLimit",
    "KeyFunction",
    "MemoryRateLimitBackend",
    "RateLimit",
    "RateLimitBackend",
    "RateLimitMiddleware",
    "RateLimitResult",
    "RateLimitRule",
    "RateLimitStep",
    "RateLimiter",
    "RedisRateLimitBackend",
    "RulesSource",
    "WindowState",
    "auth_rate_limit",
    "build_limiter",
    "client_ip_and_email_key",
    "client_ip_key",
    "default_rules",
    "login_rate_limit",
    "password_reset_rate_limit",
    "rate_limit_headers",
    "register_rate_limit",
]
