"""Request-DTO field types that hold exactly what their column holds.

Each type refuses, with a 422, what the database would refuse or silently
change: integers past the column's width, NaN and Infinity, decimals with
more digits than the column keeps, over-long strings, NUL characters, naive
datetimes. Values are normalised the way the database stores them
(decimals at the column's scale, datetimes in UTC), so a create or an update
answers exactly what a later GET returns.

They are also exactly as strict as the JSON Schema they publish: a JSON
value of the wrong type (``"12"`` for an integer, ``12`` for a decimal
string, a Unix timestamp for a datetime) is refused, never coerced, so the
OpenAPI document describes precisely what the server accepts.

The generator (``fastmvc add entity``) writes these names into the DTOs; the
type map in :mod:`fastmvc.typemap` says which one each column type takes.
Every builder takes ``strict``: the repository checks values from Python
code with ``strict=False`` (a plain ``int`` for a decimal is fine there).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    JsonValue,
    Strict,
    StringConstraints,
    WithJsonSchema,
)

from fastmvc.typemap import INT32_RANGE, INT64_RANGE, JSON_SAFE_RANGE

__all__ = [
    "INT32_MAX",
    "INT32_MIN",
    "INT64_MAX",
    "INT64_MIN",
    "JSONUUID",
    "AnyJSON",
    "Decimal12_2",
    "FiniteFloat",
    "Int32",
    "Int64",
    "JSONDate",
    "StrictBool",
    "String255",
    "Text",
    "UTCDatetime",
    "Version",
    "aware_datetime",
    "calendar_date",
    "finite_float",
    "integer",
    "numeric",
    "omitted",
    "string",
    "uuid_value",
]

INT32_MIN, INT32_MAX = INT32_RANGE
INT64_MIN, INT64_MAX = INT64_RANGE
NO_NUL_PATTERN = r"^[^\x00]*$"
"""PostgreSQL text cannot hold NUL; the schema says so, so clients never send one."""


def _json_integer(value: Any) -> Any:
    # JSON Schema counts 862.0 as an integer; a string or a boolean is not one.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be an integer")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("must be an integer")
        return int(value)
    return value


def integer(low: int, high: int, *, strict: bool = True) -> Any:
    """An integer column holding ``low`` to ``high``."""
    if strict:
        return Annotated[int, Field(ge=low, le=high), BeforeValidator(_json_integer)]
    return Annotated[int, Field(ge=low, le=high)]


def finite_float(*, strict: bool = True) -> Any:
    """A ``FLOAT`` column: NaN and Infinity are refused (JSON cannot carry them back)."""
    if strict:
        return Annotated[float, Strict(), Field(allow_inf_nan=False)]
    return Annotated[float, Field(allow_inf_nan=False)]


def _quantizer(scale: int) -> Callable[[Decimal], Decimal]:
    step = Decimal(1).scaleb(-scale)

    def quantize(value: Decimal) -> Decimal:
        # Within max_digits and decimal_places already, so this never rounds.
        return value.quantize(step)

    return quantize


def _decimal_pattern(precision: int, scale: int) -> str:
    whole = precision - scale
    integer_part = rf"\d{{1,{whole}}}" if whole > 0 else "0"
    fraction = rf"(\.\d{{1,{scale}}})?" if scale > 0 else ""
    return rf"^[+-]?{integer_part}{fraction}$"


def _decimal_gate(pattern: str) -> Callable[[Any], Any]:
    compiled = re.compile(pattern)

    def gate(value: Any) -> Any:
        if isinstance(value, Decimal):
            return value
        if isinstance(value, str) and compiled.fullmatch(value):
            return value
        raise ValueError(f"must be a decimal string matching {pattern}")

    return gate


def numeric(precision: int, scale: int, *, strict: bool = True) -> Any:
    """A ``NUMERIC(precision, scale)`` column.

    Finite, at most ``precision`` digits of which ``scale`` after the point,
    and shown with exactly ``scale`` decimals (``"-5"`` becomes ``"-5.00"``).
    In JSON it is a string (``"12.50"``): a JSON number could not carry the
    exact value.
    """
    bounds = Field(max_digits=precision, decimal_places=scale, allow_inf_nan=False)
    quantize = AfterValidator(_quantizer(scale))
    if not strict:
        return Annotated[Decimal, bounds, quantize]
    pattern = _decimal_pattern(precision, scale)
    return Annotated[
        Decimal,
        BeforeValidator(_decimal_gate(pattern)),
        bounds,
        quantize,
        WithJsonSchema({"type": "string", "pattern": pattern}, mode="validation"),
    ]


def string(max_length: int | None, *, strict: bool = True) -> Any:
    """A ``VARCHAR(max_length)`` column (``None``: ``TEXT``), kept as sent."""
    constraints = StringConstraints(
        max_length=max_length, pattern=NO_NUL_PATTERN, strip_whitespace=False
    )
    return Annotated[str, Strict(), constraints] if strict else Annotated[str, constraints]


# RFC 3339 as JSON Schema's "date-time" format means it; the offset is required.
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", re.ASCII
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_UUID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", re.ASCII)


def _gate(kind: type[Any], pattern: re.Pattern[str], example: str) -> Callable[[Any], Any]:
    def gate(value: Any) -> Any:
        if isinstance(value, kind):
            return value
        if isinstance(value, str) and pattern.fullmatch(value):
            return value
        raise ValueError(f"must be a string such as {example}")

    return gate


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetime must include a timezone, for example 2024-05-01T10:00:00Z")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("datetime is out of range once converted to UTC") from None


_NAIVE = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?", re.ASCII)


def _datetime_gate(value: Any) -> Any:
    if isinstance(value, str) and _NAIVE.fullmatch(value):
        raise ValueError("datetime must include a timezone, for example 2024-05-01T10:00:00Z")
    return _gate(datetime, _DATETIME, "2024-05-01T10:00:00Z")(value)


def aware_datetime(*, strict: bool = True) -> Any:
    """A ``TIMESTAMP WITH TIME ZONE`` column: naive values are refused; values become UTC."""
    utc = AfterValidator(_aware)
    if not strict:
        return Annotated[datetime, utc]
    return Annotated[datetime, BeforeValidator(_datetime_gate), utc]


def calendar_date(*, strict: bool = True) -> Any:
    """A ``DATE`` column, ``YYYY-MM-DD`` in JSON."""
    if not strict:
        return date
    return Annotated[date, BeforeValidator(_gate(date, _DATE, "2024-05-01"))]


def uuid_value(*, strict: bool = True) -> Any:
    """A ``UUID`` column, in its hyphenated form in JSON."""
    if not strict:
        return UUID
    example = "123e4567-e89b-12d3-a456-426614174000"
    return Annotated[UUID, BeforeValidator(_gate(UUID, _UUID, example))]


_JSON_FLOAT_LIMIT = float(2**53)


def _finite_json(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("JSON numbers must be finite")
    if isinstance(value, float) and abs(value) >= _JSON_FLOAT_LIMIT:
        # JSONB keeps the decimal text exactly ("1e308" as 10**308), which is
        # not the double a client sent; below 2**53 both agree.
        raise ValueError("JSON numbers with a fraction or exponent must be below 2**53")
    if isinstance(value, dict):
        for key, item in value.items():
            _finite_json(key)
            _finite_json(item)
    elif isinstance(value, list):
        for item in value:
            _finite_json(item)
    elif isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Int32 = integer(INT32_MIN, INT32_MAX)
"""An ``INTEGER`` column: 32 bits on PostgreSQL (SQLite is held to the same range)."""

Int64 = integer(*JSON_SAFE_RANGE)
"""A ``BIGINT`` column (and every foreign key to a FastMVC primary key).

In JSON it stops at ±(2**53 - 1): past that a JSON reader rounds the number
(see :data:`fastmvc.typemap.JSON_SAFE_RANGE`)."""

FiniteFloat = finite_float()
"""A ``FLOAT`` column: a JSON number, never NaN or Infinity."""

Decimal12_2 = numeric(12, 2)
"""The ``decimal`` field type of ``fastmvc add entity``: ``NUMERIC(12, 2)``."""

String255 = string(255)
"""The ``str`` field type of ``fastmvc add entity``: ``VARCHAR(255)``."""

Text = string(None)
"""The ``text`` field type of ``fastmvc add entity``: ``TEXT``."""

UTCDatetime = aware_datetime()
"""The ``datetime`` field type: RFC 3339 with an offset; stored and shown in UTC."""

JSONDate = calendar_date()
"""The ``date`` field type: ``YYYY-MM-DD``."""

JSONUUID = uuid_value()
"""The ``uuid`` field type: the hyphenated form."""

AnyJSON = Annotated[JsonValue, AfterValidator(_finite_json)]
"""The ``json`` field type: any JSON value (object, array, string, number, boolean or null)."""

Version = integer(1, INT32_MAX)
"""The optimistic-locking ``version`` a client sends back."""

StrictBool = Annotated[bool, Strict()]
"""The ``bool`` field type: JSON ``true`` or ``false`` only."""


def omitted() -> Any:
    """The default of an update field that may be left out but never set to ``null``.

    ``PATCH`` bodies only carry the fields that change, so every field needs a
    default. For a ``NOT NULL`` column that default must not invite a ``null``:
    the field keeps its non-optional type, and the OpenAPI schema shows no
    default. The controller dumps with ``exclude_unset``, so the default never
    reaches the database.
    """
    return Field(default=None, json_schema_extra=_drop_default)


def _drop_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)
