"""Driver-level execution of the single-row read, on asyncpg.

``GET /products/{id}`` is the hottest statement an API runs, and it is always
the same statement. SQLAlchemy's per-execution work (connection wrapper,
execution context, result metadata, type processing) costs more than the
query itself on a local PostgreSQL: measured here, 276 µs per read through a
session against 116 µs through the pooled asyncpg connection directly.

So for that one statement FastMVC compiles the SQL once per model and engine
and runs it with asyncpg's ``fetchrow`` on a connection checked out of
SQLAlchemy's own pool. It does so only when nothing is lost:

- the session is a *read* session (bound to an engine in ``AUTOCOMMIT``), so
  reading on another pooled connection sees exactly what the session would;
  sessions bound to a connection (tests) or in a unit of work never use it,
  nor does a read session that already holds a connection (one request, one
  connection);
- the driver is asyncpg;
- every column's type is one asyncpg already returns as SQLAlchemy would
  (:data:`NATIVE_TYPES`); a JSON, Enum or custom column sends the model down
  the ordinary SQLAlchemy path.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    Select,
    String,
    Uuid,
)
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.util import await_only, greenlet_spawn

from fastmvc.db.types import UTCDateTime

__all__ = [
    "NATIVE_TYPES",
    "CompiledRead",
    "compiled_read",
    "compiled_write",
    "is_native",
    "on_driver",
    "read_engine",
]

NATIVE_TYPES: tuple[type[Any], ...] = (
    Integer,
    String,
    Numeric,
    Float,
    Boolean,
    Date,
    LargeBinary,
    UTCDateTime,
)
"""Column types asyncpg decodes to the same Python values SQLAlchemy returns."""


def is_native(column_type: Any) -> bool:
    """Whether asyncpg returns ``column_type``'s values as SQLAlchemy would."""
    if isinstance(column_type, UTCDateTime):
        return True  # asyncpg returns timestamptz as an aware UTC datetime
    if isinstance(column_type, DateTime):
        return bool(column_type.timezone)
    if isinstance(column_type, Numeric):
        return bool(column_type.asdecimal)  # asyncpg gives NUMERIC as Decimal
    if isinstance(column_type, Uuid):
        return bool(column_type.as_uuid)
    return type(column_type).__module__.startswith("sqlalchemy") and isinstance(
        column_type, NATIVE_TYPES
    )


@dataclass(frozen=True, slots=True)
class CompiledRead:
    """One SELECT compiled for asyncpg, with its argument layout.

    Attributes:
        sql: The statement text, with ``$n`` placeholders.
        layout: For each placeholder, either the name of a runtime argument
            or the constant the statement was built with.
    """

    sql: str
    layout: tuple[tuple[bool, Any], ...]
    defaults: tuple[tuple[str, Callable[[], Any]], ...] = ()

    def arguments(self, values: Mapping[str, Any]) -> list[Any]:
        """The positional arguments for ``values`` of the runtime parameters.

        Columns whose Python-side default or ``onupdate`` SQLAlchemy would
        have computed (``urn``, ``updated_at``…) get theirs computed here.
        """
        if self.defaults:
            values = {**values, **{name: make() for name, make in self.defaults}}
        return [values[item] if is_name else item for is_name, item in self.layout]

    async def fetch_one(
        self, engine: AsyncEngine, values: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """Run the statement on a pooled connection and return the row as a dict."""
        record = await on_driver(engine, "fetchrow", self.sql, self.arguments(values))
        return None if record is None else dict(record)


async def on_driver(engine: AsyncEngine, method: str, sql: str, arguments: Sequence[Any]) -> Any:
    """Call asyncpg's ``method`` (``fetch``, ``fetchrow``…) on a connection of ``engine``'s pool.

    The connection goes back to SQLAlchemy's pool afterwards; one that may be
    broken is invalidated, as SQLAlchemy would. Checkout, call and return run
    in one greenlet: the pool's code may wait on the driver, and entering a
    greenlet once instead of three times is a tenth of this path's cost.
    """
    return await greenlet_spawn(_call_on_driver, engine.sync_engine, method, sql, arguments)


def _call_on_driver(engine: Engine, method: str, sql: str, arguments: Sequence[Any]) -> Any:
    fairy = engine.raw_connection()
    try:
        driver = fairy.driver_connection
        assert driver is not None
        return await_only(getattr(driver, method)(sql, *arguments))
    except BaseException as error:
        import asyncpg

        if isinstance(error, ConnectionError | asyncpg.ConnectionDoesNotExistError):
            # The server went away: every pooled connection is as dead as
            # this one. Drop them all, as SQLAlchemy does on a disconnect,
            # so the first requests after a restart do not fail one by one.
            engine.pool._invalidate(fairy, error)
        elif not isinstance(error, asyncpg.PostgresError):
            # Not a server-side error: the connection may be broken.
            fairy.invalidate()
        raise
    finally:
        fairy.close()


# Per pool (so per database), per model; forgotten with the engine.
_CACHE: weakref.WeakKeyDictionary[Any, dict[Hashable, CompiledRead | None]] = (
    weakref.WeakKeyDictionary()
)


def compiled_read(
    session: AsyncSession,
    model: type[Any],
    build: Callable[[], Select[Any]],
    runtime_params: Sequence[str],
    column_types: Callable[[], Sequence[Any]],
    *,
    variant: Hashable = (),
) -> tuple[AsyncEngine, CompiledRead] | None:
    """The engine and compiled statement for a driver-level read, or ``None`` to use SQLAlchemy.

    Args:
        session: The repository's session.
        model: The model read (part of the cache key).
        build: A zero-argument callable returning the :class:`Select`.
        runtime_params: Names of the bind parameters supplied per call.
        column_types: A zero-argument callable returning the selected columns' types.
        variant: Tells apart statements of one model (e.g. the scope's
            column names, such as an owner condition); part of the cache key.
    """
    engine = read_engine(session)
    if engine is None:
        return None
    per_model = _CACHE.setdefault(engine.sync_engine.pool, {})
    key = (model, variant)
    if key not in per_model:
        per_model[key] = _compile(engine, build(), runtime_params, column_types())
    compiled = per_model[key]
    return None if compiled is None else (engine, compiled)


def read_engine(session: AsyncSession) -> AsyncEngine | None:
    """The engine a driver-level read of ``session`` may run on, or ``None``.

    Only a read session on asyncpg (bound to an ``AUTOCOMMIT`` engine) that
    holds no connection yet qualifies; see the module's docstring.
    """
    engine = session.bind
    if not isinstance(engine, AsyncEngine) or engine.dialect.driver != "asyncpg":
        return None
    if session.in_transaction():
        # The session already holds a pooled connection; a second one for the
        # same request could wait on a full pool behind requests doing the same.
        return None
    if engine.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
        return None
    return engine


def compiled_write(
    engine: AsyncEngine,
    key: Hashable,
    build: Callable[[], Any],
    runtime_params: Collection[str],
    column_types: Callable[[], Sequence[Any]],
    *,
    column_keys: Sequence[str] | None = None,
) -> CompiledRead | None:
    """A lone write's statement compiled for asyncpg, or ``None`` to use SQLAlchemy.

    For an ``INSERT``/``UPDATE``/``DELETE … RETURNING`` that is its own
    transaction (see ``Repository._writer``): the caller has checked that the
    unit of work lent its autocommit ``engine``. Cached per pool and ``key``.

    Args:
        engine: The autocommit engine.
        key: Tells the statement apart (model, verb, columns set…).
        build: A zero-argument callable returning the statement.
        runtime_params: Names of the bind parameters supplied per call.
        column_types: A zero-argument callable returning the model's column types.
        column_keys: For an ``INSERT``, the columns given.
    """
    if engine.dialect.driver != "asyncpg":
        return None
    per_pool = _CACHE.setdefault(engine.sync_engine.pool, {})
    if key not in per_pool:
        per_pool[key] = _compile(
            engine, build(), runtime_params, column_types(), column_keys=column_keys
        )
    return per_pool[key]


def _python_default(default: Any) -> Callable[[], Any] | None:
    if default is None:
        return None
    if default.is_callable:
        return functools.partial(default.arg, None)
    if default.is_scalar:
        return functools.partial(lambda value: value, default.arg)
    return None


def _compile(
    engine: AsyncEngine,
    statement: Any,
    runtime_params: Collection[str],
    column_types: Sequence[Any],
    *,
    column_keys: Sequence[str] | None = None,
) -> CompiledRead | None:
    if not all(is_native(column_type) for column_type in column_types):
        return None
    compiled = statement.compile(dialect=engine.dialect, column_keys=column_keys)
    defaults: dict[str, Callable[[], Any]] = {}
    for prefetch, attribute in ((compiled.insert_prefetch, "default"),
                                (compiled.update_prefetch, "onupdate")):  # fmt: skip
        for column in prefetch:
            make = _python_default(getattr(column, attribute))
            if make is None:
                return None  # a default only SQLAlchemy knows how to run
            defaults[column.key] = make
    names = compiled.positiontup or []
    params = compiled.params
    layout = tuple(
        (True, name) if name in runtime_params or name in defaults else (False, params[name])
        for name in names
    )
    return CompiledRead(sql=compiled.string, layout=layout, defaults=tuple(defaults.items()))
