"""Translate SQLAlchemy errors at the repository boundary; they never leak further."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from fastmvc.db.outage import DatabaseUnavailableError, is_outage
from fastmvc.errors import ConflictError, FastMVCError, ValidationFailedError

__all__ = ["translate_errors"]

# SQLSTATE classes (PostgreSQL) and message fragments (SQLite) of integrity errors.
_UNIQUE = ("23505", "unique constraint")
_FOREIGN_KEY = ("23503", "foreign key constraint")
_NOT_NULL = ("23502", "not null constraint")


def _matches(orig: object, markers: tuple[str, str]) -> bool:
    code, fragment = markers
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate == code:
        return True
    return fragment in str(orig).lower()


def _integrity(orig: object, resource: str, deleting: bool) -> FastMVCError:
    """The error for a constraint violation, from the driver's exception."""
    if _matches(orig, _FOREIGN_KEY) and deleting:
        return ConflictError(
            f"{resource} is still referenced by other rows; delete or change those first",
            response_key="error_still_referenced",
        )
    if _matches(orig, _FOREIGN_KEY):
        return ValidationFailedError(
            f"{resource} refers to a row that does not exist", response_key="error_foreign_key"
        )
    if _matches(orig, _NOT_NULL):
        return ValidationFailedError(
            f"{resource} is missing a required value", response_key="error_not_null"
        )
    if _matches(orig, _UNIQUE):
        return ConflictError(f"{resource} already exists", response_key="error_duplicate")
    return ConflictError(f"{resource} conflicts with existing data")


def _data_error(resource: str) -> ValidationFailedError:
    return ValidationFailedError(
        f"{resource} has a value the database cannot store", response_key="error_data"
    )


@asynccontextmanager
async def translate_errors(resource: str, *, deleting: bool = False) -> AsyncIterator[None]:
    """Turn driver errors into :class:`~fastmvc.errors.FastMVCError` subclasses.

    Args:
        resource: A human name for messages, e.g. ``"Product"``.
        deleting: The block deletes rows, so a foreign-key violation means
            other rows still point at them (409), not a dangling reference (422).
    """
    try:
        yield
    except IntegrityError as error:
        raise _integrity(error.orig, resource, deleting) from None
    except StaleDataError:
        raise ConflictError(
            f"{resource} was changed by someone else; reload it and retry",
            response_key="error_stale_version",
        ) from None
    except DataError:
        raise _data_error(resource) from None
    except DBAPIError as error:
        if is_outage(error):
            raise DatabaseUnavailableError() from error
        # SQLSTATE class 22 is "data exception" (bad encoding, out of range…);
        # some drivers raise it without SQLAlchemy's DataError wrapper.
        sqlstate = str(getattr(error.orig, "sqlstate", "") or "")
        if sqlstate.startswith("22"):
            raise _data_error(resource) from None
        raise
    except Exception as error:
        # Connecting fails with plain OSError; timeouts are TimeoutError.
        if is_outage(error):
            raise DatabaseUnavailableError() from error
        # The driver's own errors, from statements run on it directly
        # (fastmvc.repository.fastpath): SQLSTATE class 23 is a constraint.
        sqlstate = str(getattr(error, "sqlstate", "") or "")
        if sqlstate.startswith("23"):
            raise _integrity(error, resource, deleting) from None
        if sqlstate.startswith("22"):
            raise _data_error(resource) from None
        raise
