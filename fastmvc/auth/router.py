"""The auth endpoints: register, login, refresh, logout and ``/users/me``.

``auth_routers(User)`` returns the two routers a generated project mounts;
they are plain functions over :class:`~fastmvc.auth.AuthService`, so the
controller layer stays a thin HTTP-to-service translation.
"""

# No ``from __future__ import annotations`` here: the endpoints are closures
# whose parameter types (``Auth``) are local names FastAPI must see evaluated.

from contextlib import suppress
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from starlette.responses import Response

from fastmvc.auth.schemas import (
    LoginIn,
    RefreshIn,
    RegisterIn,
    TokenPairOut,
    UserData,
    UserOut,
)
from fastmvc.auth.service import AuthService
from fastmvc.controller import ERROR_RESPONSES, envelope
from fastmvc.dependencies import SessionDep
from fastmvc.dto import Envelope
from fastmvc.errors import ConflictError
from fastmvc.ratelimit import login_rate_limit, register_rate_limit
from fastmvc.security import CurrentUser, TokenPair
from fastmvc.state import get_runtime

__all__ = ["auth_routers"]

UserEnvelope = Envelope[UserData]
TokenEnvelope = Envelope[TokenPairOut]
EmptyEnvelope = Envelope[None]


def _token_data(user: Any, pair: TokenPair) -> TokenPairOut:
    return TokenPairOut(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        token_type=pair.token_type,
        expires_in=pair.expires_in,
        user=UserOut.model_validate(user),
    )


def _user_data(user: Any) -> UserData:
    return UserData(user=UserOut.model_validate(user))


def auth_routers(user_model: type[Any]) -> list[APIRouter]:
    """Build the ``/auth`` and ``/users`` routers for ``user_model``.

    Args:
        user_model: The app's user model (``UserMixin`` + ``Entity``).

    Returns:
        ``[auth_router, users_router]``; include both in the app.
    """

    async def auth_service(request: Request, session: SessionDep) -> AuthService[Any]:
        runtime = get_runtime(request)
        return AuthService(
            session, user_model=user_model, passwords=runtime.passwords, tokens=runtime.tokens
        )

    Auth = Annotated[AuthService[Any], Depends(auth_service)]

    auth = APIRouter(prefix="/auth", tags=["auth"], responses=ERROR_RESPONSES)
    users = APIRouter(prefix="/users", tags=["users"], responses=ERROR_RESPONSES)

    @auth.post(
        "/register",
        status_code=status.HTTP_201_CREATED,
        response_model=UserEnvelope,
        responses={
            status.HTTP_202_ACCEPTED: {
                "model": EmptyEnvelope,
                "description": "EMAIL_VERIFICATION_REQUIRED: one answer for new and taken emails",
            }
        },
        dependencies=[Depends(register_rate_limit)],
        name="auth_register",
    )
    async def register(payload: RegisterIn, service: Auth, request: Request) -> Response:
        """Create an account. A taken email gives 409, unless email verification is required.

        With ``EMAIL_VERIFICATION_REQUIRED=true`` a new and a taken email get
        the same 202, after the same work, so the route does not reveal which
        addresses have accounts. Without it the 409 stays (a user must learn
        that they already have an account), and ``REGISTER_RATE_LIMIT_PER_MINUTE``
        per client IP bounds how fast anyone can probe.
        """
        if get_runtime(request).settings.email_verification_required:
            with suppress(ConflictError):
                await service.register(payload.email, payload.password)
            return envelope(
                None,
                message="Registration received",
                key="success_user_register_pending",
                status_code=status.HTTP_202_ACCEPTED,
                model=EmptyEnvelope,
            )
        user = await service.register(payload.email, payload.password)
        return envelope(
            _user_data(user),
            message="User registered",
            key="success_user_register",
            status_code=status.HTTP_201_CREATED,
            model=UserEnvelope,
        )

    @auth.post(
        "/login",
        response_model=TokenEnvelope,
        dependencies=[Depends(login_rate_limit)],
        name="auth_login",
    )
    async def login(payload: LoginIn, service: Auth) -> Response:
        """Exchange email and password for an access and a refresh token."""
        user, pair = await service.login(payload.email, payload.password)
        return envelope(
            _token_data(user, pair),
            message="Logged in",
            key="success_auth_login",
            model=TokenEnvelope,
        )

    @auth.post("/refresh", response_model=TokenEnvelope, name="auth_refresh")
    async def refresh(payload: RefreshIn, service: Auth) -> Response:
        """Trade a refresh token for a new pair. Each refresh token works once."""
        user, pair = await service.refresh(payload.refresh_token)
        return envelope(
            _token_data(user, pair),
            message="Token refreshed",
            key="success_auth_refresh",
            model=TokenEnvelope,
        )

    @auth.post("/logout", response_model=EmptyEnvelope, name="auth_logout")
    async def logout(principal: CurrentUser, service: Auth) -> Response:
        """Revoke this access token and every token of its login."""
        await service.logout(principal)
        return envelope(None, message="Logged out", key="success_auth_logout", model=EmptyEnvelope)

    @users.get("/me", response_model=UserEnvelope, name="users_me")
    async def me(principal: CurrentUser, service: Auth) -> Response:
        """The authenticated user."""
        user = await service.user_of(principal)
        return envelope(
            _user_data(user), message="Current user", key="success_user_me", model=UserEnvelope
        )

    return [auth, users]
