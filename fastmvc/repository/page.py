"""The request for a page of rows and the page that answers it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from fastmvc.errors import BadRequestError
from fastmvc.repository.filters import Filter

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "PageRequest", "PageResult"]

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PageRequest:
    """What a list call asks for.

    Attributes:
        where: Filter tree (see :mod:`fastmvc.repository.filters`).
        sort: ``"-price,name"`` style sort; the primary key is always appended.
        limit: Rows per page, 1 to :data:`MAX_LIMIT`.
        cursor: Opaque keyset cursor from a previous page.
        offset: Offset pagination instead of a cursor.
        with_total: Also count every matching row.
        include_deleted: Include soft-deleted rows.
        only_deleted: Only soft-deleted rows (``?deleted=only``).
        include: Relations to embed in each row (``?include=author,tags``).
    """

    where: Filter | None = None
    sort: str | Sequence[str] | None = None
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None
    offset: int | None = None
    with_total: bool = False
    include_deleted: bool = False
    only_deleted: bool = False
    include: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise BadRequestError(f"limit must be between 1 and {MAX_LIMIT}")
        if self.offset is not None and self.offset < 0:
            raise BadRequestError("offset must not be negative")
        if self.cursor is not None and self.offset is not None:
            raise BadRequestError("use either cursor or offset, not both")


@dataclass(slots=True)
class PageResult(Generic[T]):
    """One page: the rows, cursors to the neighbouring pages, and the total when asked."""

    items: list[T]
    next_cursor: str | None = None
    prev_cursor: str | None = None
    total: int | None = field(default=None)
