"""Sorting, offset pages, and keyset pages over ties in both directions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from fastmvc.errors import BadRequestError, FilterError
from fastmvc.repository import F, PageRequest, Repository
from fastmvc.repository.record import Record
from tests.models import Widget


class WidgetRepository(Repository[Widget]):
    model = Widget


@pytest.fixture
async def thousand(session: AsyncSession) -> WidgetRepository:
    repo = WidgetRepository(session)
    # Only 7 distinct prices and 3 colours (one of them NULL): lots of ties.
    await repo.create_many(
        [
            {
                "name": f"w{i:04d}",
                "price": Decimal(i % 7),
                "stock": i % 3,
                "colour": [None, "red", "blue"][i % 3],
            }
            for i in range(1000)
        ]
    )
    return repo


async def test_sort_several_columns(thousand: WidgetRepository) -> None:
    rows = await thousand.list(sort="-price,name", limit=200)
    keys = [(-r.price, r.name) for r in rows]
    assert keys == sorted(keys)
    with pytest.raises(FilterError):
        await thousand.list(sort="nope")


@pytest.mark.parametrize("sort", ["-price,name", "price", "colour,-stock", "-colour", None])
async def test_keyset_walks_every_row_once_both_ways(
    thousand: WidgetRepository, sort: str | None
) -> None:
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        page = await thousand.page(PageRequest(sort=sort, limit=37, cursor=cursor))
        seen.extend(row.id for row in page.items)
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert len(seen) == 1000
    assert len(set(seen)) == 1000
    assert pages == 28
    expected = [row.id for row in await thousand.list(sort=sort)]
    assert seen == expected

    # And back again from the last page, through prev cursors.
    backwards: list[int] = []
    prev = page.prev_cursor
    backwards = [row.id for row in page.items]
    while prev is not None:
        back = await thousand.page(PageRequest(sort=sort, limit=37, cursor=prev))
        backwards = [row.id for row in back.items] + backwards
        prev = back.prev_cursor
    assert backwards == expected


async def test_keyset_with_filter_and_total(thousand: WidgetRepository) -> None:
    first = await thousand.page(
        PageRequest(where=F("price", "gte", 5), sort="-price", limit=50, with_total=True)
    )
    expected_total = await thousand.count(F("price", "gte", 5))
    assert first.total == expected_total
    second = await thousand.page(
        PageRequest(
            where=F("price", "gte", 5),
            sort="-price",
            limit=50,
            cursor=first.next_cursor,
            with_total=True,
        )
    )
    assert second.total == expected_total
    assert not {r.id for r in first.items} & {r.id for r in second.items}


async def test_offset_pages_with_total(thousand: WidgetRepository) -> None:
    page = await thousand.page(PageRequest(sort="name", limit=10, offset=990, with_total=True))
    assert [r.name for r in page.items] == [f"w{i:04d}" for i in range(990, 1000)]
    assert page.total == 1000
    beyond = await thousand.page(PageRequest(limit=10, offset=5000, with_total=True))
    assert beyond.items == [] and beyond.total == 1000


@pytest.mark.parametrize("cursor", ["garbage", "e30", "eyJ2IjpbMV19", "!" * 5000])
async def test_bad_cursor_is_bad_request(thousand: WidgetRepository, cursor: str) -> None:
    with pytest.raises(BadRequestError):
        await thousand.page(PageRequest(sort="-price", cursor=cursor))


async def test_lean_rows_match_entities(thousand: WidgetRepository) -> None:
    request = PageRequest(where=F("stock", "eq", 1), sort="-price,name", limit=25, with_total=True)
    entities = await thousand.page(request)
    rows = await thousand.page_rows(request)
    # Records on every backend and path: by key and by attribute alike.
    assert all(type(row) is Record for row in rows.items)
    assert all(row["id"] == row.id for row in rows.items)
    assert [row.id for row in rows.items] == [entity.id for entity in entities.items]
    assert rows.total == entities.total
    assert rows.next_cursor == entities.next_cursor
    first = entities.items[0]
    row = await thousand.get_row(first.id)
    assert row is not None
    assert (row["id"], row["name"], row["price"], row["urn"]) == (
        first.id,
        first.name,
        first.price,
        first.urn,
    )
    assert row["created_at"] == first.created_at
    assert await thousand.get_row(10**9) is None
