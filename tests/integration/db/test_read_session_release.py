"""A read session gives back what it took: its connection, its turn, and its rows' session.

``Database.read_session`` skips ``AsyncSession.close()`` for a session that
never began a transaction (nothing to close). These tests hold the other
cases to the full close, on the real PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import inspect, select, text

from fastmvc.db import Base, Database
from fastmvc.testing import temporary_postgres_database
from tests.models import Widget
from tests.services import require

pytestmark = pytest.mark.postgres


@pytest.fixture
async def database() -> AsyncIterator[Database]:
    async with temporary_postgres_database(require("postgres")) as url:
        db = Database(url, pool_size=2, max_overflow=0)
        try:
            await db.create_all(Base.metadata)
            yield db
        finally:
            await db.dispose()


def _checked_out(db: Database) -> int:
    return int(db.engine.sync_engine.pool.checkedout())  # type: ignore[attr-defined]


async def test_a_session_that_ran_a_statement_returns_its_connection(database: Database) -> None:
    async with database.read_session() as session:
        assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
        assert session.in_transaction()
        assert _checked_out(database) == 1
    assert _checked_out(database) == 0


async def test_rows_loaded_by_a_read_session_are_detached_after_it(database: Database) -> None:
    async with database.unit_of_work() as session:
        session.add(Widget(name="kept", price=1))
    async with database.read_session() as session:
        widget = (await session.execute(select(Widget).limit(1))).scalar_one()
        assert inspect(widget).persistent
    assert inspect(widget).detached
    assert _checked_out(database) == 0


async def test_an_untouched_session_takes_no_connection_and_frees_its_turn(
    database: Database,
) -> None:
    # Two turns in all (pool of 2): three sessions in a row only work if each
    # one gives its turn back, the untouched ones included.
    for _ in range(3):
        async with database.read_session() as session:
            assert not session.in_transaction()
    assert _checked_out(database) == 0
    async with database.read_session() as first, database.read_session() as second:
        await first.execute(text("SELECT 1"))
        await second.execute(text("SELECT 1"))
        assert _checked_out(database) == 2
    assert _checked_out(database) == 0


async def test_a_failed_statement_still_gives_the_connection_back(database: Database) -> None:
    async def fail_inside() -> None:
        async with database.read_session() as session:
            await session.execute(text("SELECT 1"))
            raise RuntimeError("nope")

    with pytest.raises(RuntimeError, match="nope"):
        await fail_inside()
    assert _checked_out(database) == 0
