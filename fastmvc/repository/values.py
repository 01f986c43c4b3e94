"""Check and normalise column values before the driver sees them.

Every value a repository writes passes through the type map's DTO type for
its column (:func:`fastmvc.typemap.dto_type`): a 2**40 in a 32-bit column, a
NaN, a naive datetime or a decimal with too many places is a 422 here,
never a driver error. Values come out as the column stores them (decimals at
the column's scale, datetimes in UTC), so the row a create returns matches
what a later read gives.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import inspect
from sqlalchemy.sql import ClauseElement

from fastmvc.db.kinds import dto_type
from fastmvc.errors import ValidationFailedError

__all__ = ["check_values"]

# Per model: column key -> adapter (None when the map leaves the column alone).
_ADAPTERS: dict[type[Any], dict[str, TypeAdapter[Any] | None]] = {}


def _adapters(model: type[Any]) -> dict[str, TypeAdapter[Any] | None]:
    adapters = _ADAPTERS.get(model)
    if adapters is None:
        adapters = {}
        for column in inspect(model).columns:
            annotation = dto_type(column.type, strict=False)
            adapters[column.key] = None if annotation is None else TypeAdapter(annotation)
        _ADAPTERS[model] = adapters
    return adapters


def check_values(model: type[Any], values: Mapping[str, Any], resource: str) -> dict[str, Any]:
    """Return ``values`` validated and normalised for ``model``'s columns.

    ``None`` and SQL expressions pass unchanged (the database judges NULLs).

    Raises:
        ValidationFailedError: A value does not fit its column (422, one entry per field).
    """
    adapters = _adapters(model)
    checked: dict[str, Any] = {}
    problems: list[dict[str, str]] = []
    for key, value in values.items():
        adapter = adapters.get(key)
        if adapter is None or value is None or isinstance(value, ClauseElement):
            checked[key] = value
            continue
        try:
            checked[key] = adapter.validate_python(value)
        except ValidationError as error:
            for item in error.errors(include_url=False):
                problems.append({"field": key, "message": item["msg"], "type": item["type"]})
    if problems:
        raise ValidationFailedError(
            f"{resource} has values its columns cannot hold", errors=problems
        )
    return checked
