"""The admin over HTTP: sign-in rules, CSRF on every unsafe request, cookie and headers.

The browser test (tests/e2e/test_admin_browser.py) drives the same pages
through Chromium; these check what a browser does not show.
"""

from __future__ import annotations

import secrets

import httpx
import pytest
from fastapi import FastAPI

from fastmvc.admin.auth import REFUSED
from fastmvc.settings import Settings
from tests.integration.admin.conftest import (
    PASSWORD,
    AppFactory,
    CreateUser,
    client_for,
    csrf_of,
    sign_in,
)
from tests.services import REDIS_URL as TEST_REDIS_URL

pytestmark = pytest.mark.slow


async def rows(http: httpx.AsyncClient, search: str, *, deleted: bool = False) -> int:
    """How many rows the card list shows for ``search`` (live ones, or deleted ones)."""
    params = {"search": search, **({"deleted": "only"} if deleted else {})}
    page = await http.get("/admin/card/list", params=params)
    assert page.status_code == 200
    return page.text.count('href="http://testserver/admin/card/details/')


async def test_a_post_without_the_csrf_token_is_refused(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    email = await create_user(admin=True)
    token = csrf_of((await client.get("/admin/login")).text)
    credentials = {"username": email, "password": PASSWORD}

    missing = await client.post("/admin/login", data=credentials)
    assert missing.status_code == 403
    assert "CSRF" in missing.text
    forged = await client.post("/admin/login", data={**credentials, "csrf_token": "x" * 43})
    assert forged.status_code == 403
    assert (await client.get("/admin/")).status_code == 302  # still signed out

    signed_in = await client.post("/admin/login", data={**credentials, "csrf_token": token})
    assert signed_in.status_code == 302
    page = await client.get("/admin/card/create")
    assert page.status_code == 200
    fresh = csrf_of(page.text)
    assert fresh != token  # signing in made a new token

    title = f"Forged {secrets.token_hex(4)}"
    form = {"title": title, "copies": "1"}
    refused = await client.post("/admin/card/create", data=form)
    assert refused.status_code == 403
    stale = await client.post("/admin/card/create", data={**form, "csrf_token": token})
    assert stale.status_code == 403
    assert await rows(client, title) == 0
    delete = await client.delete("/admin/card/delete", params={"pks": "1"})
    assert delete.status_code == 403

    created = await client.post("/admin/card/create", data={**form, "csrf_token": fresh})
    assert created.status_code == 302, created.text
    assert await rows(client, title) == 1


async def test_only_active_superusers_get_in(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    user = await create_user()
    inactive_admin = await create_user(admin=True, active=False)
    admin = await create_user(admin=True)

    for email, password in (
        (user, PASSWORD),
        (inactive_admin, PASSWORD),
        (admin, "not the password at all"),
        ("nobody@example.com", PASSWORD),
    ):
        refused = await sign_in(client, email, password)
        assert refused.status_code == 400, email
        assert REFUSED in refused.text
        assert (await client.get("/admin/card/list")).status_code == 302

    accepted = await sign_in(client, admin)
    assert accepted.status_code == 302
    assert accepted.headers["location"].endswith("/admin/")
    index = await client.get("/admin/")
    assert index.status_code == 200
    assert "Cards" in index.text and "Users" in index.text


async def test_the_login_is_limited_with_auth_login(
    make_app: AppFactory, create_user: CreateUser
) -> None:
    app = make_app(login_rate_limit_per_minute=2)
    email = await create_user(admin=True)
    async with client_for(app) as http:
        for _ in range(2):
            assert (await sign_in(http, email, "wrong password!")).status_code == 400
        limited = await sign_in(http, email)
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) >= 1
        assert "Too many sign-in attempts" in limited.text
        # One bucket per IP and email, whichever form is used.
        api = await http.post("/auth/login", json={"email": email, "password": PASSWORD})
        assert api.status_code == 429


async def test_the_session_cookie_is_signed_httponly_lax_and_secure_over_https(
    app: FastAPI, create_user: CreateUser
) -> None:
    email = await create_user(admin=True)
    for base, secure in (("http://testserver", False), ("https://testserver", True)):
        async with client_for(app, base) as http:
            response = await sign_in(http, email)
            assert response.status_code == 302
            cookie = response.headers["set-cookie"].lower()
            assert cookie.startswith("fastmvc_admin=")
            assert "httponly" in cookie
            assert "samesite=lax" in cookie
            assert "path=/admin" in cookie
            assert ("secure" in cookie) is secure
            # A cookie signed with another key is nobody's session.
            value = http.cookies["fastmvc_admin"]
            http.cookies.clear()
            http.cookies.set("fastmvc_admin", value[:-4] + "AAAA", path="/admin")
            assert (await http.get("/admin/")).status_code == 302


async def test_admin_pages_get_a_policy_that_lets_them_work(client: httpx.AsyncClient) -> None:
    page = await client.get("/admin/login")
    policy = page.headers["content-security-policy"]
    script_src = next(part for part in policy.split(";") if "script-src" in part)
    assert "'self'" in script_src and "unsafe" not in script_src
    assert "form-action 'self'" in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    assert "https://" not in page.text and "http://" not in page.text.replace(
        "http://testserver", ""
    )

    asset = await client.get("/admin/statics/js/jquery.min.js")
    assert asset.status_code == 200
    assert asset.headers["content-security-policy"].startswith("default-src 'none'")
    assert "max-age" in asset.headers["cache-control"]
    script = await client.get("/admin/fastmvc/csrf.js")
    assert script.status_code == 200
    assert "X-CSRF-Token" in script.text


async def test_edits_follow_the_entity_rules(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    await sign_in(client, await create_user(admin=True))
    token = csrf_of((await client.get("/admin/")).text)
    title = f"Card {secrets.token_hex(4)}"
    created = await client.post(
        "/admin/card/create", data={"title": title, "copies": "2", "csrf_token": token}
    )
    assert created.status_code == 302
    listing = (await client.get(f"/admin/card/list?search={title}")).text
    card_id = int(listing.split("/admin/card/details/")[1].split('"')[0])

    edit = (await client.get(f"/admin/card/edit/{card_id}")).text
    assert 'name="version" type="hidden" value="1"' in edit
    saved = await client.post(
        f"/admin/card/edit/{card_id}",
        data={"title": f"{title} v2", "copies": "3", "version": "1", "csrf_token": token},
    )
    assert saved.status_code == 302, saved.text

    stale = await client.post(
        f"/admin/card/edit/{card_id}",
        data={"title": f"{title} lost", "copies": "9", "version": "1", "csrf_token": token},
    )
    assert stale.status_code == 400
    assert "was changed by someone else" in stale.text
    assert "Nothing was saved: reload the page" in stale.text
    too_many = await client.post(
        f"/admin/card/edit/{card_id}",
        data={"title": title, "copies": "5000", "version": "2", "csrf_token": token},
    )
    assert too_many.status_code == 400
    assert "copies: Input should be less than or equal to 1000" in too_many.text
    details = (await client.get(f"/admin/card/details/{card_id}")).text
    assert f"{title} v2" in details and "lost" not in details

    deleted = await client.delete(
        "/admin/card/delete", params={"pks": str(card_id)}, headers={"X-CSRF-Token": token}
    )
    assert deleted.status_code == 200
    assert await rows(client, title) == 0
    assert await rows(client, title, deleted=True) == 1
    details = (await client.get(f"/admin/card/details/{card_id}")).text
    assert "Restore" in details  # the row is still there: soft delete

    restored = await client.post(f"/admin/card/restore/{card_id}", data={"csrf_token": token})
    assert restored.status_code == 302
    assert await rows(client, title) == 1
    assert await rows(client, title, deleted=True) == 0


async def test_users_show_no_password_hash_and_deactivation_ends_sessions(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    await sign_in(client, await create_user(admin=True))
    email = await create_user()
    login = await client.post("/auth/login", json={"email": email, "password": PASSWORD})
    bearer = {"Authorization": f"Bearer {login.json()['data']['access_token']}"}
    assert (await client.get("/users/me", headers=bearer)).status_code == 200
    user_id = login.json()["data"]["user"]["id"]

    pages = [
        await client.get(f"/admin/user/list?search={email}"),
        await client.get(f"/admin/user/details/{user_id}"),
        await client.get(f"/admin/user/edit/{user_id}"),
    ]
    for page in pages:
        assert page.status_code == 200
        assert email in page.text or f'value="{user_id}"' in page.text or "is_active" in page.text
        assert "argon2" not in page.text and "password" not in page.text.lower()
    assert (await client.get("/admin/user/create")).status_code == 403

    edit = pages[2].text
    version = edit.split('name="version" type="hidden" value="')[1].split('"')[0]
    token = csrf_of(edit)
    # is_active left out of the form: the checkbox is cleared.
    saved = await client.post(
        f"/admin/user/edit/{user_id}",
        data={"is_verified": "y", "version": version, "csrf_token": token},
    )
    assert saved.status_code == 302, saved.text
    assert (await client.get("/users/me", headers=bearer)).status_code == 401
    again = await client.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert again.status_code == 401


async def test_a_deactivated_admin_is_signed_out(
    app: FastAPI, client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    email = await create_user(admin=True)
    await sign_in(client, email)
    assert (await client.get("/admin/card/list")).status_code == 200
    runtime = app.state.fastmvc
    from fastmvc.auth import AuthService
    from tests.integration.admin.admin_app import User

    async with runtime.database.unit_of_work() as session:
        service = AuthService(
            session, user_model=User, passwords=runtime.passwords, tokens=runtime.tokens
        )
        user = await service.users.get_by_email(email)
        await service.set_active(user, False)
    assert (await client.get("/admin/card/list")).status_code == 302


async def test_the_admin_is_off_when_disabled_and_by_default_in_production(
    make_app: AppFactory,
) -> None:
    async with client_for(make_app(admin_enabled=False)) as http:
        assert (await http.get("/admin/login")).status_code == 404
    production = Settings(
        environment="production",
        redis_url=TEST_REDIS_URL,
        jwt_secret_key=secrets.token_urlsafe(48),
    )
    assert production.admin_enabled is False
    assert Settings(environment="development").admin_enabled is True
