"""The app's routes are tried before the framework's, where no answer changes (fastmvc.route_order)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from starlette.routing import BaseRoute, Match, Mount

from fastmvc.app import create_app
from fastmvc.settings import Settings


def _settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": "sqlite+aiosqlite:///:memory:",
        "jwt_secret_key": "route-order-" + "k" * 40,
        "metrics_enabled": True,
        "rate_limit_enabled": False,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def _router(path: str, *, methods: tuple[str, ...] = ("GET",), answer: str = "app") -> APIRouter:
    router = APIRouter()

    async def endpoint() -> dict[str, str]:
        return {"answered_by": answer}

    router.add_api_route(path, endpoint, methods=list(methods))
    return router


def _first_match(app: FastAPI, path: str, method: str = "GET") -> int:
    """Index in ``app.router.routes`` of the entry that answers ``method path``."""
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}
    for index, route in enumerate(app.router.routes):
        if route.matches(dict(scope))[0] == Match.FULL:
            return index
    raise AssertionError(f"nothing answers {method} {path}")


def _index_of_path(routes: list[BaseRoute], path: str) -> int:
    return next(i for i, route in enumerate(routes) if getattr(route, "path", None) == path)


async def _get(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path)


def test_app_routes_come_before_the_fixed_framework_routes() -> None:
    app = create_app(_settings(), routers=[_router("/ping")])
    routes = app.router.routes
    ping = _first_match(app, "/ping")
    assert ping < _index_of_path(routes, "/metrics")
    assert ping < _index_of_path(routes, "/openapi.json")
    assert ping < _first_match(app, "/health/live")


def test_a_mount_stays_in_front_and_so_does_what_it_would_shadow() -> None:
    app = create_app(_settings(), routers=[_router("/ping")])
    routes = app.router.routes
    mount = next(i for i, route in enumerate(routes) if isinstance(route, Mount))
    asset = _index_of_path(routes, "/docs/assets/redoc.standalone.js")
    ping = _first_match(app, "/ping")
    # The asset route came before the assets mount and must still win over it.
    assert asset < mount < ping


@pytest.mark.parametrize(
    "path", ["/metrics", "/health/live", "/openapi.json", "/docs"], ids=lambda p: p
)
async def test_a_catch_all_app_route_does_not_shadow_framework_routes(path: str) -> None:
    app = create_app(_settings(), routers=[_router("/{slug}", answer="catch-all")])
    response = await _get(app, path)
    assert response.status_code == 200
    assert "catch-all" not in response.text
    # The app's catch-all still answers everything else.
    other = await _get(app, "/anything")
    assert other.json() == {"answered_by": "catch-all"}


async def test_an_app_route_on_a_framework_path_does_not_take_it_over() -> None:
    app = create_app(_settings(), routers=[_router("/metrics", answer="app metrics")])
    response = await _get(app, "/metrics")
    assert response.status_code == 200
    assert "app metrics" not in response.text
    assert response.headers["content-type"].startswith("text/plain")


async def test_an_app_route_with_another_method_leaves_the_framework_route_answering() -> None:
    app = create_app(_settings(), routers=[_router("/metrics", methods=("POST",), answer="post")])
    # The app's POST-only /metrics matches GET partly; the router looks on.
    assert _first_match(app, "/metrics") > _first_match(app, "/metrics", "POST")
    response = await _get(app, "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")


async def test_the_framework_routes_still_answer_after_the_move() -> None:
    app = create_app(_settings(), routers=[_router("/ping")])
    for path in ("/health/live", "/metrics", "/openapi.json", "/docs", "/redoc", "/ping"):
        assert (await _get(app, path)).status_code == 200, path
    assert (await _get(app, "/docs/assets/redoc.standalone.js")).status_code == 200
