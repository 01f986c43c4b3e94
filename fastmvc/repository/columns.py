"""Resolve user-given field names to mapped columns, and coerce string values to their types."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.schema import Column

from fastmvc.errors import FilterError

__all__ = ["coerce", "mapped_column_for", "python_type"]

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
            return int(raw)
        if target is float:
            return float(raw)
        if target is Decimal:
            value = Decimal(raw)
            if not value.is_finite():
                raise ValueError(raw)
            return value
        if target is datetime:
            return datetime.fromisoformat(raw)
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
