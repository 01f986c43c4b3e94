"""Request and response DTOs of the auth endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from fastmvc.dto import DTO, OutDTO
from fastmvc.fields import NO_NUL_PATTERN
from fastmvc.security.emails import MAX_EMAIL_LENGTH, canonical_email, normalize_email

__all__ = [
    "AccountTokenIn",
    "LoginIn",
    "PasswordChangeIn",
    "PasswordForgotIn",
    "PasswordResetIn",
    "RefreshIn",
    "RegisterIn",
    "TokenPairOut",
    "UserData",
    "UserOut",
]

MIN_PASSWORD = 8
# Argon2 takes any length, but an unbounded body is free CPU for an attacker.
MAX_PASSWORD = 1024


# Spaces in a password are part of it; the DTO base would strip them.
Password = Annotated[
    str,
    StringConstraints(strip_whitespace=False, max_length=MAX_PASSWORD, pattern=NO_NUL_PATTERN),
]

# The shape OpenAPI publishes, checked on the address as sent (before the
# canonical spelling of fastmvc.security.emails, which strips surrounding
# spaces): one "@", no spaces or control characters inside, a dot in the
# domain. The classes are spelled out so that OpenAPI (ECMA regex), pydantic
# (Rust) and Python agree on them exactly.
_SPACE = r"[\x09-\x0d\x1c-\x20]*"  # what str.strip() removes, in ASCII
_PART = r"[^@\x00-\x20\x7f]+"
EMAIL_PATTERN = rf"^{_SPACE}{_PART}@{_PART}\.{_PART}{_SPACE}$"
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=False, max_length=MAX_EMAIL_LENGTH, pattern=EMAIL_PATTERN),
    Field(examples=["ada@example.com"]),
]


class RegisterIn(DTO):
    """``POST /auth/register``."""

    email: Email
    password: Annotated[Password, Field(min_length=MIN_PASSWORD)]

    _email = field_validator("email")(normalize_email)


class LoginIn(DTO):
    """``POST /auth/login``.

    The password has no minimum here: a login must answer the same 401 for
    any wrong password, not a 422 that tells the policy apart.
    """

    email: Email
    password: Password

    _email = field_validator("email")(canonical_email)


class RefreshIn(DTO):
    """``POST /auth/refresh``."""

    refresh_token: str = Field(min_length=1, max_length=8192, pattern=NO_NUL_PATTERN)


class PasswordChangeIn(DTO):
    """``POST /auth/password``: the current password and the new one."""

    current_password: Password
    new_password: Annotated[Password, Field(min_length=MIN_PASSWORD)]


class PasswordForgotIn(DTO):
    """``POST /auth/password/forgot``."""

    email: str = Field(max_length=320, examples=["ada@example.com"])

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()


# Mailed tokens are JWTs: base64url parts joined by dots, so ASCII only. That
# also bounds their bytes on the wire by their length.
TOKEN_PATTERN = r"^[A-Za-z0-9._-]+$"


class PasswordResetIn(DTO):
    """``POST /auth/password/reset``: the mailed token and the new password."""

    token: str = Field(min_length=1, max_length=4096, pattern=TOKEN_PATTERN)
    password: Annotated[Password, Field(min_length=MIN_PASSWORD)]


class AccountTokenIn(DTO):
    """``POST /auth/verify``: the mailed verification token."""

    token: str = Field(min_length=1, max_length=4096, pattern=TOKEN_PATTERN)


class UserOut(OutDTO):
    """A user as the API shows it; never the password hash."""

    id: int
    urn: str
    email: str
    created_at: datetime


class UserData(OutDTO):
    """``data`` of register and ``/users/me``."""

    user: UserOut


class TokenPairOut(OutDTO):
    """``data`` of login and refresh."""

    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    user: UserOut
