"""The embedded backend's revocation check: the user row, read on each authenticated request.

With Redis, the per-user "revoked before" mark rides in the denylist's round
trip and every worker sees it. In process memory nothing is shared with
another process, so a ``fastmvc users deactivate`` run from a shell could not
reach the server's memory: there, the user row itself (``is_active`` and
``revoked_before``) is the mark, read with one primary-key query.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fastmvc.access import subject_id
from fastmvc.db.engine import Database
from fastmvc.errors import UnauthorizedError
from fastmvc.security import Principal

__all__ = ["UserRowGuard"]


class UserRowGuard:
    """A :data:`~fastmvc.security.SubjectGuard` that reads ``user_model``'s row.

    Args:
        database: Where the users live.
        user_model: The app's ``User`` model (``UserMixin`` + ``Entity``).

    Attributes:
        open_session: Opens the session the check reads with; the test plugin
            points it at the test's transaction.
    """

    def __init__(self, database: Database, user_model: type[Any]) -> None:
        self.user_model = user_model
        self.open_session: Callable[[], AbstractAsyncContextManager[AsyncSession]] = (
            database.read_session
        )
        self._statement = select(user_model.is_active, user_model.revoked_before)

    async def __call__(self, principal: Principal) -> bool:
        """``True`` when the token's user is gone, inactive, or revoked after the token's issue."""
        try:
            user_id = subject_id(principal)
        except UnauthorizedError:
            return True
        statement = self._statement.where(self.user_model.id == user_id)
        async with self.open_session() as session:
            row = (await session.execute(statement)).first()
        if row is None or not row.is_active:
            return True
        before = row.revoked_before
        return before is not None and principal.issued_at < before.timestamp()
