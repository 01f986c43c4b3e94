"""Opaque keyset cursors and the WHERE clause that resumes after one.

A cursor is URL-safe base64 of a small JSON document holding the sort values
of the row it points at (the primary key last) and the direction to read.
It is opaque to clients: they pass back what they got.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import and_, false, or_, tuple_
from sqlalchemy.sql.elements import ColumnElement

from fastmvc.errors import BadRequestError
from fastmvc.repository.columns import coerce
from fastmvc.repository.sorting import SortKey

__all__ = ["Cursor", "decode_cursor", "encode_cursor", "keyset_predicate"]

MAX_CURSOR_LENGTH = 2048
Direction = Literal["next", "prev"]


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page starts: the sort values of a row, and which way to read."""

    values: tuple[Any, ...]
    direction: Direction = "next"


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    return value


def encode_cursor(values: Sequence[Any], direction: Direction = "next") -> str:
    """Encode the sort values of one row as an opaque cursor."""
    payload = {"v": [_to_json(value) for value in values], "d": "p" if direction == "prev" else "n"}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(token: str, keys: Sequence[SortKey]) -> Cursor:
    """Decode a cursor made for the same sort order.

    Raises:
        BadRequestError: The cursor is malformed or was made for another sort.
    """
    invalid = BadRequestError("Invalid cursor", response_key="error_invalid_cursor")
    if len(token) > MAX_CURSOR_LENGTH:
        raise invalid
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        raw_values = payload["v"]
        direction: Direction = "prev" if payload.get("d") == "p" else "next"
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError):
        raise invalid from None
    if not isinstance(raw_values, list) or len(raw_values) != len(keys):
        raise invalid
    try:
        values = tuple(
            None if raw is None else coerce(key.column, raw if isinstance(raw, str) else str(raw))
            for key, raw in zip(keys, raw_values, strict=True)
        )
    except BadRequestError:
        raise invalid from None
    if values[-1] is None:
        raise invalid
    return Cursor(values, direction)


def _after(key: SortKey, value: Any, descending: bool) -> ColumnElement[bool]:
    """Rows strictly after ``value`` on this key, NULLs last ascending / first descending."""
    column = key.column
    if not descending:
        if value is None:
            return false()
        after: ColumnElement[bool] = column > value
        return or_(after, column.is_(None)) if key.nullable else after
    if value is None:
        return column.is_not(None)
    before: ColumnElement[bool] = column < value
    return before


def _equal(key: SortKey, value: Any) -> ColumnElement[bool]:
    return key.column.is_(None) if value is None else key.column == value


def keyset_predicate(
    keys: Sequence[SortKey], values: Sequence[Any], *, reverse: bool = False
) -> ColumnElement[bool]:
    """WHERE clause for the rows after ``values`` in the order of ``keys``.

    Expands to ``k1 > v1 OR (k1 = v1 AND k2 > v2) OR …`` with each key's own
    direction, which is correct for mixed ASC/DESC orders and nullable
    columns. ``reverse`` reads the other way, for backward pages.
    """
    directions = {key.descending != reverse for key in keys}
    if len(directions) == 1 and not any(key.nullable for key in keys) and None not in values:
        # One direction and no NULLs: a row-value comparison, which PostgreSQL
        # serves straight from a composite index however deep the page is.
        left = tuple_(*(key.column for key in keys))
        right = tuple_(*values)
        row: ColumnElement[bool] = left < right if directions.pop() else left > right
        return row
    clauses: list[ColumnElement[bool]] = []
    prefix: list[ColumnElement[bool]] = []
    for key, value in zip(keys, values, strict=True):
        descending = key.descending != reverse
        clauses.append(and_(*prefix, _after(key, value, descending)))
        prefix.append(_equal(key, value))
    return or_(*clauses)
