"""An entity with every column type of the type map, a parent it references, and its routes.

Shared by the regression tests of issue 10 (never a 500 on input) and the
type-map property test. The DTOs use :mod:`fastmvc.fields`, as generated
projects do.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from fastmvc.controller import CRUDController
from fastmvc.db import AnyJSON, Entity, UTCDateTime
from fastmvc.dto import DTO, OutDTO
from fastmvc.fields import (
    JSONUUID,
    Decimal12_2,
    FiniteFloat,
    Int32,
    Int64,
    JSONDate,
    StrictBool,
    String255,
    UTCDatetime,
    Version,
    omitted,
    string,
)
from fastmvc.fields import (
    AnyJSON as JSONField,
)
from fastmvc.fields import (
    Text as TextField,
)
from fastmvc.repository import Repository
from fastmvc.service import CRUDService

Label = string(40)


class Holder(Entity):
    __tablename__ = "n5_holders"

    name: Mapped[str] = mapped_column(String(40))


class Sample(Entity):
    __tablename__ = "n5_samples"

    count: Mapped[int] = mapped_column(Integer)
    big: Mapped[int] = mapped_column(BigInteger)
    ratio: Mapped[float] = mapped_column(Float)
    total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    label: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    flag: Mapped[bool] = mapped_column(Boolean)
    day: Mapped[date] = mapped_column(Date)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    code: Mapped[uuid.UUID] = mapped_column(Uuid)
    tags: Mapped[Any] = mapped_column(AnyJSON)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    holder_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("n5_holders.id"), default=None
    )


class HolderRepository(Repository[Holder]):
    model = Holder


class HolderService(CRUDService[Holder, HolderRepository]):
    repository_class = HolderRepository


class HolderCreate(DTO):
    name: Label


class HolderUpdate(DTO):
    name: Label = omitted()
    version: Version = omitted()


class HolderOut(OutDTO):
    id: int
    urn: str
    name: str
    version: int


class SampleRepository(Repository[Sample]):
    model = Sample


class SampleService(CRUDService[Sample, SampleRepository]):
    repository_class = SampleRepository


class SampleCreate(DTO):
    count: Int32
    big: Int64
    ratio: FiniteFloat
    total: Decimal12_2
    label: Label
    title: String255
    body: TextField
    flag: StrictBool
    day: JSONDate
    seen_at: UTCDatetime
    code: JSONUUID
    tags: JSONField
    note: TextField | None = None
    holder_id: Int64 | None = None


class SampleUpdate(DTO):
    count: Int32 = omitted()
    big: Int64 = omitted()
    ratio: FiniteFloat = omitted()
    total: Decimal12_2 = omitted()
    label: Label = omitted()
    title: String255 = omitted()
    body: TextField = omitted()
    flag: StrictBool = omitted()
    day: JSONDate = omitted()
    seen_at: UTCDatetime = omitted()
    code: JSONUUID = omitted()
    tags: JSONField = omitted()
    note: TextField | None = None
    holder_id: Int64 | None = None
    version: Version = omitted()


class SampleOut(OutDTO):
    id: int
    urn: str
    count: int
    big: int
    ratio: float
    total: Decimal
    label: str
    title: str
    body: str
    flag: bool
    day: date
    seen_at: datetime
    code: uuid.UUID
    tags: Any
    note: str | None
    holder_id: int | None
    created_at: datetime
    updated_at: datetime
    version: int


class HolderController(CRUDController):
    prefix = "/holders"
    resource = "holder"
    public = True
    service_class = HolderService
    create_schema = HolderCreate
    update_schema = HolderUpdate
    out_schema = HolderOut


class SampleController(CRUDController):
    prefix = "/samples"
    resource = "sample"
    public = True
    service_class = SampleService
    create_schema = SampleCreate
    update_schema = SampleUpdate
    out_schema = SampleOut


def sample_payload(**changes: Any) -> dict[str, Any]:
    """A valid ``POST /samples`` body."""
    payload: dict[str, Any] = {
        "count": 3,
        "big": 2**40,
        "ratio": 0.5,
        "total": "12.50",
        "label": "chair",
        "title": "A chair",
        "body": "Made of wood",
        "flag": True,
        "day": "2024-05-01",
        "seen_at": "2024-05-01T10:00:00Z",
        "code": str(uuid.uuid4()),
        "tags": {"colour": "red"},
    }
    payload.update(changes)
    return payload
