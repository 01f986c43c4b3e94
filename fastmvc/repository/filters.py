"""Composable filters: operators, AND/OR/NOT, a dict shorthand and a query-string parser.

    >>> where = F("price", "gte", 10) & ~F("name", "ilike", "test")
    >>> where = parse_filters({"price__gte": "10", "name__ilike": "chair"})

Only mapped columns can be named; an unknown field or operator raises
:class:`~fastmvc.errors.FilterError` (HTTP 400). ``like`` and ``ilike`` mean
"contains": the user's value is escaped, so ``%`` and ``_`` match literally.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Union

from sqlalchemy import and_, bindparam, false, not_, or_, true
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.elements import ColumnElement

from fastmvc.errors import FilterError
from fastmvc.repository.columns import coerce, column_kind, mapped_column_for

__all__ = [
    "OPERATORS",
    "And",
    "F",
    "Filter",
    "FilterShape",
    "Not",
    "Or",
    "checked_column",
    "compile_filter",
    "filter_shape",
    "parse_filters",
    "shape_condition",
]

MAX_LIST_VALUES = 200

Column = InstrumentedAttribute[Any]


def _as_list(column: Column, value: Any) -> list[Any]:
    items = value.split(",") if isinstance(value, str) else list(value)
    if len(items) > MAX_LIST_VALUES:
        raise FilterError(f"Too many values for {column.key!r} (at most {MAX_LIST_VALUES})")
    return [coerce(column, item.strip() if isinstance(item, str) else item) for item in items]


def _bounds(column: Column, value: Any) -> list[Any]:
    bounds = _as_list(column, value)
    if len(bounds) != 2:
        raise FilterError(f"'between' on {column.key!r} needs exactly two values")
    return bounds


def _between(column: Column, value: Any) -> ColumnElement[bool]:
    low, high = _bounds(column, value)
    return column.between(low, high)


def _is_null(column: Column, value: Any) -> ColumnElement[bool]:
    wanted = coerce_bool(column.key, value)
    return column.is_(None) if wanted else column.is_not(None)


def coerce_bool(field: str, value: Any) -> bool:
    """Read a boolean filter argument (``true``/``false``, ``1``/``0``)."""
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in {"true", "1", "yes"}:
        return True
    if text in {"false", "0", "no"}:
        return False
    raise FilterError(f"Invalid boolean for {field!r}: {str(value)[:64]!r}")


def _text(column: Column, value: Any) -> str:
    if not isinstance(value, str) or "\x00" in value:
        raise FilterError(f"'like' on {column.key!r} needs a string without NUL characters")
    return value


OPERATORS: dict[str, Callable[[Column, Any], ColumnElement[bool]]] = {
    "eq": lambda c, v: c == coerce(c, v),
    "ne": lambda c, v: c != coerce(c, v),
    "gt": lambda c, v: c > coerce(c, v),
    "gte": lambda c, v: c >= coerce(c, v),
    "lt": lambda c, v: c < coerce(c, v),
    "lte": lambda c, v: c <= coerce(c, v),
    "like": lambda c, v: c.contains(_text(c, v), autoescape=True),
    "ilike": lambda c, v: c.icontains(_text(c, v), autoescape=True),
    "in": lambda c, v: c.in_(_as_list(c, v)),
    "not_in": lambda c, v: c.not_in(_as_list(c, v)),
    "is_null": _is_null,
    "between": _between,
}


@dataclass(frozen=True, slots=True)
class F:
    """One condition: ``field op value``."""

    field: str
    op: str = "eq"
    value: Any = None

    def __and__(self, other: Filter) -> And:
        return And((self, other))

    def __or__(self, other: Filter) -> Or:
        return Or((self, other))

    def __invert__(self) -> Not:
        return Not(self)


@dataclass(frozen=True, slots=True)
class And:
    """All of the parts hold."""

    parts: tuple[Filter, ...]

    def __and__(self, other: Filter) -> And:
        return And((*self.parts, other))

    def __or__(self, other: Filter) -> Or:
        return Or((self, other))

    def __invert__(self) -> Not:
        return Not(self)


@dataclass(frozen=True, slots=True)
class Or:
    """At least one of the parts holds."""

    parts: tuple[Filter, ...]

    def __and__(self, other: Filter) -> And:
        return And((self, other))

    def __or__(self, other: Filter) -> Or:
        return Or((*self.parts, other))

    def __invert__(self) -> Not:
        return Not(self)


@dataclass(frozen=True, slots=True)
class Not:
    """The part does not hold."""

    part: Filter

    def __and__(self, other: Filter) -> And:
        return And((self, other))

    def __or__(self, other: Filter) -> Or:
        return Or((self, other))

    def __invert__(self) -> Filter:
        return self.part


Filter = Union[F, And, Or, Not, Mapping[str, Any]]  # noqa: UP007 - runtime alias used in isinstance-free code
"""A filter tree; a mapping is the dict shorthand ``{"price__gte": 10}`` (parts ANDed)."""


def _split_key(key: str) -> tuple[str, str]:
    field, sep, op = key.rpartition("__")
    if not sep:
        return key, "eq"
    return field, op


def _from_mapping(params: Mapping[str, Any]) -> Filter:
    parts: list[Filter] = []
    for key, value in params.items():
        field, op = _split_key(key)
        parts.append(F(field, op, value))
    return And(tuple(parts))


def parse_filters(params: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> Filter:
    """Build a filter from query parameters such as ``price__gte=10&name=chair``.

    Repeated keys are ANDed. Values stay strings; they are coerced to each
    column's type when the filter is compiled against a model.
    """
    items = params.items() if isinstance(params, Mapping) else params
    return And(tuple(F(*_split_key(key), value) for key, value in items))


def checked_column(model: type[Any], field: str, op: str) -> Column:
    """The column ``field`` names, when ``op`` applies to it.

    Remembered per model, field and operator (bounded; refusals are not
    cached), since every request of a list route asks the same few.

    Raises:
        FilterError: Unknown field or operator, or an operator the column's kind refuses.
    """
    key: Any = model  # classes hash by identity; typeshed's Hashable misses that
    return _checked_column(key, field, op)


@functools.lru_cache(maxsize=1024)
def _checked_column(model: Any, field: str, op: str) -> Column:
    column = mapped_column_for(model, field)
    if op not in OPERATORS:
        raise FilterError(
            f"Unknown operator {op!r} for {field!r}; use one of " + ", ".join(OPERATORS)
        )
    kind = column_kind(column)
    if op not in kind.operators:
        raise FilterError(
            f"Operator {op!r} does not apply to {field!r} ({kind.name} column)"
            + ("; it cannot be filtered" if not kind.operators else "")
        )
    return column


def compile_filter(model: type[Any], where: Filter | None) -> ColumnElement[bool]:
    """Compile a filter tree into a SQL expression on ``model``'s mapped columns."""
    if where is None:
        return true()
    if isinstance(where, F):
        column = checked_column(model, where.field, where.op)
        operator = OPERATORS[where.op]
        if where.value is None and where.op in {"eq", "ne"}:
            return column.is_(None) if where.op == "eq" else column.is_not(None)
        return operator(column, where.value)
    if isinstance(where, And):
        return and_(true(), *(compile_filter(model, part) for part in where.parts))
    if isinstance(where, Or):
        return or_(false(), *(compile_filter(model, part) for part in where.parts))
    if isinstance(where, Not):
        return not_(compile_filter(model, where.part))
    if isinstance(where, Mapping):
        return compile_filter(model, _from_mapping(where))
    raise FilterError(f"Unsupported filter: {type(where).__name__}")


# -- shapes: one statement per filter shape, values bound per call --------------

FilterShape = tuple[tuple[str, str, Any], ...]
"""Per condition of an AND: field, operator and what else changes the SQL."""

_COMPARISONS = frozenset({"eq", "ne", "gt", "gte", "lt", "lte"})
_LIKE_ESCAPE = "/"


def _like_value(text: str) -> str:
    """``text`` escaped as ``contains(..., autoescape=True)`` escapes it, for a bound pattern."""
    escaped = text.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2)
    return escaped.replace("%", _LIKE_ESCAPE + "%").replace("_", _LIKE_ESCAPE + "_")


def _conditions(where: Filter | None) -> list[F] | None:
    """The conditions of an AND tree (dict shorthand included), or ``None`` for OR/NOT."""
    if where is None:
        return []
    if isinstance(where, F):
        return [where]
    if isinstance(where, Mapping):
        where = _from_mapping(where)
    if not isinstance(where, And):
        return None
    found: list[F] = []
    for part in where.parts:
        inner = _conditions(part)
        if inner is None:
            return None
        found.extend(inner)
    return found


def filter_shape(model: type[Any], where: Filter | None) -> tuple[FilterShape, list[Any]] | None:
    """``where`` as a shape and its bind values, or ``None`` when only :func:`compile_filter` fits.

    A list page's statement is built and compiled once per shape and run with
    each request's values (see :mod:`fastmvc.repository.fastlist`). Only an
    AND of conditions whose SQL does not depend on their values has a shape:
    ``in`` and ``not_in`` (a list of any length), ``OR``, ``NOT`` and values
    that are not plain scalars answer ``None``. Values are checked and
    coerced exactly as :func:`compile_filter` does, raising the same errors
    for the conditions before the first one without a shape.
    """
    conditions = _conditions(where)
    if conditions is None:
        return None
    shape: list[tuple[str, str, Any]] = []
    values: list[Any] = []
    for condition in conditions:
        op = condition.op
        column = checked_column(model, condition.field, op)
        raw = condition.value
        variant: Any = None
        if raw is None and op in {"eq", "ne"}:
            variant = "null"
        elif op in _COMPARISONS:
            value = coerce(column, raw)
            if value is None or isinstance(value, ClauseElement | list | tuple | set | dict):
                return None
            values.append(value)
        elif op in {"like", "ilike"}:
            values.append(_like_value(_text(column, raw)))
        elif op == "between":
            bounds = _bounds(column, raw)
            if None in bounds or any(isinstance(b, ClauseElement) for b in bounds):
                return None
            values.extend(bounds)
        elif op == "is_null":
            variant = coerce_bool(column.key, raw)
        else:
            return None
        shape.append((condition.field, op, variant))
    return tuple(shape), values


def shape_condition(model: type[Any], shape: FilterShape) -> tuple[ColumnElement[bool], list[str]]:
    """The SQL of a :func:`filter_shape`, and the names of its bind parameters in value order."""
    terms: list[ColumnElement[bool]] = [true()]
    names: list[str] = []

    def bound(column: Column) -> Any:
        name = f"f{len(names)}"
        names.append(name)
        return bindparam(name, type_=column.property.columns[0].type)

    for field, op, variant in shape:
        column: Column = getattr(model, field)
        if variant == "null":
            terms.append(column.is_(None) if op == "eq" else column.is_not(None))
        elif op == "is_null":
            terms.append(column.is_(None) if variant else column.is_not(None))
        elif op == "like":
            terms.append(column.contains(bound(column), escape=_LIKE_ESCAPE))
        elif op == "ilike":
            terms.append(column.icontains(bound(column), escape=_LIKE_ESCAPE))
        elif op == "between":
            low = bound(column)
            terms.append(column.between(low, bound(column)))
        else:
            terms.append(OPERATORS[op](column, bound(column)))
    return and_(*terms), names
