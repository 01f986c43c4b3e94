"""GET /metrics: requests by route template, latency, pool in use, limiter refusals."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from fastmvc.app import create_app
from fastmvc.dependencies import SessionDep
from fastmvc.metrics import UNMATCHED_ROUTE
from fastmvc.settings import Settings

MakeApp = Callable[..., FastAPI]
ClientFor = Callable[..., httpx.AsyncClient]


def samples(exposition: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the exposition, keyed by name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }


def requests_total(exposition: str, route: str, status: int, method: str = "GET") -> float:
    labels = (("method", method), ("route", route), ("status", str(status)))
    return samples(exposition).get(("fastmvc_http_requests_total", labels), 0.0)


async def test_requests_are_counted_by_route_template_method_and_status(
    make_app: MakeApp, client_for: ClientFor
) -> None:
    async with client_for(make_app()) as client:
        for _ in range(3):
            assert (await client.get("/ping")).status_code == 200
        assert (await client.get("/boom")).status_code == 500
        assert (await client.get("/limited")).status_code == 429
        assert (await client.get("/nowhere/12345")).status_code == 404
        assert (await client.post("/ping")).status_code == 405
        exposition = (await client.get("/metrics")).text

    assert requests_total(exposition, "/ping", 200) == 3
    assert requests_total(exposition, "/ping", 405, method="POST") == 1
    assert requests_total(exposition, "/boom", 500) == 1
    assert requests_total(exposition, "/limited", 429) == 1
    assert requests_total(exposition, UNMATCHED_ROUTE, 404) == 1
    assert "/nowhere/12345" not in exposition  # raw paths never become labels
    assert samples(exposition)[("fastmvc_rate_limit_refusals_total", ())] == 1
    count = samples(exposition)[
        ("fastmvc_http_request_duration_seconds_count", (("method", "GET"), ("route", "/ping")))
    ]
    assert count == 3


async def test_path_parameters_stay_in_the_template(client_for: ClientFor) -> None:
    router = APIRouter()

    @router.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    app = create_app(_settings(), routers=[router], setup_logging=False)
    async with client_for(app) as client:
        for item_id in (1, 2, 3):
            await client.get(f"/items/{item_id}")
        exposition = (await client.get("/metrics")).text
    assert requests_total(exposition, "/items/{item_id}", 200) == 3
    assert "/items/1" not in exposition


def _settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": "sqlite+aiosqlite:///:memory:",
        "redis_url": None,
        "rate_limit_enabled": False,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


async def test_the_pool_gauge_counts_connections_checked_out(client_for: ClientFor) -> None:
    router = APIRouter()

    @router.get("/in-use")
    async def in_use(request: Request, session: SessionDep) -> dict[str, float]:
        await session.execute(text("SELECT 1"))
        exposition = request.app.state.fastmvc_metrics.exposition().decode()
        return {"in_use": samples(exposition)[("fastmvc_db_pool_connections_in_use", ())]}

    app = create_app(_settings(), routers=[router], setup_logging=False)
    async with client_for(app) as client:
        during = (await client.get("/in-use")).json()["in_use"]
        after = samples((await client.get("/metrics")).text)
    assert during == 1
    assert after[("fastmvc_db_pool_connections_in_use", ())] == 0


async def test_metrics_are_never_rate_limited(client_for: ClientFor) -> None:
    app = create_app(
        _settings(rate_limit_enabled=True, rate_limit_per_minute=2, environment="test"),
        setup_logging=False,
    )
    async with client_for(app) as client:
        limited = [(await client.get("/openapi.json")).status_code for _ in range(3)]
        scrapes = [await client.get("/metrics") for _ in range(5)]
    assert limited == [200, 200, 429]
    assert [scrape.status_code for scrape in scrapes] == [200] * 5
    assert all("ratelimit" not in scrape.headers for scrape in scrapes)
    assert scrapes[0].headers["content-type"].startswith("text/plain")
    # The per-IP limiter answers before routing: no template, but a refusal.
    assert requests_total(scrapes[-1].text, UNMATCHED_ROUTE, 429) == 1
    assert samples(scrapes[-1].text)[("fastmvc_rate_limit_refusals_total", ())] == 1


@pytest.mark.parametrize("enabled", [True, False])
async def test_metrics_enabled_setting(client_for: ClientFor, enabled: bool) -> None:
    app = create_app(_settings(metrics_enabled=enabled), setup_logging=False)
    async with client_for(app) as client:
        response = await client.get("/metrics")
    assert response.status_code == (200 if enabled else 404)
    assert hasattr(app.state, "fastmvc_metrics") is enabled
