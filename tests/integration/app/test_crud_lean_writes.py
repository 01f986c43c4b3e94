"""The lean write path on PostgreSQL, judged from a second connection.

Writes are one ``INSERT … RETURNING`` or ``UPDATE … RETURNING`` with no ORM
object; a lone write skips BEGIN and COMMIT. These tests check that commits
land when they should and only then: after a hook refuses, after a stale
version, outside the owner's scope, and for soft deletes.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import MetaData

from fastmvc.controller import Controller
from fastmvc.db import Base, Database
from fastmvc.errors import ConflictError
from fastmvc.repository import Repository
from fastmvc.repository.record import Record
from fastmvc.service import CRUDService
from tests.integration.access.authz_app import AuthzBase, NoteRepository, User
from tests.integration.app.test_crud_http import WidgetController, WidgetService
from tests.models import Memo

pytestmark = pytest.mark.postgres

SEEN: list[Any] = []


class HookedWidgetService(WidgetService):
    """Hooks that record what they saw and refuse some rows after the write."""

    async def after_update(self, row: Record) -> None:
        SEEN.append(row)
        if row.stock == 13:
            raise ConflictError("Refused after the update")

    async def before_delete(self, id: Any) -> None:
        SEEN.append(id)

    async def after_delete(self, id: Any) -> None:
        raise ConflictError("Refused after the delete")


class HookedWidgetController(WidgetController):
    prefix = "/hooked-widgets"
    resource = "hooked_widget"
    service_class = HookedWidgetService


class MemoRepository(Repository[Memo]):
    model = Memo


class MemoService(CRUDService[Memo, MemoRepository]):
    repository_class = MemoRepository


class UserRepository(Repository[User]):
    model = User


@pytest.fixture
def controllers() -> tuple[type[Controller], ...]:
    return (WidgetController, HookedWidgetController)


@pytest.fixture(scope="module")
def committing_metadata() -> tuple[MetaData, ...]:
    return (Base.metadata, AuthzBase.metadata)


@pytest.fixture
def app(committing_app: FastAPI) -> FastAPI:
    """No override and no SAVEPOINT: the app commits through its own sessions."""
    return committing_app


@pytest.fixture
async def database(committing_database_url: str) -> AsyncIterator[Database]:
    """A database of its own on the module's PostgreSQL, for tests that write without HTTP."""
    database = Database(committing_database_url, pool_size=2)
    try:
        yield database
    finally:
        await database.dispose()


def unique(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:12]}"


async def widget(outside: asyncpg.Connection, widget_id: int) -> Any:
    return await outside.fetchrow(
        "SELECT stock, version FROM test_widgets WHERE id = $1", widget_id
    )


async def test_a_lone_write_commits_at_once_and_a_unit_of_work_at_its_end(
    database: Database, outside: asyncpg.Connection
) -> None:
    folded, held = unique("folded"), unique("held")
    count = "SELECT count(*) FROM test_memos WHERE title = $1"
    async with database.unit_of_work(lone_write=True) as session:
        record = await MemoRepository(session).insert_row({"title": folded}, autocommit=True)
        # Its own transaction: already committed inside the block.
        assert await outside.fetchval(count, folded) == 1
    assert isinstance(record, Record) and record.title == folded and record["version"] == 1
    async with database.unit_of_work() as session:
        await MemoRepository(session).insert_row({"title": held}, autocommit=True)
        # No lone-write promise: the unit of work's transaction holds it.
        assert await outside.fetchval(count, held) == 0
    assert await outside.fetchval(count, held) == 1


async def test_a_write_after_the_session_touched_the_database_joins_its_transaction(
    database: Database, outside: asyncpg.Connection
) -> None:
    title = unique("joined")

    async def write_then_fail() -> None:
        async with database.unit_of_work(lone_write=True) as session:
            repository = MemoRepository(session)
            await repository.count()  # the session now holds a connection and a transaction
            await repository.insert_row({"title": title}, autocommit=True)
            raise ConflictError("roll it all back")

    with pytest.raises(ConflictError):
        await write_then_fail()
    assert await outside.fetchval("SELECT count(*) FROM test_memos WHERE title = $1", title) == 0


async def test_a_stale_version_is_409_and_writes_nothing(
    client: httpx.AsyncClient, outside: asyncpg.Connection
) -> None:
    created = await client.post("/widgets", json={"name": unique("w"), "price": "1"})
    widget_id = created.json()["data"]["id"]
    assert (await client.patch(f"/widgets/{widget_id}", json={"stock": 4})).status_code == 200

    for body in ({"stock": 9, "version": 1}, {"stock": 4, "version": 1}):
        stale = await client.patch(f"/widgets/{widget_id}", json=body)
        assert stale.status_code == 409, stale.text
        assert stale.json()["responseKey"] == "error_stale_version"
    assert tuple(await widget(outside, widget_id)) == (4, 2)

    # The current version passes; a PATCH that changes nothing keeps it.
    same = await client.patch(f"/widgets/{widget_id}", json={"stock": 4, "version": 2})
    assert same.status_code == 200 and same.json()["data"]["version"] == 2
    assert tuple(await widget(outside, widget_id)) == (4, 2)
    missing = await client.patch("/widgets/999999999", json={"stock": 1, "version": 1})
    assert missing.status_code == 404


async def test_hooks_see_plain_values_and_refusing_rolls_back(
    client: httpx.AsyncClient, outside: asyncpg.Connection
) -> None:
    created = await client.post("/hooked-widgets", json={"name": unique("h"), "price": "2"})
    widget_id = created.json()["data"]["id"]
    SEEN.clear()

    kept = await client.patch(f"/hooked-widgets/{widget_id}", json={"stock": 5})
    assert kept.status_code == 200, kept.text
    (row,) = SEEN
    assert isinstance(row, Record) and type(row).__mro__[1] is dict
    assert (row.stock, row["version"], row["id"]) == (5, 2, widget_id)

    refused = await client.patch(f"/hooked-widgets/{widget_id}", json={"stock": 13})
    assert refused.status_code == 409, refused.text
    assert tuple(await widget(outside, widget_id)) == (5, 2)

    not_deleted = await client.delete(f"/hooked-widgets/{widget_id}")
    assert not_deleted.status_code == 409
    assert await widget(outside, widget_id) is not None
    assert SEEN[-1] == widget_id  # before_delete got the id


async def test_soft_delete_is_an_update(database: Database, outside: asyncpg.Connection) -> None:
    async with database.unit_of_work(lone_write=True) as session:
        memo = await MemoRepository(session).insert_row({"title": unique("soft")}, autocommit=True)
    async with database.unit_of_work(lone_write=True) as session:
        service = MemoService(session)
        await service.delete(memo.id)
    stored = await outside.fetchrow(
        "SELECT deleted_at, version FROM test_memos WHERE id = $1", memo.id
    )
    assert stored["deleted_at"] is not None and stored["version"] == 2
    async with database.unit_of_work(lone_write=True) as session:
        assert await MemoRepository(session).delete(memo.id, autocommit=True) is False
        assert await MemoRepository(session).update_row(memo.id, {"title": "x"}) is None
    async with database.unit_of_work() as session:
        restored = await MemoService(session).restore(memo.id)
    assert restored.version == 3 and restored.deleted_at is None
    assert await outside.fetchval("SELECT version FROM test_memos WHERE id = $1", memo.id) == 3


async def test_owner_scope_bounds_every_write(
    database: Database, outside: asyncpg.Connection
) -> None:
    async with database.unit_of_work() as session:
        users = UserRepository(session)
        alice = await users.insert_row({"email": f"{unique('a')}@x.io", "password_hash": "-"})
        bob = await users.insert_row({"email": f"{unique('b')}@x.io", "password_hash": "-"})
        note = await NoteRepository(session).insert_row({"body": "mine", "owner_id": alice.id})
    as_bob, as_alice = {"owner_id": bob.id}, {"owner_id": alice.id}
    body = "SELECT body, version FROM authz_notes WHERE id = $1"

    async with database.unit_of_work(lone_write=True) as session:
        notes = NoteRepository(session)
        assert await notes.update_row(note.id, {"body": "x"}, scope=as_bob, autocommit=True) is None
        # A stale version outside the scope is still "not found", never a 409.
        assert (
            await notes.update_row(
                note.id, {"body": "x"}, expected_version=7, scope=as_bob, autocommit=True
            )
            is None
        )
        assert await notes.delete(note.id, scope=as_bob, autocommit=True) is False
    assert tuple(await outside.fetchrow(body, note.id)) == ("mine", 1)

    async with database.unit_of_work(lone_write=True) as session:
        updated = await NoteRepository(session).update_row(
            note.id, {"body": "edited"}, scope=as_alice, autocommit=True
        )
    assert updated is not None and updated.owner_id == alice.id
    assert tuple(await outside.fetchrow(body, note.id)) == ("edited", 2)
    async with database.unit_of_work(lone_write=True) as session:
        assert await NoteRepository(session).delete(note.id, scope=as_alice, autocommit=True)
    assert await outside.fetchrow(body, note.id) is None


async def test_lone_writes_run_on_the_driver_and_answer_as_sqlalchemy_does(
    database: Database, outside: asyncpg.Connection
) -> None:
    from fastmvc.repository import fastpath

    title = unique("driver")
    async with database.unit_of_work(lone_write=True) as session:
        on_driver = await MemoRepository(session).insert_row({"title": title}, autocommit=True)
    async with database.unit_of_work() as session:
        on_sqlalchemy = await MemoRepository(session).insert_row({"title": unique("sa")})
    compiled = fastpath._CACHE[database.engine.sync_engine.pool]
    assert compiled[(Memo, "insert", ("title",))] is not None  # the driver path was taken
    assert set(on_driver) == set(on_sqlalchemy)
    for key, value in on_sqlalchemy.items():
        assert type(on_driver[key]) is type(value), key
    assert len(on_driver.urn) == 26 and on_driver.version == 1
    assert on_driver.created_at.utcoffset().total_seconds() == 0

    async with database.unit_of_work(lone_write=True) as session:
        moved = await MemoRepository(session).update_row(
            on_driver.id, {"title": title + "!"}, expected_version=1, autocommit=True
        )
    assert moved is not None and moved.version == 2 and moved.updated_at > on_driver.updated_at
    assert await outside.fetchval("SELECT title FROM test_memos WHERE id = $1", on_driver.id) == (
        title + "!"
    )
    async with database.unit_of_work(lone_write=True) as session:
        with pytest.raises(ConflictError):
            await MemoRepository(session).update_row(
                on_driver.id, {"title": "late"}, expected_version=1, autocommit=True
            )
    async with database.unit_of_work(lone_write=True) as session:
        assert (
            await MemoRepository(session).update_row(999_999_999, {"title": "x"}, autocommit=True)
            is None
        )
    async with database.unit_of_work(lone_write=True) as session:
        assert await MemoRepository(session).delete(on_driver.id, autocommit=True) is True
    assert await outside.fetchval(
        "SELECT deleted_at IS NOT NULL FROM test_memos WHERE id = $1", on_driver.id
    )


async def test_constraint_violations_on_the_driver_path_keep_their_statuses(
    database: Database, client: httpx.AsyncClient
) -> None:
    from fastmvc.errors import ValidationFailedError

    name = unique("dup")
    assert (await client.post("/widgets", json={"name": name, "price": "1"})).status_code == 201
    duplicate = await client.post("/widgets", json={"name": name, "price": "2"})
    assert duplicate.status_code == 409 and duplicate.json()["responseKey"] == "error_duplicate"
    async with database.unit_of_work(lone_write=True) as session:
        with pytest.raises(ValidationFailedError) as refused:
            await NoteRepository(session).insert_row(
                {"body": "orphan", "owner_id": 987_654_321}, autocommit=True
            )
    assert refused.value.response_key == "error_foreign_key"


async def test_deleting_a_referenced_row_on_the_driver_path_is_409(database: Database) -> None:
    async with database.unit_of_work() as session:
        owner = await UserRepository(session).insert_row(
            {"email": f"{unique('o')}@x.io", "password_hash": "-"}
        )
        await NoteRepository(session).insert_row({"body": "pin", "owner_id": owner.id})
    async with database.unit_of_work(lone_write=True) as session:
        with pytest.raises(ConflictError) as refused:
            await UserRepository(session).delete(owner.id, autocommit=True)
    assert refused.value.response_key == "error_still_referenced"
