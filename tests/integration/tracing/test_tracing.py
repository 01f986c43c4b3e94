"""OpenTelemetry spans for a request, its SQL and its Redis commands (SDK in-memory exporter)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import text

from fastmvc.app import create_app
from fastmvc.dependencies import SessionDep
from fastmvc.settings import Settings
from fastmvc.state import get_runtime
from fastmvc.tracing import REQUEST_ID_ATTRIBUTE, install_tracing
from tests.services import require

pytestmark = pytest.mark.redis

KEY_PREFIX = f"test:tracing:{secrets.token_hex(6)}"


def _router() -> APIRouter:
    router = APIRouter()

    @router.get("/traced/{item_id}")
    async def traced(item_id: int, request: Request, session: SessionDep) -> dict[str, int]:
        value = (await session.execute(text("SELECT :n + 1"), {"n": item_id})).scalar_one()
        redis = get_runtime(request).redis
        assert redis is not None
        await redis.set(f"{KEY_PREFIX}:{item_id}", value, ex=30)
        return {"value": int(value)}

    return router


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(
        _env_file=None,
        environment="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'traced.db'}",
        redis_url=require("redis"),
        rate_limit_enabled=False,
        **overrides,
    )


@pytest.fixture
async def traced_app(tmp_path: Path) -> AsyncIterator[tuple[FastAPI, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()

    def trace(app: FastAPI) -> None:
        install_tracing(app, app.state.fastmvc, span_processor=SimpleSpanProcessor(exporter))

    app = create_app(_settings(tmp_path), routers=[_router()], configure=trace, setup_logging=False)
    async with app.router.lifespan_context(app):
        yield app, exporter


async def test_a_request_its_sql_and_its_redis_command_are_one_trace(
    traced_app: tuple[FastAPI, InMemorySpanExporter],
) -> None:
    app, exporter = traced_app
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        try:
            response = await client.get("/traced/41")
        finally:
            await app.state.fastmvc.redis.delete(f"{KEY_PREFIX}:41")
    assert response.status_code == 200
    assert response.json() == {"value": 42}

    spans = exporter.get_finished_spans()
    (server,) = [span for span in spans if span.kind.name == "SERVER"]
    assert server.name == "GET /traced/{item_id}"  # the route template, not the raw path
    assert server.attributes is not None
    assert server.attributes[REQUEST_ID_ATTRIBUTE] == response.headers["X-Request-ID"]
    trace_id = server.context.trace_id
    in_trace = [span for span in spans if span.context.trace_id == trace_id]

    sql = [span for span in in_trace if (span.attributes or {}).get("db.system") == "sqlite"]
    statements = [str((span.attributes or {}).get("db.statement", span.name)) for span in sql]
    assert any("SELECT" in statement for statement in statements), statements
    redis_spans = [span for span in in_trace if (span.attributes or {}).get("db.system") == "redis"]
    assert [span.name for span in redis_spans] == ["SET"]


def test_create_app_traces_only_when_an_endpoint_is_set(tmp_path: Path) -> None:
    plain = create_app(_settings(tmp_path), setup_logging=False)
    assert not hasattr(plain.state, "fastmvc_tracer_provider")

    traced = create_app(
        _settings(tmp_path, otel_exporter_otlp_endpoint="http://127.0.0.1:4318"),
        setup_logging=False,
    )
    provider = traced.state.fastmvc_tracer_provider
    assert provider.resource.attributes["service.name"] == "FastMVC"
    provider.shutdown()
