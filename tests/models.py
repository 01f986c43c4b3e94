"""Models the framework's own tests run against."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fastmvc.db import Base, Entity, SoftDeleteMixin, live_unique_index


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


# Relations: a reference to another table, a self-reference, a many-to-many set.
article_labels = Table(
    "test_article_labels",
    Base.metadata,
    Column(
        "article_id",
        BigInteger,
        ForeignKey("test_articles.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "label_id", BigInteger, ForeignKey("test_labels.id", ondelete="CASCADE"), primary_key=True
    ),
)


class Label(Entity):
    __tablename__ = "test_labels"

    name: Mapped[str] = mapped_column(String(50))


class Article(SoftDeleteMixin, Entity):
    __tablename__ = "test_articles"

    title: Mapped[str] = mapped_column(String(100))
    widget_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("test_widgets.id"), index=True)
    widget: Mapped[Widget] = relationship(foreign_keys=[widget_id], lazy="raise")
    parent_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("test_articles.id"))
    parent: Mapped[Article | None] = relationship(
        foreign_keys=[parent_id], remote_side="Article.id", lazy="raise"
    )
    labels: Mapped[list[Label]] = relationship(secondary=article_labels, lazy="raise")


live_unique_index(Article.title)
