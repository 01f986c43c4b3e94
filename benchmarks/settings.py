"""The settings every benchmarked FastMVC app starts from.

Rate limiting stays *enabled* on its memory backend (no Redis) with limits no
run reaches, so the limiter's cost is part of every suite's figures and
nothing is ever refused.
"""

from __future__ import annotations

from typing import Any

from fastmvc.settings import Settings

__all__ = ["HUGE_LIMIT", "bench_settings"]

HUGE_LIMIT = 10**9


def bench_settings(**overrides: Any) -> Settings:
    """Default settings with the never-refusing limiter, plus ``overrides``."""
    return Settings(
        redis_url=None,
        rate_limit_enabled=True,
        rate_limit_per_minute=HUGE_LIMIT,
        rate_limit_per_hour=HUGE_LIMIT,
        **overrides,
    )
