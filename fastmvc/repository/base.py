"""``Repository[ModelT]``: the only layer that builds SQL."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    bindparam,
    delete,
    exists,
    func,
    insert,
    inspect,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.dml import Update

from fastmvc import typemap
from fastmvc.access import Scope
from fastmvc.db.base import Base
from fastmvc.db.kinds import kind_of
from fastmvc.db.types import utcnow
from fastmvc.errors import BadRequestError, ConflictError
from fastmvc.repository.cursor import decode_cursor, encode_cursor, keyset_predicate
from fastmvc.repository.errors import translate_errors
from fastmvc.repository.fastlist import TOTAL_COLUMN, fast_page
from fastmvc.repository.fastpath import compiled_read
from fastmvc.repository.filters import Filter, compile_filter
from fastmvc.repository.lean_writes import _MANAGED, LeanWrites
from fastmvc.repository.page import PageRequest, PageResult
from fastmvc.repository.record import Record
from fastmvc.repository.relations import (
    attach_relations,
    changed_links,
    replace_links,
    split_links,
)
from fastmvc.repository.sorting import SortKey, order_by_terms, parse_sort
from fastmvc.repository.values import check_values

__all__ = ["Repository"]

ModelT = TypeVar("ModelT", bound=Base)

# Bound-parameter ceilings: SQLite's SQLITE_MAX_VARIABLE_NUMBER (32766 since
# 3.32) and PostgreSQL's wire protocol (32767 per statement).
_PARAM_LIMITS = {"sqlite": 32_766, "postgresql": 32_767}
# Statements and column lists built once per model for the lean read path.
_ROW_BY_ID: dict[tuple[type[Any], tuple[str, ...]], Select[Any]] = {}
_ROW_COLUMNS: dict[type[Any], builtins.list[Any]] = {}
_DELETE_ROW: dict[tuple[Any, ...], Any] = {}


class Repository(LeanWrites[ModelT], Generic[ModelT]):
    """Async data access for one model.

    Subclass it and set ``model``::

        class ProductRepository(Repository[Product]):
            model = Product

    Args:
        session: The request's session; the unit of work owns its transaction.
    """

    model: type[ModelT]
    resource_name: ClassVar[str | None] = None

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- helpers ---------------------------------------------------------

    @property
    def resource(self) -> str:
        """Human name of the model for error messages."""
        return self.resource_name or self.model.__name__

    @property
    def soft_delete(self) -> bool:
        """Whether the model has a ``deleted_at`` column."""
        return "deleted_at" in inspect(self.model).columns

    def _visible(self, include_deleted: bool, only_deleted: bool = False) -> ColumnElement[bool]:
        if not self.soft_delete:
            return true()
        deleted_at = getattr(self.model, "deleted_at")  # noqa: B009
        if only_deleted:
            gone: ColumnElement[bool] = deleted_at.is_not(None)
            return gone
        if not include_deleted:
            live: ColumnElement[bool] = deleted_at.is_(None)
            return live
        return true()

    def _where(
        self,
        where: Filter | None,
        include_deleted: bool = False,
        scope: Scope | None = None,
        only_deleted: bool = False,
    ) -> ColumnElement[bool]:
        condition = compile_filter(self.model, where) & self._visible(include_deleted, only_deleted)
        return condition & self._scoped(scope) if scope else condition

    def _scoped(self, scope: Scope | None) -> ColumnElement[bool]:
        """``scope`` as SQL: every column equal to its value (``true`` when there is none).

        A scope is a service's row condition (e.g. ``{"owner_id": 7}``); it is
        added to the statement itself, never checked after a fetch.
        """
        if not scope:
            return true()
        columns = inspect(self.model).columns
        condition: ColumnElement[bool] = true()
        for name, value in scope.items():
            if name not in columns:
                raise ValueError(f"scope column {name!r} is not a column of {self.resource}")
            condition = condition & (getattr(self.model, name) == value)
        return condition

    @property
    def _pk(self) -> Any:
        return getattr(self.model, str(inspect(self.model).primary_key[0].key))

    @property
    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name

    # -- reads -----------------------------------------------------------

    async def get(
        self, id: Any, *, include_deleted: bool = False, scope: Scope | None = None
    ) -> ModelT | None:
        """Return the row with primary key ``id`` (within ``scope``), or ``None``."""
        stmt = select(self.model).where(
            self._pk == id, self._visible(include_deleted), self._scoped(scope)
        )
        async with translate_errors(self.resource):
            return (await self.session.execute(stmt)).scalars().first()

    async def get_by(self, **values: Any) -> ModelT | None:
        """Return the first row whose columns equal ``values``, or ``None``."""
        return await self.first(values)

    async def first(
        self,
        where: Filter | None = None,
        *,
        sort: str | Sequence[str] | None = None,
        include_deleted: bool = False,
    ) -> ModelT | None:
        """Return the first row matching ``where`` in ``sort`` order, or ``None``."""
        stmt = (
            select(self.model)
            .where(self._where(where, include_deleted))
            .order_by(*order_by_terms(parse_sort(self.model, sort)))
            .limit(1)
        )
        async with translate_errors(self.resource):
            return (await self.session.execute(stmt)).scalars().first()

    async def list(
        self,
        where: Filter | None = None,
        *,
        sort: str | Sequence[str] | None = None,
        limit: int | None = None,
        offset: int | None = None,
        include_deleted: bool = False,
    ) -> builtins.list[ModelT]:
        """Return every row matching ``where`` (optionally a slice of them)."""
        stmt = (
            select(self.model)
            .where(self._where(where, include_deleted))
            .order_by(*order_by_terms(parse_sort(self.model, sort)))
            .limit(limit)
            .offset(offset)
        )
        async with translate_errors(self.resource):
            return builtins.list((await self.session.execute(stmt)).scalars().all())

    async def count(self, where: Filter | None = None, *, include_deleted: bool = False) -> int:
        """Count the rows matching ``where``."""
        stmt = (
            select(func.count()).select_from(self.model).where(self._where(where, include_deleted))
        )
        async with translate_errors(self.resource):
            return int((await self.session.execute(stmt)).scalar_one())

    async def exists(self, where: Filter | None = None, *, include_deleted: bool = False) -> bool:
        """Tell whether any row matches ``where``."""
        stmt = select(exists().where(self._where(where, include_deleted)))
        async with translate_errors(self.resource):
            return bool((await self.session.execute(stmt)).scalar())

    async def page(self, request: PageRequest, *, scope: Scope | None = None) -> PageResult[ModelT]:
        """Return one page of entities, by keyset cursor (default) or by offset.

        Keyset pages never skip or repeat rows, because the primary key ends
        every sort order. With ``with_total`` the total comes from a window
        function in the same query where the page has no cursor predicate.
        ``scope`` joins the filter in the same ``WHERE``, so cursors and totals
        count only the rows in scope.
        """
        return await self._page(request, lean=False, scope=scope)

    async def page_rows(
        self, request: PageRequest, *, scope: Scope | None = None
    ) -> PageResult[Any]:
        """Like :meth:`page`, but plain rows (attribute access by field name).

        Rows skip the ORM's identity map and change tracking: the lean path
        for handlers that only turn rows into output DTOs. On a PostgreSQL
        read session the page runs straight on asyncpg, one compiled
        statement per query shape (see :mod:`fastmvc.repository.fastlist`).
        Either way its rows are :class:`~fastmvc.repository.record.Record`
        objects (by attribute or by key).
        """
        return await self._page(request, lean=True, scope=scope)

    async def get_row(self, id: Any, *, scope: Scope | None = None) -> Mapping[str, Any] | None:
        """Like :meth:`get`, but a plain mapping of column values, for output DTOs.

        The statement is built once per model and scope shape (the scope's
        values are bind parameters). On a PostgreSQL read session it runs
        straight on asyncpg (see :mod:`fastmvc.repository.fastpath`).
        """
        names, values = self._row_params(id, scope)
        fast = compiled_read(
            self.session,
            self.model,
            lambda: self._row_by_id(names),
            tuple(values),
            self._row_column_types,
            variant=names,
        )
        async with translate_errors(self.resource):
            if fast is not None:
                engine, compiled = fast
                return await compiled.fetch_one(engine, values)
            # A Core statement on the session's connection skips the ORM's
            # execution layer, which has nothing to do for plain rows.
            connection = await self.session.connection()
            result = await connection.execute(self._row_by_id(names), values)
            row: Mapping[str, Any] | None = result.mappings().first()
        return row

    async def with_relations(
        self, rows: Sequence[Any], include: Sequence[str] = ()
    ) -> builtins.list[Any]:
        """Rows ready for an output DTO: many-to-many ids, plus the ``include``d relations.

        Each relation costs one query for all ``rows`` together; a model
        without relationships gets its rows back as they are.
        """
        async with translate_errors(self.resource):
            return await attach_relations(self.session, self.model, rows, include)

    @staticmethod
    def _row_params(id: Any, scope: Scope | None) -> tuple[tuple[str, ...], dict[str, Any]]:
        """The scope's column names and the bind values of :meth:`_row_by_id`."""
        names = tuple(sorted(scope)) if scope else ()
        values: dict[str, Any] = {"pk": id}
        if scope:
            values.update({f"scope_{name}": scope[name] for name in names})
        return names, values

    def _row_by_id(self, scope_names: tuple[str, ...] = ()) -> Select[Any]:
        key = (self.model, scope_names)
        statement = _ROW_BY_ID.get(key)
        if statement is None:
            columns = inspect(self.model).columns
            for name in scope_names:
                if name not in columns:
                    raise ValueError(f"scope column {name!r} is not a column of {self.resource}")
            statement = (
                select(*self._row_columns())
                .where(
                    self._pk == bindparam("pk"),
                    self._visible(False),
                    *(getattr(self.model, n) == bindparam(f"scope_{n}") for n in scope_names),
                )
                .limit(1)
            )
            _ROW_BY_ID[key] = statement
        return statement

    def _row_column_types(self) -> builtins.list[Any]:
        return [attribute.columns[0].type for attribute in inspect(self.model).column_attrs]

    def _row_columns(self) -> builtins.list[Any]:
        columns = _ROW_COLUMNS.get(self.model)
        if columns is None:
            columns = [
                attribute.class_attribute.label(attribute.key)
                for attribute in inspect(self.model).column_attrs
            ]
            _ROW_COLUMNS[self.model] = columns
        return columns

    async def _page(
        self, request: PageRequest, *, lean: bool, scope: Scope | None = None
    ) -> PageResult[Any]:
        keys = parse_sort(self.model, request.sort)
        # Plain rows on a read session: one statement per query shape, run on
        # the driver (see fastmvc.repository.fastlist). Otherwise SQLAlchemy.
        fast = fast_page(self.session, self, request, keys, scope) if lean else None
        if fast is None:
            base = self._where(
                request.where, request.include_deleted, scope, only_deleted=request.only_deleted
            )
            cursor = decode_cursor(request.cursor, keys) if request.cursor else None
        else:
            cursor = fast.cursor
        backward = cursor is not None and cursor.direction == "prev"
        keyset = request.offset is None
        if fast is not None:
            rows, total = await fast.fetch()
        else:
            condition = base
            if cursor is not None:
                condition = condition & keyset_predicate(keys, cursor.values, reverse=backward)
            rows, total = await self._fetch(
                condition,
                keys,
                request.limit + 1 if keyset else request.limit,
                offset=request.offset,
                reverse=backward,
                with_window=request.with_total and cursor is None,
                lean=lean,
            )
        if request.with_total and total is None:
            total = await (self._count_where(base) if fast is None else fast.count())
        if not keyset:
            return PageResult(items=rows, total=total)
        has_more = len(rows) > request.limit
        rows = rows[: request.limit]
        if backward:
            rows.reverse()
        result: PageResult[Any] = PageResult(items=rows, total=total)
        if rows:
            more_forward = has_more if not backward else True
            more_backward = cursor is not None and (has_more if backward else True)
            if more_forward:
                result.next_cursor = encode_cursor(self._sort_values(rows[-1], keys), "next")
            if more_backward:
                result.prev_cursor = encode_cursor(self._sort_values(rows[0], keys), "prev")
        return result

    async def _fetch(
        self,
        condition: ColumnElement[bool],
        keys: Sequence[SortKey],
        limit: int,
        *,
        offset: int | None = None,
        reverse: bool = False,
        with_window: bool = False,
        lean: bool = False,
    ) -> tuple[builtins.list[Any], int | None]:
        stmt: Select[Any] = select(*self._row_columns()) if lean else select(self.model)
        if with_window:
            stmt = stmt.add_columns(func.count().over().label(TOTAL_COLUMN))
        stmt = stmt.where(condition).order_by(*order_by_terms(keys, reverse=reverse)).limit(limit)
        if offset:
            stmt = stmt.offset(offset)
        async with translate_errors(self.resource):
            if lean:
                result = await (await self.session.connection()).execute(stmt)
            else:
                result = await self.session.execute(stmt)
        if not lean:
            if not with_window:
                return builtins.list(result.scalars().all()), None
            rows = result.all()
            return [row[0] for row in rows], int(rows[0][-1]) if rows else None
        # Records, as on the asyncpg path (fastmvc.repository.fastlist): the
        # same rows on every backend. The window column rides along on them.
        records = [Record.of(row) for row in result.all()]
        total = int(records[0][TOTAL_COLUMN]) if with_window and records else None
        return records, total

    async def _count_where(self, condition: ColumnElement[bool]) -> int:
        stmt = select(func.count()).select_from(self.model).where(condition)
        async with translate_errors(self.resource):
            return int((await self.session.execute(stmt)).scalar_one())

    @staticmethod
    def _sort_values(row: Any, keys: Sequence[SortKey]) -> builtins.list[Any]:
        return [getattr(row, key.column.key) for key in keys]

    # -- writes ----------------------------------------------------------

    def _clean(self, data: Mapping[str, Any]) -> dict[str, Any]:
        columns = inspect(self.model).columns
        unknown = [key for key in data if key not in columns]
        if unknown:
            raise BadRequestError(f"Unknown field(s) for {self.resource}: {', '.join(unknown)}")
        return check_values(self.model, data, self.resource)

    async def create(self, data: Mapping[str, Any] | ModelT) -> ModelT:
        """Insert one row and return it (with its generated id, urn and timestamps).

        Many-to-many id lists (``tag_ids``) in ``data`` become the row's links.
        """
        links: dict[str, Any] = {}
        if isinstance(data, self.model):
            instance = data
        else:
            values, links = split_links(self.model, data)  # type: ignore[arg-type]
            instance = self.model(**self._clean(values))
        async with translate_errors(self.resource):
            self.session.add(instance)
            await self.session.flush()
            if links:
                await replace_links(self.session, self.model, self._pk_value(instance), links)
        return instance

    def _pk_value(self, instance: Any) -> Any:
        return getattr(instance, str(inspect(self.model).primary_key[0].key))

    async def create_many(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Insert many rows in as few statements as the dialect's parameter limit allows.

        Returns:
            The number of rows inserted.
        """
        if not rows:
            return 0
        prepared = [self._with_defaults(self._clean(row)) for row in rows]
        width = max(len(row) for row in prepared)
        chunk = max(1, _PARAM_LIMITS.get(self._dialect, 999) // width)
        async with translate_errors(self.resource):
            for start in range(0, len(prepared), chunk):
                await self.session.execute(
                    insert(self.model).values(prepared[start : start + chunk])
                )
        return len(prepared)

    def _with_defaults(self, row: dict[str, Any]) -> dict[str, Any]:
        # Multi-row VALUES needs every row to name the same columns, so fill
        # the Python-side defaults (urn, timestamps, version) here.
        for column in inspect(self.model).columns:
            default = column.default
            if column.key in row or default is None:
                continue
            if default.is_callable:
                row[column.key] = default.arg(None)  # type: ignore[attr-defined]
            elif default.is_scalar:
                row[column.key] = default.arg  # type: ignore[attr-defined]
        return row

    async def update(
        self,
        id: Any,
        data: Mapping[str, Any],
        *,
        expected_version: int | None = None,
        scope: Scope | None = None,
    ) -> ModelT | None:
        """Update one row and return it, or ``None`` when it does not exist (in ``scope``).

        Args:
            id: Primary key.
            data: Column values to set.
            expected_version: The version the caller read. When it no longer
                matches, nothing is written and :class:`ConflictError` is raised.
            scope: Row condition (e.g. the owner); a row outside it is "not found".
        """
        columns, links = split_links(self.model, data)
        values = self._clean(columns)
        for managed in _MANAGED & values.keys():
            values.pop(managed)
        if links:
            async with translate_errors(self.resource):
                links = await changed_links(self.session, self.model, id, links)
        if not values and not links:
            # Nothing to change: not even the version moves.
            return await self._unchanged(id, expected_version, scope)
        stmt = (
            self._update_statement(id, values, expected_version, scope, links=bool(links))
            .returning(self.model)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        async with translate_errors(self.resource):
            updated = (await self.session.execute(stmt)).scalars().first()
            if updated is not None and links:
                await replace_links(self.session, self.model, id, links)
        if updated is not None:
            return updated
        return await self._unchanged(id, expected_version, scope)

    def _update_statement(
        self,
        id: Any,
        values: dict[str, Any],
        expected_version: int | None,
        scope: Scope | None,
        *,
        links: bool,
    ) -> Update:
        """``UPDATE … WHERE id AND live AND in scope AND version matches AND something changes``.

        The version check and the "changes something" test ride in the
        ``WHERE``: a stale version or a no-op PATCH writes nothing, and the
        caller tells which by reading the row.
        """
        has_version = "version" in inspect(self.model).columns
        conditions = [self._pk == id, self._visible(False), self._scoped(scope)]
        if expected_version is not None and has_version:
            conditions.append(getattr(self.model, "version") == expected_version)  # noqa: B009
        # A new id set is a change even when every column stays as it was.
        changed = None if links else self._changes_something(values)
        if changed is not None:
            conditions.append(changed)
        if has_version:
            values["version"] = getattr(self.model, "version") + 1  # noqa: B009
        return update(self.model).where(*conditions).values(**values)

    def _changes_something(self, values: Mapping[str, Any]) -> ColumnElement[bool] | None:
        """``col1 IS DISTINCT FROM :v1 OR …``, so a PATCH that changes nothing writes nothing.

        ``None`` when a column type has no equality in SQL (plain ``JSON`` on
        PostgreSQL): then the row is written whatever the values.
        """
        columns = inspect(self.model).columns
        terms = []
        for key, value in values.items():
            column_type = columns[key].type
            if kind_of(column_type) is typemap.JSON and self._dialect == "postgresql":
                dialect = self.session.get_bind().dialect
                if not isinstance(column_type.dialect_impl(dialect), postgresql.JSONB):
                    return None
            # Bound with the column's own type: a JSON column compared with a
            # plain 0 would otherwise bind an integer (jsonb = integer).
            bound = value if isinstance(value, ClauseElement) else literal(value, column_type)
            terms.append(getattr(self.model, key).is_distinct_from(bound))
        return or_(*terms)

    async def _unchanged(
        self, id: Any, expected_version: int | None, scope: Scope | None
    ) -> ModelT | None:
        """The row as it is, after an update that wrote nothing (409 if the version is stale).

        Under an owner ``scope`` another user's row is ``None`` (404), never a 409.
        """
        current = await self.get(id, scope=scope)
        if current is not None:
            self._check_version(getattr(current, "version", None), expected_version)
        return current

    def _check_version(self, version: int | None, expected_version: int | None) -> None:
        if expected_version is not None and version is not None and version != expected_version:
            raise ConflictError(
                f"{self.resource} was changed by someone else "
                f"(version {expected_version} is stale)",
                response_key="error_stale_version",
            )

    async def update_where(self, where: Filter | None, data: Mapping[str, Any]) -> int:
        """Update every row matching ``where``; returns how many changed."""
        values = self._clean(data)
        if "version" in inspect(self.model).columns:
            values["version"] = getattr(self.model, "version") + 1  # noqa: B009
        stmt = (
            update(self.model)
            .where(self._where(where))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        async with translate_errors(self.resource):
            result = await self.session.execute(stmt)
        return int(getattr(result, "rowcount", 0) or 0)

    async def delete(
        self,
        id: Any,
        *,
        hard: bool = False,
        scope: Scope | None = None,
        autocommit: bool = False,
    ) -> bool:
        """Delete one row (soft when the model supports it and ``hard`` is false).

        One ``DELETE``, or for soft delete one ``UPDATE`` setting ``deleted_at``.
        ``autocommit`` as for :meth:`insert_row`.

        Returns:
            Whether a row (within ``scope``) was deleted.
        """
        names, params = self._row_params(id, scope)
        soft = self.soft_delete and not hard
        key = (self.model, names, soft, self._dialect)
        statement = _DELETE_ROW.get(key)
        if statement is None:
            condition = (self._pk == bindparam("pk")) & self._scoped_params(names)
            statement = self._delete_statement(condition, soft=soft)
            _DELETE_ROW[key] = statement
        if soft:
            params["deleted_now"] = utcnow()
        driver = self._on_driver(
            autocommit, ("delete", names, soft), lambda: statement.returning(self._pk), params
        )
        if driver is not None:
            async with translate_errors(self.resource, deleting=True):
                return await driver[1].fetch_one(driver[0], params) is not None
        async with (
            translate_errors(self.resource, deleting=True),
            self._writer(autocommit) as connection,
        ):
            result = await connection.execute(statement, params)
        return int(getattr(result, "rowcount", 0) or 0) > 0

    def _scoped_params(self, names: tuple[str, ...]) -> ColumnElement[bool]:
        """The scope's columns equal to bind parameters ``scope_<name>`` (:meth:`_row_params`)."""
        condition: ColumnElement[bool] = true()
        for name in names:
            if name not in inspect(self.model).columns:
                raise ValueError(f"scope column {name!r} is not a column of {self.resource}")
            condition = condition & (getattr(self.model, name) == bindparam(f"scope_{name}"))
        return condition

    def _delete_statement(self, condition: ColumnElement[bool], *, soft: bool) -> Any:
        if soft:
            return (
                update(self.model)
                .where(condition, self._visible(False))
                .values(
                    deleted_at=bindparam("deleted_now"),
                    version=getattr(self.model, "version") + 1,  # noqa: B009
                )
                .execution_options(synchronize_session=False)
            )
        return delete(self.model).where(condition).execution_options(synchronize_session=False)

    async def delete_where(self, where: Filter | None, *, hard: bool = False) -> int:
        """Delete every row matching ``where``; returns how many."""
        return await self._delete(compile_filter(self.model, where), hard=hard)

    async def restore(self, id: Any, *, scope: Scope | None = None) -> ModelT | None:
        """Bring a soft-deleted row back; ``None`` when no deleted row in ``scope`` has that id.

        Raises:
            ConflictError: A live row already holds one of its unique values.
        """
        if not self.soft_delete:
            return None
        stmt = (
            update(self.model)
            .where(self._pk == id, self._visible(False, only_deleted=True), self._scoped(scope))
            .values(deleted_at=None, version=getattr(self.model, "version") + 1)  # noqa: B009
            .returning(self.model)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        async with translate_errors(self.resource):
            restored: ModelT | None = (await self.session.execute(stmt)).scalars().first()
        return restored

    async def _delete(
        self, condition: ColumnElement[bool], *, hard: bool, autocommit: bool = False
    ) -> int:
        soft = self.soft_delete and not hard
        stmt = self._delete_statement(condition, soft=soft)
        params = {"deleted_now": utcnow()} if soft else {}
        async with (
            translate_errors(self.resource, deleting=True),
            self._writer(autocommit) as connection,
        ):
            result = await connection.execute(stmt, params)
        return int(getattr(result, "rowcount", 0) or 0)

    async def upsert(
        self,
        data: Mapping[str, Any],
        *,
        conflict: Sequence[str],
        update_fields: Sequence[str] | None = None,
    ) -> ModelT:
        """Insert a row, or update it when ``conflict`` columns clash (native ON CONFLICT).

        Args:
            data: The row.
            conflict: Columns of a unique constraint or index.
            update_fields: Columns to overwrite on conflict (default: every
                given column except the conflict columns).
        """
        values = self._with_defaults(self._clean(data))
        fields = update_fields or [
            key for key in data if key not in conflict and key not in _MANAGED
        ]
        dialect = postgresql if self._dialect == "postgresql" else sqlite
        stmt = dialect.insert(self.model).values(**values)
        excluded = stmt.excluded
        assignments: dict[str, Any] = {name: excluded[name] for name in fields}
        columns = inspect(self.model).columns
        if "updated_at" in columns:
            assignments["updated_at"] = utcnow()
        if "version" in columns:
            assignments["version"] = getattr(self.model, "version") + 1  # noqa: B009
        statement = (
            stmt.on_conflict_do_update(index_elements=list(conflict), set_=assignments)
            .returning(self.model)
            .execution_options(populate_existing=True)
        )
        async with translate_errors(self.resource):
            row: ModelT = (await self.session.execute(statement)).scalars().one()
        return row
