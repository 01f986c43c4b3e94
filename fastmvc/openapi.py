"""What the CRUD routes tell OpenAPI: their statuses, and a sort parameter true to the model.

The document is the contract (ARCHITECTURE.md, "Input and failure rules"):
each route declares every status it can send, and ``sort`` takes exactly the
field names the repository can order by, with an example from the entity.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import inspect

from fastmvc.db.kinds import kind_of
from fastmvc.dto import ErrorEnvelope
from fastmvc.repository.sorting import MAX_SORT_KEYS

__all__ = ["STATUS_DESCRIPTIONS", "error_responses", "sort_example", "sort_pattern"]

STATUS_DESCRIPTIONS: dict[int, str] = {
    400: "Bad input, e.g. an unknown filter field",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    409: "Duplicate, stale version, or still referenced",
    413: "Request body too large",
    422: "Validation failed",
    429: "Rate limited",
    500: "Internal error",
    503: "A dependency (database, Redis) is unavailable",
}

_MANAGED = ("id", "urn", "created_at", "updated_at", "version", "deleted_at")


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` entries of ``codes``, each with the error envelope."""
    return {
        code: {"model": ErrorEnvelope, "description": STATUS_DESCRIPTIONS[code]} for code in codes
    }


def sortable_fields(model: type[Any]) -> list[str]:
    """The columns of ``model`` that ``?sort=`` may name, model order."""
    return [
        column.key
        for column in inspect(model).columns
        if kind_of(column.type).sortable and not column.key.startswith("_")
    ]


def sort_pattern(model: type[Any]) -> str:
    """A regular expression matching exactly the ``sort`` values ``model`` accepts."""
    names = "|".join(re.escape(name) for name in sortable_fields(model))
    return rf"^-?(?:{names})(?:,-?(?:{names})){{0,{MAX_SORT_KEYS - 1}}}$"


def sort_example(model: type[Any]) -> str:
    """A ``sort`` example for ``model``: newest first on its first own field."""
    own = [name for name in sortable_fields(model) if name not in _MANAGED]
    return f"-{own[0]},id" if own else "-created_at"
