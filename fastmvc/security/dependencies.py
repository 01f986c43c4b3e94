"""FastAPI dependencies that authenticate a request by its Bearer access token.

Use :data:`CurrentUser` as a handler parameter to get the :class:`Principal`,
or ``dependencies=[Depends(require_user)]`` to only guard a route. Both show up
in OpenAPI as the HTTP bearer scheme, so Swagger's *Authorize* button works.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from fastmvc.context import set_current_user_id
from fastmvc.errors import UnauthorizedError
from fastmvc.security.tokens import Principal
from fastmvc.state import get_runtime

__all__ = ["CurrentUser", "bearer_scheme", "require_user"]

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="BearerAuth",
    bearerFormat="JWT",
    description="The access_token from POST /auth/login or POST /auth/refresh.",
)
"""The OpenAPI security scheme; errors are ours, so FastAPI's auto-error is off."""


async def require_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """Return the principal of the request's access token, or refuse with 401.

    The token is checked in full (signature, claims, ``typ``, revocation) by the
    app's :class:`~fastmvc.security.TokenService`. The user id is recorded on
    the request context for the access log.

    Raises:
        UnauthorizedError: No Bearer token, or an invalid one.
        ServiceUnavailableError: The revocation store is down.
    """
    if credentials is None:
        raise UnauthorizedError()
    principal = await get_runtime(request).tokens.verify_access(credentials.credentials)
    set_current_user_id(principal.sub)
    return principal


CurrentUser = Annotated[Principal, Depends(require_user)]
"""Handler parameter type giving the authenticated :class:`Principal`."""
