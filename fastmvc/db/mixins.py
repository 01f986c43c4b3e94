"""Column mixins and the :class:`Entity` base most models use.

Every row of a FastMVC entity has an integer primary key ``id``, a unique ULID
``urn`` that is safe to show outside, UTC-aware ``created_at`` and
``updated_at``, and a ``version`` that optimistic locking compares.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from ulid import ULID

from fastmvc.db.base import Base
from fastmvc.db.types import UTCDateTime, utcnow

__all__ = [
    "Entity",
    "IdMixin",
    "OwnedMixin",
    "SoftDeleteMixin",
    "TimestampMixin",
    "UrnMixin",
    "VersionMixin",
]


def _new_urn() -> str:
    return str(ULID())


# BIGINT on PostgreSQL; SQLite only auto-increments a column declared INTEGER.
_ID_TYPE = BigInteger().with_variant(Integer(), "sqlite")


class IdMixin:
    """Integer surrogate primary key."""

    id: Mapped[int] = mapped_column(_ID_TYPE, primary_key=True, autoincrement=True, sort_order=-100)


class UrnMixin:
    """A unique ULID, sortable by creation time and safe to expose."""

    urn: Mapped[str] = mapped_column(String(26), unique=True, default=_new_urn, sort_order=-99)


class TimestampMixin:
    """``created_at`` and ``updated_at``, set by the application in UTC."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, sort_order=100)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, sort_order=101
    )


class VersionMixin:
    """A row version for optimistic locking.

    SQLAlchemy's ``version_id_col`` makes every ORM flush check and bump it;
    :meth:`fastmvc.repository.Repository.update` compares it with the version
    the client sent.
    """

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, sort_order=102)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class SoftDeleteMixin:
    """Opt-in soft delete: deleting sets ``deleted_at`` and hides the row."""

    deleted_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), default=None, index=True, sort_order=103
    )


class OwnedMixin:
    """``owner_id``: the user a row belongs to (``users.id``, indexed, never null).

    The owner is set from the caller on create and is never read from a
    request body; under the ``owner`` policy every statement is scoped to it.
    """

    @declared_attr
    def owner_id(cls) -> Mapped[int]:
        return mapped_column(_ID_TYPE, ForeignKey("users.id"), index=True, sort_order=90)


class Entity(IdMixin, UrnMixin, TimestampMixin, VersionMixin, Base):
    """Abstract base of a FastMVC entity: id, urn, timestamps and version."""

    __abstract__ = True
