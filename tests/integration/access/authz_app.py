"""A users table, an owned entity and its controllers, in a metadata of their own.

``OwnedMixin`` points at ``users.id``; keeping these tables out of the shared
test metadata means no other suite meets a ``users`` table it did not expect.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from sqlalchemy import MetaData, String, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from fastmvc.access import Policy, owner_scope
from fastmvc.auth import UserMixin
from fastmvc.controller import Controller, CRUDController, envelope, get
from fastmvc.db import NAMING_CONVENTION, IdMixin, OwnedMixin
from fastmvc.db.mixins import TimestampMixin, UrnMixin, VersionMixin
from fastmvc.dependencies import ReadSessionDep
from fastmvc.dto import DTO, OutDTO
from fastmvc.repository import Repository
from fastmvc.service import CRUDService


class AuthzBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Row(IdMixin, UrnMixin, TimestampMixin, VersionMixin):
    pass


class User(UserMixin, Row, AuthzBase):
    __tablename__ = "users"


class Note(OwnedMixin, Row, AuthzBase):
    __tablename__ = "authz_notes"

    body: Mapped[str] = mapped_column(String(200))


class NoteRepository(Repository[Any]):
    model = Note

    async def count_in(self, scope: Any) -> int:
        stmt = select(func.count()).select_from(Note).where(self._scoped(scope))
        return int((await self.session.execute(stmt)).scalar_one())


class NoteService(CRUDService[Any, NoteRepository]):
    repository_class = NoteRepository

    async def before_create(self, data: dict[str, Any]) -> dict[str, Any]:
        # Hooks see the caller.
        assert self.actor is not None
        return data

    async def count(self) -> int:
        return await self.repository.count_in(self.scope)


class NoteCreate(DTO):
    body: str = Field(min_length=1, max_length=200)


class NoteUpdate(DTO):
    body: str | None = Field(default=None, min_length=1, max_length=200)
    version: int | None = None


class NoteOut(OutDTO):
    id: int
    body: str
    owner_id: int
    version: int


class NoteController(CRUDController):
    prefix = "/notes"
    resource = "note"
    read_policy = Policy.OWNER
    write_policy = Policy.OWNER
    service_class = NoteService
    create_schema = NoteCreate
    update_schema = NoteUpdate
    out_schema = NoteOut


class AdminNoteController(NoteController):
    prefix = "/admin-notes"
    resource = "admin_note"
    read_policy = Policy.PUBLIC
    write_policy = Policy.ADMIN


class StatsController(Controller):
    """Plain controller: a token by default, one public route, one owner-scoped route."""

    prefix = "/stats"

    @get("/whoami")
    async def whoami(self) -> Any:
        return envelope({"sub": self.actor.sub}, message="Me", key="success_me")

    @get("/ping", policy=Policy.PUBLIC)
    async def ping(self) -> Any:
        return envelope({"actor": self.actor}, message="Pong", key="success_ping")

    @get("/my-notes", policy=Policy.OWNER)
    async def my_notes(self, session: ReadSessionDep) -> Any:
        service = NoteService(session, actor=self.actor, scope=owner_scope(self.grant))
        return envelope({"count": await service.count()}, message="Count", key="success_count")

    @get("/admin-only", policy=Policy.ADMIN)
    async def admin_only(self) -> Any:
        return envelope(None, message="Admin", key="success_admin")
