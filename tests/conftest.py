"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from fastmvc.db import Base, Database
from fastmvc.testing import rollback_session, temporary_postgres_database
from tests import models as _models  # noqa: F401  (registers the test tables)
from tests.services import require


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
