"""The throwaway databases the benchmark smoke tests make (each runner drops and recreates its own)."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg

__all__ = ["drop_database", "throwaway_dsn"]


def throwaway_dsn(prefix: str) -> str:
    """A ``postgresql://`` DSN of a database name no other test uses."""
    return f"postgresql://postgres@127.0.0.1:5432/{prefix}_{uuid.uuid4().hex[:8]}"


def drop_database(dsn: str) -> None:
    """Drop the database of ``dsn`` (connections and all), if it exists."""

    async def drop() -> None:
        admin = await asyncpg.connect(dsn.rsplit("/", 1)[0] + "/postgres")
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{dsn.rsplit("/", 1)[1]}" WITH (FORCE)')
        finally:
            await admin.close()

    asyncio.run(drop())
