"""Read replicas: where read sessions go when ``DATABASE_READ_URLS`` is set.

A read session goes to the next replica in turn (round-robin, per process).
Writes never come here: :meth:`~fastmvc.db.Database.unit_of_work` always uses
the primary, and once a request has opened one, its later read sessions use
the primary too, so a client never misses its own write within a request.

A replica that cannot give a connection is skipped with a warning, its read
goes to the next replica or to the primary, and it is left alone for
``retry_after`` seconds before it is tried again. Before a read session is
handed out, a connection of the replica's pool is checked out, and pinged
unless it was in use a moment ago, so a replica that went away costs a
fallback, not a 5xx. A replica that fails in the middle of a read, or within
``FRESH_FOR_SECONDS`` of a connection's last use, gives that request a 503.

Replicas lag: a row committed on the primary shows up on a replica once the
replica has replayed that part of the WAL, usually within milliseconds and
unbounded in the worst case. Routes that must see the latest commit read
through :meth:`~fastmvc.db.Database.read_session` with ``primary=True`` (the
``PrimaryReadSessionDep`` dependency) or in a unit of work.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from fastmvc.context import current_context

__all__ = ["ReadReplicas", "Replica", "pin_reads_to_primary", "reads_pinned_to_primary"]

logger = logging.getLogger("fastmvc.db")

DEFAULT_RETRY_AFTER_SECONDS = 5.0
DEFAULT_PROBE_TIMEOUT_SECONDS = 5.0

# A connection that answered this recently is handed out without a ping.
FRESH_FOR_SECONDS = 0.05
_ANSWERED_AT = "fastmvc_answered_at"

_UNREACHABLE: tuple[type[BaseException], ...] = (SQLAlchemyError, OSError, TimeoutError)


def pin_reads_to_primary() -> None:
    """Send the current request's later read sessions to the primary (it has written)."""
    context = current_context()
    if context is not None:
        context.reads_from_primary = True


def reads_pinned_to_primary() -> bool:
    """Whether the current request opened a unit of work, so it must read from the primary."""
    context = current_context()
    return context is not None and context.reads_from_primary


class _CheckoutGuard:
    """Pool hooks: hand out only connections that answered a moment ago.

    A stopped replica closes its sockets, but the client learns it only when
    it next reads one, and a query sent on such a connection fails. So a
    connection is pinged at checkout unless it was in use less than
    ``fresh_for`` seconds ago. Under load connections come back and go out
    again within milliseconds and are never pinged; an idle one costs one
    round trip, which is what lets a replica that went away cost a fallback
    to the primary instead of a 5xx.
    """

    def __init__(self, dialect: Any, fresh_for: float) -> None:
        self._dialect = dialect
        self._fresh_for = fresh_for

    def __call__(
        self, dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
    ) -> None:
        now = time.monotonic()
        if now - record.info.get(_ANSWERED_AT, float("-inf")) <= self._fresh_for:
            return
        try:
            self._dialect.do_ping(dbapi_connection)
        except Exception as exc:  # any driver error: this connection is gone
            # The pool discards the connection and opens a fresh one, which
            # fails fast (connection refused) when the server is down.
            raise DisconnectionError("the replica did not answer a ping") from exc
        record.info[_ANSWERED_AT] = now

    def checkin(self, dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        """Remember when a connection came back in working order (``None`` once invalidated)."""
        if dbapi_connection is not None:
            record.info[_ANSWERED_AT] = time.monotonic()


class Replica:
    """One streaming replica: its engine (reads in autocommit), sessions and state."""

    def __init__(
        self, name: str, url: str, options: Mapping[str, Any], capacity: int, wait: float
    ) -> None:
        self.name = name
        self.wait = wait
        self.address = make_url(url).render_as_string(hide_password=True)
        engine = create_async_engine(url, **{**options, "pool_use_lifo": True})
        guard = _CheckoutGuard(engine.dialect, FRESH_FOR_SECONDS)
        event.listen(engine.sync_engine.pool, "checkout", guard)
        event.listen(engine.sync_engine.pool, "checkin", guard.checkin)
        # The same shape as the primary's read engine, so the driver-level
        # fast path of Repository.get runs here too.
        self.engine: AsyncEngine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        self.turns = asyncio.Semaphore(capacity)
        self.down_until = float("-inf")
        self.down = False

    async def probe(self) -> None:
        """Check a connection out of the pool and back; raises when the replica is unreachable."""
        async with asyncio.timeout(self.wait):
            connection = await self.engine.raw_connection()
            connection.close()

    async def ping(self) -> None:
        """``SELECT 1`` on the replica; raises when it does not answer."""
        async with asyncio.timeout(self.wait), self.engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")


class ReadReplicas:
    """Round-robin over replicas, skipping the ones that are down.

    Args:
        urls: One SQLAlchemy URL per replica (``postgresql+asyncpg://…``).
        engine_options: Passed to :func:`create_async_engine` for each replica
            (pool size, timeouts), the same as the primary's.
        capacity: Sessions open at once per replica (its pool size plus overflow).
        retry_after: Seconds a failed replica is skipped before it is tried again.
        probe_timeout: Seconds a read session waits for a replica's connection.
        clock: A monotonic clock, replaceable in tests.
    """

    def __init__(
        self,
        urls: Sequence[str],
        *,
        engine_options: Mapping[str, Any],
        capacity: int,
        retry_after: float = DEFAULT_RETRY_AFTER_SECONDS,
        probe_timeout: float = DEFAULT_PROBE_TIMEOUT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.replicas = [
            Replica(f"replica_{index}", url, engine_options, capacity, probe_timeout)
            for index, url in enumerate(urls, start=1)
        ]
        self._next = itertools.count()
        self._retry_after = retry_after
        self._clock = clock

    def __len__(self) -> int:
        return len(self.replicas)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession | None]:
        """A read session on the next replica that answers, or ``None`` when none does."""
        count = len(self.replicas)
        start = next(self._next)
        for offset in range(count):
            replica = self.replicas[(start + offset) % count]
            if self._clock() < replica.down_until:
                continue
            async with replica.turns:
                try:
                    await replica.probe()
                except _UNREACHABLE as exc:
                    self._failed(replica, exc)
                    continue
                self._recovered(replica)
                async with replica.sessionmaker() as session:
                    yield session
                    return
        yield None

    async def states(self) -> dict[str, str]:
        """``"ok"`` or ``"down"`` for each replica, by name, for ``/health/ready``."""

        async def state(replica: Replica) -> str:
            try:
                await replica.ping()
            except _UNREACHABLE as exc:
                self._failed(replica, exc)
                return "down"
            self._recovered(replica)
            return "ok"

        results = await asyncio.gather(*(state(replica) for replica in self.replicas))
        return {
            replica.name: result for replica, result in zip(self.replicas, results, strict=True)
        }

    async def dispose(self) -> None:
        """Close every replica's pooled connections."""
        for replica in self.replicas:
            await replica.engine.dispose()

    def _failed(self, replica: Replica, exc: BaseException) -> None:
        replica.down_until = self._clock() + self._retry_after
        if not replica.down:
            replica.down = True
            logger.warning(
                "read replica %s (%s) is unreachable, reading from the others or the "
                "primary for %.0f s: %s",
                replica.name,
                replica.address,
                self._retry_after,
                exc,
            )

    def _recovered(self, replica: Replica) -> None:
        # A health check that reached it ends the skip window early.
        replica.down_until = float("-inf")
        if replica.down:
            replica.down = False
            logger.info("read replica %s (%s) answers again", replica.name, replica.address)
