"""Authorization as data: who may read and write an entity, and the row scope that follows.

A controller declares its policies; :func:`authorize` turns a policy and the
caller into a :class:`Grant` (or a 401/403), and :func:`owner_scope` turns a
grant into the one equality condition the repository adds to its SQL.
"""

from fastmvc.access.policy import (
    ADMIN_ROLE,
    OWNER_COLUMN,
    Access,
    Grant,
    Policy,
    Scope,
    authorize,
    is_admin,
    owner_scope,
    roles_of,
    subject_id,
)

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
