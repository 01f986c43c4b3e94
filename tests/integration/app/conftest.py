"""The app and the signed-in client the HTTP tests of this folder talk to.

A module names the controllers it serves with a ``controllers`` fixture and
gets ``app`` and ``client``:

- ``app`` runs every request in a SAVEPOINT of one transaction that is rolled
  back after the test, on each backend of the ``database`` fixture (SQLite and
  PostgreSQL), so tests see what earlier requests wrote and leave nothing.
- ``committing_app`` is the app on its own sessions: no dependency override,
  no SAVEPOINT, commits and rollbacks as in production, on a PostgreSQL
  database of the module's own (``committing_database_url``). A module that
  judges what really reached the database makes it its ``app`` and checks
  from ``outside``, a second connection that sees only what was committed.

``client`` is signed in as user 1 (``tests.support.signed_in.bearer``):
entities never open writes to anonymous callers, even public ones.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import MetaData
from sqlalchemy.engine import make_url

from fastmvc.app import create_app
from fastmvc.controller import Controller
from fastmvc.db import Base, Database
from fastmvc.settings import Settings
from fastmvc.testing import (
    TEST_OVERRIDES,
    bind_app_to_connection,
    rollback_session,
    temporary_postgres_database,
)
from tests.services import require
from tests.support.signed_in import bearer

Controllers = Sequence[type[Controller]]


def build_app(database_url: str, controllers: Controllers) -> FastAPI:
    """An app serving ``controllers`` on ``database_url``, with the suite's raised limits."""
    return create_app(
        Settings(database_url=database_url, **TEST_OVERRIDES),  # type: ignore[arg-type]
        routers=[controller.as_router() for controller in controllers],
        setup_logging=False,
    )


@pytest.fixture
async def app(
    database_url: str, database: Database, controllers: Controllers
) -> AsyncIterator[FastAPI]:
    """The app; its requests share one transaction, rolled back after the test."""
    application = build_app(database_url, controllers)
    try:
        async with rollback_session(database) as (connection, _session):
            bind_app_to_connection(application, connection)
            yield application
    finally:
        # ASGITransport runs no lifespan: close the app's backends here.
        await application.state.fastmvc.aclose()


@pytest.fixture(scope="module")
def committing_metadata() -> Sequence[MetaData]:
    """The tables ``committing_database_url`` is created with; a module may add its own."""
    return (Base.metadata,)


@pytest.fixture(scope="module")
async def committing_database_url(committing_metadata: Sequence[MetaData]) -> AsyncIterator[str]:
    """A throwaway PostgreSQL database for the module, dropped after its last test.

    Rows committed there stay for the module's later tests, so tests that use
    it write uniquely named rows.
    """
    async with temporary_postgres_database(require("postgres")) as url:
        database = Database(url, pool_size=2)
        for metadata in committing_metadata:
            await database.create_all(metadata)
        await database.dispose()
        yield url


@pytest.fixture
async def committing_app(
    committing_database_url: str, controllers: Controllers
) -> AsyncIterator[FastAPI]:
    """The app on its own sessions: what it commits is committed."""
    application = build_app(committing_database_url, controllers)
    assert application.dependency_overrides == {}
    try:
        yield application
    finally:
        await application.state.fastmvc.aclose()


@pytest.fixture
async def outside(committing_database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A second connection, not the app's: it only sees what was committed."""
    dsn = make_url(committing_database_url).set(drivername="postgresql")
    connection = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of ``app`` signed in as user 1."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=bearer(app)
    ) as http:
        yield http
