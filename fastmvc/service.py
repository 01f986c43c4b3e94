"""Services hold the business rules, inside the request's unit of work.

``CRUDService`` gives create/read/update/delete over one repository, with
hooks to override. The caller is ``self.actor`` (a
:class:`~fastmvc.security.Principal`, or ``None`` on a public route), and
``self.scope`` is the row condition the controller's policy set (``owner``:
the caller's rows). Every repository call below passes that scope, so an
owned list stays one query and another user's row is simply not found.

Writes take the lean path: one ``INSERT … RETURNING`` or ``UPDATE …
RETURNING`` and no ORM object. Hooks see plain values: the ``data`` dict
before, a :class:`~fastmvc.repository.record.Record` (``row.name`` or
``row["name"]``) after; raising from any of them rolls the unit of work back.

It raises :class:`~fastmvc.errors.NotFoundError` and
:class:`~fastmvc.errors.ConflictError`; it never imports FastAPI.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from fastmvc.access import OWNER_COLUMN, Scope, subject_id
from fastmvc.db.base import Base
from fastmvc.errors import NotFoundError
from fastmvc.repository.base import Repository
from fastmvc.repository.page import PageRequest, PageResult
from fastmvc.repository.record import Record
from fastmvc.repository.relations import many_relations

if TYPE_CHECKING:
    from fastmvc.security.tokens import Principal

__all__ = ["CRUDService", "Service"]

ModelT = TypeVar("ModelT", bound=Base)
RepoT = TypeVar("RepoT", bound=Repository[Any])


class Service:
    """Base of every service: the request's session and the caller.

    Args:
        session: The request's session (its unit of work).
        actor: Who is calling: the verified token's principal, or ``None``
            on a public route (and in scripts).
    """

    def __init__(self, session: AsyncSession, *, actor: Principal | None = None) -> None:
        self.session = session
        self.actor = actor


class CRUDService(Service, Generic[ModelT, RepoT]):
    """Create, read, update and delete over ``repository_class``.

    Override the ``before_*``/``after_*`` hooks for business rules; raise any
    :class:`~fastmvc.errors.FastMVCError` from them and the whole unit of work
    rolls back.
    """

    repository_class: type[RepoT]
    resource_name: ClassVar[str | None] = None

    def __init__(
        self,
        session: AsyncSession,
        *,
        actor: Principal | None = None,
        scope: Scope | None = None,
    ) -> None:
        super().__init__(session, actor=actor)
        self.scope = scope
        self.repository: RepoT = self.repository_class(session)

    @property
    def owned(self) -> bool:
        """Whether the model keeps an ``owner_id``."""
        return OWNER_COLUMN in inspect(self.repository.model).columns

    @property
    def resource(self) -> str:
        """Human name of the resource, for messages."""
        return self.resource_name or self.repository.resource

    def not_found(self, id: Any) -> NotFoundError:
        """The error for a missing row."""
        return NotFoundError(f"{self.resource} {id} not found")

    # -- hooks -------------------------------------------------------------

    async def before_create(self, data: dict[str, Any]) -> dict[str, Any]:
        """Adjust or validate the values of a new row. Return the values to insert."""
        return data

    async def after_create(self, row: Record) -> None:
        """Run after the row is inserted (same transaction); ``row`` holds its values."""

    async def before_update(self, id: Any, data: dict[str, Any]) -> dict[str, Any]:
        """Adjust or validate an update. Return the values to set."""
        return data

    async def after_update(self, row: Record) -> None:
        """Run after the row is updated (same transaction); ``row`` holds its new values."""

    async def before_delete(self, id: Any) -> None:
        """Run before the row is deleted; raise to refuse."""

    async def after_delete(self, id: Any) -> None:
        """Run after the row is deleted (same transaction)."""

    # -- operations --------------------------------------------------------

    async def get(self, id: Any) -> ModelT:
        """Return the row or raise :class:`NotFoundError`."""
        instance: ModelT | None = await self.repository.get(id, scope=self.scope)
        if instance is None:
            raise self.not_found(id)
        return instance

    async def list(self, request: PageRequest) -> PageResult[ModelT]:
        """Return one page of entities."""
        page: PageResult[ModelT] = await self.repository.page(request, scope=self.scope)
        return page

    async def read(self, id: Any, include: Sequence[str] = ()) -> Any:
        """The HTTP read path of ``GET /{id}``: a plain row for the Out DTO.

        Override it (rather than :meth:`get`) to add read rules to that route.

        Args:
            id: Primary key.
            include: Relations to embed (``?include=author``).

        Raises:
            NotFoundError: No such row.
        """
        row = await self.repository.get_row(id, scope=self.scope)
        if row is None:
            raise self.not_found(id)
        (item,) = await self.repository.with_relations([row], include)
        return item

    async def read_page(self, request: PageRequest) -> PageResult[Any]:
        """The HTTP read path of ``GET /``: one page of plain rows for the Out DTO."""
        page: PageResult[Any] = await self.repository.page_rows(request, scope=self.scope)
        page.items = await self.repository.with_relations(page.items, request.include)
        return page

    async def output(self, row: Any) -> Any:
        """What a write answers: the row as a later ``GET`` shows it (many-to-many ids included)."""
        (item,) = await self.repository.with_relations([row])
        return item

    def _alone(self, *methods: str) -> bool:
        """Whether a write may be its unit of work's only statement (see ``Database.unit_of_work``).

        Only when none of ``methods`` (the operation, its after-hook) is
        overridden, so nothing that could still refuse the write runs after
        it, and the model has no many-to-many ids for :meth:`output` to read.
        """
        own = type(self)
        return all(getattr(own, name) is getattr(CRUDService, name) for name in methods) and not (
            many_relations(self.repository.model)
        )

    async def create(self, data: Mapping[str, Any]) -> Record:
        """Insert a row after ``before_create`` and before ``after_create``.

        On an owned model, ``owner_id`` is the actor's id whatever ``data`` says.
        """
        values = await self.before_create(dict(data))
        if self.actor is not None and self.owned:
            values[OWNER_COLUMN] = subject_id(self.actor)
        row = await self.repository.insert_row(
            values, autocommit=self._alone("create", "after_create", "output")
        )
        await self.after_create(row)
        return row

    async def update(
        self, id: Any, data: Mapping[str, Any], *, expected_version: int | None = None
    ) -> Record:
        """Update a row, checking ``expected_version`` when given.

        Raises:
            NotFoundError: No such row.
            ConflictError: ``expected_version`` is stale.
        """
        values = await self.before_update(id, dict(data))
        row = await self.repository.update_row(
            id,
            values,
            expected_version=expected_version,
            scope=self.scope,
            autocommit=self._alone("update", "after_update", "output"),
        )
        if row is None:
            raise self.not_found(id)
        await self.after_update(row)
        return row

    async def restore(self, id: Any) -> Record:
        """Bring back a soft-deleted row.

        Raises:
            NotFoundError: No soft-deleted row has that id.
            ConflictError: A live row now holds one of its unique values.
        """
        row = await self.repository.restore_row(id, scope=self.scope)
        if row is None:
            raise self.not_found(id)
        return row

    async def delete(self, id: Any) -> None:
        """Delete a row (soft when the model supports it)."""
        await self.before_delete(id)
        deleted = await self.repository.delete(
            id, scope=self.scope, autocommit=self._alone("delete", "after_delete")
        )
        if not deleted:
            raise self.not_found(id)
        await self.after_delete(id)
