"""The four access policies and the one function that enforces them.

| policy   | who passes                        | rows                         |
|----------|-----------------------------------|------------------------------|
| public   | anyone, no token (reads only)     | all                          |
| user     | any signed-in user                | all                          |
| owner    | any signed-in user                | their own (admins: all)      |
| admin    | users with the ``admin`` role     | all                          |

Everything here is pure: no HTTP, no database. The controller resolves the
caller, calls :func:`authorize`, and hands the resulting :class:`Grant` to the
service, which asks :func:`owner_scope` for the SQL condition.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from fastmvc.errors import ForbiddenError, UnauthorizedError

if TYPE_CHECKING:
    from fastmvc.security.tokens import Principal

__all__ = [
    "ADMIN_ROLE",
    "OWNER_COLUMN",
    "Access",
    "Grant",
    "Policy",
    "Scope",
    "authorize",
    "is_admin",
    "owner_scope",
    "roles_of",
    "subject_id",
]

ADMIN_ROLE = "admin"
"""The role access tokens carry for superusers."""

OWNER_COLUMN = "owner_id"
"""The column an owned entity keeps its owner's user id in."""

_MAX_ID = 2**63 - 1

Scope = Mapping[str, Any]
"""Equality conditions a repository adds to every statement, e.g. ``{"owner_id": 7}``."""


class Policy(StrEnum):
    """Who may use a route; see the module table."""

    PUBLIC = "public"
    USER = "user"
    OWNER = "owner"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Access:
    """An entity's read and write policies (``GET`` and ``POST``/``PATCH``/``DELETE``).

    Raises:
        ValueError: ``write`` is ``public``: writes always need a token.
    """

    read: Policy = Policy.USER
    write: Policy = Policy.USER

    def __post_init__(self) -> None:
        object.__setattr__(self, "read", Policy(self.read))
        object.__setattr__(self, "write", Policy(self.write))
        if self.write is Policy.PUBLIC:
            raise ValueError("the write policy cannot be public: writes always need a token")

    @property
    def owned(self) -> bool:
        """Whether rows belong to a user (either policy is ``owner``)."""
        return Policy.OWNER in (self.read, self.write)


@dataclass(frozen=True, slots=True)
class Grant:
    """What :func:`authorize` allowed.

    Attributes:
        actor: The caller, or ``None`` on a public route.
        owner_only: Rows are limited to the actor's own.
    """

    actor: Principal | None
    owner_only: bool = False


def roles_of(principal: Principal) -> frozenset[str]:
    """The roles a token carries (its ``roles`` claim; anything malformed counts as none)."""
    roles = principal.claims.get("roles")
    if not isinstance(roles, list):
        return frozenset()
    return frozenset(role for role in roles if isinstance(role, str))


def is_admin(principal: Principal | None) -> bool:
    """Whether ``principal`` carries the ``admin`` role."""
    return principal is not None and ADMIN_ROLE in roles_of(principal)


def subject_id(principal: Principal) -> int:
    """The user id a token speaks for.

    Raises:
        UnauthorizedError: ``sub`` is not a positive 64-bit integer.
    """
    sub = principal.sub
    if not sub.isascii() or not sub.isdigit() or not 0 < int(sub) <= _MAX_ID:
        raise UnauthorizedError("Invalid token")
    return int(sub)


def authorize(policy: Policy, actor: Principal | None) -> Grant:
    """Decide whether ``actor`` passes ``policy``.

    Args:
        policy: The route's policy.
        actor: The verified caller, or ``None`` when no token was sent.

    Returns:
        The grant; ``owner_only`` is set for ``owner`` unless the actor is an admin.

    Raises:
        UnauthorizedError: The policy needs a token and there is none.
        ForbiddenError: ``admin`` policy and the actor is not an admin.
    """
    if policy is Policy.PUBLIC:
        return Grant(actor=None)
    if actor is None:
        raise UnauthorizedError()
    if policy is Policy.ADMIN and not is_admin(actor):
        raise ForbiddenError("Admins only", response_key="error_admin_required")
    owner_only = policy is Policy.OWNER and not is_admin(actor)
    if owner_only:
        subject_id(actor)  # an owner scope needs a usable id: refuse a token without one
    return Grant(actor=actor, owner_only=owner_only)


def owner_scope(grant: Grant) -> Scope | None:
    """The row condition for ``grant``: ``{"owner_id": <actor id>}``, or ``None`` for all rows."""
    if not grant.owner_only or grant.actor is None:
        return None
    return {OWNER_COLUMN: subject_id(grant.actor)}
