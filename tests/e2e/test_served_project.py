"""A generated project served by `fastmvc run`, on every server it offers, over real HTTP.

register → login → create → list with a filter and a cursor → logout → the
old token is refused. The server is a subprocess on a free port, always
killed at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.servers import SERVERS, fastmvc_run
from tests.support.serving import cli_env, generate_project

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


@pytest.fixture(params=SERVERS)
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A generated shop with a Product entity, migrated and served; yields its base URL."""
    shop = generate_project(tmp_path, ["Product", "name:str", "price:decimal", "stock:int"])
    with fastmvc_run(shop, request.param, env=cli_env(), log=tmp_path / "server.log") as running:
        yield running.base_url


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
