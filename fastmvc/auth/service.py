"""Registration, login, tokens and the account flows: the auth business rules."""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from fastmvc.access import ADMIN_ROLE, subject_id
from fastmvc.auth.models import AuthUser
from fastmvc.auth.repository import UserRepository
from fastmvc.db.types import utcnow
from fastmvc.errors import BadRequestError, ConflictError, ForbiddenError, UnauthorizedError
from fastmvc.mail import Mailer, MailMessage
from fastmvc.security import PasswordHasher, Principal, TokenPair, TokenService
from fastmvc.service import Service

__all__ = ["AccountOptions", "AuthService"]

logger = logging.getLogger("fastmvc.auth")

UserT = TypeVar("UserT", bound=AuthUser)

INVALID_CREDENTIALS = "Invalid email or password"
INVALID_ACCOUNT_TOKEN = "Invalid or expired token"


@dataclass(frozen=True, slots=True)
class AccountOptions:
    """The account settings the service reads (from ``Settings``)."""

    registration_enabled: bool = True
    email_verification_required: bool = False
    reset_token_seconds: int = 30 * 60
    verification_token_seconds: int = 24 * 3600


class AuthService(Service, Generic[UserT]):
    """Auth over the app's user model, inside the request's unit of work.

    Args:
        session: The request's session.
        user_model: The app's ``User`` model (``UserMixin`` + ``Entity``).
        passwords: The app's password hasher.
        tokens: The app's token service.
        mailer: Where reset and verification mails go (required for those flows).
        options: Registration and verification switches.
    """

    def __init__(
        self,
        session: AsyncSession,
        *,
        user_model: type[UserT],
        passwords: PasswordHasher,
        tokens: TokenService,
        mailer: Mailer | None = None,
        options: AccountOptions | None = None,
    ) -> None:
        super().__init__(session)
        self.users = UserRepository(session, user_model)
        self.passwords = passwords
        self.tokens = tokens
        self.mailer = mailer
        self.options = options or AccountOptions()

    async def register(self, email: str, password: str) -> UserT:
        """Create a user (see :meth:`create_user`).

        Raises:
            ForbiddenError: ``REGISTRATION_ENABLED`` is false.
            ConflictError: The email is taken.
        """
        if not self.options.registration_enabled:
            raise ForbiddenError("Registration is closed", response_key="error_registration_closed")
        return await self.create_user(email, password)

    async def create_user(self, email: str, password: str, *, superuser: bool = False) -> UserT:
        """Insert a user (the CLI uses this too).

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
            user: UserT = await self.users.create(
                {"email": email, "password_hash": password_hash, "is_superuser": superuser}
            )
        return user

    async def login(self, email: str, password: str) -> tuple[UserT, TokenPair]:
        """Check the credentials and start a token family.

        An unknown email, a wrong password and an inactive account give the
        same error after the same amount of hashing work. A hash made with
        older, weaker parameters is replaced while the plain password is at hand.

        Raises:
            UnauthorizedError: The credentials do not match an active user.
            ForbiddenError: Verification is required and the email is not verified.
        """
        user: UserT | None = await self.users.get_by_email(email)
        if user is None:
            await self.passwords.verify_dummy(password)
            raise _invalid_credentials()
        if not await self.passwords.verify(user.password_hash, password) or not user.is_active:
            raise _invalid_credentials()
        if self.options.email_verification_required and not user.is_verified:
            raise ForbiddenError("Email not verified", response_key="error_email_not_verified")
        if self.passwords.needs_rehash(user.password_hash):
            new_hash = await self.passwords.hash(password)
            await self.users.update(user.id, {"password_hash": new_hash})
            logger.info("upgraded password hash of user %s", user.id)
        return user, self.tokens.issue(user.id, claims=role_claims(user))

    async def refresh(self, refresh_token: str) -> tuple[UserT, TokenPair]:
        """Rotate a refresh token (reuse revokes its family) for a still-active user.

        The new pair carries the user's current roles.

        Raises:
            UnauthorizedError: Invalid or reused token, or the user is gone.
        """
        principal = self.tokens.decode(refresh_token, typ="refresh")
        user = await self.user_of(principal)
        return user, await self.tokens.refresh(refresh_token, claims=role_claims(user))

    async def logout(self, principal: Principal) -> None:
        """Revoke the access token and its whole refresh family."""
        await self.tokens.logout(principal)

    async def user_of(self, principal: Principal) -> UserT:
        """Return the active user a verified token speaks for.

        Raises:
            UnauthorizedError: The user was deleted or deactivated.
        """
        user: UserT | None = await self.users.get(subject_id(principal))
        if user is None or not user.is_active:
            raise UnauthorizedError("Invalid token")
        return user

    # -- account flows -------------------------------------------------------

    async def change_password(
        self, principal: Principal, current: str, new: str
    ) -> tuple[UserT, TokenPair]:
        """Replace the password, end every session, and start a new one for this caller.

        Raises:
            BadRequestError: ``current`` is wrong.
        """
        user = await self.user_of(principal)
        if not await self.passwords.verify(user.password_hash, current):
            raise BadRequestError("Current password is wrong", response_key="error_wrong_password")
        await self.set_password(user, new)
        return user, self.tokens.issue(user.id, claims=role_claims(user))

    async def set_password(self, user: UserT, password: str) -> None:
        """Store a new password hash and revoke every token issued before now."""
        await self.users.update(user.id, {"password_hash": await self.passwords.hash(password)})
        await self.revoke_sessions(user)

    async def revoke_sessions(self, user: UserT) -> None:
        """End every session of ``user`` on every worker (row mark and token-store mark)."""
        await self.users.update(user.id, {"revoked_before": utcnow()})
        await self.tokens.revoke_subject(user.id)

    async def set_active(self, user: UserT, active: bool) -> None:
        """Activate or deactivate ``user``; deactivation ends every session at once."""
        await self.users.update(user.id, {"is_active": active})
        if not active:
            await self.revoke_sessions(user)

    async def send_password_reset(self, email: str) -> bool:
        """Mail a reset token when ``email`` is an active account; tell whether one was sent.

        Callers run it off the response path, so the answer to
        ``POST /auth/password/forgot`` is the same either way.
        """
        user: UserT | None = await self.users.get_by_email(email)
        if user is None or not user.is_active:
            return False
        token = self.tokens.issue_one_time(
            user.id,
            "reset",
            seconds=self.options.reset_token_seconds,
            claims={"pwd": _fingerprint(user.password_hash)},
        )
        minutes = self.options.reset_token_seconds // 60
        await self._mail(
            MailMessage(
                to=user.email,
                subject="Reset your password",
                body=(
                    "Someone asked to reset the password of this account.\n\n"
                    f"Reset token (valid {minutes} minutes, once):\n{token}\n\n"
                    "Send it with a new password to POST /auth/password/reset. "
                    "If it was not you, ignore this mail."
                ),
            )
        )
        return True

    async def reset_password(self, token: str, password: str) -> UserT:
        """Redeem a reset token: set the password and end every session.

        The token works once (concurrent redemptions: exactly one wins) and
        only while the password it was issued for is still the current one.

        Raises:
            BadRequestError: The token is invalid, expired, used, stale, or
                its user is gone or deactivated.
        """
        principal = self._account_token(token, "reset")
        user: UserT | None = await self.users.get(subject_id(principal))
        if user is None or not user.is_active:
            raise _invalid_account_token()
        claimed = principal.claims.get("pwd")
        if not isinstance(claimed, str) or not hmac.compare_digest(
            claimed, _fingerprint(user.password_hash)
        ):
            raise _invalid_account_token()
        if not await self.tokens.consume(principal):
            raise _invalid_account_token()
        await self.set_password(user, password)
        return user

    async def send_verification(self, user: UserT) -> None:
        """Mail an email-verification token to ``user``."""
        token = self.tokens.issue_one_time(
            user.id,
            "verify",
            seconds=self.options.verification_token_seconds,
            claims={"email": user.email},
        )
        await self._mail(
            MailMessage(
                to=user.email,
                subject="Confirm your email address",
                body=f"Verification token:\n{token}\n\nSend it to POST /auth/verify.",
            )
        )

    async def verify_email(self, token: str) -> UserT:
        """Redeem a verification token.

        Raises:
            BadRequestError: The token is invalid, expired, for another
                address, or its user is gone or deactivated.
        """
        principal = self._account_token(token, "verify")
        user: UserT | None = await self.users.get(subject_id(principal))
        if user is None or not user.is_active or principal.claims.get("email") != user.email:
            raise _invalid_account_token()
        if not user.is_verified:
            await self.users.update(user.id, {"is_verified": True})
        return user

    def _account_token(self, token: str, typ: Any) -> Principal:
        try:
            principal = self.tokens.decode(token, typ=typ)
            subject_id(principal)
        except UnauthorizedError as exc:
            raise _invalid_account_token() from exc
        return principal

    async def _mail(self, message: MailMessage) -> None:
        if self.mailer is None:
            raise RuntimeError("AuthService needs a mailer for account mails")
        await self.mailer.send(message)


def role_claims(user: AuthUser) -> dict[str, Any]:
    """The ``roles`` claim for ``user``'s tokens."""
    return {"roles": [ADMIN_ROLE] if user.is_superuser else []}


def _fingerprint(password_hash: str) -> str:
    # Ties a reset token to the password it replaces: once the hash changes,
    # every earlier reset token is dead, whatever the token store remembers.
    return hashlib.sha256(password_hash.encode()).hexdigest()[:22]


def _invalid_credentials() -> UnauthorizedError:
    return UnauthorizedError(INVALID_CREDENTIALS, response_key="error_invalid_credentials")


def _invalid_account_token() -> BadRequestError:
    return BadRequestError(INVALID_ACCOUNT_TOKEN, response_key="error_invalid_token")
