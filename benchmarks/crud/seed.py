"""Create the benchmark database and fill ``products`` with COPY.

The database is dropped and recreated on every run, so figures never depend
on what an earlier run left behind.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import cast

import asyncpg
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import create_async_engine
from ulid import ULID

from benchmarks.crud.model import Category, Item, OwnedProduct, Product, Tag, item_tags

__all__ = [
    "COLUMNS",
    "ITEMS",
    "add_deletable",
    "create_database",
    "depth_cursor_values",
    "grow",
    "seed_items",
    "server_version",
]

ITEMS = 10_000
"""Items of the scaling line; each has one of 100 categories and two of 50 tags."""

COLUMNS = ("id", "urn", "name", "price", "stock", "created_at", "updated_at", "version")
# Prices are 1.00 to 1000.00; POST bodies use 1.00, so the list filter
# (price >= LIST_MIN_PRICE) sees the same rows whatever was created before.
MAX_CENTS = 100_000


def _admin_dsn(dsn: str) -> str:
    return dsn.rsplit("/", 1)[0] + "/postgres"


def _name(dsn: str) -> str:
    return dsn.rsplit("/", 1)[1]


async def create_database(dsn: str, rows: int) -> None:
    """Drop and recreate the database of ``dsn``, create ``products`` and COPY ``rows`` rows."""
    admin = await asyncpg.connect(_admin_dsn(dsn))
    try:
        name = _name(dsn)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    engine = create_async_engine(dsn.replace("postgresql://", "postgresql+asyncpg://", 1))
    try:
        async with engine.begin() as connection:
            await connection.run_sync(cast(Table, Product.__table__).create)
            await connection.run_sync(cast(Table, OwnedProduct.__table__).create)
            for table in (Category.__table__, Tag.__table__, Item.__table__, item_tags):
                await connection.run_sync(cast(Table, table).create)
    finally:
        await engine.dispose()
    await grow(dsn, rows)
    await copy_owned(dsn)
    await seed_items(dsn)


async def seed_items(dsn: str, items: int = ITEMS) -> None:
    """Fill categories (100), tags (50), items and two tags per item."""
    now = datetime.now(UTC)
    connection = await asyncpg.connect(dsn)
    columns = ("id", "urn", "name", "created_at", "updated_at", "version")

    def named(label: str, count: int) -> list[tuple[object, ...]]:
        return [(n, str(ULID()), f"{label} {n}", now, now, 1) for n in range(1, count + 1)]

    try:
        await connection.copy_records_to_table(
            "categories", records=named("category", 100), columns=columns
        )
        await connection.copy_records_to_table("tags", records=named("tag", 50), columns=columns)
        rng = random.Random(7)
        await connection.copy_records_to_table(
            "items",
            records=[
                (
                    n,
                    str(ULID()),
                    f"item {n}",
                    Decimal(rng.randint(100, MAX_CENTS)).scaleb(-2),
                    rng.randint(1, 100),
                    now,
                    now,
                    1,
                )
                for n in range(1, items + 1)
            ],
            columns=(
                "id",
                "urn",
                "name",
                "price",
                "category_id",
                "created_at",
                "updated_at",
                "version",
            ),
        )
        await connection.copy_records_to_table(
            "item_tags",
            records=[(n, tag) for n in range(1, items + 1) for tag in rng.sample(range(1, 51), 2)],
            columns=("item_id", "tag_id"),
        )
        for table in ("categories", "tags", "items"):
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


async def copy_owned(dsn: str) -> None:
    """Fill ``owned_products`` with the rows of ``products``, all owned by user 1."""
    connection = await asyncpg.connect(dsn)
    try:
        columns = ", ".join(COLUMNS)
        await connection.execute(
            f"INSERT INTO owned_products ({columns}, owner_id) SELECT {columns}, 1 FROM products"
        )
        await connection.execute("VACUUM ANALYZE owned_products")
    finally:
        await connection.close()


def _records(first_id: int, count: int, seed: int) -> Iterator[tuple[object, ...]]:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    for offset in range(count):
        row_id = first_id + offset
        price = Decimal(rng.randint(100, MAX_CENTS)).scaleb(-2)
        yield (row_id, str(ULID()), f"product {row_id}", price, rng.randint(0, 1000), now, now, 1)


async def grow(dsn: str, rows: int) -> int:
    """COPY ``rows`` more products after the highest id; returns the new row count."""
    connection = await asyncpg.connect(dsn)
    try:
        last = int(await connection.fetchval("SELECT coalesce(max(id), 0) FROM products"))
        await connection.copy_records_to_table(
            "products", records=_records(last + 1, rows, seed=last), columns=COLUMNS
        )
        await connection.execute(
            "SELECT setval(pg_get_serial_sequence('products', 'id'), "
            "(SELECT max(id) FROM products))"
        )
        await connection.execute("VACUUM ANALYZE products")
        return int(await connection.fetchval("SELECT count(*) FROM products"))
    finally:
        await connection.close()


async def settle(dsn: str) -> None:
    """Vacuum, analyze and checkpoint, so no server pays for the dead rows of the one before.

    A server's PATCH and DELETE runs leave thousands of dead rows; without
    this, autovacuum and the next checkpoint run during the next server's
    measurement, on the same two cores.
    """
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("VACUUM ANALYZE")
        await connection.execute("CHECKPOINT")
    finally:
        await connection.close()


async def add_deletable(dsn: str, count: int) -> int:
    """COPY ``count`` products priced 1.00 for a DELETE run; returns the first id.

    At that price they never enter the filtered list of scenario b.
    """
    connection = await asyncpg.connect(dsn)
    try:
        first = int(await connection.fetchval("SELECT coalesce(max(id), 0) FROM products")) + 1
        now = datetime.now(UTC)
        await connection.copy_records_to_table(
            "products",
            records=[
                (n, str(ULID()), f"doomed {n}", Decimal("1.00"), 0, now, now, 1)
                for n in range(first, first + count)
            ],
            columns=COLUMNS,
        )
        await connection.execute(
            "SELECT setval(pg_get_serial_sequence('products', 'id'), "
            "(SELECT max(id) FROM products))"
        )
        return first
    finally:
        await connection.close()


async def depth_cursor_values(dsn: str, depth: int) -> tuple[Decimal, int]:
    """The (price, id) of the last row before position ``depth`` in ``ORDER BY price, id``."""
    connection = await asyncpg.connect(dsn)
    try:
        row = await connection.fetchrow(
            "SELECT price, id FROM products ORDER BY price, id OFFSET $1 LIMIT 1", depth - 1
        )
    finally:
        await connection.close()
    if row is None:
        raise ValueError(f"products has fewer than {depth} rows")
    return row["price"], int(row["id"])


async def server_version(dsn: str) -> str:
    """PostgreSQL's ``server_version``."""
    connection = await asyncpg.connect(dsn)
    try:
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()
