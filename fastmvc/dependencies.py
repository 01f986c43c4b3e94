"""FastAPI dependencies: the runtime and the request's session (its unit of work)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Annotated, Any, cast

from fastapi import Depends, FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncSession

from fastmvc.settings import Settings
from fastmvc.state import Runtime, get_runtime

__all__ = [
    "LoneWriteSessionDep",
    "PrimaryReadSessionDep",
    "ReadSessionDep",
    "RuntimeDep",
    "SessionDep",
    "SettingsDep",
    "background_session",
    "get_lone_write_session",
    "get_primary_read_session",
    "get_read_session",
    "get_session",
    "get_settings_dep",
]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Yield a session inside one transaction: commit on success, roll back on any error.

    It is declared with ``scope="function"`` (see :data:`SessionDep`), so the
    commit happens when the handler returns and before the response is sent:
    a client never sees a 2xx for a write that then fails to commit.
    """
    async with get_runtime(request).database.unit_of_work() as session:
        yield session


async def get_lone_write_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Like :func:`get_session`, for handlers whose whole work is one service write.

    The CRUD routes use it: a write of one statement may then skip BEGIN and
    COMMIT on PostgreSQL (see :meth:`fastmvc.db.Database.unit_of_work`).
    """
    async with get_runtime(request).database.unit_of_work(lone_write=True) as session:
        yield session


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Yield a session for read-only handlers (autocommit on PostgreSQL: one round trip a query).

    With ``DATABASE_READ_URLS`` set it reads from a replica, which may lag the primary.
    """
    async with get_runtime(request).database.read_session() as session:
        yield session


async def get_primary_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Like :func:`get_read_session`, but always on the primary: for reads that must be current."""
    async with get_runtime(request).database.read_session(primary=True) as session:
        yield session


def background_session(app: FastAPI) -> AbstractAsyncContextManager[AsyncSession]:
    """A unit of work for work done after the response (background tasks).

    It honours a test binding of the app's database (the test plugin's
    transaction), so background work sees what the request saw.
    """
    state: Any = app.state
    return cast(Runtime, state.fastmvc).database.unit_of_work()


def get_settings_dep(request: Request) -> Settings:
    """The application's settings."""
    return get_runtime(request).settings


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
LoneWriteSessionDep = Annotated[AsyncSession, Depends(get_lone_write_session, scope="function")]
ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session, scope="function")]
PrimaryReadSessionDep = Annotated[AsyncSession, Depends(get_primary_read_session, scope="function")]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
