"""An RS256 app refuses HS256 tokens signed with its own public key (algorithm confusion)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwt
from pydantic import SecretStr

from fastmvc.app import create_app
from fastmvc.auth import auth_routers
from fastmvc.settings import Settings
from tests.integration.auth.auth_helpers import AUDIENCE, ISSUER, AuthTestUser, bearer, register

_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PRIVATE_PEM = _KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()
PUBLIC_PEM = (
    _KEY.public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)


@pytest.fixture
def fastmvc_app_factory() -> Any:
    def factory(settings: Settings) -> Any:
        rs256 = settings.model_copy(
            update={
                "jwt_algorithm": "RS256",
                "jwt_secret_key": SecretStr(PRIVATE_PEM),
                "jwt_public_key": SecretStr(PUBLIC_PEM),
            }
        )
        return create_app(rs256, routers=auth_routers(AuthTestUser))

    return factory


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(user_id: int) -> dict[str, Any]:
    now = int(time.time())
    return {
        "sub": str(user_id),
        "iat": now,
        "exp": now + 300,
        "jti": "forged",
        "typ": "access",
        "fam": "forged-family",
        "iss": ISSUER,
        "aud": AUDIENCE,
    }


def hs256_with_public_key(claims: dict[str, Any]) -> str:
    # Built by hand: jose itself refuses a PEM as an HMAC secret when signing.
    signing_input = (
        f"{_b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}."
        f"{_b64(json.dumps(claims).encode())}"
    )
    signature = hmac.new(PUBLIC_PEM.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


async def test_rs256_app_issues_and_accepts_its_own_tokens(client: httpx.AsyncClient) -> None:
    await register(client, "ada@example.com")
    response = await client.post(
        "/auth/login", json={"email": "ada@example.com", "password": "correct horse battery staple"}
    )
    access = response.json()["data"]["access_token"]

    assert jwt.get_unverified_header(access)["alg"] == "RS256"
    assert (await client.get("/users/me", headers=bearer(access))).status_code == 200


async def test_correctly_signed_rs256_forgery_is_the_control(client: httpx.AsyncClient) -> None:
    user = await register(client, "ada@example.com")
    token = jwt.encode(_claims(user["id"]), PRIVATE_PEM, algorithm="RS256")
    assert (await client.get("/users/me", headers=bearer(token))).status_code == 200


async def test_hs256_token_signed_with_the_public_key_is_refused(
    client: httpx.AsyncClient,
) -> None:
    user = await register(client, "ada@example.com")
    token = hs256_with_public_key(_claims(user["id"]))

    response = await client.get("/users/me", headers=bearer(token))

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["responseMessage"] == "Invalid token"
