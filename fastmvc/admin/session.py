"""The admin session cookie: signed, ``HttpOnly``, ``SameSite=Lax``, ``Secure`` over HTTPS.

Starlette's ``SessionMiddleware`` signs the cookie but fixes ``Secure`` when
it is built. The admin is often reached over plain HTTP in development and
over HTTPS in production, so this layer holds one middleware for each and
picks per request: ``Secure`` when the request came over HTTPS, or always
when ``HSTS`` says TLS ends at a proxy in front.
"""

from __future__ import annotations

from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["ADMIN_COOKIE", "SESSION_SECONDS", "AdminSessionMiddleware"]

ADMIN_COOKIE = "fastmvc_admin"
SESSION_SECONDS = 8 * 3600
"""An admin signs in again after a working day."""


class AdminSessionMiddleware:
    """A signed session in ``scope["session"]`` for the admin pages.

    Args:
        app: The admin app.
        secret: The signing key (see :func:`fastmvc.admin.keys.session_secret`).
        path: The cookie's path: the admin's mount point, so API calls never carry it.
        always_secure: Mark the cookie ``Secure`` on plain-HTTP requests too.
    """

    def __init__(
        self, app: ASGIApp, *, secret: str, path: str, always_secure: bool = False
    ) -> None:
        options = {
            "secret_key": secret,
            "session_cookie": ADMIN_COOKIE,
            "max_age": SESSION_SECONDS,
            "path": path,
            "same_site": "lax",
        }
        self.secure = SessionMiddleware(app, https_only=True, **options)  # type: ignore[arg-type]
        self.plain = self.secure if always_secure else SessionMiddleware(app, **options)  # type: ignore[arg-type]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        layer = self.secure if scope.get("scheme") in ("https", "wss") else self.plain
        await layer(scope, receive, send)
