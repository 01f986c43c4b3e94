"""Module-level models for the cache tests (a cached model must be importable)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

ItemT = TypeVar("ItemT")


class Product(BaseModel):
    id: int
    name: str
    price: Decimal
    urn: uuid.UUID
    created_at: dt.datetime


class StrictProduct(BaseModel):
    model_config = ConfigDict(strict=True)

    id: uuid.UUID
    at: dt.datetime


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]


class ProductPage(Page[Product]):
    """A module-level subclass of a parametrized generic: importable, so cacheable."""


class Outer:
    class Inner(BaseModel):
        value: int


class NotAModel:
    """A plain class; restoring it must be refused."""
