"""Data access for the app's user model."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fastmvc.repository.base import Repository

__all__ = ["UserRepository"]


class UserRepository(Repository[Any]):
    """A :class:`~fastmvc.repository.Repository` over a model given at run time.

    The auth module does not own the ``User`` model (the app does), so the
    model is a constructor argument instead of a class attribute.
    """

    resource_name = "User"

    def __init__(self, session: AsyncSession, model: type[Any]) -> None:
        super().__init__(session)
        self.model = model

    async def get_by_email(self, email: str) -> Any | None:
        """Return the user with this (already lower-cased) email, or ``None``."""
        return await self.get_by(email=email)
