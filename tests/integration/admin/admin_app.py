"""A users table and a soft-delete entity with its controller, in a metadata of their own."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from sqlalchemy import MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from fastmvc.auth import UserMixin
from fastmvc.controller import CRUDController
from fastmvc.db import NAMING_CONVENTION, IdMixin, SoftDeleteMixin
from fastmvc.db.mixins import TimestampMixin, UrnMixin, VersionMixin
from fastmvc.dto import DTO, OutDTO
from fastmvc.repository import Repository
from fastmvc.service import CRUDService


class AdminBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Row(IdMixin, UrnMixin, TimestampMixin, VersionMixin):
    pass


class User(UserMixin, Row, AdminBase):
    __tablename__ = "users"


class Card(SoftDeleteMixin, Row, AdminBase):
    __tablename__ = "admin_cards"

    title: Mapped[str] = mapped_column(String(40))
    copies: Mapped[int] = mapped_column(default=0)


class CardRepository(Repository[Any]):
    model = Card


class CardService(CRUDService[Any, CardRepository]):
    repository_class = CardRepository


class CardCreate(DTO):
    title: str = Field(min_length=1, max_length=40)
    copies: int = Field(default=0, ge=0, le=1000)


class CardUpdate(DTO):
    title: str | None = Field(default=None, min_length=1, max_length=40)
    copies: int | None = Field(default=None, ge=0, le=1000)
    version: int | None = None


class CardOut(OutDTO):
    id: int
    title: str
    copies: int
    version: int


class CardController(CRUDController):
    prefix = "/cards"
    tags = ("cards",)
    resource = "card"
    service_class = CardService
    create_schema = CardCreate
    update_schema = CardUpdate
    out_schema = CardOut
