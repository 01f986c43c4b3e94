"""Registration, login, token refresh and logout: the auth business rules."""

from __future__ import annotations

import logging
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from fastmvc.auth.models import AuthUser
from fastmvc.auth.repository import UserRepository
from fastmvc.errors import ConflictError, UnauthorizedError
from fastmvc.security import PasswordHasher, Principal, TokenPair, TokenService
from fastmvc.service import Service

__all__ = ["AuthService"]

logger = logging.getLogger("fastmvc.auth")

UserT = TypeVar("UserT", bound=AuthUser)

INVALID_CREDENTIALS = "Invalid email or password"
_MAX_ID = 2**63 - 1


class AuthService(Service, Generic[UserT]):
    """Auth over the app's user model, inside the request's unit of work.

    Args:
        session: The request's session.
        user_model: The app's ``User`` model (``UserMixin`` + ``Entity``).
        passwords: The app's password hasher.
        tokens: The app's token service.
    """

    def __init__(
        self,
        session: AsyncSession,
        *,
        user_model: type[UserT],
        passwords: PasswordHasher,
        tokens: TokenService,
    ) -> None:
        super().__init__(session)
        self.users = UserRepository(session, user_model)
        self.passwords = passwords
        self.tokens = tokens

    async def register(self, email: str, password: str) -> UserT:
        """Create a user.

        The password is hashed before the email is looked up, so a taken
        email costs the same time as a new one and timing does not tell
        them apart. The insert runs in a SAVEPOINT, so losing a race for the
        email leaves the request's transaction usable.

        Raises:
            ConflictError: The email is taken.
        """
        password_hash = await self.passwords.hash(password)
        if await self.users.exists({"email": email}):
            raise ConflictError("Email already registered", response_key="error_email_taken")
        async with self.session.begin_nested():
            user: UserT = await self.users.create({"email": email, "password_hash": password_hash})
        return user

    async def login(self, email: str, password: str) -> tuple[UserT, TokenPair]:
        """Check the credentials and start a token family.

        An unknown email, a wrong password and an inactive account give the
        same error after the same amount of hashing work. A hash made with
        older, weaker parameters is replaced while the plain password is at hand.

        Raises:
            UnauthorizedError: The credentials do not match an active user.
        """
        user: UserT | None = await self.users.get_by_email(email)
        if user is None:
            await self.passwords.verify_dummy(password)
            raise _invalid_credentials()
        if not await self.passwords.verify(user.password_hash, password) or not user.is_active:
            raise _invalid_credentials()
        if self.passwords.needs_rehash(user.password_hash):
            new_hash = await self.passwords.hash(password)
            await self.users.update(user.id, {"password_hash": new_hash})
            logger.info("upgraded password hash of user %s", user.id)
        return user, self.tokens.issue(user.id)

    async def refresh(self, refresh_token: str) -> tuple[UserT, TokenPair]:
        """Rotate a refresh token (reuse revokes its family) for a still-active user.

        Raises:
            UnauthorizedError: Invalid or reused token, or the user is gone.
        """
        principal = self.tokens.decode(refresh_token, typ="refresh")
        user = await self.user_of(principal)
        return user, await self.tokens.refresh(refresh_token)

    async def logout(self, principal: Principal) -> None:
        """Revoke the access token and its whole refresh family."""
        await self.tokens.logout(principal)

    async def user_of(self, principal: Principal) -> UserT:
        """Return the active user a verified token speaks for.

        Raises:
            UnauthorizedError: The user was deleted or deactivated.
        """
        user_id = principal.sub
        if not user_id.isdigit() or int(user_id) > _MAX_ID:
            raise UnauthorizedError("Invalid token")
        user: UserT | None = await self.users.get(int(user_id))
        if user is None or not user.is_active:
            raise UnauthorizedError("Invalid token")
        return user


def _invalid_credentials() -> UnauthorizedError:
    return UnauthorizedError(INVALID_CREDENTIALS, response_key="error_invalid_credentials")
