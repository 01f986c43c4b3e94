"""The filter language's edges: list limits, booleans, NULLs, combinators and their errors."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from fastmvc.errors import FilterError
from fastmvc.repository import OPERATORS, And, F, Not, Or, Repository, parse_filters
from fastmvc.repository.filters import MAX_LIST_VALUES, coerce_bool, compile_filter
from tests.models import Document, Gadget, Widget


class WidgetRepository(Repository[Widget]):
    model = Widget


ROWS = [
    {"name": "alpha", "price": Decimal("10.00"), "stock": 5, "colour": "red"},
    {"name": "beta", "price": Decimal("20.00"), "stock": 0, "colour": None},
    {"name": "gamma", "price": Decimal("30.00"), "stock": 7, "colour": "blue"},
]
ALL = ["alpha", "beta", "gamma"]


@pytest.fixture
async def repo(session: AsyncSession) -> WidgetRepository:
    repository = WidgetRepository(session)
    await repository.create_many(ROWS)
    return repository


async def names(repo: WidgetRepository, where: object) -> list[str]:
    return sorted(w.name for w in await repo.list(where))  # type: ignore[arg-type]


async def test_in_takes_up_to_the_maximum_number_of_values(repo: WidgetRepository) -> None:
    values = ",".join(str(n) for n in range(MAX_LIST_VALUES - 1)) + ", 7"
    assert MAX_LIST_VALUES == 200
    assert await names(repo, F("stock", "in", values)) == ["alpha", "beta", "gamma"]
    with pytest.raises(FilterError, match=r"Too many values for 'stock' \(at most 200\)"):
        await repo.list(F("stock", "in", values + ",1000"))


async def test_in_and_between_take_lists_as_well_as_strings(repo: WidgetRepository) -> None:
    assert await names(repo, F("stock", "in", [0, 7])) == ["beta", "gamma"]
    assert await names(repo, F("stock", "not_in", (0, 7))) == ["alpha"]
    assert await names(repo, F("price", "between", [" 15", "35 "])) == ["beta", "gamma"]
    assert await names(repo, F("price", "between", " 15 , 35 ")) == ["beta", "gamma"]
    assert await names(repo, F("name", "in", "alpha, gamma ")) == ["alpha", "gamma"]
    with pytest.raises(FilterError, match="'between' on 'price' needs exactly two values"):
        await repo.list(F("price", "between", "1,2,3"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", ["beta"]),
        ("TRUE", ["beta"]),
        ("1", ["beta"]),
        ("yes", ["beta"]),
        (True, ["beta"]),
        ("false", ["alpha", "gamma"]),
        ("0", ["alpha", "gamma"]),
        ("no", ["alpha", "gamma"]),
        (False, ["alpha", "gamma"]),
    ],
)
async def test_is_null_reads_booleans(
    repo: WidgetRepository, value: object, expected: list[str]
) -> None:
    assert await names(repo, F("colour", "is_null", value)) == expected


async def test_a_bad_is_null_value_names_its_field(repo: WidgetRepository) -> None:
    with pytest.raises(FilterError) as info:
        await repo.list(F("colour", "is_null", "maybe"))
    assert str(info.value.message) == "Invalid boolean for 'colour': 'maybe'"


def test_a_bad_boolean_names_the_field_and_a_bounded_value() -> None:
    with pytest.raises(FilterError) as info:
        coerce_bool("colour", "x" * 100)
    assert str(info.value.message) == f"Invalid boolean for 'colour': {'x' * 64!r}"


async def test_eq_and_ne_none_mean_is_null_and_is_not_null(repo: WidgetRepository) -> None:
    assert await names(repo, F("colour", "eq", None)) == ["beta"]
    assert await names(repo, F("colour")) == ["beta"]  # eq is the default operator
    assert await names(repo, F("colour", "ne", None)) == ["alpha", "gamma"]


@pytest.mark.parametrize("value", [5, None, "re\x00d"])
async def test_like_needs_a_string_without_nul(repo: WidgetRepository, value: object) -> None:
    with pytest.raises(FilterError, match="'like' on 'colour' needs a string without NUL"):
        await repo.list(F("colour", "like", value))
    with pytest.raises(FilterError, match="'like' on 'colour' needs a string without NUL"):
        await repo.list(F("colour", "ilike", value))


async def test_combinators_nest_and_flatten(repo: WidgetRepository) -> None:
    cheap, stocked, red = F("price", "lt", 25), F("stock", "gt", 0), F("colour", "eq", "red")
    both = cheap & stocked
    assert both == And((cheap, stocked))
    assert both & red == And((cheap, stocked, red))
    assert await names(repo, both & red) == ["alpha"]
    either = cheap | stocked
    assert either == Or((cheap, stocked))
    assert either | red == Or((cheap, stocked, red))
    assert await names(repo, either) == ALL
    assert either & red == And((either, red))
    assert await names(repo, either & red) == ["alpha"]
    assert both | red == Or((both, red))
    assert await names(repo, both | F("name", "eq", "gamma")) == ["alpha", "gamma"]
    assert ~both == Not(both) and ~either == Not(either)
    assert await names(repo, ~both) == ["beta", "gamma"]
    assert await names(repo, ~either) == []
    negated = ~cheap
    assert ~negated == cheap  # a double negation is the condition itself
    assert negated & red == And((negated, red))
    assert negated | red == Or((negated, red))
    assert await names(repo, negated | red) == ["alpha", "gamma"]
    assert await names(repo, negated & stocked) == ["gamma"]


async def test_empty_and_matches_everything_and_empty_or_nothing(repo: WidgetRepository) -> None:
    assert await names(repo, And(())) == ALL
    assert await names(repo, Or(())) == []
    assert await names(repo, None) == ALL


async def test_mappings_split_keys_on_the_last_double_underscore(repo: WidgetRepository) -> None:
    assert await names(repo, {"stock__gte": "5", "price__lt": "25"}) == ["alpha"]
    assert await names(repo, {"name": "beta"}) == ["beta"]
    assert await names(repo, And(({"stock": 7},))) == ["gamma"]
    parsed = parse_filters({"price__gt": "15", "colour__is_null": "false"})
    assert parsed == And((F("price", "gt", "15"), F("colour", "is_null", "false")))
    assert parse_filters([("name", "a"), ("name", "b")]) == And(
        (F("name", "eq", "a"), F("name", "eq", "b"))
    )
    assert parse_filters([("a__b__gte", "1")]) == And((F("a__b", "gte", "1"),))


def test_unknown_operator_lists_the_known_ones() -> None:
    with pytest.raises(FilterError) as info:
        compile_filter(Widget, F("price", "regex", "x"))
    assert str(info.value.message) == (
        "Unknown operator 'regex' for 'price'; use one of " + ", ".join(OPERATORS)
    )
    assert info.value.status_code == 400


@pytest.mark.parametrize(
    ("model", "field", "op", "message"),
    [
        (Gadget, "active", "like", "Operator 'like' does not apply to 'active' (bool column)"),
        (
            Document,
            "body",
            "eq",
            "Operator 'eq' does not apply to 'body' (json column); it cannot be filtered",
        ),
    ],
)
def test_an_operator_the_column_kind_lacks_is_named_in_the_400(
    model: type[Any], field: str, op: str, message: str
) -> None:
    # The message is what the 400 envelope shows.
    with pytest.raises(FilterError) as info:
        compile_filter(model, F(field, op, "x"))
    assert info.value.message == message
    assert info.value.status_code == 400


def test_something_that_is_not_a_filter_is_refused() -> None:
    with pytest.raises(FilterError, match="Unsupported filter: int"):
        compile_filter(Widget, 5)  # type: ignore[arg-type]
