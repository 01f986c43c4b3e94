"""Throwaway databases and rolled-back sessions for tests."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from fastmvc.db.engine import Database
from fastmvc.state import Runtime

__all__ = [
    "bind_app_to_connection",
    "create_postgres_database",
    "drop_postgres_database",
    "rollback_session",
    "temporary_postgres_database",
]


def _admin_dsn(url: str) -> str:
    return (
        make_url(url)
        .set(drivername="postgresql", database="postgres")
        .render_as_string(hide_password=False)
    )


async def create_postgres_database(url: str) -> str:
    """Create a fresh, uniquely named PostgreSQL database on ``url``'s server.

    Returns:
        The SQLAlchemy URL of the new database.
    """
    import asyncpg

    name = f"fastmvc_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(_admin_dsn(url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(url: str) -> None:
    """Drop the database ``url`` names, disconnecting anyone still on it."""
    import asyncpg

    name = make_url(url).database
    admin = await asyncpg.connect(_admin_dsn(url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@asynccontextmanager
async def temporary_postgres_database(url: str) -> AsyncIterator[str]:
    """Create a fresh PostgreSQL database next to ``url``'s and drop it afterwards.

    Yields:
        The URL of the new database. Tests that run at the same time (other
        sessions, other processes) never see each other's tables.
    """
    created = await create_postgres_database(url)
    try:
        yield created
    finally:
        await drop_postgres_database(created)


@asynccontextmanager
async def rollback_session(
    database: Database,
) -> AsyncIterator[tuple[AsyncConnection, AsyncSession]]:
    """Open a connection in an outer transaction that is always rolled back.

    The session joins it with ``create_savepoint``: code under test may commit
    and roll back freely (each becomes a SAVEPOINT), and nothing survives the
    test.
    """
    async with database.engine.connect() as connection:
        transaction = await connection.begin()
        session = AsyncSession(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield connection, session
        finally:
            await session.close()
            if transaction.is_active:
                await transaction.rollback()


def bind_app_to_connection(app: FastAPI, connection: AsyncConnection) -> None:
    """Make every request of ``app`` use ``connection``'s open transaction.

    The app's :class:`~fastmvc.db.Database` is bound to it (see
    :meth:`~fastmvc.db.Database.bind`), so the CRUD routes, ``SessionDep``,
    the read sessions and the token guard all join it; no dependency is
    overridden. Each request's session is a SAVEPOINT, so a failing request
    rolls back to where it started and the test still sees everything earlier
    requests wrote.
    """
    runtime: Runtime = app.state.fastmvc
    runtime.database.bind(connection)
