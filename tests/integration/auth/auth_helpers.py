"""Shared pieces of the auth tests: the user model, settings and HTTP helpers."""

from __future__ import annotations

from typing import Any

import httpx

from fastmvc.auth import UserMixin
from fastmvc.db import Entity
from fastmvc.settings import Settings
from fastmvc.testing import TEST_OVERRIDES

SECRET = "auth-tests-hmac-key-0123456789abcdef0123456789"
ISSUER = "fastmvc-tests"
AUDIENCE = "fastmvc-api"
PASSWORD = "correct horse battery staple"


class AuthTestUser(UserMixin, Entity):
    __tablename__ = "test_auth_users"


def auth_settings(database_url: str, **changes: Any) -> Settings:
    """Test settings with issuer and audience configured, so both are checked."""
    values: dict[str, Any] = {
        **TEST_OVERRIDES,
        "database_url": database_url,
        "redis_url": None,
        "jwt_secret_key": SECRET,
        "jwt_issuer": ISSUER,
        "jwt_audience": AUDIENCE,
    }
    values.update(changes)
    return Settings(**values)


async def register(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> Any:
    response = await client.post("/auth/register", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    return response.json()["data"]["user"]


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> Any:
    response = await client.post("/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
