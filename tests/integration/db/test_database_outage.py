"""A database that is down, frozen or out of connections answers 503 in time, and recovers.

Against a PostgreSQL cluster of the test's own (``pg_createcluster`` on a free
port): it is stopped, SIGSTOPped and restarted while an app serves requests.
Every request must get 503 ``error_unavailable`` within its timeout plus one
second, ``/health/ready`` must say 503, and the first 200 must come within two
seconds of the database being back, with no restart of the app.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from fastmvc.app import create_app
from fastmvc.db import Base, Database
from fastmvc.db.outage import DatabaseUnavailableError
from fastmvc.settings import Settings
from fastmvc.testing import TEST_OVERRIDES
from tests.integration.app.never500_app import (
    Holder,
    HolderController,
    Sample,
    SampleController,
    sample_payload,
)
from tests.support.postgres_cluster import ThrowawayPostgres, throwaway_postgres_cluster
from tests.support.signed_in import bearer

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CONNECT_TIMEOUT = 2.0
STATEMENT_TIMEOUT = 2.0
POOL_TIMEOUT = 2.0
SLACK = 1.0
RECOVERY = 2.0
MEASURED: dict[str, float] = {}


@pytest.fixture(scope="module")
def cluster() -> Iterator[ThrowawayPostgres]:
    with throwaway_postgres_cluster() as server:
        yield server


@pytest.fixture
async def app(cluster: ThrowawayPostgres) -> AsyncIterator[FastAPI]:
    settings = Settings(
        database_url=cluster.url,
        database_pool_size=2,
        database_connect_timeout=CONNECT_TIMEOUT,
        database_statement_timeout=STATEMENT_TIMEOUT,
        database_pool_timeout=POOL_TIMEOUT,
        **TEST_OVERRIDES,  # type: ignore[arg-type]
    )
    application = create_app(
        settings, routers=[HolderController.as_router(), SampleController.as_router()]
    )
    database: Database = application.state.fastmvc.database
    tables = [Holder.__table__, Sample.__table__]
    async with database.engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all, tables=tables)
    yield application
    await application.state.fastmvc.aclose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t", timeout=60, headers=bearer(app)
    ) as http:
        yield http


async def timed(client: httpx.AsyncClient, method: str, url: str, **kw: Any) -> tuple[int, float]:
    started = time.monotonic()
    response = await client.request(method, url, **kw)
    elapsed = time.monotonic() - started
    if response.status_code == 503:
        assert response.json()["responseKey"] in ("error_unavailable", "error_service_unavailable")
    return response.status_code, elapsed


async def seed(client: httpx.AsyncClient) -> int:
    holder = await client.post("/holders", json={"name": "shelf"})
    assert holder.status_code == 201, holder.text
    # Reads warm the pool, so an outage finds connections to lose.
    assert (await client.get(f"/holders/{holder.json()['data']['id']}")).status_code == 200
    assert (await client.get("/samples")).status_code == 200
    holder_id: int = holder.json()["data"]["id"]
    return holder_id


async def recovery_seconds(client: httpx.AsyncClient, url: str) -> float:
    """Seconds until ``url`` answers 200 again (polling), failing past the limit."""
    started = time.monotonic()
    while time.monotonic() - started < RECOVERY + 10:
        response = await client.get(url)
        if response.status_code == 200:
            return time.monotonic() - started
        await asyncio.sleep(0.05)
    pytest.fail(f"{url} did not recover")


ROUTES = [
    ("GET", "/holders/{id}", None),  # the asyncpg fast path
    ("GET", "/samples", None),
    ("POST", "/samples", "sample"),
    ("PATCH", "/holders/{id}", {"name": "moved"}),
    ("DELETE", "/holders/{id}", None),
]


async def assert_every_route_is_503(
    client: httpx.AsyncClient, holder_id: int, limit: float, label: str
) -> None:
    for method, template, body in ROUTES:
        json = sample_payload() if body == "sample" else body
        status, elapsed = await timed(client, method, template.format(id=holder_id), json=json)
        MEASURED[f"{label} {method} {template}"] = elapsed
        assert status == 503, (method, template, status)
        assert elapsed <= limit, (method, template, elapsed)
    status, elapsed = await timed(client, "GET", "/health/ready")
    MEASURED[f"{label} GET /health/ready"] = elapsed
    assert status == 503 and elapsed <= limit, (status, elapsed)


async def test_a_stopped_database_is_503_and_recovers(
    cluster: ThrowawayPostgres, client: httpx.AsyncClient
) -> None:
    holder_id = await seed(client)
    await asyncio.to_thread(cluster.stop)
    try:
        await assert_every_route_is_503(client, holder_id, CONNECT_TIMEOUT + SLACK, "stopped")
    finally:
        await asyncio.to_thread(cluster.start)
    recovered = await recovery_seconds(client, f"/holders/{holder_id}")
    MEASURED["stopped: recovery after start"] = recovered
    assert recovered <= RECOVERY
    assert (await client.get("/health/ready")).status_code == 200
    assert (await client.get("/samples")).status_code == 200


async def test_a_frozen_database_is_503_within_the_timeouts_and_recovers(
    cluster: ThrowawayPostgres, client: httpx.AsyncClient
) -> None:
    holder_id = await seed(client)
    await asyncio.to_thread(cluster.freeze)
    try:
        # A pooled connection waits for the statement timeout; a new one for the
        # connect timeout; a request queued behind a stuck one for the pool timeout.
        limit = max(STATEMENT_TIMEOUT, CONNECT_TIMEOUT) + POOL_TIMEOUT + SLACK
        await assert_every_route_is_503(client, holder_id, limit, "frozen")
    finally:
        await asyncio.to_thread(cluster.thaw)
    recovered = await recovery_seconds(client, f"/holders/{holder_id}")
    MEASURED["frozen: recovery after SIGCONT"] = recovered
    assert recovered <= RECOVERY
    assert (await client.get("/health/ready")).status_code == 200


async def test_an_exhausted_pool_is_503_after_the_pool_timeout(
    cluster: ThrowawayPostgres,
) -> None:
    database = Database(cluster.url, pool_size=1, max_overflow=0, pool_timeout=POOL_TIMEOUT)
    try:
        async with database.read_session() as holding:
            await holding.connection()
            started = time.monotonic()
            with pytest.raises(DatabaseUnavailableError):
                async with database.read_session():
                    pass
            elapsed = time.monotonic() - started
        MEASURED["pool exhausted: wait before 503"] = elapsed
        assert POOL_TIMEOUT - 0.1 <= elapsed <= POOL_TIMEOUT + SLACK
        async with database.read_session() as again:  # the turn came back
            await again.connection()
    finally:
        await database.dispose()


def test_print_the_measured_timings() -> None:
    """Shown with ``pytest -rP``: the timings the outage tests measured."""
    for label, seconds in MEASURED.items():
        print(f"{label}: {seconds:.2f} s")
