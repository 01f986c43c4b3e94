"""Models the framework's own tests run against."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Numeric, String
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
