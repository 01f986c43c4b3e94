"""Models the framework's own tests run against."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    LargeBinary,
    Numeric,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from fastmvc.db import Entity, SoftDeleteMixin


class Widget(Entity):
    __tablename__ = "test_widgets"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    stock: Mapped[int] = mapped_column(default=0)
    colour: Mapped[str | None] = mapped_column(String(20), default=None)


class Memo(SoftDeleteMixin, Entity):
    __tablename__ = "test_memos"

    title: Mapped[str] = mapped_column(String(100))


class Gadget(Entity):
    """Every column type the asyncpg fast path reads natively."""

    __tablename__ = "test_gadgets"

    code: Mapped[uuid.UUID] = mapped_column(Uuid, default=uuid.uuid4)
    made_on: Mapped[date | None] = mapped_column(Date, default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    weight: Mapped[float | None] = mapped_column(Float, default=None)
    blob: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    cost: Mapped[Decimal | None] = mapped_column(Numeric(10, 3), default=None)


class Document(Entity):
    """A JSON column: the fast path must step aside."""

    __tablename__ = "test_documents"

    body: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
