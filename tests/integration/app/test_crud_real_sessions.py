"""Each CRUD verb through a served app's own session dependencies, on PostgreSQL.

No dependency override and no SAVEPOINT: the app commits, rolls back and reads
in autocommit exactly as in production, and a second connection, outside the
app, checks what really reached the database.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from fastmvc.controller import Controller
from fastmvc.errors import ConflictError
from tests.integration.app.test_crud_http import WidgetController, WidgetService
from tests.models import Widget

pytestmark = pytest.mark.postgres


class RefusingWidgetService(WidgetService):
    """Writes the row, then refuses it: the request must leave nothing behind."""

    async def after_create(self, instance: Widget) -> None:
        if instance.name.startswith("refused"):
            raise ConflictError("Refused after the insert")


class RefusingWidgetController(WidgetController):
    prefix = "/refusing-widgets"
    resource = "refusing_widget"
    service_class = RefusingWidgetService


@pytest.fixture
def controllers() -> tuple[type[Controller], ...]:
    return (WidgetController, RefusingWidgetController)


@pytest.fixture
def app(committing_app: FastAPI) -> FastAPI:
    """No override and no SAVEPOINT: the app commits through its own sessions."""
    return committing_app


def unique(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:12]}"


async def row(outside: asyncpg.Connection, widget_id: int) -> Any:
    return await outside.fetchrow(
        "SELECT name, price, stock, version FROM test_widgets WHERE id = $1", widget_id
    )


async def test_create_is_committed_before_the_response(
    client: httpx.AsyncClient, outside: asyncpg.Connection
) -> None:
    name = unique("chair")
    response = await client.post("/widgets", json={"name": name, "price": "12.50", "stock": 3})

    assert response.status_code == 201, response.text
    stored = await row(outside, response.json()["data"]["id"])
    assert stored is not None
    assert (stored["name"], stored["price"], stored["stock"], stored["version"]) == (
        name,
        Decimal("12.50"),
        3,
        1,
    )


async def test_update_is_committed_and_a_stale_one_rolled_back(
    client: httpx.AsyncClient, outside: asyncpg.Connection
) -> None:
    created = await client.post("/widgets", json={"name": unique("desk"), "price": "5"})
    widget_id = created.json()["data"]["id"]

    patched = await client.patch(f"/widgets/{widget_id}", json={"stock": 7, "version": 1})
    assert patched.status_code == 200, patched.text
    stored = await row(outside, widget_id)
    assert (stored["stock"], stored["version"]) == (7, 2)

    stale = await client.patch(f"/widgets/{widget_id}", json={"stock": 99, "version": 1})
    assert stale.status_code == 409
    stored = await row(outside, widget_id)
    assert (stored["stock"], stored["version"]) == (7, 2)


async def test_a_failing_request_rolls_back_what_it_wrote(
    client: httpx.AsyncClient, outside: asyncpg.Connection
) -> None:
    name = unique("refused")
    response = await client.post("/refusing-widgets", json={"name": name, "price": "1"})

    assert response.status_code == 409, response.text
    assert await outside.fetchval("SELECT count(*) FROM test_widgets WHERE name = $1", name) == 0
    # The control: the same route commits a row it does not refuse.
    kept = unique("kept")
    assert (
        await client.post("/refusing-widgets", json={"name": kept, "price": "1"})
    ).status_code == 201
    assert await outside.fetchval("SELECT count(*) FROM test_widgets WHERE name = $1", kept) == 1


async def test_a_duplicate_leaves_only_the_first_row(
    client: httpx.AsyncClient, outside: asyncpg.Connection
) -> None:
    name = unique("dup")
    assert (await client.post("/widgets", json={"name": name, "price": "1"})).status_code == 201
    assert (await client.post("/widgets", json={"name": name, "price": "2"})).status_code == 409
    prices = await outside.fetch("SELECT price FROM test_widgets WHERE name = $1", name)
    assert [record["price"] for record in prices] == [Decimal("1.00")]


async def test_delete_is_committed(client: httpx.AsyncClient, outside: asyncpg.Connection) -> None:
    created = await client.post("/widgets", json={"name": unique("lamp"), "price": "3"})
    widget_id = created.json()["data"]["id"]

    deleted = await client.delete(f"/widgets/{widget_id}")

    assert deleted.status_code == 200, deleted.text
    assert await row(outside, widget_id) is None


async def test_reads_see_every_commit_and_hold_no_transaction(
    client: httpx.AsyncClient, outside: asyncpg.Connection
) -> None:
    name = unique("shelf")
    widget_id = await outside.fetchval(
        "INSERT INTO test_widgets (urn, name, price, stock, version, created_at, updated_at) "
        "VALUES ($1, $2, 4, 1, 1, now(), now()) RETURNING id",
        uuid.uuid4().hex[:26].upper(),
        name,
    )

    first = await client.get(f"/widgets/{widget_id}")
    listed = await client.get("/widgets", params={"name": name})
    await outside.execute("UPDATE test_widgets SET stock = 2 WHERE id = $1", widget_id)
    second = await client.get(f"/widgets/{widget_id}")

    assert first.status_code == 200 and first.json()["data"]["stock"] == 1
    assert [item["id"] for item in listed.json()["data"]["items"]] == [widget_id]
    assert second.json()["data"]["stock"] == 2  # no snapshot kept between requests
    # Reads run in autocommit: none of the app's connections is left inside a transaction.
    open_transactions = await outside.fetchval(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND state LIKE 'idle in transaction%'"
    )
    assert open_transactions == 0
