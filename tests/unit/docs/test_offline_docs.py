"""Swagger UI and ReDoc are served by the app itself: no CDN, DOCS_ENABLED, no limit in development."""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser

import httpx
import pytest
from fastapi import FastAPI

from fastmvc.app import create_app
from fastmvc.settings import Settings
from tests.services import REDIS_URL as TEST_REDIS_URL

ClientFor = Callable[..., httpx.AsyncClient]


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"src", "href"} and value:
                self.urls.append(value)


def _app(**overrides: object) -> FastAPI:
    values: dict[str, object] = {
        "database_url": "sqlite+aiosqlite:///:memory:",
        "redis_url": None,
        "rate_limit_enabled": False,
    }
    values.update(overrides)
    settings = Settings(_env_file=None, **values)  # type: ignore[arg-type]
    return create_app(settings, setup_logging=False)


@pytest.fixture
def client_for() -> ClientFor:
    def make(app: FastAPI) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")

    return make


@pytest.mark.parametrize(
    ("page", "bundle"), [("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")]
)
async def test_every_asset_of_the_docs_pages_comes_from_the_app(
    client_for: ClientFor, page: str, bundle: str
) -> None:
    async with client_for(_app()) as client:
        html = await client.get(page)
        assets = _Assets()
        assets.feed(html.text)
        assert html.status_code == 200
        assert any(url.endswith(bundle) for url in assets.urls), assets.urls
        for url in assets.urls:
            assert url.startswith("/docs/assets/"), url
            asset = await client.get(url)
            assert asset.status_code == 200, url
            assert len(asset.content) > 1000, url
            assert asset.headers["cache-control"].startswith("public, max-age="), url


async def test_the_redoc_bundle_asks_no_cdn_for_its_logo(client_for: ClientFor) -> None:
    async with client_for(_app()) as client:
        bundle = await client.get("/docs/assets/redoc.standalone.js")
    assert bundle.headers["content-type"].startswith("text/javascript")
    assert b"cdn.redoc.ly" not in bundle.content
    assert b"API docs by Redocly" in bundle.content


@pytest.mark.parametrize(
    "path", ["/docs", "/redoc", "/openapi.json", "/docs/assets/swagger-ui-bundle.js"]
)
async def test_docs_enabled_false_serves_none_of_it(client_for: ClientFor, path: str) -> None:
    async with client_for(_app(docs_enabled=False)) as client:
        assert (await client.get(path)).status_code == 404


def test_production_turns_docs_off_unless_asked() -> None:
    production = {
        "environment": "production",
        "redis_url": TEST_REDIS_URL,
        "jwt_secret_key": "Zq8v3N1xK7pW2rT9yB4mC6hJ0sL5dF8gA3eR7uI1oP2",
    }
    assert Settings(_env_file=None, **production).docs_enabled is False  # type: ignore[arg-type]
    explicit = Settings(_env_file=None, docs_enabled=True, **production)  # type: ignore[arg-type]
    assert explicit.docs_enabled is True
    assert Settings(_env_file=None).docs_enabled is True


@pytest.mark.parametrize(("environment", "docs_limited"), [("development", False), ("test", True)])
async def test_docs_skip_the_per_ip_limit_in_development_only(
    client_for: ClientFor, environment: str, docs_limited: bool
) -> None:
    app = _app(rate_limit_enabled=True, rate_limit_per_minute=3, environment=environment)
    paths = ["/docs", "/redoc", "/openapi.json", "/docs/assets/swagger-ui.css"] * 2
    async with client_for(app) as client:
        docs = [(await client.get(path)).status_code for path in paths]
        api = [(await client.get("/nowhere")).status_code for _ in range(4)]
    if docs_limited:
        assert 429 in docs
    else:
        assert docs == [200] * len(paths)
        assert api == [404, 404, 404, 429]  # the API's own budget is untouched
