"""A login does the same hashing work whether or not the email has an account.

Counted, not timed: every argon2 verify the app's hasher runs is recorded, so
skipping the dummy verify for an unknown email fails here on any machine.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from fastmvc.security import PasswordHasher
from tests.integration.auth.auth_helpers import PASSWORD, login, register


@pytest.fixture
def verified_hashes(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The hashes the app's password hasher verifies against, in order."""
    hasher: PasswordHasher = app.state.fastmvc.passwords
    seen: list[str] = []
    real_verify = hasher._verify_sync

    def recording(password_hash: str, password: str) -> bool:
        seen.append(password_hash)
        return real_verify(password_hash, password)

    monkeypatch.setattr(hasher, "_verify_sync", recording)
    return seen


async def test_unknown_email_runs_one_verify_like_a_wrong_password(
    client: httpx.AsyncClient, app: FastAPI, verified_hashes: list[str]
) -> None:
    await register(client, "ada@example.com")

    wrong = await client.post(
        "/auth/login", json={"email": "ada@example.com", "password": "wrong password!"}
    )
    after_wrong_password = len(verified_hashes)
    unknown = await client.post(
        "/auth/login", json={"email": "nobody@example.com", "password": "wrong password!"}
    )

    assert wrong.status_code == unknown.status_code == 401
    assert after_wrong_password == 1
    assert len(verified_hashes) == 2
    dummy = verified_hashes[1]
    # A real argon2id hash made with the app's current parameters, so it costs the same.
    hasher: PasswordHasher = app.state.fastmvc.passwords
    assert dummy.startswith("$argon2id$")
    assert not hasher.needs_rehash(dummy)
    assert dummy != verified_hashes[0]


async def test_every_unknown_email_pays_for_a_verify(
    client: httpx.AsyncClient, verified_hashes: list[str]
) -> None:
    for attempt in range(3):
        response = await client.post(
            "/auth/login", json={"email": f"ghost{attempt}@example.com", "password": PASSWORD}
        )
        assert response.status_code == 401
    assert len(verified_hashes) == 3
    assert len(set(verified_hashes)) == 1  # one dummy hash, made once


async def test_a_successful_login_verifies_once(
    client: httpx.AsyncClient, verified_hashes: list[str]
) -> None:
    await register(client, "ada@example.com")
    await login(client, "ada@example.com")
    assert len(verified_hashes) == 1
