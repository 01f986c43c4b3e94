"""The fastmvc.testing plugin's own fixtures, as a generated project uses them."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from fastmvc.db import Database
from fastmvc.repository import Repository
from fastmvc.testing import rollback_session
from tests.models import Widget

MARKER = "plugin-rollback-marker"


class WidgetRepository(Repository[Widget]):
    model = Widget


async def test_client_serves_the_app(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["data"]["database"] == "ok"


async def test_db_session_writes_are_visible_in_the_test(db_session: AsyncSession) -> None:
    await WidgetRepository(db_session).create({"name": MARKER, "price": 1})
    await db_session.commit()  # becomes a SAVEPOINT release, not a real commit
    assert await WidgetRepository(db_session).exists({"name": MARKER})


async def test_committed_writes_are_gone_after_the_rollback_session(
    fastmvc_database: Database,
) -> None:
    # Two rollback sessions in a row, as db_session gives two tests in a row:
    # this test stands alone, whatever else runs and in whatever order.
    marker = f"{MARKER}-{uuid.uuid4().hex}"
    async with rollback_session(fastmvc_database) as (_connection, first):
        await WidgetRepository(first).create({"name": marker, "price": 1})
        await first.commit()
        assert await WidgetRepository(first).exists({"name": marker})
    async with rollback_session(fastmvc_database) as (_connection, second):
        assert not await WidgetRepository(second).exists({"name": marker})
    async with fastmvc_database.read_session() as outside:
        assert not await WidgetRepository(outside).exists({"name": marker})


async def test_unknown_route_and_method_use_the_envelope(client: httpx.AsyncClient) -> None:
    missing = await client.get("/no/such/route")
    assert missing.status_code == 404
    assert missing.json()["responseKey"] == "error_not_found"
    assert missing.json()["transactionUrn"] == missing.headers["X-Request-ID"]
    wrong = await client.delete("/health/live")
    assert wrong.status_code == 405
    assert wrong.json()["status"] == "FAILED"


@pytest.mark.postgres
def test_throwaway_postgres_database_lives_until_dropped() -> None:
    import anyio
    import asyncpg
    from sqlalchemy.engine import make_url

    from fastmvc.testing import create_postgres_database, drop_postgres_database
    from tests.services import require

    base = require("postgres")

    async def exists(url: str) -> bool:
        name = make_url(url).database
        admin = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
        try:
            return bool(await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
        finally:
            await admin.close()

    created = anyio.run(create_postgres_database, base)
    try:
        # The database must survive the loop that created it.
        assert anyio.run(exists, created)
    finally:
        anyio.run(drop_postgres_database, created)
    assert not anyio.run(exists, created)
