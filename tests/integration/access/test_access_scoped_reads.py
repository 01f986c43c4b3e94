"""Scoped reads at the repository: the lean GET by id, on the asyncpg fast path too."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import delete

from fastmvc.db import Database
from fastmvc.repository import PageRequest
from fastmvc.repository.fastpath import compiled_read
from tests.integration.access.authz_app import Note, NoteRepository, User


@pytest.fixture
async def two_owners(authz_database: Database) -> AsyncIterator[tuple[int, int, int]]:
    """Committed rows (the fast path reads on its own pooled connection): ids of A, B, A's note."""
    async with authz_database.unit_of_work() as session:
        alice = User(email="fast-a@example.com", password_hash="x")
        bob = User(email="fast-b@example.com", password_hash="x")
        session.add_all([alice, bob])
        await session.flush()
        note = Note(body="secret", owner_id=alice.id)
        session.add(note)
        await session.flush()
        ids = (alice.id, bob.id, note.id)
    try:
        yield ids
    finally:
        async with authz_database.unit_of_work() as session:
            await session.execute(delete(Note).where(Note.id == ids[2]))
            await session.execute(delete(User).where(User.id.in_(ids[:2])))


async def test_get_row_honours_the_scope(
    authz_database: Database, two_owners: tuple[int, int, int]
) -> None:
    alice, bob, note = two_owners
    async with authz_database.read_session() as session:
        repo = NoteRepository(session)
        own = await repo.get_row(note, scope={"owner_id": alice})
        assert own is not None and own["body"] == "secret"
        assert await repo.get_row(note, scope={"owner_id": bob}) is None
        unscoped = await repo.get_row(note)
        assert unscoped is not None and unscoped["owner_id"] == alice
        page = await repo.page_rows(PageRequest(), scope={"owner_id": bob})
        assert page.items == []
    async with authz_database.read_session() as session:
        repo = NoteRepository(session)
        assert await repo.get(note, scope={"owner_id": bob}) is None
        assert await repo.delete(note, scope={"owner_id": bob}) is False


async def test_the_fast_path_compiles_one_statement_per_scope_shape(
    authz_database: Database, two_owners: tuple[int, int, int]
) -> None:
    if authz_database.dialect_name != "postgresql":
        pytest.skip("the asyncpg fast path only exists on PostgreSQL")
    alice, bob, note = two_owners
    async with authz_database.read_session() as session:
        repo = NoteRepository(session)
        scoped = compiled_read(
            session,
            Note,
            lambda: repo._row_by_id(("owner_id",)),
            ("pk", "scope_owner_id"),
            repo._row_column_types,
            variant=("owner_id",),
        )
        plain = compiled_read(
            session, Note, repo._row_by_id, ("pk",), repo._row_column_types, variant=()
        )
        assert scoped is not None and plain is not None
        assert "owner_id = $2" in scoped[1].sql and "owner_id =" not in plain[1].sql
        # The owner is a parameter, not a constant baked into the cached statement.
        runtime = [item for is_name, item in scoped[1].layout if is_name]
        assert sorted(runtime) == ["pk", "scope_owner_id"]
        assert await repo.get_row(note, scope={"owner_id": alice}) is not None
        assert await repo.get_row(note, scope={"owner_id": bob}) is None


async def test_an_unknown_scope_column_is_a_programming_error(authz_database: Database) -> None:
    async with authz_database.read_session() as session:
        repo = NoteRepository(session)
        with pytest.raises(ValueError, match="not a column"):
            await repo.get_row(1, scope={"nope": 1})
        with pytest.raises(ValueError, match="not a column"):
            await repo.get(1, scope={"nope": 1})
