"""The user columns auth needs, as a mixin for your own ``User`` model."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import Boolean, String, false, true
from sqlalchemy.orm import Mapped, mapped_column

from fastmvc.db.types import UTCDateTime

__all__ = ["AuthUser", "UserMixin"]


class UserMixin:
    """Email, password hash, and the flags authorization reads.

    ``is_superuser`` gives the ``admin`` role; ``is_verified`` is set by
    ``POST /auth/verify``; ``revoked_before`` is the instant before which
    every token of the user is dead (deactivation, password change or reset).

    Combine it with :class:`fastmvc.db.Entity`::

        class User(UserMixin, Entity):
            __tablename__ = "users"

    Emails are stored in one canonical spelling (NFKC and case-folded by the
    DTOs, see :mod:`fastmvc.security.emails`), so the unique index makes them
    unique regardless of case or fullwidth forms.
    """

    email: Mapped[str] = mapped_column(String(320), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    is_superuser: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    is_verified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    revoked_before: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class AuthUser(Protocol):
    """What :class:`~fastmvc.auth.AuthService` reads from a user row.

    Any ``UserMixin`` + ``Entity`` model satisfies it.
    """

    id: int
    urn: str
    email: str
    password_hash: str
    is_active: bool
    is_superuser: bool
    is_verified: bool
    revoked_before: datetime | None
    created_at: datetime
