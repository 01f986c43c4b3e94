"""A generated project served by `fastmvc run`, driven over real HTTP.

register → login → create → list with a filter and a cursor → logout → the
old token is refused. The server is a subprocess on a free port, always
killed at the end.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.net import free_port
from tests.support.serving import wait_until_live

pytestmark = pytest.mark.slow


def _cli(args: list[str], cwd: Path, env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "fastmvc_cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """A generated shop with a Product entity, migrated and served; yields its base URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
    env |= {"NO_COLOR": "1", "COLUMNS": "200"}
    _cli(["new", "shop", "--no-git", "--output-dir", str(tmp_path)], tmp_path, env)
    shop = tmp_path / "shop"
    _cli(["add", "entity", "Product", "name:str", "price:decimal", "stock:int"], shop, env)
    _cli(["migrate", "upgrade"], shop, env)
    port = free_port()
    # A file rather than a pipe nobody drains: a full pipe would block the
    # server's logging, and with it the server.
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "fastmvc_cli", "run", "--no-reload", "--port", str(port)],
        cwd=shop,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_until_live(base_url, server, tmp_path / "server.log", "fastmvc run")
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


def test_auth_and_crud_over_http(served: str) -> None:
    with httpx.Client(base_url=served, timeout=10) as http:
        user = {"email": "ada@example.com", "password": "correct horse battery"}
        registered = http.post("/auth/register", json=user)
        assert registered.status_code == 201, registered.text
        login = http.post("/auth/login", json=user)
        assert login.status_code == 200, login.text
        tokens = login.json()["data"]
        assert tokens["token_type"] == "bearer"
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}

        assert http.get("/products").status_code == 401
        for number in range(1, 6):
            product = {"name": f"Product {number}", "price": f"{number}.50", "stock": number}
            created = http.post("/products", json=product, headers=auth)
            assert created.status_code == 201, created.text
            assert created.headers["X-Request-ID"] == created.json()["transactionUrn"]

        seen: list[str] = []
        params: dict[str, str | int] = {"stock__gte": 2, "sort": "stock", "limit": 2}
        while True:
            page = http.get("/products", params=params, headers=auth)
            assert page.status_code == 200, page.text
            data = page.json()["data"]
            seen += [item["name"] for item in data["items"]]
            if not data["next_cursor"]:
                break
            params = {**params, "cursor": data["next_cursor"]}
        assert seen == ["Product 2", "Product 3", "Product 4", "Product 5"]

        bad_filter = http.get("/products", params={"colour": "red"}, headers=auth)
        assert bad_filter.status_code == 400

        assert http.post("/auth/logout", headers=auth).status_code == 200
        refused = http.get("/products", headers=auth)
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"] == "Bearer"
