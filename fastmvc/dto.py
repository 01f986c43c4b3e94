"""Data-transfer objects: the request-DTO base and the response envelope.

Every JSON response, success or failure, is one envelope (ARCHITECTURE.md,
"HTTP contract"). ``Envelope[ProductOut]`` is a concrete generic model, so the
OpenAPI schema names and shows it.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "DTO",
    "Envelope",
    "ErrorEnvelope",
    "ErrorItem",
    "OutDTO",
    "Page",
]

T = TypeVar("T")


class DTO(BaseModel):
    """Base of request DTOs: unknown fields are refused, strings are stripped.

    NUL characters are refused in every string: PostgreSQL cannot store them,
    and a 422 now beats a driver error later.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


class OutDTO(BaseModel):
    """Base of response DTOs: built straight from ORM rows or mappings."""

    model_config = ConfigDict(from_attributes=True)


class Envelope(BaseModel, Generic[T]):
    """The success envelope."""

    transactionUrn: str = Field(description="The request id (ULID); equals X-Request-ID.")
    status: Literal["SUCCESS"] = "SUCCESS"
    responseMessage: str
    responseKey: str
    data: T | None = None


class ErrorItem(BaseModel):
    """One problem with one input field."""

    field: str
    message: str
    type: str


class ErrorEnvelope(BaseModel):
    """The failure envelope."""

    transactionUrn: str
    status: Literal["FAILED"] = "FAILED"
    responseMessage: str
    responseKey: str
    data: None = None
    errors: list[ErrorItem] | None = None


class Page(BaseModel, Generic[T]):
    """One page of a list: items plus the keyset cursor of the next page."""

    items: list[T]
    next_cursor: str | None = None
    prev_cursor: str | None = None
    total: int | None = None

    def model_dump_compact(self) -> dict[str, Any]:
        """Dump without ``total`` when it was not asked for."""
        return self.model_dump(
            exclude_none=False, exclude={"total"} if self.total is None else None
        )
