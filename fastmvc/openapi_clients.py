"""What makes the OpenAPI document good input for client generators (openapi-python-client…).

- Every operation gets a readable ``operationId``: its route's name
  (``product_list``, ``auth_login``), where FastAPI would otherwise glue the
  function name, path and method together (``login_auth_login_post``).
- The CRUD list route declares its filter query parameters, one per column and
  operator the server accepts, so a generated client can send them.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Any

from fastapi.routing import APIRoute
from sqlalchemy import inspect

from fastmvc.repository.columns import python_type
from fastmvc.repository.filters import OPERATORS

__all__ = ["filter_parameters", "operation_id"]

_INT64 = {"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1}
_TEXT_OPERATORS = frozenset({"like", "ilike"})
_LIST_OPERATORS = frozenset({"in", "not_in", "between"})


def operation_id(route: APIRoute) -> str:
    """The ``operationId`` of ``route``: its name, as an identifier.

    Pass it to FastAPI as ``generate_unique_id_function`` (``create_app``
    does). Name routes ``<resource>_<verb>`` to keep the ids unique.
    """
    return re.sub(r"\W+", "_", route.name).strip("_") or "operation"


def _value_schema(kind: type[Any] | None) -> dict[str, Any]:
    if kind is bool:
        return {"type": "boolean"}
    if kind is int:
        return dict(_INT64)
    if kind is float:
        return {"type": "number"}
    if kind is datetime:
        return {"type": "string", "format": "date-time"}
    if kind is date:
        return {"type": "string", "format": "date"}
    if kind is uuid.UUID:
        return {"type": "string", "format": "uuid"}
    return {"type": "string"}


def filter_parameters(model: type[Any]) -> list[dict[str, Any]]:
    """The OpenAPI query parameters of the list route's filters on ``model``.

    ``field`` (equality) and ``field__op`` for every operator the field's type
    supports: ``like``/``ilike`` on text only; ``in``, ``not_in`` and
    ``between`` take comma-separated values; ``is_null`` takes a boolean.
    """
    parameters: list[dict[str, Any]] = []
    mapper = inspect(model)
    for name in mapper.columns.keys():  # noqa: SIM118 (a ColumnCollection, not a dict)
        if name.startswith("_"):
            continue
        kind = python_type(getattr(model, name))
        for op in OPERATORS:
            if op in _TEXT_OPERATORS and kind is not str:
                continue
            if op in _LIST_OPERATORS:
                schema: dict[str, Any] = {"type": "string"}
                description = f"{name} {op.replace('_', ' ')}: comma-separated values"
            elif op == "is_null":
                schema = {"type": "boolean"}
                description = f"{name} is null (true) or not null (false)"
            else:
                schema = _value_schema(kind)
                description = f"{name} {op}"
            parameters.append(
                {
                    "name": name if op == "eq" else f"{name}__{op}",
                    "in": "query",
                    "required": False,
                    "schema": schema,
                    "description": description,
                }
            )
    return parameters
