"""Test helpers: the pytest plugin and throwaway databases."""

from fastmvc.testing.database import (
    bind_app_to_connection,
    create_postgres_database,
    drop_postgres_database,
    rollback_session,
    temporary_postgres_database,
)
from fastmvc.testing.plugin import TEST_OVERRIDES

__all__ = [
    "TEST_OVERRIDES",
    "bind_app_to_connection",
    "create_postgres_database",
    "drop_postgres_database",
    "rollback_session",
    "temporary_postgres_database",
]
