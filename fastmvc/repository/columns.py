"""Resolve user-given field names to mapped columns, and coerce string values to their types."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.schema import Column

from fastmvc.db.kinds import kind_of
from fastmvc.errors import FilterError
from fastmvc.typemap import ColumnKind

__all__ = ["coerce", "column_kind", "mapped_column_for", "python_type"]

_INT64 = (-(2**63), 2**63 - 1)
# Far beyond any NUMERIC column, yet small enough that no driver chokes on it.
_MAX_DECIMAL_EXPONENT = 300
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def mapped_column_for(model: type[Any], name: str) -> InstrumentedAttribute[Any]:
    """Return the model attribute for ``name``, refusing anything that is not a mapped column."""
    columns = inspect(model).columns
    if name.startswith("_") or name not in columns:
        raise FilterError(f"Unknown field: {name!r}")
    attribute = getattr(model, name)
    if not isinstance(attribute, InstrumentedAttribute):
        raise FilterError(f"Unknown field: {name!r}")
    return attribute


def column_kind(attribute: InstrumentedAttribute[Any]) -> ColumnKind:
    """The type-map kind of a mapped column: which operators it takes, whether it sorts."""
    return kind_of(attribute.property.columns[0].type)


def python_type(attribute: InstrumentedAttribute[Any]) -> type[Any] | None:
    """Return the Python type a column holds, or ``None`` when the type does not say."""
    column = attribute.property.columns[0]
    if not isinstance(column, Column):
        return None
    try:
        return column.type.python_type
    except NotImplementedError:
        return None


def coerce(attribute: InstrumentedAttribute[Any], raw: Any) -> Any:
    """Turn ``raw`` (usually a query-string value) into the column's Python type.

    Raises:
        FilterError: The value cannot be read as that type.
    """
    if not isinstance(raw, str):
        return raw
    target = python_type(attribute)
    try:
        if "\x00" in raw:
            # PostgreSQL text cannot hold NUL; refuse it before the driver does.
            raise ValueError(raw)
        if target is None or target is str:
            return raw
        if target is bool:
            lowered = raw.lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
            raise ValueError(raw)
        if target is int:
            number = int(raw)
            low, high = column_kind(attribute).int_range or _INT64
            if not low <= number <= high:
                raise ValueError(raw)
            return number
        if target is float:
            real = float(raw)
            if real != real or real in (float("inf"), float("-inf")):
                raise ValueError(raw)
            return real
        if target is Decimal:
            value = Decimal(raw)
            if not value.is_finite() or abs(value.adjusted()) > _MAX_DECIMAL_EXPONENT:
                raise ValueError(raw)
            return value
        if target is datetime:
            moment = datetime.fromisoformat(raw)
            # A query string without an offset means UTC, the zone we store.
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        if target is date:
            return date.fromisoformat(raw)
        if target is uuid.UUID:
            return uuid.UUID(raw)
    except (ValueError, InvalidOperation, OverflowError):
        raise FilterError(
            f"Invalid value for {attribute.key!r}: {raw[:64]!r}",
            errors=[{"field": attribute.key, "message": "invalid value", "type": "value_error"}],
        ) from None
    return raw
