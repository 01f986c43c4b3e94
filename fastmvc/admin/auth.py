"""Who may use the admin: active superusers, signed in through ``/admin/login``.

The login form posts ``username`` (the email) and ``password``. It is
throttled by the same limit, and the same per IP-and-email bucket, as
``POST /auth/login``, so alternating between the two buys no extra guesses.
An unknown email, a wrong password, an inactive account and an account
without the admin role all get one answer after the same hashing work.

Every admin request reads the user's row again: a user deactivated, demoted,
or whose sessions were revoked (password change, ``fastmvc users
deactivate``) after signing in is signed out at their next click.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqladmin.authentication import AuthenticationBackend
from sqlalchemy import select
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from fastmvc.admin.csrf import CSRFMiddleware, rotate_csrf_token
from fastmvc.admin.keys import session_secret
from fastmvc.admin.session import AdminSessionMiddleware
from fastmvc.auth.schemas import MAX_PASSWORD
from fastmvc.ratelimit import client_ip_key, login_rate_limit, rate_limit_headers
from fastmvc.ratelimit.keys import ip_and_email_key
from fastmvc.security.emails import MAX_EMAIL_LENGTH
from fastmvc.state import Runtime, get_runtime

if TYPE_CHECKING:
    from sqladmin.templating import Jinja2Templates

__all__ = ["AdminAuth"]

REFUSED = "Invalid email or password, or not an active administrator."
_USER_KEY = "admin_user"
_SINCE_KEY = "admin_since"


class AdminAuth(AuthenticationBackend):
    """sqladmin's authentication backend over the app's ``User`` model.

    Args:
        runtime: The app's runtime (database, limiter, password hasher, settings).
        user_model: The app's ``User`` model (``UserMixin`` + ``Entity``).
        path: Where the admin is mounted (the session cookie's path).
    """

    def __init__(self, runtime: Runtime, user_model: type[Any], path: str) -> None:
        # Not super().__init__(): that installs a session whose Secure flag
        # cannot follow the request's scheme, and no CSRF check.
        self.runtime = runtime
        self.user_model = user_model
        self.templates: Jinja2Templates | None = None
        settings = runtime.settings
        self.middlewares = [
            Middleware(
                AdminSessionMiddleware,
                secret=session_secret(settings),
                path=path,
                always_secure=settings.hsts,
            ),
            Middleware(CSRFMiddleware),
        ]
        self._row = select(user_model.is_active, user_model.is_superuser, user_model.revoked_before)

    async def login(self, request: Request) -> Response | bool:
        """Check the form; sign an active superuser in, refuse anyone else."""
        form = await request.form()
        email = str(form.get("username") or "")[: MAX_EMAIL_LENGTH * 4]
        password = str(form.get("password") or "")[:MAX_PASSWORD]
        refused = await self._throttled(request, email)
        if refused is not None:
            return refused
        user_id = await self._superuser_id(email, password)
        if user_id is None:
            return await self._login_page(request, REFUSED, status_code=400)
        request.session.clear()  # nothing from before sign-in survives it
        request.session.update({_USER_KEY: user_id, _SINCE_KEY: time.time()})
        rotate_csrf_token(request)
        return True

    async def logout(self, request: Request) -> Response | bool:
        """Forget the session."""
        request.session.clear()
        return RedirectResponse(request.url_for("admin:login"), status_code=302)

    async def authenticate(self, request: Request) -> bool:
        """Whether the session's user is still an active, unrevoked superuser."""
        user_id = request.session.get(_USER_KEY)
        since = request.session.get(_SINCE_KEY)
        if not isinstance(user_id, int) or not isinstance(since, int | float):
            return False
        async with self.runtime.database.read_session(primary=True) as session:
            row = (await session.execute(self._row.where(self.user_model.id == user_id))).first()
        revoked_before: datetime | None = None if row is None else row.revoked_before
        if (
            row is None
            or not row.is_active
            or not row.is_superuser
            or (revoked_before is not None and since < revoked_before.timestamp())
        ):
            request.session.clear()
            return False
        return True

    async def get_user_id(self, request: Request) -> Any:
        """The signed-in admin's user id (sqladmin's audit and authorization read it)."""
        return request.session.get(_USER_KEY)

    async def _throttled(self, request: Request, email: str) -> Response | None:
        runtime = get_runtime(request)
        identity = ip_and_email_key(await client_ip_key(request), email)
        result = await runtime.limiter.check(
            f"{login_rate_limit.name}:{identity}",
            login_rate_limit.rules(runtime.settings),
            critical=True,
        )
        if result.allowed:
            return None
        response = await self._login_page(
            request, "Too many sign-in attempts; wait a minute and try again.", status_code=429
        )
        response.headers.update(rate_limit_headers(result))
        return response

    async def _superuser_id(self, email: str, password: str) -> int | None:
        from fastmvc.auth.repository import UserRepository
        from fastmvc.security.emails import canonical_email

        passwords = self.runtime.passwords
        async with self.runtime.database.read_session(primary=True) as session:
            user = await UserRepository(session, self.user_model).get_by_email(
                canonical_email(email)
            )
        if user is None:
            await passwords.verify_dummy(password)
            return None
        if not await passwords.verify(user.password_hash, password):
            return None
        if not (user.is_active and user.is_superuser):
            return None
        return int(user.id)

    async def _login_page(self, request: Request, error: str, *, status_code: int) -> Response:
        assert self.templates is not None, "install_admin sets the templates"
        return await self.templates.TemplateResponse(
            request, "sqladmin/login.html", {"error": error}, status_code=status_code
        )
