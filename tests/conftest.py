"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from fastmvc.db import Base, Database
from fastmvc.testing import rollback_session, temporary_postgres_database
from tests import models as _models  # noqa: F401  (registers the test tables)
from tests.services import (
    RATE_LIMIT_PREFIX,
    REDIS_URL,
    TOKEN_STORE_PREFIX,
    delete_run_keys,
    require,
)

# Before any test module is imported: every Settings() of the run, in this
# process or in a server it starts, reads the run's own Redis key prefixes.
# Without them, apps on a shared Redis (REDIS_URL exported, or TEST_REDIS_URL
# passed on) counted requests in the default fastmvc:rl:{ip:127.0.0.1}
# windows and set per-user token marks under fastmvc:tok, which other runs
# then met as 429s and 401s.
os.environ["RATE_LIMIT_PREFIX"] = RATE_LIMIT_PREFIX
os.environ["TOKEN_STORE_PREFIX"] = TOKEN_STORE_PREFIX
# The Redis the developer's shell points apps at, if any, read before any test
# can change the environment.
SHELL_REDIS_URL = os.environ.get("REDIS_URL")


@pytest.fixture(
    scope="session",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
async def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """The same tests on SQLite and on the real PostgreSQL (a throwaway database)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
        return
    async with temporary_postgres_database(require("postgres")) as url:
        yield url


@pytest.fixture(scope="session")
async def database(database_url: str) -> AsyncIterator[Database]:
    """A :class:`Database` on ``database_url`` with every test table created."""
    db = Database(database_url, pool_size=5)
    await db.create_all(Base.metadata)
    yield db
    await db.dispose()


@pytest.fixture
async def session(database: Database) -> AsyncIterator[AsyncSession]:
    """A session rolled back after the test."""
    async with rollback_session(database) as (_connection, db_session):
        yield db_session


# Tests marked slow serve apps, start their own engines or scaffold projects:
# they get a longer default limit than the suite's 180 s, unless they set one.
SLOW_TEST_TIMEOUT_SECONDS = 600


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("slow") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(SLOW_TEST_TIMEOUT_SECONDS))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Delete the keys the run left under its prefixes on the Redis servers it used."""
    for url in {url for url in (REDIS_URL, SHELL_REDIS_URL) if url}:
        try:
            delete_run_keys(url)
        except Exception as exc:  # a cleanup failure must not hide the run's result
            reporter = session.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.write_line(f"could not delete this run's Redis keys at {url}: {exc!r}")
