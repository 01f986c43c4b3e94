"""An app serving the owned entity, per test, inside a rolled-back transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from fastmvc.app import create_app
from fastmvc.auth.service import role_claims
from fastmvc.db import Database
from fastmvc.settings import Settings
from fastmvc.testing import TEST_OVERRIDES, bind_app_to_connection, rollback_session
from tests.integration.access.authz_app import (
    AdminNoteController,
    AuthzBase,
    NoteController,
    StatsController,
    User,
)


@pytest.fixture(scope="session")
async def authz_database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url, pool_size=5)
    await db.create_all(AuthzBase.metadata)
    yield db
    await db.dispose()


@pytest.fixture
async def app(authz_database: Database) -> AsyncIterator[FastAPI]:
    url = authz_database.url.render_as_string(hide_password=False)
    settings = Settings(database_url=url, redis_url=None, **TEST_OVERRIDES)  # type: ignore[arg-type]
    application = create_app(
        settings,
        routers=[
            NoteController.as_router(),
            AdminNoteController.as_router(),
            StatsController.as_router(),
        ],
        setup_logging=False,
    )
    async with rollback_session(authz_database) as (connection, session):
        bind_app_to_connection(application, connection)
        application.state.test_session = session
        yield application
    await application.state.fastmvc.aclose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        yield http


Headers = dict[str, str]


@pytest.fixture
def make_user(app: FastAPI) -> Callable[..., Any]:
    """Insert a user and return ``(user, headers)`` with a token carrying their roles."""
    counter = iter(range(1, 1000))

    async def make(*, admin: bool = False) -> tuple[Any, Headers]:
        session = app.state.test_session
        user = User(email=f"u{next(counter)}@example.com", password_hash="x", is_superuser=admin)
        session.add(user)
        await session.flush()
        pair = app.state.fastmvc.tokens.issue(user.id, claims=role_claims(user))
        return user, {"Authorization": f"Bearer {pair.access_token}"}

    return make
