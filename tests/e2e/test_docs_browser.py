"""Swagger UI and ReDoc in a real headless Chromium, with no network but this machine's.

Debian's ``chromium`` (``make test`` installs it), driven by Playwright's
Python API pointed at that executable: Playwright's own browser download is
never used. The test opens ``/docs`` on a served generated project, finds the
operations, authorises with a token from a login, runs "Try it out" on
``GET /users/me`` and sees 200, then opens ``/redoc``. No page may log a CSP
violation or load anything from another origin. A screenshot of each page
goes to the artifact folder (``FASTMVC_TEST_ARTIFACTS``, default
``test-artifacts/`` in the checkout), under ``browser/``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.availability import unavailable
from tests.support.serving import cli_env, served_project

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("FASTMVC_TEST_CHROMIUM", "/usr/bin/chromium")
# Root needs --no-sandbox; the rest keeps Chromium from phoning home or using a GPU.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 60_000


def artifact_dir() -> Path:
    """Where the screenshots go; emptied at the start of the test."""
    root = Path(os.environ.get("FASTMVC_TEST_ARTIFACTS", REPO / "test-artifacts"))
    folder = root / "browser"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        unavailable(f"{CHROMIUM} is missing (make test installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


def _token(base: str) -> str:
    credentials = {"email": "browser@example.com", "password": "correct horse battery"}
    with httpx.Client(base_url=base, timeout=30) as http:
        assert http.post("/auth/register", json=credentials).status_code == 201
        login = http.post("/auth/login", json=credentials)
        assert login.status_code == 200, login.text
        token: str = login.json()["data"]["access_token"]
        return token


def test_swagger_ui_and_redoc_work_offline_in_chromium(
    shop_project: Path, tmp_path: Path, browser: Any
) -> None:
    screenshots = artifact_dir()
    with served_project(shop_project, cli_env(), tmp_path / "server.log") as base:
        token = _token(base)
        page = browser.new_page(viewport={"width": 1280, "height": 1600})
        page.set_default_timeout(TIMEOUT_MS)
        console: list[str] = []
        foreign: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        page.on("pageerror", lambda error: console.append(f"page error: {error}"))
        # This origin, ReDoc's search worker (a blob: of this origin) and inline images only.
        local = (base, f"blob:{base}", "data:")
        page.on(
            "request",
            lambda request: None if request.url.startswith(local) else foreign.append(request.url),
        )

        # Swagger UI: the operations are rendered from /openapi.json.
        page.goto(f"{base}/docs")
        page.wait_for_selector("#operations-users-users_me")
        operations = page.locator(".opblock").count()
        assert operations >= 10, operations  # auth, users, health and the five product routes
        assert page.locator("#operations-auth-auth_login").is_visible()
        assert page.locator("#operations-products-product_list").is_visible()
        page.screenshot(path=str(screenshots / "docs.png"), full_page=True)

        # Authorise with the token from a login.
        page.click("button.authorize")
        dialog = page.locator(".modal-ux")
        dialog.locator("input").first.fill(token)
        dialog.locator("button.authorize").click()
        assert dialog.locator("button.btn-done").is_visible()
        page.screenshot(path=str(screenshots / "docs-authorized.png"))
        dialog.locator("button.btn-done").click()

        # Try it out on GET /users/me: the browser sends the token and gets 200.
        me = page.locator("#operations-users-users_me")
        me.locator(".opblock-summary").click()
        me.locator("button.try-out__btn").click()
        me.locator("button.execute").click()
        status = me.locator(".live-responses-table .response .response-col_status").first
        status.wait_for()
        assert status.inner_text().strip() == "200"
        body = me.locator(".live-responses-table .response-col_description pre").first
        assert "browser@example.com" in body.inner_text()
        page.screenshot(path=str(screenshots / "docs-users-me.png"), full_page=True)

        # ReDoc: the same document, rendered with its own bundle.
        page.goto(f"{base}/redoc")
        page.wait_for_selector("[data-section-id]")
        page.get_by_text("/users/me").first.wait_for(state="attached")
        assert page.locator("h1").first.inner_text().strip().startswith("shop")
        page.screenshot(path=str(screenshots / "redoc.png"), full_page=False)
        page.close()

    violations = [text for text in console if "Content Security Policy" in text]
    assert violations == []
    assert [text for text in console if text.startswith("page error")] == []
    assert foreign == []
    for name in ("docs.png", "docs-authorized.png", "docs-users-me.png", "redoc.png"):
        assert (screenshots / name).stat().st_size > 10_000, name
