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

from benchmarks.crud.model import OwnedProduct, Product

__all__ = ["COLUMNS", "create_database", "depth_cursor_values", "grow", "server_version"]

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
    finally:
        await engine.dispose()
    await grow(dsn, rows)
    await copy_owned(dsn)


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
