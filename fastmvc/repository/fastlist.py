"""Driver-level execution of a list page, on asyncpg, with one statement per query shape.

``GET /products?price__gte=990&sort=-price&limit=20`` used to build its
``SELECT`` from the filter tree, compile it and run it through SQLAlchemy on
every request: about a third of the request's CPU. Yet the SQL depends only
on the request's *shape*: the model, which fields are filtered with which
operators, the sort keys, whether a cursor is given and which way it reads,
whether the total rides along as a window, whether there is an offset, the
scope's columns and the soft-delete visibility. The values (filter values,
cursor values, scope values, limit, offset) are bind parameters.

So :func:`fast_page` builds and compiles the statement once per shape,
keeps it in a bounded LRU per model and pool (query strings come from
clients, and :data:`MAX_SHAPES` caps what they can make the process hold),
and runs it with asyncpg's ``fetch`` on a connection of SQLAlchemy's pool,
under exactly the conditions of the single-row read
(:mod:`fastmvc.repository.fastpath`): a read session on asyncpg that holds
no connection, and a model whose columns asyncpg decodes natively. Bind
values go through the same bind processors SQLAlchemy would apply.

Shapes it does not take (``in`` lists, ``OR``/``NOT``, a cursor over a
nullable sort key, a ``None`` scope value) answer ``None``,
and the repository uses SQLAlchemy as before: same rows, same order, same
cursors and totals either way.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    func,
    or_,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from fastmvc.access import Scope
from fastmvc.repository.cursor import Cursor, decode_cursor
from fastmvc.repository.fastpath import is_native, on_driver, read_engine
from fastmvc.repository.filters import filter_shape, shape_condition
from fastmvc.repository.page import PageRequest
from fastmvc.repository.record import Record
from fastmvc.repository.sorting import SortKey, order_by_terms

__all__ = [
    "MAX_SHAPES",
    "TOTAL_COLUMN",
    "FastPage",
    "PageShape",
    "PageSource",
    "cached_shapes",
    "fast_page",
]

MAX_SHAPES = 256
"""Statements kept per model and pool; the least recently used one goes first."""

TOTAL_COLUMN = "_fastmvc_total"


@dataclass(frozen=True, slots=True)
class PageShape:
    """Everything about a page request that changes its SQL (the cache key)."""

    filters: tuple[tuple[str, str, Any], ...]
    sort: tuple[tuple[str, bool], ...]
    cursor: str | None  # None, "next" or "prev"
    window: bool
    offset: bool
    scope: tuple[str, ...]
    include_deleted: bool
    only_deleted: bool


@dataclass(frozen=True, slots=True)
class _Statement:
    """A compiled statement: its text and, per ``$n``, the value's name and bind processor."""

    sql: str
    layout: tuple[tuple[str, Callable[[Any], Any] | None], ...]

    def arguments(self, values: Mapping[str, Any]) -> list[Any]:
        arguments = []
        for name, process in self.layout:
            value = values[name]
            arguments.append(value if process is None or value is None else process(value))
        return arguments


@dataclass(slots=True)
class _Plan:
    page: _Statement
    count: _Statement


@dataclass(frozen=True, slots=True)
class FastPage:
    """A page statement ready to run on asyncpg with this request's values."""

    engine: AsyncEngine
    plan: _Plan
    values: dict[str, Any]
    cursor: Cursor | None

    async def fetch(self) -> tuple[list[Any], int | None]:
        """The page's rows (as :class:`Record`), and the window total when the shape has one."""
        records = await on_driver(
            self.engine, "fetch", self.plan.page.sql, self.plan.page.arguments(self.values)
        )
        rows = [Record(record) for record in records]
        if rows and TOTAL_COLUMN in rows[0]:
            return rows, int(rows[0][TOTAL_COLUMN])
        return rows, None

    async def count(self) -> int:
        """Every row the filter, scope and visibility match (no cursor, no limit)."""
        count = self.plan.count
        total = await on_driver(self.engine, "fetchval", count.sql, count.arguments(self.values))
        return int(total)


# Per pool (so per database), per model: an LRU of shapes; ``None`` for a
# model whose columns asyncpg does not decode as SQLAlchemy would.
_CACHE: weakref.WeakKeyDictionary[Any, dict[type[Any], OrderedDict[PageShape, _Plan] | None]] = (
    weakref.WeakKeyDictionary()
)


def cached_shapes(engine: AsyncEngine, model: type[Any]) -> int:
    """How many page statements are cached for ``model`` on ``engine``'s pool."""
    plans = _CACHE.get(engine.sync_engine.pool, {}).get(model)
    return 0 if plans is None else len(plans)


class PageSource(Protocol):
    """What :func:`fast_page` needs of the repository to build a statement."""

    model: type[Any]

    def _row_columns(self) -> list[Any]: ...

    def _row_column_types(self) -> list[Any]: ...

    def _visible(
        self, include_deleted: bool, only_deleted: bool = False
    ) -> ColumnElement[bool]: ...

    def _scoped_params(self, names: tuple[str, ...]) -> ColumnElement[bool]: ...


def fast_page(
    session: AsyncSession,
    source: PageSource,
    request: PageRequest,
    keys: Sequence[SortKey],
    scope: Scope | None,
) -> FastPage | None:
    """``request``'s page as a driver-level statement, or ``None`` to take SQLAlchemy's path.

    Filter values are checked here as
    :func:`~fastmvc.repository.filters.compile_filter` checks them, then the
    cursor is decoded: the same errors, in the same order, as the other path.

    Args:
        session: The repository's session (a read session qualifies).
        source: The repository (its columns, visibility and scope conditions).
        request: The page asked for.
        keys: ``request``'s parsed sort, primary key last.
        scope: Row condition, as for :meth:`Repository.page`.
    """
    engine = read_engine(session)
    if engine is None:
        return None
    model = source.model
    per_pool = _CACHE.setdefault(engine.sync_engine.pool, {})
    if model not in per_pool:
        native = all(is_native(column_type) for column_type in source._row_column_types())
        per_pool[model] = OrderedDict() if native else None
    plans = per_pool[model]
    if plans is None:
        return None
    filtered = filter_shape(model, request.where)
    if filtered is None:
        return None
    filters, filter_values = filtered
    scope_names = tuple(sorted(scope)) if scope else ()
    if scope and any(scope[name] is None for name in scope_names):
        return None  # ``column = NULL`` on the other path: keep it there
    cursor = decode_cursor(request.cursor, keys) if request.cursor else None
    if cursor is not None and (None in cursor.values or any(key.nullable for key in keys)):
        return None  # NULLs in keyset_predicate: left to SQLAlchemy
    values: dict[str, Any] = {f"f{index}": value for index, value in enumerate(filter_values)}
    if scope:
        values.update({f"scope_{name}": scope[name] for name in scope_names})
    if cursor is not None:
        values.update({f"k{index}": value for index, value in enumerate(cursor.values)})
    offset = request.offset
    if offset is None:
        values["_limit"] = request.limit + 1  # one more tells whether a next page exists
    else:
        values["_limit"] = request.limit
    if offset:
        values["_offset"] = offset
    shape = PageShape(
        filters=filters,
        sort=tuple((key.column.key, key.descending) for key in keys),
        cursor=None if cursor is None else cursor.direction,
        window=request.with_total and cursor is None,
        offset=bool(offset),
        scope=scope_names,
        include_deleted=request.include_deleted,
        only_deleted=request.only_deleted,
    )
    plan = plans.get(shape)
    if plan is None:
        plan = _plan(engine, source, shape, keys)
        plans[shape] = plan
        while len(plans) > MAX_SHAPES:
            plans.popitem(last=False)
    else:
        plans.move_to_end(shape)
    return FastPage(engine, plan, values, cursor)


def _plan(
    engine: AsyncEngine, source: PageSource, shape: PageShape, keys: Sequence[SortKey]
) -> _Plan:
    model = source.model
    condition, _ = shape_condition(model, shape.filters)
    base = (
        condition
        & source._visible(shape.include_deleted, shape.only_deleted)
        & source._scoped_params(shape.scope)
    )
    count = select(func.count()).select_from(model).where(base)
    backward = shape.cursor == "prev"
    where = base
    if shape.cursor is not None:
        # No NULLs (checked by the caller): keyset_predicate's two forms
        # with bind parameters for the cursor's values.
        columns = [key.column for key in keys]
        bound = [
            bindparam(f"k{index}", type_=key.column.property.columns[0].type)
            for index, key in enumerate(keys)
        ]
        descending = [key.descending != backward for key in keys]
        if len(set(descending)) == 1:
            left, right = tuple_(*columns), tuple_(*bound)
            where = where & (left < right if descending[0] else left > right)
        else:
            clauses: list[ColumnElement[bool]] = []
            for index, column in enumerate(columns):
                after = column < bound[index] if descending[index] else column > bound[index]
                equal = [columns[i] == bound[i] for i in range(index)]
                clauses.append(and_(*equal, after))
            where = where & or_(*clauses)
    page: Select[Any] = select(*source._row_columns())
    if shape.window:
        page = page.add_columns(func.count().over().label(TOTAL_COLUMN))
    page = (
        page.where(where)
        .order_by(*order_by_terms(keys, reverse=backward))
        .limit(bindparam("_limit", type_=Integer()))
    )
    if shape.offset:
        page = page.offset(bindparam("_offset", type_=Integer()))
    return _Plan(page=_compile(engine, page), count=_compile(engine, count))


def _compile(engine: AsyncEngine, statement: Any) -> _Statement:
    compiled = statement.compile(dialect=engine.dialect)
    processors = compiled._bind_processors
    layout = tuple((name, processors.get(name)) for name in compiled.positiontup or [])
    return _Statement(sql=compiled.string, layout=layout)
