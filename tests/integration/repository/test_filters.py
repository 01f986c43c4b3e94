"""Every filter operator and AND/OR/NOT, on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from fastmvc.errors import FilterError
from fastmvc.repository import F, Not, Or, Repository, parse_filters
from tests.models import Widget


class WidgetRepository(Repository[Widget]):
    model = Widget


ROWS = [
    {"name": "alpha", "price": Decimal("10.00"), "stock": 5, "colour": "red"},
    {"name": "beta", "price": Decimal("20.00"), "stock": 0, "colour": None},
    {"name": "gamma 100%", "price": Decimal("30.00"), "stock": 7, "colour": "blue"},
    {"name": "delta_x", "price": Decimal("40.00"), "stock": 2, "colour": "Red"},
]


@pytest.fixture
async def repo(session: AsyncSession) -> WidgetRepository:
    repository = WidgetRepository(session)
    await repository.create_many(ROWS)
    return repository


async def names(repo: WidgetRepository, where: object) -> list[str]:
    return sorted(w.name for w in await repo.list(where))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (F("price", "eq", "20"), ["beta"]),
        (F("price", "ne", "20"), ["alpha", "delta_x", "gamma 100%"]),
        (F("price", "gt", "20"), ["delta_x", "gamma 100%"]),
        (F("price", "gte", "20"), ["beta", "delta_x", "gamma 100%"]),
        (F("price", "lt", "20"), ["alpha"]),
        (F("price", "lte", "20"), ["alpha", "beta"]),
        (F("colour", "like", "Re"), ["delta_x"]),
        (F("colour", "ilike", "re"), ["alpha", "delta_x"]),
        (F("stock", "in", "0,7"), ["beta", "gamma 100%"]),
        (F("stock", "not_in", "0,7"), ["alpha", "delta_x"]),
        (F("colour", "is_null", "true"), ["beta"]),
        (F("colour", "is_null", "false"), ["alpha", "delta_x", "gamma 100%"]),
        (F("price", "between", "15,35"), ["beta", "gamma 100%"]),
        (F("name", "eq", "alpha"), ["alpha"]),
    ],
)
async def test_each_operator(repo: WidgetRepository, where: F, expected: list[str]) -> None:
    assert await names(repo, where) == expected


async def test_like_escapes_wildcards(repo: WidgetRepository) -> None:
    # "%" and "_" in a user's value match themselves, not any character.
    assert await names(repo, F("name", "like", "100%")) == ["gamma 100%"]
    assert await names(repo, F("name", "like", "a_x")) == ["delta_x"]
    assert await names(repo, F("name", "like", "%")) == ["gamma 100%"]
    assert await names(repo, F("name", "ilike", "_")) == ["delta_x"]


async def test_and_or_not(repo: WidgetRepository) -> None:
    assert await names(repo, F("price", "gte", 20) & F("stock", "gt", 0)) == [
        "delta_x",
        "gamma 100%",
    ]
    assert await names(repo, F("name", "eq", "alpha") | F("stock", "eq", 0)) == ["alpha", "beta"]
    assert await names(repo, ~F("colour", "is_null", True)) == ["alpha", "delta_x", "gamma 100%"]
    assert await names(repo, ~(F("stock", "gt", 0) | F("price", "gt", 35))) == ["beta"]
    assert await names(
        repo, Or((F("price", "lt", 15), Not(F("stock", "gt", 0) | F("colour", "is_null", True))))
    ) == ["alpha"]


async def test_dict_shorthand_and_query_parser(repo: WidgetRepository) -> None:
    assert await names(repo, {"price__gte": 20, "stock__gt": 0}) == ["delta_x", "gamma 100%"]
    parsed = parse_filters([("price__gte", "20"), ("colour__ilike", "RE")])
    assert await names(repo, parsed) == ["delta_x"]
    assert await repo.count({"stock": 0}) == 1
    assert await repo.exists({"name": "beta"}) is True
    assert await repo.exists({"name": "nope"}) is False


@pytest.mark.parametrize(
    "where",
    [
        F("password_hash", "eq", "x"),
        F("_sa_instance_state", "eq", "x"),
        F("metadata", "eq", "x"),
        F("price", "regex", "x"),
        F("price", "gte", "ten"),
        F("stock", "in", "1,two"),
        F("price", "between", "1"),
        F("colour", "is_null", "maybe"),
        F("price", "eq", "NaN"),
    ],
)
async def test_bad_filters_raise_bad_input(repo: WidgetRepository, where: F) -> None:
    with pytest.raises(FilterError):
        await repo.list(where)
