"""An app with users and a soft-delete entity, its admin mounted, on SQLite and PostgreSQL."""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from fastmvc.app import create_app
from fastmvc.auth import AuthService, auth_routers
from fastmvc.db import Database
from fastmvc.settings import Settings
from fastmvc.testing import TEST_OVERRIDES, temporary_postgres_database
from tests.integration.admin.admin_app import AdminBase, CardController, User
from tests.services import require

PASSWORD = "correct horse battery staple"
_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)">')

AppFactory = Callable[..., FastAPI]


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
async def admin_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A database of this module's own: the admin commits, unlike the rolled-back suites."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('admin') / 'admin.db'}"
    else:
        async with temporary_postgres_database(require("postgres")) as created:
            await create_tables(created)
            yield created
        return
    await create_tables(url)
    yield url


async def create_tables(url: str) -> None:
    database = Database(url, pool_size=1)
    await database.create_all(AdminBase.metadata)
    await database.dispose()


@pytest.fixture
async def make_app(admin_database_url: str) -> AsyncIterator[AppFactory]:
    """Build the app with extra settings; every app built is closed after the test."""
    built: list[FastAPI] = []

    def factory(**settings: Any) -> FastAPI:
        options = {**TEST_OVERRIDES, **settings}
        app = create_app(
            Settings(database_url=admin_database_url, redis_url=None, **options),
            routers=[*auth_routers(User), CardController.as_router()],
            setup_logging=False,
        )
        built.append(app)
        return app

    yield factory
    for app in built:
        await app.state.fastmvc.aclose()


@pytest.fixture
def app(make_app: AppFactory) -> FastAPI:
    return make_app()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as http:
        yield http


def client_for(app: FastAPI, base_url: str = "http://testserver") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)


def csrf_of(html: str) -> str:
    """The CSRF token a page carries."""
    found = _TOKEN.search(html)
    assert found, "no csrf-token meta element on the page"
    return found.group(1)


CreateUser = Callable[..., Awaitable[str]]


async def insert_user(app: FastAPI, *, admin: bool = False, active: bool = True) -> str:
    """Insert a user (unique email) as `fastmvc users create` does; returns the email."""
    runtime = app.state.fastmvc
    email = f"{'admin' if admin else 'user'}-{uuid.uuid4().hex[:10]}@example.com"
    async with runtime.database.unit_of_work() as session:
        service: AuthService[Any] = AuthService(
            session, user_model=User, passwords=runtime.passwords, tokens=runtime.tokens
        )
        user = await service.create_user(email, PASSWORD, superuser=admin)
        await service.users.update(user.id, {"is_active": active, "is_verified": True})
    return email


@pytest.fixture
def create_user(app: FastAPI) -> CreateUser:
    """:func:`insert_user` on this test's app."""
    return functools.partial(insert_user, app)


async def sign_in(http: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    """Open the login page and post its form, token included."""
    token = csrf_of((await http.get("/admin/login")).text)
    return await http.post(
        "/admin/login", data={"username": email, "password": password, "csrf_token": token}
    )
