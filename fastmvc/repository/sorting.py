"""Parse ``sort=-price,name`` into ORDER BY terms on mapped columns."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import UnaryExpression

from fastmvc.errors import FilterError
from fastmvc.repository.columns import column_kind, mapped_column_for

__all__ = ["SortKey", "order_by_terms", "parse_sort"]

MAX_SORT_KEYS = 5


@dataclass(frozen=True, slots=True)
class SortKey:
    """One ORDER BY column and its direction."""

    column: InstrumentedAttribute[Any]
    descending: bool = False

    @property
    def nullable(self) -> bool:
        """Whether the column may hold NULL (keyset pagination must then handle it)."""
        return bool(self.column.property.columns[0].nullable)

    def term(self, *, reverse: bool = False) -> UnaryExpression[Any]:
        """The ORDER BY term; NULLs sort last ascending and first descending on every dialect."""
        descending = self.descending != reverse
        if descending:
            return self.column.desc().nulls_first()
        return self.column.asc().nulls_last()


def _primary_key(model: type[Any]) -> InstrumentedAttribute[Any]:
    keys = inspect(model).primary_key
    if len(keys) != 1:
        raise TypeError(f"{model.__name__} needs a single-column primary key for pagination")
    attribute: InstrumentedAttribute[Any] = getattr(model, keys[0].key)
    return attribute


def parse_sort(model: type[Any], sort: str | Sequence[str] | None) -> list[SortKey]:
    """Read ``"-price,name"`` (or a list of such items) and append the primary key.

    The primary key is always the last key, so the order is total and keyset
    pagination never skips or repeats rows whose sort values tie. A sort
    given as a string is parsed once per model (see :func:`_parse_text`).
    """
    if sort is None or isinstance(sort, str):
        key: Any = model  # classes hash by identity; typeshed's Hashable misses that
        return list(_parse_text(key, sort))
    return _parse(model, [part.strip() for part in sort if part.strip()])


@functools.lru_cache(maxsize=512)
def _parse_text(model: Any, sort: str | None) -> tuple[SortKey, ...]:
    """:func:`parse_sort` of a string, remembered: list routes see the same few sorts.

    Bounded, so clients sending every sort they can think of cannot grow it;
    a sort that fails raises every time (exceptions are not cached).
    """
    items = [] if sort is None else [part.strip() for part in sort.split(",") if part.strip()]
    return tuple(_parse(model, items))


def _parse(model: type[Any], items: list[str]) -> list[SortKey]:
    if len(items) > MAX_SORT_KEYS:
        raise FilterError(f"Sort by at most {MAX_SORT_KEYS} fields")
    keys: list[SortKey] = []
    seen: set[str] = set()
    for item in items:
        descending = item.startswith("-")
        name = item.lstrip("+-")
        column = mapped_column_for(model, name)
        kind = column_kind(column)
        if not kind.sortable:
            raise FilterError(f"Field {name!r} cannot be sorted ({kind.name} column)")
        if name in seen:
            raise FilterError(f"Field {name!r} appears twice in sort")
        seen.add(name)
        keys.append(SortKey(column, descending))
    pk = _primary_key(model)
    if pk.key not in seen:
        keys.append(SortKey(pk, keys[-1].descending if keys else False))
    return keys


def order_by_terms(keys: Sequence[SortKey], *, reverse: bool = False) -> list[UnaryExpression[Any]]:
    """ORDER BY terms for ``keys``, optionally all reversed (for backward pages)."""
    return [key.term(reverse=reverse) for key in keys]
