"""``Record``: one row's column values, as the lean write path returns them.

A write answers with the row its ``INSERT … RETURNING`` or ``UPDATE …
RETURNING`` gave, without building an ORM object. Hooks and output DTOs read
it either way: ``record["name"]`` or ``record.name``. It is a plain ``dict``
underneath, so nothing is lazy and nothing talks to the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["Record"]


class Record(dict[str, Any]):
    """A row's column values, readable by key or by attribute."""

    __slots__ = ()

    @classmethod
    def of(cls, row: Any) -> Record:
        """The record of a result row (a SQLAlchemy ``Row`` or a mapping)."""
        return cls(row if isinstance(row, Mapping) else row._mapping)

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None
