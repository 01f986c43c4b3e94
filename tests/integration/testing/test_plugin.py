"""The fastmvc.testing plugin's own fixtures, as a generated project uses them."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from fastmvc.repository import Repository
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


async def test_and_are_gone_in_the_next_test(db_session: AsyncSession) -> None:
    assert not await WidgetRepository(db_session).exists({"name": MARKER})


async def test_unknown_route_and_method_use_the_envelope(client: httpx.AsyncClient) -> None:
    missing = await client.get("/no/such/route")
    assert missing.status_code == 404
    assert missing.json()["responseKey"] == "error_not_found"
    assert missing.json()["transactionUrn"] == missing.headers["X-Request-ID"]
    wrong = await client.delete("/health/live")
    assert wrong.status_code == 405
    assert wrong.json()["status"] == "FAILED"
