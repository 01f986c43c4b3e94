"""Every way a bad JWT is refused, seen from the outside: 401 on GET /users/me."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from jose import jwt
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from tests.integration.auth.auth_helpers import (
    AUDIENCE,
    ISSUER,
    SECRET,
    AuthTestUser,
    bearer,
    login,
    register,
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_for(user_id: int, **changes: Any) -> dict[str, Any]:
    """Claims our service would issue for an access token, with ``changes`` applied."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": str(user_id),
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": f"forged-{now}-{user_id}",
        "typ": "access",
        "fam": "forged-family",
        "iss": ISSUER,
        "aud": AUDIENCE,
    }
    claims.update(changes)
    return {key: value for key, value in claims.items() if value is not None}


def sign(claims: dict[str, Any], key: str = SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def alg_none(claims: dict[str, Any]) -> str:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(claims).encode())}."


def tampered(claims: dict[str, Any]) -> str:
    header, _payload, signature = sign(claims).split(".")
    forged = _b64(json.dumps({**claims, "sub": "999999"}).encode())
    return f"{header}.{forged}.{signature}"


Forger = Callable[[int], str]

REFUSALS: dict[str, Forger] = {
    "alg_none": lambda uid: alg_none(claims_for(uid)),
    "alg_none_uppercase": lambda uid: alg_none(claims_for(uid)).replace(
        _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode()),
        _b64(json.dumps({"alg": "NONE", "typ": "JWT"}).encode()),
    ),
    # The service's own secret under another HMAC algorithm: only the allow-list refuses these.
    "hs384_with_the_right_secret": lambda uid: sign(claims_for(uid), algorithm="HS384"),
    "hs512_with_the_right_secret": lambda uid: sign(claims_for(uid), algorithm="HS512"),
    "wrong_key": lambda uid: sign(claims_for(uid), key="another-key-0123456789abcdef0123456789"),
    "expired": lambda uid: sign(claims_for(uid, exp=int(time.time()) - 3600)),
    "nbf_in_future": lambda uid: sign(claims_for(uid, nbf=int(time.time()) + 3600)),
    "wrong_aud": lambda uid: sign(claims_for(uid, aud="someone-else")),
    "wrong_iss": lambda uid: sign(claims_for(uid, iss="https://evil.example")),
    "no_aud": lambda uid: sign(claims_for(uid, aud=None)),
    "no_iss": lambda uid: sign(claims_for(uid, iss=None)),
    "tampered_payload": lambda uid: tampered(claims_for(uid)),
    "refresh_typ_as_access": lambda uid: sign(claims_for(uid, typ="refresh")),
    "unknown_typ": lambda uid: sign(claims_for(uid, typ="id")),
    "oversized": lambda uid: sign(claims_for(uid, pad="x" * 5000)),
    "missing_exp": lambda uid: sign(claims_for(uid, exp=None)),
    "missing_iat": lambda uid: sign(claims_for(uid, iat=None)),
    "missing_sub": lambda uid: sign(claims_for(uid, sub=None)),
    "missing_jti": lambda uid: sign(claims_for(uid, jti=None)),
    "missing_typ": lambda uid: sign(claims_for(uid, typ=None)),
    "missing_fam": lambda uid: sign(claims_for(uid, fam=None)),
    "not_a_jwt": lambda uid: "definitely.not.a-jwt",
    "two_segments": lambda uid: ".".join(sign(claims_for(uid)).split(".")[:2]),
}


@pytest.fixture
async def user_id(client: httpx.AsyncClient) -> int:
    user = await register(client, "ada@example.com")
    return int(user["id"])


async def test_a_correctly_forged_token_is_accepted(
    client: httpx.AsyncClient, user_id: int
) -> None:
    # The control: the forger's baseline is a valid token, so each refusal
    # below is caused by its one defect.
    response = await client.get("/users/me", headers=bearer(sign(claims_for(user_id))))
    assert response.status_code == 200
    assert response.json()["data"]["user"]["id"] == user_id


@pytest.mark.parametrize("case", sorted(REFUSALS))
async def test_bad_token_is_refused_with_401(
    client: httpx.AsyncClient, user_id: int, case: str
) -> None:
    token = REFUSALS[case](user_id)

    response = await client.get("/users/me", headers=bearer(token))

    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert body["status"] == "FAILED"
    assert body["data"] is None
    assert body["responseMessage"] in {"Invalid token", "Token expired"}


async def test_expired_token_says_so_and_nothing_more(
    client: httpx.AsyncClient, user_id: int
) -> None:
    response = await client.get("/users/me", headers=bearer(REFUSALS["expired"](user_id)))
    assert response.json()["responseKey"] == "error_token_expired"
    assert response.json()["responseMessage"] == "Token expired"


async def test_token_of_a_deleted_user_is_refused(
    client: httpx.AsyncClient, user_id: int, db_session: AsyncSession
) -> None:
    token = sign(claims_for(user_id))
    assert (await client.get("/users/me", headers=bearer(token))).status_code == 200

    await db_session.execute(delete(AuthTestUser).where(AuthTestUser.id == user_id))
    await db_session.flush()

    response = await client.get("/users/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["responseMessage"] == "Invalid token"


async def test_refresh_token_is_refused_as_access_token(client: httpx.AsyncClient) -> None:
    await register(client, "ada@example.com")
    pair = await login(client, "ada@example.com")

    response = await client.get("/users/me", headers=bearer(pair["refresh_token"]))

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_access_token_is_refused_as_refresh_token(client: httpx.AsyncClient) -> None:
    await register(client, "ada@example.com")
    pair = await login(client, "ada@example.com")

    response = await client.post("/auth/refresh", json={"refresh_token": pair["access_token"]})

    assert response.status_code == 401
    # ...and the failed swap did not revoke anything
    assert (await client.get("/users/me", headers=bearer(pair["access_token"]))).status_code == 200


async def test_logged_out_token_is_refused(client: httpx.AsyncClient) -> None:
    await register(client, "ada@example.com")
    pair = await login(client, "ada@example.com")
    assert (await client.post("/auth/logout", headers=bearer(pair["access_token"]))).is_success

    response = await client.get("/users/me", headers=bearer(pair["access_token"]))

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_reused_refresh_token_then_newer_tokens_of_its_family_are_refused(
    client: httpx.AsyncClient,
) -> None:
    await register(client, "ada@example.com")
    first = await login(client, "ada@example.com")
    rotated = await client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    newer = rotated.json()["data"]

    reused = await client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})

    assert reused.status_code == 401
    assert reused.headers["www-authenticate"] == "Bearer"
    assert (await client.get("/users/me", headers=bearer(newer["access_token"]))).status_code == 401
    refreshed = await client.post("/auth/refresh", json={"refresh_token": newer["refresh_token"]})
    assert refreshed.status_code == 401
