"""Which :class:`~fastmvc.typemap.ColumnKind` a SQLAlchemy column type is, and its DTO type."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Text,
    Uuid,
)
from sqlalchemy.types import TypeDecorator, TypeEngine

from fastmvc import fields, typemap
from fastmvc.typemap import ColumnKind

__all__ = ["dto_type", "kind_of"]

# Most specific first: BigInteger is an Integer, Float a Numeric, Text and Enum Strings.
_CLASSES: tuple[tuple[type[TypeEngine[Any]], ColumnKind], ...] = (
    (Enum, typemap.ENUM),
    (BigInteger, typemap.BIGINT),
    (SmallInteger, typemap.SMALLINT),
    (Integer, typemap.INT),
    (Float, typemap.FLOAT),
    (Numeric, typemap.DECIMAL),
    (Boolean, typemap.BOOL),
    (Text, typemap.TEXT),
    (String, typemap.STR),
    (DateTime, typemap.DATETIME),
    (Date, typemap.DATE),
    (Uuid, typemap.UUID),
    (JSON, typemap.JSON),
    (LargeBinary, typemap.BINARY),
)


def _base_type(column_type: TypeEngine[Any]) -> TypeEngine[Any]:
    while isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    return column_type


def kind_of(column_type: TypeEngine[Any]) -> ColumnKind:
    """The kind of a SQLAlchemy column type (``OTHER`` for types the map does not know)."""
    base = _base_type(column_type)
    for cls, kind in _CLASSES:
        if isinstance(base, cls):
            return kind
    return typemap.OTHER


def dto_type(column_type: TypeEngine[Any], *, strict: bool = True) -> Any:
    """The request-DTO type that holds exactly what ``column_type`` holds, or ``None``.

    ``Numeric(10, 3)`` gives ``fields.numeric(10, 3)``, ``String(40)``
    ``fields.string(40)``, ``Integer`` the range of ``fields.Int32`` and so
    on. ``None`` means the map does not know the type (an Enum, binary or
    custom type): its values pass as they are.

    Args:
        column_type: A SQLAlchemy column type.
        strict: JSON-strict, as request DTOs are; ``False`` for values that
            come from Python code (the repository's own check).
    """
    base = _base_type(column_type)
    kind = kind_of(column_type)
    if kind is typemap.DECIMAL:
        precision = getattr(base, "precision", None)
        if precision is None:
            return Annotated[Decimal, Field(allow_inf_nan=False)]
        return fields.numeric(precision, getattr(base, "scale", None) or 0, strict=strict)
    if kind in (typemap.STR, typemap.TEXT):
        return fields.string(getattr(base, "length", None), strict=strict)
    if kind.int_range is not None:
        low, high = kind.int_range
        if strict:  # JSON: no wider than what every JSON reader holds exactly
            low, high = max(low, typemap.JSON_SAFE_RANGE[0]), min(high, typemap.JSON_SAFE_RANGE[1])
        return fields.integer(low, high, strict=strict)
    if kind is typemap.FLOAT:
        return fields.finite_float(strict=strict)
    if kind is typemap.DATETIME:
        return fields.aware_datetime(strict=strict)
    if kind is typemap.DATE:
        return fields.calendar_date(strict=strict)
    if kind is typemap.UUID:
        return fields.uuid_value(strict=strict)
    if kind is typemap.BOOL:
        return fields.StrictBool if strict else bool
    if kind is typemap.JSON:
        return fields.AnyJSON
    return None
