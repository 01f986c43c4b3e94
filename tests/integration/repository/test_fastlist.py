"""The asyncpg list fast path (fastmvc.repository.fastlist) gives exactly SQLAlchemy's pages."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import delete

from fastmvc.db import Base, Database
from fastmvc.errors import BadRequestError, FilterError
from fastmvc.repository import (
    F,
    PageRequest,
    PageResult,
    Repository,
    fastlist,
    parse_filters,
    parse_sort,
)
from fastmvc.repository.fastlist import cached_shapes, fast_page
from fastmvc.repository.record import Record
from fastmvc.testing import temporary_postgres_database
from tests.models import Document, Gadget, Memo, Widget
from tests.services import require

pytestmark = pytest.mark.postgres


class WidgetRepository(Repository[Widget]):
    model = Widget


class MemoRepository(Repository[Memo]):
    model = Memo


class GadgetRepository(Repository[Gadget]):
    model = Gadget


class DocumentRepository(Repository[Document]):
    model = Document


@pytest.fixture(scope="module")
async def postgres() -> AsyncIterator[Database]:
    async with temporary_postgres_database(require("postgres")) as url:
        database = Database(url, pool_size=2)
        await database.create_all(Base.metadata)
        async with database.unit_of_work() as session:
            widgets = WidgetRepository(session)
            for index in range(37):
                await widgets.create(
                    {
                        "name": f"w{index:02d}_{'%' if index % 7 == 0 else 'x'}",
                        "price": Decimal(index % 9) + Decimal("0.50"),
                        "stock": index % 4,
                        "colour": None if index % 3 == 0 else ("red", "blue")[index % 2],
                    }
                )
            memos = MemoRepository(session)
            for index in range(12):
                memo = await memos.create({"title": f"memo {index}"})
                if index % 3 == 0:
                    await memos.delete(memo.id)
            gadgets = GadgetRepository(session)
            start = datetime(2024, 1, 1, tzinfo=UTC)
            for index in range(15):
                await gadgets.create(
                    {
                        "code": uuid.UUID(int=index + 1),
                        "made_on": date(2024, 1, 1 + index),
                        "active": index % 2 == 0,
                        "weight": index / 4,
                        "notes": f"note {index}",
                        "seen_at": start + timedelta(hours=index),
                        "cost": Decimal(index) / 8,
                    }
                )
        yield database
        async with database.unit_of_work() as session:
            for model in (Widget, Memo, Gadget):
                await session.execute(delete(model))
        await database.dispose()


def _plain(page: PageResult[Any]) -> list[dict[str, Any]]:
    return [dict(row) if isinstance(row, Record) else dict(row._mapping) for row in page.items]


async def _both(
    database: Database, repository: type[Repository[Any]], request: PageRequest, **kw: Any
) -> tuple[PageResult[Any], PageResult[Any]]:
    """The page from the fast path (asserted taken) and from SQLAlchemy's path."""
    async with database.read_session() as reader:
        repo = repository(reader)
        keys = parse_sort(repo.model, request.sort)
        assert fast_page(reader, repo, request, keys, kw.get("scope")) is not None
        fast = await repo.page_rows(request, **kw)
        # SQLAlchemy's path would have made the session hold a connection.
        assert not reader.in_transaction()
        assert all(isinstance(row, Record) for row in fast.items)
    async with database.unit_of_work() as writer:  # not a read session: SQLAlchemy
        slow = await repository(writer).page_rows(request, **kw)
    return fast, slow


def _same(fast: PageResult[Any], slow: PageResult[Any]) -> None:
    assert _plain(fast) == _plain(slow)
    for fast_row, slow_row in zip(_plain(fast), _plain(slow), strict=True):
        for key, value in slow_row.items():
            assert isinstance(fast_row[key], type(value)), key
            # Equal is not enough: Decimal("1.50") == Decimal("1.5"), and so are
            # one instant's datetimes in two zones; the JSON would differ.
            assert repr(fast_row[key]) == repr(value), key
    assert (fast.next_cursor, fast.prev_cursor, fast.total) == (
        slow.next_cursor,
        slow.prev_cursor,
        slow.total,
    )


async def _walk(
    database: Database, repository: type[Repository[Any]], request: PageRequest, **kw: Any
) -> int:
    """Compare the first page, then every next page, then one page back; return rows seen."""
    fast, slow = await _both(database, repository, request, **kw)
    _same(fast, slow)
    seen = len(fast.items)
    while fast.next_cursor:
        forward = PageRequest(
            where=request.where,
            sort=request.sort,
            limit=request.limit,
            cursor=fast.next_cursor,
            with_total=request.with_total,
            include_deleted=request.include_deleted,
            only_deleted=request.only_deleted,
        )
        fast, slow = await _both(database, repository, forward, **kw)
        _same(fast, slow)
        seen += len(fast.items)
    if fast.prev_cursor:
        back = PageRequest(
            where=request.where,
            sort=request.sort,
            limit=request.limit,
            cursor=fast.prev_cursor,
            include_deleted=request.include_deleted,
            only_deleted=request.only_deleted,
        )
        _same(*await _both(database, repository, back, **kw))
    return seen


WIDGET_FILTERS: list[Any] = [
    None,
    parse_filters([("price__gte", "3.5")]),
    parse_filters([("price__gte", "2"), ("price__lt", "7.5"), ("stock__ne", "1")]),
    parse_filters([("name__like", "%")]),  # a literal percent sign, not a wildcard
    parse_filters([("name__ilike", "W1")]),
    parse_filters([("price__between", "1,5.5")]),
    parse_filters([("colour__is_null", "true")]),
    parse_filters([("colour", "red")]),
    F("colour", "eq", None),
    {"stock__lte": 2, "colour__ne": "blue"},
]


@pytest.mark.parametrize("where", WIDGET_FILTERS)
@pytest.mark.parametrize("sort", [None, "-price", "price,-name", "stock,name"])
@pytest.mark.parametrize("with_total", [False, True])
async def test_widget_pages_match(
    postgres: Database, where: Any, sort: str | None, with_total: bool
) -> None:
    request = PageRequest(where=where, sort=sort, limit=4, with_total=with_total)
    seen = await _walk(postgres, WidgetRepository, request)
    async with postgres.unit_of_work() as session:
        assert seen == await WidgetRepository(session).count(where)


@pytest.mark.parametrize("offset", [0, 5, 40])
async def test_offset_pages_match(postgres: Database, offset: int) -> None:
    for with_total in (False, True):
        request = PageRequest(sort="-price", limit=6, offset=offset, with_total=with_total)
        _same(*await _both(postgres, WidgetRepository, request))


async def test_an_empty_page_still_counts_the_total(postgres: Database) -> None:
    where = parse_filters([("price__gt", "1000")])
    fast, slow = await _both(postgres, WidgetRepository, PageRequest(where=where, with_total=True))
    _same(fast, slow)
    assert fast.total == 0 and fast.items == []
    request = PageRequest(where=parse_filters([("stock", "1")]), offset=30, with_total=True)
    fast, slow = await _both(postgres, WidgetRepository, request)
    _same(fast, slow)
    assert fast.items == [] and fast.total == 9


async def test_scoped_pages_match(postgres: Database) -> None:
    for stock in (0, 3):
        request = PageRequest(sort="-price", limit=3, with_total=True)
        await _walk(postgres, WidgetRepository, request, scope={"stock": stock})
        fast, _ = await _both(postgres, WidgetRepository, request, scope={"stock": stock})
        assert {row["stock"] for row in fast.items} == {stock}


@pytest.mark.parametrize(
    ("include_deleted", "only_deleted", "expected"),
    [(False, False, 8), (True, False, 12), (False, True, 4)],
)
async def test_soft_deleted_visibility_matches(
    postgres: Database, include_deleted: bool, only_deleted: bool, expected: int
) -> None:
    request = PageRequest(
        sort="-title", limit=3, include_deleted=include_deleted, only_deleted=only_deleted
    )
    assert await _walk(postgres, MemoRepository, request) == expected


@pytest.mark.parametrize(
    "where",
    [
        None,
        parse_filters([("seen_at__gte", "2024-01-01T05:00:00+02:00")]),
        parse_filters([("seen_at__lt", "2024-01-01T09:30:00")]),  # naive means UTC
        parse_filters([("made_on__between", "2024-01-03,2024-01-11")]),
        parse_filters([("active", "true"), ("cost__gt", "0.3")]),
        parse_filters([("code", str(uuid.UUID(int=4)))]),
    ],
)
@pytest.mark.parametrize("sort", ["-id", "seen_at", "-cost,id"])
async def test_typed_columns_match(postgres: Database, where: Any, sort: str) -> None:
    # Nullable sort keys: first pages run fast, the cursor pages fall back.
    request = PageRequest(where=where, sort=sort, limit=4, with_total=True)
    fast, slow = await _both(postgres, GadgetRepository, request)
    _same(fast, slow)
    if sort == "-id":
        await _walk(postgres, GadgetRepository, request)


async def test_cursor_shapes_that_fall_back(postgres: Database) -> None:
    async with postgres.read_session() as reader:
        repo = WidgetRepository(reader)
        first_colour = await repo.page_rows(PageRequest(sort="colour", limit=3))
        nullable = PageRequest(sort="colour", limit=3, cursor=first_colour.next_cursor)
        # A nullable sort key needs keyset_predicate's NULL handling: SQLAlchemy's path.
        assert fast_page(reader, repo, nullable, parse_sort(Widget, "colour"), None) is None
    async with postgres.unit_of_work() as writer:
        expected = await WidgetRepository(writer).page_rows(nullable)
    async with postgres.read_session() as reader:
        assert _plain(await WidgetRepository(reader).page_rows(nullable)) == _plain(expected)


@pytest.mark.parametrize(
    "where",
    [
        parse_filters([("stock__in", "1,2")]),
        parse_filters([("stock__not_in", "0")]),
        F("stock", "eq", 1) | F("stock", "eq", 2),
        ~F("stock", "eq", 1),
        F("stock", "eq", 1) & (F("stock", "eq", 2) | F("price", "gt", 3)),
    ],
)
async def test_filters_without_a_shape_fall_back(postgres: Database, where: Any) -> None:
    request = PageRequest(where=where, sort="-price", limit=50, with_total=True)
    async with postgres.read_session() as reader:
        repo = WidgetRepository(reader)
        assert fast_page(reader, repo, request, parse_sort(Widget, request.sort), None) is None
        fallback = await repo.page_rows(request)
    async with postgres.unit_of_work() as writer:
        slow = await WidgetRepository(writer).page_rows(request)
    assert _plain(fallback) == _plain(slow) and fallback.total == slow.total


async def test_other_sessions_and_models_fall_back(postgres: Database) -> None:
    request = PageRequest()
    async with postgres.unit_of_work() as writer:
        repo = WidgetRepository(writer)
        assert fast_page(writer, repo, request, parse_sort(Widget, None), None) is None
    async with postgres.read_session() as reader:
        repo = WidgetRepository(reader)
        await repo.count()  # the session now holds a connection: keep using it
        assert fast_page(reader, repo, request, parse_sort(Widget, None), None) is None
    async with postgres.read_session() as reader:
        documents = DocumentRepository(reader)  # a JSON column
        assert fast_page(reader, documents, request, parse_sort(Document, None), None) is None
    async with postgres.read_session() as reader:
        # A None scope value is "column IS NULL" on the other path.
        scoped = WidgetRepository(reader)
        keys = parse_sort(Widget, None)
        assert fast_page(reader, scoped, request, keys, {"colour": None}) is None
        page = await scoped.page_rows(request, scope={"colour": None})
        assert page.items and all(row.colour is None for row in page.items)


async def test_bad_input_raises_the_same_errors(postgres: Database) -> None:
    cases: list[tuple[PageRequest, type[Exception]]] = [
        (PageRequest(where=parse_filters([("nope", "1")])), FilterError),
        (PageRequest(where=parse_filters([("price__gte", "abc")])), FilterError),
        (PageRequest(where=parse_filters([("price__between", "1")])), FilterError),
        (PageRequest(where=parse_filters([("price__like", "1")])), FilterError),
        (PageRequest(where=parse_filters([("colour__is_null", "maybe")])), FilterError),
        (PageRequest(cursor="not-a-cursor"), BadRequestError),
        # A bad filter and a bad cursor: the filter's error, on both paths.
        (PageRequest(where=parse_filters([("nope", "1")]), cursor="x"), FilterError),
    ]
    for request, error in cases:
        messages = []
        async with postgres.read_session() as reader:
            with pytest.raises(error) as fast:
                await WidgetRepository(reader).page_rows(request)
            messages.append(str(fast.value))
        async with postgres.unit_of_work() as writer:
            with pytest.raises(error) as slow:
                await WidgetRepository(writer).page_rows(request)
            messages.append(str(slow.value))
        assert messages[0] == messages[1]


async def test_shapes_are_cached_once_and_bounded(
    postgres: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = postgres.engine
    monkeypatch.setattr(fastlist, "MAX_SHAPES", 5)
    async with postgres.read_session() as reader:
        repo = GadgetRepository(reader)
        before = cached_shapes(engine, Gadget)
        for value in ("1", "2", "3"):  # new values, one shape
            await repo.page_rows(PageRequest(where=parse_filters([("weight__gte", value)])))
        assert cached_shapes(engine, Gadget) <= before + 1
        # As many shapes as a hostile client likes: the cache keeps MAX_SHAPES.
        for field in ("weight", "cost", "made_on", "seen_at", "notes", "active", "code", "id"):
            for op in ("eq", "ne", "gt"):
                if field in {"notes", "active", "code"} and op == "gt":
                    op = "eq"
                value = {"made_on": "2024-01-02", "seen_at": "2024-01-01T00:00:00+00:00"}.get(
                    field, {"active": "true", "code": str(uuid.UUID(int=1))}.get(field, "1")
                )
                request = PageRequest(where=parse_filters([(f"{field}__{op}", value)]))
                await repo.page_rows(request)
                assert cached_shapes(engine, Gadget) <= 5
        assert cached_shapes(engine, Gadget) == 5
        # The first shape was evicted long ago and still answers, rebuilt.
        page = await repo.page_rows(PageRequest(where=parse_filters([("weight__gte", "3")])))
        assert [row.weight for row in page.items] == [3.0, 3.25, 3.5]
        assert not reader.in_transaction()


async def test_http_list_runs_on_the_fast_path(postgres: Database) -> None:
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
    engine = app.state.fastmvc.database.engine
    query = "price__gte=3.5&name__ilike=W&sort=-price&limit=4&with_total=true"
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            assert cached_shapes(engine, Widget) == 0
            first = await client.get(f"/widgets?{query}")
            assert first.status_code == 200, first.text
            assert cached_shapes(engine, Widget) == 1  # the list ran on asyncpg
            page = first.json()["data"]
            nxt = await client.get(f"/widgets?{query}&cursor={page['next_cursor']}")
            assert nxt.status_code == 200
            bad = await client.get("/widgets?price__gte=abc")
            assert bad.status_code == 400
    finally:
        await app.state.fastmvc.aclose()
    request = PageRequest(
        where=parse_filters([("price__gte", "3.5"), ("name__ilike", "W")]),
        sort="-price",
        limit=4,
        with_total=True,
    )
    async with postgres.unit_of_work() as writer:  # SQLAlchemy's path
        expected = await WidgetRepository(writer).page_rows(request)
    assert [item["id"] for item in page["items"]] == [row.id for row in expected.items]
    assert [item["price"] for item in page["items"]] == [str(row.price) for row in expected.items]
    assert (page["next_cursor"], page["total"]) == (expected.next_cursor, expected.total)
