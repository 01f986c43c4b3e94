"""The benchmarked entity and its DTOs, shared by every server under test."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import BigInteger, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from fastmvc.db import Entity
from fastmvc.dto import DTO, OutDTO

__all__ = [
    "OwnedProduct",
    "PlainCreate",
    "PlainOut",
    "Product",
    "ProductCreate",
    "ProductOut",
    "ProductUpdate",
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


class PlainOut(BaseModel):
    """The hand-written ORM app's response model."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    urn: str
    name: str
    price: Decimal
    stock: int
    version: int
