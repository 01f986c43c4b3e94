"""The auth endpoints end to end: register, login, refresh, logout, /users/me."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from argon2 import extract_parameters
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fastmvc.security import PasswordHasher
from tests.integration.auth.auth_helpers import PASSWORD, AuthTestUser, bearer, login, register


async def test_register_returns_201_and_the_user(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/auth/register", json={"email": " Ada@Example.COM ", "password": PASSWORD}
    )

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "SUCCESS"
    assert body["responseKey"] == "success_user_register"
    user = body["data"]["user"]
    assert set(user) == {"id", "urn", "email", "created_at"}
    assert user["email"] == "ada@example.com"
    assert len(user["urn"]) == 26


async def test_register_stores_an_argon2id_hash_not_the_password(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await register(client, "ada@example.com")
    stored = (
        await db_session.execute(
            select(AuthTestUser.password_hash).where(AuthTestUser.email == "ada@example.com")
        )
    ).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


async def test_duplicate_email_gives_409_whatever_the_case(client: httpx.AsyncClient) -> None:
    await register(client, "ada@example.com")
    response = await client.post(
        "/auth/register", json={"email": "ADA@example.com", "password": PASSWORD}
    )
    assert response.status_code == 409
    assert response.json()["status"] == "FAILED"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "ada@example.com", "password": "short"}, "password"),
        ({"email": "ada@example.com", "password": "x" * 1025}, "password"),
        ({"email": "ada@example.com"}, "password"),
    ],
)
async def test_register_validates_input(
    client: httpx.AsyncClient, payload: dict[str, str], field: str
) -> None:
    response = await client.post("/auth/register", json=payload)
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == [field]


async def test_login_returns_a_token_pair_and_the_user(client: httpx.AsyncClient) -> None:
    user = await register(client, "ada@example.com")

    response = await client.post(
        "/auth/login", json={"email": "ADA@example.com", "password": PASSWORD}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["responseKey"] == "success_auth_login"
    data = body["data"]
    assert data["token_type"] == "bearer"
    assert data["expires_in"] == 15 * 60
    assert data["user"] == user
    assert data["access_token"]
    assert data["refresh_token"]


async def test_users_me_returns_the_token_owner(
    client: httpx.AsyncClient, session_tokens: dict[str, Any]
) -> None:
    response = await client.get("/users/me", headers=bearer(session_tokens["access_token"]))

    assert response.status_code == 200
    assert response.json()["responseKey"] == "success_user_me"
    assert response.json()["data"]["user"] == session_tokens["user"]


async def test_users_me_without_token_is_401_with_bearer_challenge(
    client: httpx.AsyncClient,
) -> None:
    for headers in ({}, {"Authorization": "Basic YTpi"}, {"Authorization": "Bearer"}):
        response = await client.get("/users/me", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["status"] == "FAILED"


async def test_unknown_email_and_wrong_password_give_identical_envelopes(
    client: httpx.AsyncClient,
) -> None:
    await register(client, "ada@example.com")

    wrong_password = await client.post(
        "/auth/login", json={"email": "ada@example.com", "password": "wrong password!"}
    )
    unknown_email = await client.post(
        "/auth/login", json={"email": "nobody@example.com", "password": "wrong password!"}
    )

    assert wrong_password.status_code == unknown_email.status_code == 401
    first, second = wrong_password.json(), unknown_email.json()
    assert first.pop("transactionUrn") != second.pop("transactionUrn")
    assert first == second
    assert first["responseMessage"] == "Invalid email or password"
    assert wrong_password.headers["www-authenticate"] == unknown_email.headers["www-authenticate"]


async def test_inactive_user_cannot_log_in_and_loses_access(
    client: httpx.AsyncClient, db_session: AsyncSession, session_tokens: dict[str, Any]
) -> None:
    await db_session.execute(
        update(AuthTestUser).where(AuthTestUser.email == "ada@example.com").values(is_active=False)
    )
    await db_session.flush()

    refused = await client.post(
        "/auth/login", json={"email": "ada@example.com", "password": PASSWORD}
    )
    me = await client.get("/users/me", headers=bearer(session_tokens["access_token"]))
    refreshed = await client.post(
        "/auth/refresh", json={"refresh_token": session_tokens["refresh_token"]}
    )

    assert refused.status_code == 401
    assert refused.json()["responseMessage"] == "Invalid email or password"
    assert me.status_code == 401
    assert refreshed.status_code == 401


async def test_login_upgrades_a_hash_made_with_weaker_parameters(
    client: httpx.AsyncClient, db_session: AsyncSession, app: FastAPI
) -> None:
    weak = PasswordHasher(time_cost=1, memory_kib=64, parallelism=1)
    weak_hash = await weak.hash(PASSWORD)
    db_session.add(AuthTestUser(email="old@example.com", password_hash=weak_hash))
    await db_session.flush()

    await login(client, "old@example.com")

    db_session.expire_all()
    stored = (
        await db_session.execute(
            select(AuthTestUser.password_hash).where(AuthTestUser.email == "old@example.com")
        )
    ).scalar_one()
    settings = app.state.fastmvc.settings
    params = extract_parameters(stored)
    assert stored != weak_hash
    assert (params.time_cost, params.memory_cost) == (
        settings.password_hash_time_cost,
        settings.password_hash_memory_kib,
    )
    # The upgraded hash still takes the same password.
    await login(client, "old@example.com")


async def test_login_keeps_a_current_hash(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await register(client, "ada@example.com")
    query = select(AuthTestUser.password_hash).where(AuthTestUser.email == "ada@example.com")
    before = (await db_session.execute(query)).scalar_one()

    await login(client, "ada@example.com")

    assert (await db_session.execute(query)).scalar_one() == before


async def test_refresh_rotates_and_reuse_kills_the_family(
    client: httpx.AsyncClient, session_tokens: dict[str, Any]
) -> None:
    first = session_tokens
    response = await client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert response.status_code == 200
    assert response.json()["responseKey"] == "success_auth_refresh"
    second = response.json()["data"]
    assert second["refresh_token"] != first["refresh_token"]
    assert second["user"] == first["user"]
    me = await client.get("/users/me", headers=bearer(second["access_token"]))
    assert me.status_code == 200

    reuse = await client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})

    assert reuse.status_code == 401
    assert reuse.headers["www-authenticate"] == "Bearer"
    later_refresh = await client.post(
        "/auth/refresh", json={"refresh_token": second["refresh_token"]}
    )
    later_access = await client.get("/users/me", headers=bearer(second["access_token"]))
    assert later_refresh.status_code == 401
    assert later_access.status_code == 401


async def test_logout_revokes_the_access_token_and_its_refresh_token(
    client: httpx.AsyncClient, session_tokens: dict[str, Any]
) -> None:
    access, refresh = session_tokens["access_token"], session_tokens["refresh_token"]

    response = await client.post("/auth/logout", headers=bearer(access))

    assert response.status_code == 200
    assert response.json()["responseKey"] == "success_auth_logout"
    assert response.json()["data"] is None
    assert (await client.get("/users/me", headers=bearer(access))).status_code == 401
    assert (await client.post("/auth/logout", headers=bearer(access))).status_code == 401
    refreshed = await client.post("/auth/refresh", json={"refresh_token": refresh})
    assert refreshed.status_code == 401
    # Another login of the same user is unaffected.
    again = await login(client, "ada@example.com")
    assert (await client.get("/users/me", headers=bearer(again["access_token"]))).status_code == 200


async def test_logout_needs_a_bearer_token(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/logout")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_openapi_declares_the_bearer_scheme_on_protected_routes(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()

    scheme = schema["components"]["securitySchemes"]["BearerAuth"]
    assert scheme == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": scheme["description"],
    }
    assert schema["paths"]["/users/me"]["get"]["security"] == [{"BearerAuth": []}]
    assert schema["paths"]["/auth/logout"]["post"]["security"] == [{"BearerAuth": []}]
    assert "security" not in schema["paths"]["/auth/login"]["post"]
    assert set(schema["paths"]) >= {
        "/auth/register",
        "/auth/login",
        "/auth/refresh",
        "/auth/logout",
        "/users/me",
    }


async def test_spaces_in_a_password_are_kept(client: httpx.AsyncClient) -> None:
    await register(client, "ada@example.com", password="  spaced out  ")

    exact = await client.post(
        "/auth/login", json={"email": "ada@example.com", "password": "  spaced out  "}
    )
    stripped = await client.post(
        "/auth/login", json={"email": "ada@example.com", "password": "spaced out"}
    )

    assert exact.status_code == 200
    assert stripped.status_code == 401
