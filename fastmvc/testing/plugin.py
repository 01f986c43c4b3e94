"""The FastMVC pytest plugin (registered through the ``pytest11`` entry point).

Fixtures:

- ``fastmvc_settings``: :class:`~fastmvc.settings.Settings` for tests. The
  database is ``DATABASE_URL`` when set (a throwaway PostgreSQL database is
  created next to it), else a SQLite file in a temporary folder; rate limits
  are raised so tests do not trip them. On a Redis, the session keeps its
  limiter windows and token marks under key prefixes of its own, deleted
  when it ends.
- ``fastmvc_app_factory``: override it in your ``conftest.py`` to return your
  project's app factory (a callable taking ``Settings``).
- ``fastmvc_database``: the session-wide :class:`~fastmvc.db.Database` with
  every table of ``Base.metadata`` created.
- ``db_session``: an ``AsyncSession`` in an outer transaction rolled back
  after each test (SAVEPOINTs inside).
- ``app``: the app, whose requests share ``db_session``'s transaction.
- ``client``: an ``httpx.AsyncClient`` on ``ASGITransport(app)``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from fastmvc.db.base import Base
from fastmvc.db.engine import Database
from fastmvc.settings import Settings
from fastmvc.state import Runtime
from fastmvc.testing.database import (
    bind_app_to_connection,
    create_postgres_database,
    drop_postgres_database,
    rollback_session,
)

AppFactory = Callable[[Settings], FastAPI]

_CREATED: set[str] = set()

TEST_OVERRIDES = {
    "environment": "test",
    "rate_limit_per_minute": 100_000,
    "rate_limit_per_hour": 1_000_000,
    "login_rate_limit_per_minute": 10_000,
    "register_rate_limit_per_minute": 10_000,
    "password_reset_rate_limit_per_minute": 10_000,
    # Real argon2id is exercised by its own tests; keep the rest of a suite fast.
    "password_hash_time_cost": 1,
    "password_hash_memory_kib": 1024,
}


@pytest.fixture(scope="session")
def fastmvc_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL tests run on: a throwaway PostgreSQL database or a SQLite file."""
    url = os.environ.get("DATABASE_URL")
    if url and url.startswith("postgresql"):
        import anyio

        # Plain coroutines, each on a loop of its own: the fixture then works
        # whatever loop scope the project's tests use. (An async context
        # manager cannot be split across two loops: the first loop's shutdown
        # would finalize it and drop the database at once.)
        created = anyio.run(create_postgres_database, url)
        try:
            yield created
        finally:
            anyio.run(drop_postgres_database, created)
        return
    folder = tmp_path_factory.mktemp("fastmvc-db")
    yield f"sqlite+aiosqlite:///{Path(folder) / 'test.db'}"


@pytest.fixture(scope="session")
def fastmvc_settings(fastmvc_database_url: str) -> Iterator[Settings]:
    """Settings for the test session.

    ``RATE_LIMIT_PREFIX`` and ``TOKEN_STORE_PREFIX``, unless the environment
    or ``.env`` sets them, get a value unique to the session
    (``fastmvc-test-<random>:rl`` and ``:tok``), and the keys under them are
    deleted when the session ends (``SCAN`` and ``UNLINK`` on those prefixes
    only). On a Redis shared with a dev server or another test run, the tests
    then never count their requests in its rate-limit windows, nor revoke its
    users' tokens, and leave nothing behind.
    """
    settings = Settings(database_url=fastmvc_database_url, **TEST_OVERRIDES)  # type: ignore[arg-type]
    run = f"fastmvc-test-{secrets.token_hex(6)}"
    own = {
        name: f"{run}:{suffix}"
        for name, suffix in (("rate_limit_prefix", "rl"), ("token_store_prefix", "tok"))
        if name not in settings.model_fields_set
    }
    # Valid by construction (hex, no braces), so no second validation is needed.
    settings = settings.model_copy(update=own)
    yield settings
    if own and settings.uses_redis:
        import anyio

        anyio.run(_delete_keys, settings, own.values())


async def _delete_keys(settings: Settings, prefixes: Iterable[str]) -> None:
    """Delete every key under ``prefixes`` (on each primary of a cluster)."""
    from fastmvc.cache import CacheUnavailableError, RedisCacheBackend
    from fastmvc.redis import create_redis

    client = create_redis(settings)
    assert client is not None
    try:
        backend = RedisCacheBackend(client)
        for prefix in prefixes:
            await backend.delete_prefix(f"{prefix}:")
    except CacheUnavailableError:
        # A Redis gone by now: the keys expire with their windows and marks.
        pass
    finally:
        await client.aclose()


@pytest.fixture
def fastmvc_app_factory() -> AppFactory:
    """The app factory under test; override it in a project's ``conftest.py``."""
    from fastmvc.app import create_app

    return create_app


@pytest.fixture
async def fastmvc_database(fastmvc_settings: Settings) -> AsyncIterator[Database]:
    """A database with every table of ``Base.metadata`` created."""
    database = Database(fastmvc_settings.database_url)
    if fastmvc_settings.database_url not in _CREATED:
        await database.create_all(Base.metadata)
        _CREATED.add(fastmvc_settings.database_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def db_session(fastmvc_database: Database) -> AsyncIterator[AsyncSession]:
    """A session whose every change is rolled back after the test."""
    async with rollback_session(fastmvc_database) as (_connection, session):
        yield session


@pytest.fixture
async def app(
    fastmvc_app_factory: AppFactory, fastmvc_settings: Settings, db_session: AsyncSession
) -> AsyncIterator[FastAPI]:
    """The application; each request runs in a SAVEPOINT of ``db_session``'s transaction."""
    application = fastmvc_app_factory(fastmvc_settings)
    connection = db_session.bind
    assert isinstance(connection, AsyncConnection)
    bind_app_to_connection(application, connection)
    try:
        yield application
    finally:
        # ASGITransport does not run the lifespan, so close the app's backends here.
        await get_runtime_of(application).aclose()


def get_runtime_of(application: FastAPI) -> Runtime:
    """The runtime ``create_app`` stored on ``application``."""
    runtime: Runtime = application.state.fastmvc
    return runtime


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to ``app`` in process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


__all__ = [
    "TEST_OVERRIDES",
    "AppFactory",
    "app",
    "client",
    "db_session",
    "fastmvc_app_factory",
    "fastmvc_database",
    "fastmvc_database_url",
    "fastmvc_settings",
]
