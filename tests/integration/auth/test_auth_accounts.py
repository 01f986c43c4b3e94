"""The account routes: password change, forgotten password and reset, verification, sign-up switch."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fastmvc.app import create_app
from fastmvc.auth import auth_routers
from tests.integration.auth.account_support import Outbox
from tests.integration.auth.auth_helpers import (
    PASSWORD,
    AuthTestUser,
    auth_settings,
    bearer,
    login,
    register,
)

NEW_PASSWORD = "a completely new passphrase"


@pytest.fixture
def outbox(app: FastAPI) -> Outbox:
    box = Outbox()
    app.state.fastmvc.mailer = box
    return box


async def me(client: httpx.AsyncClient, token: str) -> int:
    return (await client.get("/users/me", headers=bearer(token))).status_code


async def test_a_password_change_ends_every_session_and_hands_out_a_new_one(
    client: httpx.AsyncClient,
) -> None:
    await register(client, "ada@example.com")
    first, second = await login(client, "ada@example.com"), await login(client, "ada@example.com")
    wrong = await client.post(
        "/auth/password",
        json={"current_password": "not it at all", "new_password": NEW_PASSWORD},
        headers=bearer(first["access_token"]),
    )
    assert wrong.status_code == 400
    assert await me(client, first["access_token"]) == 200
    changed = await client.post(
        "/auth/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(first["access_token"]),
    )
    assert changed.status_code == 200, changed.text
    for old in (first, second):
        assert await me(client, old["access_token"]) == 401
        refreshed = await client.post("/auth/refresh", json={"refresh_token": old["refresh_token"]})
        assert refreshed.status_code == 401
    assert await me(client, changed.json()["data"]["access_token"]) == 200
    old_password = {"email": "ada@example.com", "password": PASSWORD}
    assert (await client.post("/auth/login", json=old_password)).status_code == 401
    await login(client, "ada@example.com", NEW_PASSWORD)


async def test_forgot_answers_202_alike_and_mails_only_an_active_account(
    client: httpx.AsyncClient, outbox: Outbox, db_session: AsyncSession
) -> None:
    await register(client, "ada@example.com")
    await register(client, "gone@example.com")
    await db_session.execute(
        update(AuthTestUser).where(AuthTestUser.email == "gone@example.com").values(is_active=False)
    )
    answers = []
    for email in ("ada@example.com", "nobody@example.com", "gone@example.com", "ADA@example.com"):
        response = await client.post("/auth/password/forgot", json={"email": email})
        body = response.json()
        answers.append((response.status_code, body["responseKey"], body["responseMessage"]))
    assert len(set(answers)) == 1 and answers[0][0] == 202
    assert [mail.to for mail in outbox.sent] == ["ada@example.com", "ada@example.com"]
    assert "reset" in outbox.sent[0].subject.lower()


async def test_a_reset_token_works_once_and_ends_every_session(
    client: httpx.AsyncClient, outbox: Outbox
) -> None:
    await register(client, "ada@example.com")
    session = await login(client, "ada@example.com")
    await client.post("/auth/password/forgot", json={"email": "ada@example.com"})
    token = outbox.token_for("ada@example.com")
    reset = await client.post(
        "/auth/password/reset", json={"token": token, "password": NEW_PASSWORD}
    )
    assert reset.status_code == 200, reset.text
    assert await me(client, session["access_token"]) == 401
    await login(client, "ada@example.com", NEW_PASSWORD)
    again = await client.post(
        "/auth/password/reset", json={"token": token, "password": "yet another passphrase"}
    )
    assert again.status_code == 400
    assert again.json()["responseKey"] == "error_invalid_token"
    await login(client, "ada@example.com", NEW_PASSWORD)


async def test_an_older_reset_token_dies_when_the_password_changes(
    client: httpx.AsyncClient, outbox: Outbox
) -> None:
    await register(client, "ada@example.com")
    await client.post("/auth/password/forgot", json={"email": "ada@example.com"})
    older = outbox.token_for("ada@example.com")
    await client.post("/auth/password/forgot", json={"email": "ada@example.com"})
    newer = outbox.token_for("ada@example.com")
    used = await client.post(
        "/auth/password/reset", json={"token": newer, "password": NEW_PASSWORD}
    )
    assert used.status_code == 200
    stale = await client.post(
        "/auth/password/reset", json={"token": older, "password": "sneaky new passphrase"}
    )
    assert stale.status_code == 400
    await login(client, "ada@example.com", NEW_PASSWORD)


async def test_bad_reset_tokens_give_400_and_change_nothing(
    app: FastAPI, client: httpx.AsyncClient, outbox: Outbox, db_session: AsyncSession
) -> None:
    user = await register(client, "ada@example.com")
    tokens = app.state.fastmvc.tokens
    await client.post("/auth/password/forgot", json={"email": "ada@example.com"})
    good = outbox.token_for("ada@example.com")
    head, payload, signature = good.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    access = (await login(client, "ada@example.com"))["access_token"]
    stored = (await db_session.execute(select(AuthTestUser.password_hash))).scalar_one()
    bad = {
        "tampered": f"{head}.{payload}.{flipped}",
        "expired": tokens.issue_one_time(user["id"], "reset", seconds=-120, claims={"pwd": "x"}),
        "access token": access,
        "verify token": tokens.issue_one_time(
            user["id"], "verify", seconds=600, claims={"email": "ada@example.com"}
        ),
        "garbage": "not-a-token",
        "unknown user": tokens.issue_one_time(999_999, "reset", seconds=600, claims={"pwd": "x"}),
    }
    for name, token in bad.items():
        response = await client.post(
            "/auth/password/reset", json={"token": token, "password": NEW_PASSWORD}
        )
        assert response.status_code == 400, (name, response.text)
    assert (await db_session.execute(select(AuthTestUser.password_hash))).scalar_one() == stored
    assert await me(client, access) == 200
    # The good token still works: the failures above did not burn it.
    ok = await client.post("/auth/password/reset", json={"token": good, "password": NEW_PASSWORD})
    assert ok.status_code == 200


async def test_a_reset_for_a_deactivated_user_is_refused(
    client: httpx.AsyncClient, outbox: Outbox, db_session: AsyncSession
) -> None:
    await register(client, "ada@example.com")
    await client.post("/auth/password/forgot", json={"email": "ada@example.com"})
    token = outbox.token_for("ada@example.com")
    await db_session.execute(update(AuthTestUser).values(is_active=False))
    response = await client.post(
        "/auth/password/reset", json={"token": token, "password": NEW_PASSWORD}
    )
    assert response.status_code == 400


async def test_a_deactivated_users_token_is_refused_at_once(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    """The embedded backend reads the user row: another process may have deactivated it."""
    await register(client, "ada@example.com")
    access = (await login(client, "ada@example.com"))["access_token"]
    assert await me(client, access) == 200
    await db_session.execute(update(AuthTestUser).values(is_active=False))
    assert await me(client, access) == 401
    await db_session.execute(update(AuthTestUser).values(is_active=True))
    assert await me(client, access) == 200  # reactivated; only a revocation mark kills it
    from fastmvc.db import utcnow

    await db_session.execute(update(AuthTestUser).values(revoked_before=utcnow()))
    assert await me(client, access) == 401


async def test_the_forgot_answer_goes_out_before_any_lookup_or_mail(app: FastAPI) -> None:
    """Driven at the ASGI level: the mailer blocks, yet the response is complete."""
    release = asyncio.Event()
    sent: list[str] = []

    class SlowMailer:
        async def send(self, message: Any) -> None:
            await release.wait()
            sent.append(message.to)

    app.state.fastmvc.mailer = SlowMailer()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        await register(client, "ada@example.com")
    body = b'{"email": "ada@example.com"}'
    messages: list[dict[str, Any]] = []
    answered = asyncio.Event()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            answered.set()

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/auth/password/forgot", "raw_path": b"/auth/password/forgot",
        "query_string": b"", "root_path": "", "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode())],
    }  # fmt: skip
    call = asyncio.create_task(app(scope, receive, send))
    await asyncio.wait_for(answered.wait(), 10)
    assert messages[0]["status"] == 202
    assert sent == [] and not call.done()  # the mail still waits: it is off the response path
    release.set()
    await asyncio.wait_for(call, 10)
    assert sent == ["ada@example.com"]


def _app_with(database_url: str, **changes: Any) -> FastAPI:
    return create_app(
        auth_settings(database_url, **changes),
        routers=auth_routers(AuthTestUser),
        setup_logging=False,
    )


async def test_closed_registration_gives_403(fastmvc_database_url: str) -> None:
    app = _app_with(fastmvc_database_url, registration_enabled=False)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            response = await client.post(
                "/auth/register", json={"email": "closed@example.com", "password": PASSWORD}
            )
        assert response.status_code == 403
        assert response.json()["responseKey"] == "error_registration_closed"
    finally:
        await app.state.fastmvc.aclose()


async def test_unverified_users_are_refused_at_login_until_they_verify(
    app: FastAPI, client: httpx.AsyncClient, outbox: Outbox
) -> None:
    app.state.fastmvc.settings = app.state.fastmvc.settings.model_copy(
        update={"email_verification_required": True}
    )
    pending = await client.post(
        "/auth/register", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert pending.status_code == 202  # the same answer a taken email gets
    refused = await client.post(
        "/auth/login", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert refused.status_code == 403
    assert refused.json()["responseKey"] == "error_email_not_verified"
    token = outbox.token_for("ada@example.com")
    head, payload, signature = token.split(".")
    tampered = f"{head}.{payload}.{signature[::-1]}"
    assert (await client.post("/auth/verify", json={"token": tampered})).status_code == 400
    taken = await client.post(
        "/auth/register", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert taken.status_code == 202 and len(outbox.sent) == 1  # no second mail, no 409
    verified = await client.post("/auth/verify", json={"token": token})
    assert verified.status_code == 200
    assert verified.json()["data"]["user"]["email"] == "ada@example.com"
    await login(client, "ada@example.com")
