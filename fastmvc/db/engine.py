"""The async engine and session factory for PostgreSQL (asyncpg) and SQLite (aiosqlite)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from fastmvc.db.base import Base
from fastmvc.db.outage import DatabaseUnavailableError, database_outages
from fastmvc.db.replicas import ReadReplicas, pin_reads_to_primary, reads_pinned_to_primary

__all__ = ["AUTOCOMMIT_BIND", "Database"]

AUTOCOMMIT_BIND = "fastmvc.autocommit_bind"
"""Key of ``session.info`` under which a unit of work offers its autocommit engine.

A write that is the whole of its unit of work (one statement, nothing after
it that could still refuse it) may run there: PostgreSQL makes a lone
statement atomic by itself, so BEGIN and COMMIT would be two round trips
that change nothing. See :meth:`fastmvc.repository.Repository.insert_row`.
"""


def _sqlite_on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # Let SQLAlchemy, not the driver, decide when transactions begin, so
    # SAVEPOINT works (the pysqlite/aiosqlite recipe from SQLAlchemy's docs).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # LIKE is case-sensitive on PostgreSQL; make SQLite agree (ILIKE stays insensitive).
    cursor.execute("PRAGMA case_sensitive_like=ON")
    cursor.close()


def _sqlite_on_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


def _asyncpg_timeouts(url: URL, connect: float, statement: float) -> dict[str, Any]:
    """asyncpg's connect and per-statement timeouts, plus the server-side twin.

    ``command_timeout`` is enforced by the client, so it also ends a wait on a
    server that stopped answering altogether (frozen, or a dead network).
    ``statement_timeout`` lets the server cancel its own work at the same mark.
    """
    if url.get_driver_name() != "asyncpg":
        return {}
    return {
        "timeout": connect,
        "command_timeout": statement,
        "server_settings": {"statement_timeout": str(max(1, round(statement * 1000)))},
    }


class Database:
    """Owns one async engine and its session factory.

    Args:
        url: A SQLAlchemy URL, ``postgresql+asyncpg://…`` or ``sqlite+aiosqlite://…``.
        pool_size: Connections kept open per process (PostgreSQL).
        max_overflow: Extra connections allowed under bursts (PostgreSQL).
        echo: Log every statement.
        read_urls: Streaming replicas of ``url`` for read sessions, round-robin
            (PostgreSQL only; see :mod:`fastmvc.db.replicas`).
        connect_timeout: Seconds to open a connection before the request gets 503.
        statement_timeout: Seconds one statement may run before the request gets 503.
        pool_timeout: Seconds to wait for a free connection before the request gets 503.
    """

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        max_overflow: int = 10,
        echo: bool = False,
        read_urls: Sequence[str] = (),
        connect_timeout: float = 5.0,
        statement_timeout: float = 30.0,
        pool_timeout: float = 10.0,
    ) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self.pool_timeout = pool_timeout
        options: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            # SQLite's busy timeout: how long a writer waits for the lock.
            options["connect_args"] = {"timeout": statement_timeout}
        else:
            options.update(
                pool_size=pool_size,
                max_overflow=max_overflow,
                pool_recycle=1800,
                pool_timeout=pool_timeout,
                connect_args=_asyncpg_timeouts(self.url, connect_timeout, statement_timeout),
            )
        self.engine: AsyncEngine = create_async_engine(self.url, **options)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_on_connect)
            event.listen(self.engine.sync_engine, "begin", _sqlite_on_begin)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        # A fair queue in front of the pool. SQLAlchemy's async pool lets a
        # newcomer take a returned connection before the waiter it woke gets
        # to run, and that waiter goes to the back of the line: under load a
        # few requests starved for seconds (benchmark: p99 710 ms, wrk
        # timeouts, at 32 connections on a pool of 10). asyncio.Semaphore
        # hands each released turn to the longest waiter.
        self._turns = None if self.is_sqlite else asyncio.Semaphore(pool_size + max_overflow)
        # Reads need no BEGIN/COMMIT round trips on PostgreSQL: a read session
        # runs each statement in autocommit. SQLite keeps the transactional
        # factory, because its SAVEPOINT recipe drives BEGIN by hand.
        read_engine = (
            self.engine
            if self.is_sqlite
            else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        self.read_sessionmaker = async_sessionmaker(read_engine, expire_on_commit=False)
        self._autocommit_engine: AsyncEngine | None = None if self.is_sqlite else read_engine
        self._bound: AsyncConnection | None = None
        if read_urls and self.is_sqlite:
            raise ValueError("read replicas (DATABASE_READ_URLS) need a PostgreSQL primary")
        # Built with the primary's engine options, so pool size and timeouts match.
        self.replicas: ReadReplicas | None = (
            ReadReplicas(read_urls, engine_options=options, capacity=pool_size + max_overflow)
            if read_urls
            else None
        )

    def bind(self, connection: AsyncConnection | None) -> None:
        """Run every session of this database inside ``connection``'s open transaction.

        For tests: each :meth:`unit_of_work` and :meth:`read_session` then
        joins that transaction with a SAVEPOINT of its own, so a failing
        request rolls back to where it began, and the test's rollback undoes
        everything. ``None`` unbinds. Everything that opens sessions through
        this object follows, the CRUD routes and ``SessionDep`` alike.
        """
        self._bound = connection

    @asynccontextmanager
    async def _bound_session(self, connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
        session = AsyncSession(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            async with session.begin():
                yield session
        finally:
            await session.close()

    @property
    def dialect_name(self) -> str:
        """``postgresql`` or ``sqlite``."""
        return self.engine.dialect.name

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait, first come first served, for a connection's worth of capacity.

        Sessions from :meth:`unit_of_work` and :meth:`read_session` hold one
        turn each; code that holds one should not wait for a second (open one
        session per request), or a full pool could deadlock.
        """
        turns = self._turns
        if turns is None:
            yield
            return
        if turns.locked():
            try:
                async with asyncio.timeout(self.pool_timeout):
                    await turns.acquire()
            except TimeoutError:
                raise DatabaseUnavailableError(
                    "Every database connection is busy; retry shortly"
                ) from None
        else:
            await turns.acquire()  # a free turn: taken at once, no timer needed
        try:
            yield
        finally:
            turns.release()

    @asynccontextmanager
    async def unit_of_work(self, *, lone_write: bool = False) -> AsyncIterator[AsyncSession]:
        """One transaction: commit when the block succeeds, roll back on any exception.

        Within a request, read sessions opened after this one go to the primary.

        Args:
            lone_write: The caller promises the block is one service write and
                nothing after it touches the database (the CRUD routes). On
                PostgreSQL the session then offers its autocommit engine
                (:data:`AUTOCOMMIT_BIND`) so that a write of one statement
                saves BEGIN and COMMIT; SQLite's cost no round trip.
        """
        if self._bound is not None:
            async with self._bound_session(self._bound) as bound:
                yield bound
            return
        pin_reads_to_primary()
        async with (
            self.turn(),
            database_outages(),
            self.sessionmaker() as session,
            session.begin(),
        ):
            if lone_write and self._autocommit_engine is not None:
                session.info[AUTOCOMMIT_BIND] = self._autocommit_engine
            yield session

    @asynccontextmanager
    async def read_session(self, *, primary: bool = False) -> AsyncIterator[AsyncSession]:
        """A session for reads only: no transaction around its statements on PostgreSQL.

        Use it where every statement is a read; anything that writes belongs in
        :meth:`unit_of_work`. With replicas configured it reads from one of
        them, which may lag the primary, unless ``primary`` is true or the
        request has already opened a unit of work.
        """
        if self._bound is not None:
            async with self._bound_session(self._bound) as bound:
                yield bound
            return
        if self.replicas is not None and not primary and not reads_pinned_to_primary():
            async with database_outages(), self.replicas.session() as replica_session:
                if replica_session is not None:
                    yield replica_session
                    return
        async with self.turn(), database_outages():
            session = self.read_sessionmaker()
            try:
                yield session
            finally:
                # A session that never began a transaction holds no connection
                # and no rows, so closing it would change nothing; the GET fast
                # path reads beside it (fastmvc.repository.fastpath) and leaves it
                # so. Skipping the close saves a greenlet switch per request.
                if session.in_transaction() or session.identity_map:
                    await session.close()

    async def ping(self) -> None:
        """Run ``SELECT 1``.

        Raises:
            DatabaseUnavailableError: The database cannot be reached in time.
        """
        async with database_outages(), self.engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")

    async def create_all(self, metadata: Any = None) -> None:
        """Create every table of ``metadata`` (default: :class:`Base`'s). For tests and demos."""
        target = metadata if metadata is not None else Base.metadata
        async with self.engine.begin() as connection:
            await connection.run_sync(target.create_all)

    async def drop_all(self, metadata: Any = None) -> None:
        """Drop every table of ``metadata`` (default: :class:`Base`'s)."""
        target = metadata if metadata is not None else Base.metadata
        async with self.engine.begin() as connection:
            await connection.run_sync(target.drop_all)

    async def dispose(self) -> None:
        """Close every pooled connection, the replicas' too."""
        if self.replicas is not None:
            await self.replicas.dispose()
        await self.engine.dispose()
