"""One FastMVC app, served twice: limiter on memory, and the same app with ``REDIS_URL`` set.

uvicorn factories (``--factory benchmarks.ratelimit.apps:NAME``). They read
the database and Redis from the environment the runner sets (:data:`DSN_ENV`,
:data:`REDIS_ENV`), so each runs in its own process as in production. Both
trust ``X-Forwarded-For`` from loopback: the runner sends a client address of
its own, so its limiter keys meet no one else's on the shared Redis.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from benchmarks.crud.apps import PublicProducts as Products
from benchmarks.settings import bench_settings
from fastmvc.app import create_app
from fastmvc.settings import Settings

__all__ = ["DSN_ENV", "REDIS_ENV", "memory_app", "redis_app"]

DSN_ENV = "FASTMVC_BENCH_RL_DSN"
REDIS_ENV = "FASTMVC_BENCH_RL_REDIS_URL"
POOL_SIZE = 10


def _settings(redis_url: str | None) -> Settings:
    settings = bench_settings(
        database_url=os.environ[DSN_ENV].replace("postgresql://", "postgresql+asyncpg://", 1),
        database_pool_size=POOL_SIZE,
        trusted_proxies=["127.0.0.1/32"],
    )
    # bench_settings pins redis_url to None (the memory default); only this differs.
    return settings.model_copy(update={"redis_url": redis_url})


def memory_app() -> FastAPI:
    """The default stack, limiter on its in-process memory backend."""
    return create_app(_settings(None), routers=[Products.as_router()])


def redis_app() -> FastAPI:
    """The same app with ``REDIS_URL``: the limiter (and cache, token store) on Redis."""
    return create_app(_settings(os.environ[REDIS_ENV]), routers=[Products.as_router()])
