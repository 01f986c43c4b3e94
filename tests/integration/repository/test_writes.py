"""Create, update with versions, delete (hard and soft), upsert and error translation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fastmvc.db import Database
from fastmvc.errors import ConflictError, NotFoundError
from fastmvc.repository import Repository
from fastmvc.service import CRUDService
from tests.models import Memo, Widget


class WidgetRepository(Repository[Widget]):
    model = Widget


class MemoRepository(Repository[Memo]):
    model = Memo


async def test_create_sets_managed_columns(session: AsyncSession) -> None:
    widget = await WidgetRepository(session).create({"name": "a", "price": Decimal("1.50")})
    assert widget.id > 0
    assert len(widget.urn) == 26
    assert widget.version == 1
    assert widget.created_at.tzinfo is not None
    assert widget.created_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


async def test_duplicate_is_conflict(session: AsyncSession) -> None:
    repo = WidgetRepository(session)
    await repo.create({"name": "dup", "price": 1})
    async with session.begin_nested():
        with pytest.raises(ConflictError):
            await repo.create({"name": "dup", "price": 2})


async def test_update_with_versions(session: AsyncSession) -> None:
    repo = WidgetRepository(session)
    widget = await repo.create({"name": "v", "price": 1})
    updated = await repo.update(widget.id, {"price": Decimal("2.00")}, expected_version=1)
    assert updated is not None
    assert updated.version == 2
    assert updated.price == Decimal("2.00")
    with pytest.raises(ConflictError):
        await repo.update(widget.id, {"price": 3}, expected_version=1)
    assert (await repo.get(widget.id)).price == Decimal("2.00")  # type: ignore[union-attr]
    assert await repo.update(999_999, {"price": 3}) is None
    assert await repo.update_where({"name": "v"}, {"stock": 9}) == 1


async def test_create_many_chunks_past_parameter_limit(session: AsyncSession) -> None:
    repo = WidgetRepository(session)
    count = await repo.create_many(
        [{"name": f"bulk{i}", "price": i, "stock": i} for i in range(6000)]
    )
    assert count == 6000
    assert await repo.count({"name__like": "bulk"}) == 6000


async def test_upsert_inserts_then_updates(session: AsyncSession) -> None:
    repo = WidgetRepository(session)
    first = await repo.upsert({"name": "u", "price": 1, "stock": 1}, conflict=["name"])
    second = await repo.upsert({"name": "u", "price": 5, "stock": 2}, conflict=["name"])
    assert first.id == second.id
    assert second.price == Decimal("5.00") and second.stock == 2
    assert second.version == 2
    assert await repo.count({"name": "u"}) == 1


async def test_soft_delete_hides_rows(session: AsyncSession) -> None:
    repo = MemoRepository(session)
    memo = await repo.create({"title": "t"})
    assert await repo.delete(memo.id) is True
    assert await repo.get(memo.id) is None
    assert await repo.get(memo.id, include_deleted=True) is not None
    assert await repo.count() == 0
    assert await repo.count(include_deleted=True) == 1
    assert await repo.delete(memo.id) is False
    assert await repo.delete(memo.id, hard=True) is True
    assert await repo.count(include_deleted=True) == 0


class ExplodingService(CRUDService[Widget, WidgetRepository]):
    repository_class = WidgetRepository

    async def after_create(self, instance: Widget) -> None:
        raise NotFoundError("the hook refused")


async def test_failed_unit_of_work_leaves_no_row(database: Database) -> None:
    with pytest.raises(NotFoundError):
        async with database.unit_of_work() as uow_session:
            await ExplodingService(uow_session).create({"name": "ghost", "price": 1})
    async with database.unit_of_work() as check:
        count = await check.scalar(
            select(func.count()).select_from(Widget).where(Widget.name == "ghost")
        )
    assert count == 0


async def test_successful_unit_of_work_commits(database: Database) -> None:
    async with database.unit_of_work() as uow_session:
        widget = await WidgetRepository(uow_session).create({"name": "kept", "price": 1})
    async with database.unit_of_work() as check:
        assert await WidgetRepository(check).get(widget.id) is not None
        assert await WidgetRepository(check).delete(widget.id) is True
