"""A Bearer header minted by the app under test itself.

Entities never open writes to anonymous callers (ARCHITECTURE.md,
"Authorization"), so tests of CRUD plumbing that is not about authorization
sign in as a plain user with a token from the app's own TokenService.
"""

from __future__ import annotations

from fastapi import FastAPI

__all__ = ["bearer"]


def bearer(app: FastAPI, user_id: int = 1) -> dict[str, str]:
    """``Authorization`` for ``user_id``, signed by ``app``'s token service."""
    token = app.state.fastmvc.tokens.issue(user_id).access_token
    return {"Authorization": f"Bearer {token}"}
