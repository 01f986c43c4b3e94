"""Keyset cursors up close: the encoding, every way a cursor is refused, and NULL-aware predicates."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fastmvc.errors import BadRequestError
from fastmvc.repository.cursor import (
    MAX_CURSOR_LENGTH,
    Cursor,
    decode_cursor,
    encode_cursor,
    keyset_predicate,
)
from fastmvc.repository.sorting import SortKey
from tests.models import Gadget, Widget

GADGET_KEYS = [
    SortKey(Gadget.code),
    SortKey(Gadget.made_on),
    SortKey(Gadget.seen_at, descending=True),
    SortKey(Gadget.cost),
    SortKey(Gadget.notes),
    SortKey(Gadget.id),
]
NOTES_KEYS = [SortKey(Gadget.notes), SortKey(Gadget.id)]


def raw(payload: Any) -> str:
    text = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(text).rstrip(b"=").decode()


def test_the_encoding_is_compact_unpadded_base64url_json() -> None:
    assert encode_cursor([1]) == raw({"v": [1], "d": "n"})
    assert encode_cursor(["a b", 2], "prev") == raw({"v": ["a b", 2], "d": "p"})
    assert "=" not in encode_cursor(["ab", 1])


def test_every_column_type_round_trips_with_its_direction() -> None:
    values = (
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
        date(2024, 2, 29),
        datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        Decimal("12.345"),
        None,
        42,
    )
    for direction in ("next", "prev"):
        token = encode_cursor(values, direction)  # type: ignore[arg-type]
        assert decode_cursor(token, GADGET_KEYS) == Cursor(values, direction)  # type: ignore[arg-type]
    payload = json.loads(base64.urlsafe_b64decode(encode_cursor(values) + "=="))
    assert payload["v"] == [
        "12345678-1234-5678-1234-567812345678",
        "2024-02-29",
        "2024-01-02T03:04:05.678901+00:00",
        "12.345",
        None,
        42,
    ]


@pytest.mark.parametrize(("marker", "direction"), [("p", "prev"), ("n", "next"), ("x", "next")])
def test_direction_is_prev_only_when_marked_p(marker: str, direction: str) -> None:
    assert decode_cursor(raw({"v": ["a", 1], "d": marker}), NOTES_KEYS).direction == direction
    assert decode_cursor(raw({"v": ["a", 1]}), NOTES_KEYS).direction == "next"


def test_cursors_up_to_the_maximum_length_are_read() -> None:
    assert MAX_CURSOR_LENGTH == 2048
    filler = next(
        "x" * n for n in range(1400, 1600) if len(encode_cursor(["x" * n, 1])) == MAX_CURSOR_LENGTH
    )
    assert decode_cursor(encode_cursor([filler, 1]), NOTES_KEYS).values == (filler, 1)
    longer = encode_cursor([filler + "xxx", 1])
    assert len(longer) > MAX_CURSOR_LENGTH
    with pytest.raises(BadRequestError):
        decode_cursor(longer, NOTES_KEYS)


@pytest.mark.parametrize(
    "token",
    [
        "%%%",  # not base64
        base64.urlsafe_b64encode(b"not json").decode(),
        raw([1, 2]),  # JSON, but not an object
        raw({"d": "n"}),  # no values
        raw({"v": "a,1"}),  # values not a list
        raw({"v": ["a"]}),  # too few values for the sort
        raw({"v": ["a", 1, 2]}),  # too many
        raw({"v": ["a", None]}),  # the primary key may not be null
        raw({"v": ["a", "one"]}),  # not an integer id
        raw({"v": ["a", 2**70]}),  # a JSON number outside BIGINT: checked like a string would be
        raw({"v": ["a", 1.5]}),  # a JSON float where an integer id belongs
        base64.urlsafe_b64encode("é".encode("latin-1")).decode(),  # not UTF-8
    ],
)
def test_malformed_cursors_are_one_bad_request(token: str) -> None:
    with pytest.raises(BadRequestError) as info:
        decode_cursor(token, NOTES_KEYS)
    assert info.value.status_code == 400
    assert info.value.response_key == "error_invalid_cursor"
    assert str(info.value.message) == "Invalid cursor"


def test_numbers_in_a_cursor_are_read_through_the_column_type() -> None:
    assert decode_cursor(raw({"v": ["a", 7]}), NOTES_KEYS).values == ("a", 7)
    assert decode_cursor(raw({"v": [None, "7"]}), NOTES_KEYS).values == (None, 7)
    assert decode_cursor(raw({"v": [5, 7]}), NOTES_KEYS).values == ("5", 7)


ROWS = [("a", 1), ("a", 2), ("b", 3), (None, 4), (None, 5), ("c", 6)]


@pytest.fixture
async def notes(session: AsyncSession) -> AsyncSession:
    session.add_all(Gadget(id=10 + pk, notes=note) for note, pk in ROWS)
    await session.flush()
    return session


async def after(session: AsyncSession, keys: list[SortKey], values: tuple[Any, ...]) -> list[int]:
    query = select(Gadget.id).where(Gadget.id >= 10, keyset_predicate(keys, values))
    return sorted(pk - 10 for pk in (await session.scalars(query)).all())


@pytest.mark.parametrize(
    ("descending", "values", "expected"),
    [
        # Ascending: NULLs last.
        (False, ("a", 11), [2, 3, 4, 5, 6]),
        (False, ("b", 13), [4, 5, 6]),
        (False, (None, 14), [5]),
        # Descending: NULLs first.
        (True, (None, 15), [1, 2, 3, 4, 6]),
        (True, (None, 14), [1, 2, 3, 6]),
        (True, ("c", 16), [1, 2, 3]),
        (True, ("a", 12), [1]),
    ],
)
async def test_keyset_on_a_nullable_column(
    notes: AsyncSession, descending: bool, values: tuple[Any, ...], expected: list[int]
) -> None:
    keys = [SortKey(Gadget.notes, descending=descending), SortKey(Gadget.id, descending=descending)]
    # Ties on the sort column are broken by the id in the same direction.
    ids = await after(notes, keys, values)
    assert ids == sorted(expected)


async def test_reverse_reads_the_other_way(notes: AsyncSession) -> None:
    keys = [SortKey(Gadget.notes), SortKey(Gadget.id)]
    assert await after_reverse(notes, keys, ("b", 13)) == [1, 2]
    assert await after_reverse(notes, keys, (None, 15)) == [1, 2, 3, 4, 6]


async def after_reverse(
    session: AsyncSession, keys: list[SortKey], values: tuple[Any, ...]
) -> list[int]:
    query = select(Gadget.id).where(Gadget.id >= 10, keyset_predicate(keys, values, reverse=True))
    return sorted(pk - 10 for pk in (await session.scalars(query)).all())


async def test_mixed_directions_without_nulls(session: AsyncSession) -> None:
    session.add_all(
        Widget(name=f"kd-{pk}", price=Decimal(price), stock=stock)
        for pk, price, stock in [(1, 1, 5), (2, 1, 3), (3, 2, 9), (4, 2, 1), (5, 3, 0)]
    )
    await session.flush()
    keys = [SortKey(Widget.price), SortKey(Widget.stock, descending=True), SortKey(Widget.id)]
    start = (await session.scalars(select(Widget).where(Widget.name == "kd-2"))).one()
    query = select(Widget.name).where(
        Widget.name.like("kd-%"), keyset_predicate(keys, (Decimal(1), 3, start.id))
    )
    assert sorted((await session.scalars(query)).all()) == ["kd-3", "kd-4", "kd-5"]
    same_direction = [SortKey(Widget.price), SortKey(Widget.id)]
    query = select(Widget.name).where(
        Widget.name.like("kd-%"), keyset_predicate(same_direction, (Decimal(2), start.id))
    )
    assert sorted((await session.scalars(query)).all()) == ["kd-3", "kd-4", "kd-5"]
    query = select(Widget.name).where(
        Widget.name.like("kd-%"),
        keyset_predicate(same_direction, (Decimal(2), start.id), reverse=True),
    )
    assert sorted((await session.scalars(query)).all()) == ["kd-1", "kd-2"]


def test_one_direction_without_nulls_is_a_row_value_comparison() -> None:
    keys = [SortKey(Widget.price), SortKey(Widget.id)]
    sql = str(keyset_predicate(keys, (Decimal(2), 5)).compile())
    assert sql.startswith("(test_widgets.price, test_widgets.id) >")
    nullable = [SortKey(Gadget.notes), SortKey(Gadget.id)]
    assert " OR " in str(keyset_predicate(nullable, ("a", 5)).compile())


def test_values_must_match_the_keys() -> None:
    mixed = [SortKey(Widget.price), SortKey(Widget.stock, descending=True), SortKey(Widget.id)]
    with pytest.raises(ValueError):
        keyset_predicate(mixed, (Decimal(1), 3))
