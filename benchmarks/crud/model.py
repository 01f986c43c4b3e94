"""The benchmarked entity and its DTOs, shared by every server under test."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import BigInteger, Column, ForeignKey, Index, Numeric, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fastmvc.db import Base, Entity
from fastmvc.dto import DTO, OutDTO

__all__ = [
    "Category",
    "Item",
    "ItemIn",
    "ItemOut",
    "OwnedProduct",
    "PlainCreate",
    "PlainItemOut",
    "PlainOut",
    "PlainUpdate",
    "Product",
    "ProductCreate",
    "ProductOut",
    "ProductUpdate",
    "Tag",
]


class Product(Entity):
    """One row of ``products``: FastMVC's id/urn/timestamps/version plus three columns."""

    __tablename__ = "products"
    __table_args__ = (Index("ix_products_price_id", "price", "id"),)

    name: Mapped[str] = mapped_column(String(100))
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    stock: Mapped[int] = mapped_column(default=0)


class OwnedProduct(Entity):
    """The same rows in ``owned_products``, each owned by user 1 (the benchmark's token).

    ``owner_id`` has no foreign key here (the benchmark has no users table);
    the owner scope only needs the column.
    """

    __tablename__ = "owned_products"

    name: Mapped[str] = mapped_column(String(100))
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    stock: Mapped[int] = mapped_column(default=0)
    owner_id: Mapped[int] = mapped_column(BigInteger, index=True)


class ProductCreate(DTO):
    """FastMVC's request body."""

    name: str = Field(min_length=1, max_length=100)
    price: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    stock: int = Field(default=0, ge=0, le=2**31 - 1)


class ProductUpdate(DTO):
    """FastMVC's PATCH body."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    price: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    stock: int | None = Field(default=None, ge=0, le=2**31 - 1)
    version: int | None = None


class ProductOut(OutDTO):
    """What FastMVC answers."""

    id: int
    urn: str
    name: str
    price: Decimal
    stock: int
    version: int


class PlainCreate(BaseModel):
    """The hand-written and fastcrud request body (same constraints, no FastMVC base)."""

    name: str = Field(min_length=1, max_length=100)
    price: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    stock: int = Field(default=0, ge=0, le=2**31 - 1)


class PlainUpdate(BaseModel):
    """The hand-written PATCH body."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    price: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    stock: int | None = Field(default=None, ge=0, le=2**31 - 1)


class PlainOut(BaseModel):
    """The hand-written ORM app's response model."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    urn: str
    name: str
    price: Decimal
    stock: int
    version: int


# -- the scaling line: a page of 100 rows with a many-to-one and a many-to-many ----------

item_tags = Table(
    "item_tags",
    Base.metadata,
    Column("item_id", BigInteger, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", BigInteger, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class Category(Entity):
    """What an item belongs to (many-to-one)."""

    __tablename__ = "categories"

    name: Mapped[str] = mapped_column(String(100))


class Tag(Entity):
    """A label items carry (many-to-many through ``item_tags``)."""

    __tablename__ = "tags"

    name: Mapped[str] = mapped_column(String(100))


class Item(Entity):
    """An item with one category and a few tags."""

    __tablename__ = "items"

    name: Mapped[str] = mapped_column(String(100))
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    category_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("categories.id"), index=True)
    category: Mapped[Category] = relationship(lazy="raise")
    tags: Mapped[list[Tag]] = relationship(secondary=item_tags, lazy="raise")


class NamedOut(OutDTO):
    """A category or tag as FastMVC embeds it."""

    id: int
    name: str


class ItemOut(OutDTO):
    """FastMVC's item, with ``?include=category,tags``."""

    id: int
    urn: str
    name: str
    price: Decimal
    category_id: int
    tag_ids: list[int] = Field(default_factory=list)
    version: int
    category: NamedOut | None = None
    tags: list[NamedOut] | None = None


class ItemIn(DTO):
    """FastMVC's item body (the benchmark only reads)."""

    name: str = Field(min_length=1, max_length=100)
    price: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    category_id: int


class PlainNamed(BaseModel):
    """The ORM peer's category or tag."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str


class PlainItemOut(BaseModel):
    """The ORM peer's item with its category and tags."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    urn: str
    name: str
    price: Decimal
    category_id: int
    version: int
    category: PlainNamed
    tags: list[PlainNamed]
