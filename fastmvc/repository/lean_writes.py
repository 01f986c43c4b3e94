"""The lean write path of :class:`~fastmvc.repository.Repository`.

The HTTP write path: one ``INSERT … RETURNING`` or ``UPDATE … RETURNING`` on
the session's connection (or, for a lone write on asyncpg, on the driver
itself), answered as a :class:`~fastmvc.repository.record.Record`. No ORM
object is built, flushed or tracked, so the identity map never sees these
rows.

:class:`LeanWrites` is a mixin of ``Repository``: it holds these methods so
the repository module keeps to reads, ORM writes and their shared helpers.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, bindparam, insert, inspect, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.dml import Insert, Update

from fastmvc.access import Scope
from fastmvc.db.base import Base
from fastmvc.db.engine import AUTOCOMMIT_BIND
from fastmvc.repository.errors import translate_errors
from fastmvc.repository.fastpath import CompiledRead, compiled_write
from fastmvc.repository.record import Record
from fastmvc.repository.relations import changed_links, replace_links, split_links

__all__ = ["LeanWrites"]

ModelT = TypeVar("ModelT", bound=Base)

# Statements built once per model (and per shape for updates).
_INSERT_ROW: dict[type[Any], Insert] = {}
_UPDATE_ROW: dict[tuple[Any, ...], Update] = {}
_MANAGED = frozenset({"id", "urn", "created_at", "updated_at", "version", "deleted_at"})


class LeanWrites(Generic[ModelT]):
    """``insert_row``, ``update_row`` and ``restore_row``, and the connection they write on."""

    model: type[ModelT]
    session: AsyncSession

    if TYPE_CHECKING:
        # Provided by Repository, which this mixin completes.
        @property
        def resource(self) -> str: ...
        @property
        def soft_delete(self) -> bool: ...
        @property
        def _pk(self) -> Any: ...
        @property
        def _dialect(self) -> str: ...
        def _visible(
            self, include_deleted: bool, only_deleted: bool = False
        ) -> ColumnElement[bool]: ...
        def _scoped(self, scope: Scope | None) -> ColumnElement[bool]: ...
        def _scoped_params(self, names: tuple[str, ...]) -> ColumnElement[bool]: ...
        def _clean(self, data: Mapping[str, Any]) -> dict[str, Any]: ...
        def _pk_value(self, instance: Any) -> Any: ...
        def _row_columns(self) -> builtins.list[Any]: ...
        def _row_column_types(self) -> builtins.list[Any]: ...
        @staticmethod
        def _row_params(id: Any, scope: Scope | None) -> tuple[tuple[str, ...], dict[str, Any]]: ...
        def _row_by_id(self, scope_names: tuple[str, ...] = ()) -> Select[Any]: ...
        def _check_version(self, version: int | None, expected_version: int | None) -> None: ...
        def _changes_something(self, values: Mapping[str, Any]) -> ColumnElement[bool] | None: ...
        def _update_statement(
            self,
            id: Any,
            values: dict[str, Any],
            expected_version: int | None,
            scope: Scope | None,
            *,
            links: bool,
        ) -> Update: ...

    @asynccontextmanager
    async def _writer(self, autocommit: bool) -> AsyncIterator[AsyncConnection]:
        """The connection a lean write runs on.

        With ``autocommit``, when the session's unit of work was opened for a
        lone write and has not touched the database yet, its autocommit engine
        runs the statement as its own transaction: PostgreSQL makes one
        statement atomic, so BEGIN and COMMIT would be two round trips that
        change nothing. Otherwise, the session's own connection.
        """
        engine = self.session.info.get(AUTOCOMMIT_BIND) if autocommit else None
        if isinstance(engine, AsyncEngine) and not self._holds_connection():
            async with engine.connect() as connection:
                yield connection
            return
        yield await self.session.connection()

    def _holds_connection(self) -> bool:
        transaction = self.session.sync_session.get_transaction()
        return transaction is not None and bool(transaction.connections)

    def _on_driver(
        self,
        autocommit: bool,
        key: tuple[Any, ...],
        build: Any,
        values: Mapping[str, Any],
        column_keys: Sequence[str] | None = None,
    ) -> tuple[AsyncEngine, CompiledRead] | None:
        """A lone write's statement for asyncpg itself, as the read fast path does.

        Only where :meth:`_writer` would lend the autocommit engine, on
        asyncpg, with plain values and natively decoded columns (see
        :mod:`fastmvc.repository.fastpath`); ``None`` keeps SQLAlchemy's path.
        """
        engine = self.session.info.get(AUTOCOMMIT_BIND) if autocommit else None
        if not isinstance(engine, AsyncEngine) or engine.dialect.driver != "asyncpg":
            return None
        if self._holds_connection():
            return None
        if any(isinstance(value, ClauseElement) for value in values.values()):
            return None
        compiled = compiled_write(
            engine,
            (self.model, *key),
            build,
            values.keys(),
            self._row_column_types,
            column_keys=column_keys,
        )
        return None if compiled is None else (engine, compiled)

    def _insert_row_statement(self) -> Insert:
        statement = _INSERT_ROW.get(self.model)
        if statement is None:
            statement = insert(self.model).returning(*self._row_columns())
            _INSERT_ROW[self.model] = statement
        return statement

    async def insert_row(self, data: Mapping[str, Any], *, autocommit: bool = False) -> Record:
        """Insert one row with ``INSERT … RETURNING`` and return its values.

        Like :meth:`create` (checked values, ``tag_ids`` become links), without
        an ORM object.

        Args:
            data: Column values, plus many-to-many id lists.
            autocommit: The statement may be the whole unit of work (see
                :meth:`_writer`); ignored when links follow it.
        """
        values, links = split_links(self.model, data)
        checked = self._clean(values)
        keys = tuple(sorted(checked))
        driver = self._on_driver(
            autocommit and not links, ("insert", keys), self._insert_row_statement, checked, keys
        )
        if driver is not None:
            async with translate_errors(self.resource):
                inserted = await driver[1].fetch_one(driver[0], checked)
            assert inserted is not None  # INSERT … RETURNING always returns the row
            return Record(inserted)
        async with translate_errors(self.resource):
            async with self._writer(autocommit and not links) as connection:
                row = (await connection.execute(self._insert_row_statement(), checked)).one()
            record = Record.of(row)
            if links:
                await replace_links(self.session, self.model, self._pk_value(record), links)
        return record

    async def update_row(
        self,
        id: Any,
        data: Mapping[str, Any],
        *,
        expected_version: int | None = None,
        scope: Scope | None = None,
        autocommit: bool = False,
    ) -> Record | None:
        """Like :meth:`update`, with ``UPDATE … RETURNING`` and a :class:`Record`.

        The version check is in the statement's ``WHERE``. Only when it
        matches nothing is the row read, to tell a stale version (409) from a
        missing row (``None``) and from a PATCH that changes nothing.
        """
        columns, links = split_links(self.model, data)
        values = self._clean(columns)
        for managed in _MANAGED & values.keys():
            values.pop(managed)
        if values and not links:
            driver_row = await self._update_on_driver(
                id, values, expected_version, scope, autocommit=autocommit
            )
            if driver_row is not None:
                return driver_row or None
        async with translate_errors(self.resource):
            if links:
                links = await changed_links(self.session, self.model, id, links)
            async with self._writer(autocommit and not links) as connection:
                if values or links:
                    statement, params = self._update_row_statement(
                        id, values, expected_version, scope, links=bool(links)
                    )
                    row = (await connection.execute(statement, params)).first()
                    if row is not None:
                        if links:
                            await replace_links(self.session, self.model, id, links)
                        return Record.of(row)
                names, params = self._row_params(id, scope)
                current = (await connection.execute(self._row_by_id(names), params)).first()
        if current is None:
            return None
        record = Record.of(current)
        self._check_version(record.get("version"), expected_version)
        return record

    def _update_row_statement(
        self,
        id: Any,
        values: dict[str, Any],
        expected_version: int | None,
        scope: Scope | None,
        *,
        links: bool,
    ) -> tuple[Update, dict[str, Any]]:
        """:meth:`_update_statement` with bind parameters, built once per shape, and its values.

        A new statement per request cost SQLAlchemy a cache-key walk each
        time; the shape (the columns set, the scope's columns, whether a
        version is checked) is all that varies, so one statement serves it.
        SQL expressions among the values get a statement of their own.
        """
        if any(isinstance(value, ClauseElement) for value in values.values()):
            statement = self._update_statement(
                id, values, expected_version, scope, links=links
            ).returning(*self._row_columns())
            return statement, {}
        names, params = self._row_params(id, scope)
        keys = tuple(sorted(values))
        versioned = expected_version is not None
        shape = (self.model, keys, versioned, names, links, self._dialect)
        cached = _UPDATE_ROW.get(shape)
        if cached is None:
            columns = inspect(self.model).columns
            new = {key: bindparam(f"new_{key}", type_=columns[key].type) for key in keys}
            has_version = "version" in columns
            conditions = [self._pk == bindparam("pk"), self._visible(False)]
            conditions.append(self._scoped_params(names))
            if versioned and has_version:
                version = getattr(self.model, "version")  # noqa: B009
                conditions.append(version == bindparam("expected_version"))
            changed = None if links else self._changes_something(new)
            if changed is not None:
                conditions.append(changed)
            assignments: dict[str, Any] = dict(new)
            if has_version:
                assignments["version"] = getattr(self.model, "version") + 1  # noqa: B009
            cached = (
                update(self.model)
                .where(*conditions)
                .values(**assignments)
                .returning(*self._row_columns())
            )
            _UPDATE_ROW[shape] = cached
        params.update({f"new_{key}": value for key, value in values.items()})
        if versioned:
            params["expected_version"] = expected_version
        return cached, params

    async def _update_on_driver(
        self,
        id: Any,
        values: dict[str, Any],
        expected_version: int | None,
        scope: Scope | None,
        *,
        autocommit: bool,
    ) -> Record | None:
        """:meth:`update_row` on asyncpg directly; ``None`` when that path does not apply.

        An empty :class:`Record` means "no such row" (the caller answers ``None``).
        """
        if not autocommit or any(isinstance(v, ClauseElement) for v in values.values()):
            return None
        statement, params = self._update_row_statement(
            id, values, expected_version, scope, links=False
        )
        shape = ("update", tuple(sorted(values)), expected_version is not None, *params)
        driver = self._on_driver(True, shape, lambda: statement, params)
        if driver is None:
            return None
        engine, compiled = driver
        async with translate_errors(self.resource):
            updated = await compiled.fetch_one(engine, params)
            if updated is not None:
                return Record(updated)
            names, lookup = self._row_params(id, scope)
            read = compiled_write(
                engine,
                (self.model, "row", names),
                lambda: self._row_by_id(names),
                lookup.keys(),
                self._row_column_types,
            )
            assert read is not None  # the columns decoded natively a moment ago
            current = await read.fetch_one(engine, lookup)
        if current is None:
            return Record()
        self._check_version(current.get("version"), expected_version)
        return Record(current)

    async def restore_row(self, id: Any, *, scope: Scope | None = None) -> Record | None:
        """Like :meth:`restore`, returning a :class:`Record`."""
        if not self.soft_delete:
            return None
        stmt = (
            update(self.model)
            .where(self._pk == id, self._visible(False, only_deleted=True), self._scoped(scope))
            .values(deleted_at=None, version=getattr(self.model, "version") + 1)  # noqa: B009
            .returning(*self._row_columns())
        )
        async with translate_errors(self.resource):
            row = (await (await self.session.connection()).execute(stmt)).first()
        return None if row is None else Record.of(row)
