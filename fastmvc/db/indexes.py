"""Indexes that soft delete needs: uniqueness among live rows only.

A soft-deleted row keeps its values, so a plain unique constraint would let a
deleted ``slug`` block a new row forever. A partial unique index with
``WHERE deleted_at IS NULL`` (PostgreSQL and SQLite both have them) counts
live rows only::

    class Post(SoftDeleteMixin, Entity):
        __tablename__ = "posts"
        slug: Mapped[str] = mapped_column(sa.String(255))


    live_unique_index(Post.slug)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Index, text

__all__ = ["LIVE_ROWS", "live_unique_index"]

LIVE_ROWS = "deleted_at IS NULL"
"""The predicate of a live row, as the partial indexes and the migrations spell it."""


def live_unique_index(*attributes: Any) -> Index:
    """A unique index over ``attributes`` that counts only rows whose ``deleted_at`` is null.

    The index is named ``ix_<table>_<columns>``, as the naming convention
    names every index, and attaches itself to the model's table.

    Args:
        attributes: Mapped attributes (``Post.slug``) or columns of one soft-delete table.
    """
    columns: list[Column[Any]] = [
        attribute if isinstance(attribute, Column) else attribute.property.columns[0]
        for attribute in attributes
    ]
    table = columns[0].table
    name = "ix_" + "_".join([table.name, *(column.name for column in columns)])
    return Index(
        name,
        *columns,
        unique=True,
        postgresql_where=text(LIVE_ROWS),
        sqlite_where=text(LIVE_ROWS),
    )
