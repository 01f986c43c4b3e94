"""Login throttling: ``LOGIN_RATE_LIMIT_PER_MINUTE`` per client IP and email."""

from __future__ import annotations

from fastmvc.ratelimit.dependency import RateLimit
from fastmvc.ratelimit.keys import client_ip_and_email_key
from fastmvc.ratelimit.rules import RateLimitRule
from fastmvc.settings import Settings

__all__ = ["login_rate_limit", "login_rules"]


def login_rules(settings: Settings) -> tuple[RateLimitRule, ...]:
    """One rule: ``LOGIN_RATE_LIMIT_PER_MINUTE`` attempts per 60 seconds."""
    return (RateLimitRule(settings.login_rate_limit_per_minute, 60, name="login"),)


login_rate_limit = RateLimit(login_rules, key=client_ip_and_email_key, name="login")
"""The dependency for ``POST /auth/login``: ``dependencies=[Depends(login_rate_limit)]``."""
