"""Read sessions on a real streaming replica: routing, read-your-writes, lag, fallback.

The replica is a ``pg_basebackup -R`` copy of a primary of the tests' own. To
prove where a read went, a test pauses WAL replay on the replica: a row
committed on the primary afterwards is then visible on the primary only.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from pydantic import Field

from fastmvc.app import create_app
from fastmvc.controller import CRUDController
from fastmvc.db import Base, Database
from fastmvc.db.replicas import FRESH_FOR_SECONDS
from fastmvc.dependencies import PrimaryReadSessionDep
from fastmvc.dto import DTO, OutDTO
from fastmvc.repository import Repository
from fastmvc.service import CRUDService
from fastmvc.settings import Settings
from fastmvc.state import get_runtime
from fastmvc.testing import TEST_OVERRIDES
from tests.models import Widget
from tests.support.postgres_replica import ReplicatedPostgres
from tests.support.signed_in import bearer

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

REPLAY_TIMEOUT_SECONDS = 30.0


class WidgetRepository(Repository[Widget]):
    model = Widget


class WidgetService(CRUDService[Widget, WidgetRepository]):
    repository_class = WidgetRepository


class WidgetCreate(DTO):
    name: str = Field(min_length=1, max_length=100)
    price: Decimal = Field(ge=0, max_digits=12, decimal_places=2)


class WidgetUpdate(DTO):
    name: str | None = Field(default=None, min_length=1, max_length=100)


class WidgetOut(OutDTO):
    id: int
    name: str
    price: Decimal


class WidgetController(CRUDController):
    prefix = "/widgets"
    resource = "widget"
    public = True
    service_class = WidgetService
    create_schema = WidgetCreate
    update_schema = WidgetUpdate
    out_schema = WidgetOut


def _routes() -> APIRouter:
    router = APIRouter()

    @router.post("/write-then-read")
    async def write_then_read(request: Request) -> dict[str, Any]:
        """Writes a row, then reads it back through a plain read session."""
        database = get_runtime(request).database
        async with database.unit_of_work() as session:
            row = await WidgetService(session).create({"name": "own-write", "price": 1})
        async with database.read_session() as session:
            found = await WidgetRepository(session).get(row.id)
        return {"id": row.id, "seen": found is not None}

    @router.get("/primary/{widget_id}")
    async def read_on_primary(widget_id: int, session: PrimaryReadSessionDep) -> dict[str, Any]:
        found = await WidgetRepository(session).get(widget_id)
        return {"seen": found is not None}

    return router


@pytest.fixture(scope="module")
async def app(replicated: ReplicatedPostgres) -> AsyncIterator[FastAPI]:
    primary = Database(replicated.primary.url())
    await primary.create_all(Base.metadata)
    await primary.dispose()
    settings = Settings(
        database_url=replicated.primary.url(),
        database_read_urls=[replicated.replica.url()],
        redis_url=None,
        redis_cluster_nodes=[],
        rate_limit_enabled=False,
        **TEST_OVERRIDES,  # type: ignore[arg-type]
    )
    application = create_app(
        settings, routers=[WidgetController.as_router(), _routes()], setup_logging=False
    )
    yield application
    await get_runtime_of(application).aclose()


def get_runtime_of(app: FastAPI) -> Any:
    return app.state.fastmvc


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://app", headers=bearer(app)
    ) as client:
        yield client


@asynccontextmanager
async def connect(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(dsn)
    try:
        yield connection
    finally:
        await connection.close()


async def wait_for_replay(replicated: ReplicatedPostgres) -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    async with connect(replicated.primary.dsn()) as primary:
        target = await primary.fetchval("SELECT pg_current_wal_lsn()::text")
    async with connect(replicated.replica.dsn()) as replica:
        deadline = time.monotonic() + REPLAY_TIMEOUT_SECONDS
        while not await replica.fetchval(
            "SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn", target
        ):
            assert time.monotonic() < deadline, f"the replica did not replay up to {target}"
            await asyncio.sleep(0.02)


@asynccontextmanager
async def replay_paused(replicated: ReplicatedPostgres) -> AsyncIterator[None]:
    """Freeze the replica at the primary's current point: later commits stay primary-only."""
    await wait_for_replay(replicated)
    async with connect(replicated.replica.dsn()) as replica:
        await replica.execute("SELECT pg_wal_replay_pause()")
        try:
            yield
        finally:
            await replica.execute("SELECT pg_wal_replay_resume()")


async def create(http: httpx.AsyncClient, name: str) -> dict[str, Any]:
    response = await http.post("/widgets", json={"name": name, "price": "9.50"})
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_get_routes_read_from_the_replica(
    http: httpx.AsyncClient, replicated: ReplicatedPostgres
) -> None:
    before = await create(http, "before-pause")
    async with replay_paused(replicated):
        after = await create(http, "after-pause")
        # The primary has the row; the replica (paused) does not, so a 404 and
        # a list without it show the reads, fast path included, went to it.
        for _ in range(4):  # round-robin over one replica: every read
            assert (await http.get(f"/widgets/{after['id']}")).status_code == 404
            assert (await http.get(f"/widgets/{before['id']}")).json()["data"] == before
        listed = (await http.get("/widgets", params={"limit": 100})).json()["data"]["items"]
        assert before["id"] in {item["id"] for item in listed}
        assert after["id"] not in {item["id"] for item in listed}
        async with connect(replicated.replica.dsn()) as replica:
            app_sessions = await replica.fetchval(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
            )
        assert app_sessions >= 1
    await wait_for_replay(replicated)
    assert (await http.get(f"/widgets/{after['id']}")).json()["data"] == after


async def test_post_then_get_sees_the_row_once_the_replica_replays_it(
    http: httpx.AsyncClient, replicated: ReplicatedPostgres
) -> None:
    created = await create(http, "read-after-replay")
    await wait_for_replay(replicated)
    found = await http.get(f"/widgets/{created['id']}")
    assert found.status_code == 200
    assert found.json()["data"] == created


async def test_reads_after_a_write_in_the_same_request_use_the_primary(
    http: httpx.AsyncClient, replicated: ReplicatedPostgres
) -> None:
    async with replay_paused(replicated):
        response = await http.post("/write-then-read")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["seen"] is True  # read on the primary, in the request that wrote
        # The next request starts afresh: its plain read goes to the paused replica...
        assert (await http.get(f"/widgets/{body['id']}")).status_code == 404
        # ...unless the route asks for the primary.
        assert (await http.get(f"/primary/{body['id']}")).json() == {"seen": True}


async def test_a_stopped_replica_sends_reads_to_the_primary(
    app: FastAPI,
    http: httpx.AsyncClient,
    replicated: ReplicatedPostgres,
    caplog: pytest.LogCaptureFixture,
) -> None:
    created = await create(http, "survives-the-replica")
    await wait_for_replay(replicated)
    assert (await http.get(f"/widgets/{created['id']}")).status_code == 200  # pooled on it
    ready = await http.get("/health/ready")
    assert ready.json()["data"] == {"database": "ok", "replica_1": "ok"}

    replicated.replica.stop()
    # A connection that answered in the last FRESH_FOR_SECONDS is handed out
    # unpinged (README: a replica that dies in the middle of a read gives that
    # one request a 503). pg_ctl can stop a small cluster within 35 ms of the
    # health check's answer, so let the pooled connections go idle first.
    await asyncio.sleep(2 * FRESH_FOR_SECONDS)
    try:
        with caplog.at_level(logging.WARNING, logger="fastmvc.db"):
            for _ in range(6):
                found = await http.get(f"/widgets/{created['id']}")
                assert found.status_code == 200, found.text
                assert found.json()["data"] == created
                listed = await http.get("/widgets", params={"name": created["name"]})
                assert listed.status_code == 200, listed.text
                assert [item["id"] for item in listed.json()["data"]["items"]] == [created["id"]]
            ready = await http.get("/health/ready")
        assert ready.status_code == 200
        assert ready.json()["data"] == {"database": "ok", "replica_1": "down"}
        warnings = [r for r in caplog.records if "replica_1" in r.getMessage()]
        assert len(warnings) == 1  # once per outage, not once per request
    finally:
        replicated.replica.start()

    # Back: the health check finds it, and reads go to it again.
    deadline = time.monotonic() + REPLAY_TIMEOUT_SECONDS
    while (await http.get("/health/ready")).json()["data"]["replica_1"] != "ok":
        assert time.monotonic() < deadline, "the replica did not come back"
        await asyncio.sleep(0.1)
    async with replay_paused(replicated):
        later = await create(http, "after-the-restart")
        assert (await http.get(f"/widgets/{later['id']}")).status_code == 404
