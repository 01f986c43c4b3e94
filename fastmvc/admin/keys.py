"""The admin session's signing key, derived from the app's JWT secret.

No admin secret ships anywhere: the key is an HMAC of ``JWT_SECRET_KEY`` under
a fixed label, so it follows that secret's rules (random per process when
unset outside production, refused in production when weak) and changes when
it is rotated. The label keeps the two uses apart: a session cookie is never
a valid token, and the JWT secret cannot be recovered from the cookie key.
"""

from __future__ import annotations

import hashlib
import hmac

from fastmvc.settings import Settings

__all__ = ["session_secret"]

_LABEL = b"fastmvc.admin.session.v1"


def session_secret(settings: Settings) -> str:
    """The key that signs the admin session cookie for ``settings``."""
    key = settings.jwt_secret_key.get_secret_value().encode()
    return hmac.new(key, _LABEL, hashlib.sha256).hexdigest()
