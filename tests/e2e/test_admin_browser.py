"""The admin in a real headless Chromium, on a generated project, on SQLite and PostgreSQL.

``fastmvc new`` plus ``fastmvc add entity Product … --soft-delete``, an admin
made with ``fastmvc users create --admin`` and a plain user, served by
``fastmvc run``. Chromium (Debian's, through Playwright's Python API, as in
test_docs_browser.py) signs in at ``/admin/login``, opens the products list,
edits a row (the API then shows the change), attempts a stale edit (refused
on the page, the API keeps the newer value), logs out, and finds that the
plain user cannot sign in. No page may log a CSP violation or a script error,
or load anything from another origin. Screenshots go to the artifact folder
(``FASTMVC_TEST_ARTIFACTS``, default ``test-artifacts/`` in the checkout),
under ``admin-<database>/``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fastmvc.testing import create_postgres_database, drop_postgres_database
from tests.e2e.test_docs_browser import REPO, TIMEOUT_MS, browser  # noqa: F401  (fixture)
from tests.services import require
from tests.support.serving import cli_env, generate_project, run_cli, served_project

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery staple"
ADMIN = "boss@example.com"
USER = "clerk@example.com"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> Iterator[tuple[str, dict[str, str]]]:
    """The database name and the environment that points the project at it."""
    if request.param == "sqlite":
        yield "sqlite", {}
        return
    url = asyncio.run(create_postgres_database(require("postgres")))
    try:
        yield "postgres", {"DATABASE_URL": url}
    finally:
        asyncio.run(drop_postgres_database(url))


def artifact_dir(name: str) -> Path:
    root = Path(os.environ.get("FASTMVC_TEST_ARTIFACTS", REPO / "test-artifacts"))
    folder = root / f"admin-{name}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def create_user(project: Path, env: dict[str, str], email: str, *, admin: bool) -> None:
    args = ["users", "create", email, "--password-stdin", *(["--admin"] if admin else [])]
    run_cli(args, project, env, input=PASSWORD + "\n")


def shop(parent: Path, env: dict[str, str]) -> Path:
    entity = ["Product", "name:str", "price:decimal", "stock:int", "--soft-delete"]
    project = generate_project(parent, entity, env=env)
    create_user(project, env, ADMIN, admin=True)
    create_user(project, env, USER, admin=False)
    return project


def test_admin_in_chromium(
    database: tuple[str, dict[str, str]],
    tmp_path: Path,
    browser: Any,  # noqa: F811
) -> None:
    name, database_env = database
    env = cli_env(**database_env)
    screenshots = artifact_dir(name)
    project = shop(tmp_path, env)
    with (
        served_project(project, env, tmp_path / "server.log") as base,
        httpx.Client(base_url=base) as api,
    ):
        login = api.post("/auth/login", json={"email": USER, "password": PASSWORD})
        assert login.status_code == 200, login.text
        api.headers["Authorization"] = f"Bearer {login.json()['data']['access_token']}"
        created = api.post("/products", json={"name": "Desk lamp", "price": "12.50", "stock": 3})
        assert created.status_code == 201, created.text
        product = created.json()["data"]["id"]

        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(TIMEOUT_MS)
        console: list[str] = []
        foreign: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        page.on("pageerror", lambda error: console.append(f"page error: {error}"))
        local = (base, "data:")
        page.on(
            "request",
            lambda request: None if request.url.startswith(local) else foreign.append(request.url),
        )

        # Sign in as the admin made with `fastmvc users create --admin`.
        page.goto(f"{base}/admin/product/list")
        assert page.url.startswith(f"{base}/admin/login")
        page.fill("input[name=username]", ADMIN)
        page.fill("input[name=password]", PASSWORD)
        page.screenshot(path=str(screenshots / "login.png"))
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/admin/")
        page.screenshot(path=str(screenshots / "index.png"))

        # The entity's list, from the menu.
        page.click("a.nav-link:has-text('Products')")
        page.wait_for_url(f"{base}/admin/product/list")
        assert page.locator("td:has-text('Desk lamp')").count() == 1
        page.screenshot(path=str(screenshots / "products.png"))

        # Edit the row; the API shows the change.
        page.click(f"a[href$='/admin/product/edit/{product}']")
        page.fill("input[name=name]", "Desk lamp (brass)")
        page.screenshot(path=str(screenshots / "edit.png"))
        page.click("input[type=submit][value=Save]")
        page.wait_for_url(f"{base}/admin/product/list*")
        row = api.get(f"/products/{product}").json()["data"]
        assert (row["name"], row["version"]) == ("Desk lamp (brass)", 2)

        # A stale edit: the form was opened at version 2, the API moved the row to 3.
        page.goto(f"{base}/admin/product/edit/{product}")
        moved = api.patch(f"/products/{product}", json={"name": "Desk lamp (API)", "version": 2})
        assert moved.status_code == 200, moved.text
        page.fill("input[name=name]", "Desk lamp (stale)")
        page.click("input[type=submit][value=Save]")
        alert = page.locator(".alert-danger")
        alert.wait_for()
        assert "changed by someone else" in alert.inner_text()
        assert "Nothing was saved" in alert.inner_text()
        page.screenshot(path=str(screenshots / "stale-edit.png"))
        assert api.get(f"/products/{product}").json()["data"]["name"] == "Desk lamp (API)"

        # Log out: the admin pages send the browser back to the login form.
        page.click("a[href$='/admin/logout']")
        page.wait_for_url(f"{base}/admin/login")
        page.goto(f"{base}/admin/product/list")
        assert page.url.startswith(f"{base}/admin/login")

        # A plain user cannot sign in.
        page.fill("input[name=username]", USER)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        refusal = page.locator(".invalid-feedback").first
        refusal.wait_for(state="attached")
        assert "not an active administrator" in refusal.inner_text()
        page.screenshot(path=str(screenshots / "non-admin-refused.png"))
        page.goto(f"{base}/admin/")
        assert page.url.startswith(f"{base}/admin/login")
        page.close()

    violations = [text for text in console if "Content Security Policy" in text]
    assert violations == []
    assert [text for text in console if text.startswith("page error")] == []
    assert foreign == []
    for shot in ("login", "index", "products", "edit", "stale-edit", "non-admin-refused"):
        assert (screenshots / f"{shot}.png").stat().st_size > 5_000, shot
    print(f"admin screenshots: {screenshots}")
