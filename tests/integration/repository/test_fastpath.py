"""The asyncpg fast path of Repository.get_row returns what SQLAlchemy returns."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import delete

from fastmvc.db import Base, Database
from fastmvc.repository import Repository
from fastmvc.repository.fastpath import compiled_read
from fastmvc.testing import temporary_postgres_database
from tests.models import Document, Gadget, Memo
from tests.services import require

pytestmark = pytest.mark.postgres


class GadgetRepository(Repository[Gadget]):
    model = Gadget


class DocumentRepository(Repository[Document]):
    model = Document


class MemoRepository(Repository[Memo]):
    model = Memo


@pytest.fixture(scope="module")
async def postgres() -> AsyncIterator[Database]:
    async with temporary_postgres_database(require("postgres")) as url:
        database = Database(url, pool_size=2)
        await database.create_all(Base.metadata)
        yield database
        await database.dispose()


async def test_fast_path_matches_sqlalchemy(postgres: Database) -> None:
    async with postgres.unit_of_work() as session:
        full = await GadgetRepository(session).create(
            {
                "code": uuid.uuid4(),
                "made_on": date(2024, 2, 29),
                "active": False,
                "weight": 1.25,
                "blob": b"\x00\x01",
                "notes": "näive ✓",
                "seen_at": datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
                "cost": Decimal("12.345"),
            }
        )
        empty = await GadgetRepository(session).create({})
    try:
        for gadget in (full, empty):
            async with postgres.read_session() as reader:
                fast = await GadgetRepository(reader).get_row(gadget.id)
            async with postgres.unit_of_work() as writer:  # not autocommit: SQLAlchemy's path
                slow = await GadgetRepository(writer).get_row(gadget.id)
            assert fast is not None and slow is not None
            assert dict(fast) == dict(slow)
            for key, value in slow.items():
                # Same Python types (asyncpg's UUID is a uuid.UUID subclass).
                assert isinstance(fast[key], type(value)), key
        async with postgres.read_session() as reader:
            assert await GadgetRepository(reader).get_row(10**12) is None
    finally:
        async with postgres.unit_of_work() as session:
            await session.execute(delete(Gadget))


async def test_read_sessions_take_the_fast_path_and_others_do_not(postgres: Database) -> None:
    async with postgres.read_session() as reader:
        repo = GadgetRepository(reader)
        assert compiled_read(reader, Gadget, repo._row_by_id, ("pk",), repo._row_column_types)
        documents = DocumentRepository(reader)
        assert (
            compiled_read(
                reader, Document, documents._row_by_id, ("pk",), documents._row_column_types
            )
            is None
        )
    async with postgres.unit_of_work() as writer:
        assert (
            compiled_read(writer, Gadget, repo._row_by_id, ("pk",), repo._row_column_types) is None
        )


async def test_fast_path_hides_soft_deleted_rows(postgres: Database) -> None:
    async with postgres.unit_of_work() as session:
        memo = await MemoRepository(session).create({"title": "gone"})
        await MemoRepository(session).delete(memo.id)
    async with postgres.read_session() as reader:
        assert compiled_read(
            reader,
            Memo,
            MemoRepository(reader)._row_by_id,
            ("pk",),
            MemoRepository(reader)._row_column_types,
        )
        assert await MemoRepository(reader).get_row(memo.id) is None


async def test_json_models_still_read_through_sqlalchemy(postgres: Database) -> None:
    async with postgres.unit_of_work() as session:
        doc = await DocumentRepository(session).create({"body": {"a": [1, 2]}})
    async with postgres.read_session() as reader:
        row = await DocumentRepository(reader).get_row(doc.id)
    assert row is not None and row["body"] == {"a": [1, 2]}


async def test_http_read_through_the_fast_path(postgres: Database) -> None:
    import httpx

    from fastmvc.app import create_app
    from fastmvc.settings import Settings
    from fastmvc.testing import TEST_OVERRIDES
    from tests.integration.app.test_crud_http import WidgetController

    url = postgres.url.render_as_string(hide_password=False)
    app = create_app(
        Settings(database_url=url, **TEST_OVERRIDES),  # type: ignore[arg-type]
        routers=[WidgetController.as_router()],
        setup_logging=False,
    )
    transport = httpx.ASGITransport(app=app)
    # Writes need a token even on a public entity.
    writer = {"Authorization": f"Bearer {app.state.fastmvc.tokens.issue(1).access_token}"}
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://t", headers=writer
        ) as client:
            created = await client.post("/widgets", json={"name": "fast", "price": "9.90"})
            assert created.status_code == 201, created.text
            widget_id = created.json()["data"]["id"]
            got = await client.get(f"/widgets/{widget_id}")
            assert got.status_code == 200
            assert got.json()["data"] == created.json()["data"]
            assert got.json()["transactionUrn"] == got.headers["X-Request-ID"]
            assert (await client.get("/widgets/999999")).status_code == 404
            assert (await client.delete(f"/widgets/{widget_id}")).status_code == 200
    finally:
        await app.state.fastmvc.aclose()


async def test_a_read_session_holding_a_connection_keeps_using_it(postgres: Database) -> None:
    async with postgres.unit_of_work() as session:
        gadget = await GadgetRepository(session).create({})
    try:
        async with postgres.read_session() as reader:
            repo = GadgetRepository(reader)
            await repo.count()  # the session now holds a pooled connection
            assert (
                compiled_read(reader, Gadget, repo._row_by_id, ("pk",), repo._row_column_types)
                is None
            )
            row = await repo.get_row(gadget.id)
            assert row is not None and row["id"] == gadget.id
    finally:
        async with postgres.unit_of_work() as session:
            await session.execute(delete(Gadget))
