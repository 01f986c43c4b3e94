"""Tell a database outage from a bad request, and answer it with 503.

A database that refuses connections, stops answering, times out a statement
or has no free connection left is down for this request; the client should
retry later (503), not fix its input (4xx), and it is no bug of ours (500).

What counts as an outage:

- the driver cannot connect or lost the connection (``OSError``,
  ``ConnectionRefusedError``, asyncpg's connection errors, SQLAlchemy's
  ``connection_invalidated``);
- a timeout: ``DATABASE_CONNECT_TIMEOUT``, ``DATABASE_STATEMENT_TIMEOUT``
  (client side, so a frozen server counts too) or ``DATABASE_POOL_TIMEOUT``;
- PostgreSQL SQLSTATE classes 08 (connection exception), 53 (insufficient
  resources, such as too many connections), 57P01-57P03 (shutting down,
  starting up) and 57014 (statement cancelled by ``statement_timeout``);
- SQLite's ``database is locked`` past its busy timeout.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from fastmvc.errors import ServiceUnavailableError

__all__ = ["DatabaseUnavailableError", "database_outages", "is_outage"]

_OUTAGE_SQLSTATES = ("08", "53", "57P01", "57P02", "57P03", "57014")
_DRIVER_CONNECTION_ERRORS = frozenset(
    {
        # asyncpg: raised outside SQLAlchemy on the fast path, or as ``orig``.
        "ConnectionDoesNotExistError",
        "ConnectionFailureError",
        "InterfaceError",
        "InternalClientError",
        "PostgresConnectionError",
        "ClientCannotConnectError",
        "CannotConnectNowError",
        "TooManyConnectionsError",
        "QueryCanceledError",
        "AdminShutdownError",
        "CrashShutdownError",
    }
)


class DatabaseUnavailableError(ServiceUnavailableError):
    """The database is down, frozen, timing out or out of pool connections."""

    response_key = "error_unavailable"
    default_message = "The database is unavailable; retry shortly"


def _sqlstate(error: BaseException) -> str:
    return str(getattr(error, "sqlstate", None) or getattr(error, "pgcode", None) or "")


def _is_outage_cause(error: BaseException) -> bool:
    if isinstance(error, ValueError):
        return False  # asyncpg's client-side DataError is an InterfaceError too
    if isinstance(error, OSError | TimeoutError | PoolTimeoutError):
        return True
    if _sqlstate(error).startswith(_OUTAGE_SQLSTATES):
        return True
    if "database is locked" in str(error):
        return True
    return any(cls.__name__ in _DRIVER_CONNECTION_ERRORS for cls in type(error).__mro__)


def is_outage(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot serve this request right now."""
    if isinstance(error, DatabaseUnavailableError):
        return False  # already translated
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        original = error.orig
        if original is None:
            return False
        # SQLAlchemy's asyncpg adapter re-raises the driver's error from the
        # original, which says more than the adapter's generic class name.
        return _is_outage_cause(original.__cause__ or original)
    return _is_outage_cause(error)


@asynccontextmanager
async def database_outages() -> AsyncIterator[None]:
    """Raise :class:`DatabaseUnavailableError` for any outage inside the block."""
    try:
        yield
    except Exception as error:
        if is_outage(error):
            raise DatabaseUnavailableError() from error
        raise
