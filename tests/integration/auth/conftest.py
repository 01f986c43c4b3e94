"""The auth module mounted on a real app, on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from fastmvc.app import create_app
from fastmvc.auth import auth_routers
from fastmvc.settings import Settings
from tests.integration.auth.auth_helpers import AuthTestUser, auth_settings, login, register


@pytest.fixture(scope="session")
def fastmvc_database_url(database_url: str) -> str:
    """Auth storage on SQLite and on a throwaway PostgreSQL database (tests/conftest.py)."""
    return database_url


@pytest.fixture(scope="session")
def fastmvc_settings(fastmvc_database_url: str) -> Settings:
    # Overridden (not only the URL) so this directory never reuses another's cached settings.
    return auth_settings(fastmvc_database_url)


@pytest.fixture
def fastmvc_app_factory() -> Any:
    return lambda settings: create_app(settings, routers=auth_routers(AuthTestUser))


@pytest.fixture
async def session_tokens(client: httpx.AsyncClient) -> dict[str, Any]:
    """A registered user and the data of one login."""
    await register(client, "ada@example.com")
    return dict(await login(client, "ada@example.com"))
