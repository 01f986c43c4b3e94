"""The auth endpoints: register, login, refresh, logout, the account flows and ``/users/me``.

``auth_routers(User)`` returns the two routers a generated project mounts;
they are plain functions over :class:`~fastmvc.auth.AuthService`, so the
controller layer stays a thin HTTP-to-service translation.
"""

# No ``from __future__ import annotations`` here: the endpoints are closures
# whose parameter types (``Auth``) are local names FastAPI must see evaluated.

import logging
from contextlib import suppress
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Request, status
from starlette.responses import Response

from fastmvc.auth.schemas import (
    AccountTokenIn,
    LoginIn,
    PasswordChangeIn,
    PasswordForgotIn,
    PasswordResetIn,
    RefreshIn,
    RegisterIn,
    TokenPairOut,
    UserData,
    UserOut,
)
from fastmvc.auth.service import AccountOptions, AuthService
from fastmvc.controller import ERROR_RESPONSES, envelope
from fastmvc.dependencies import SessionDep, background_session
from fastmvc.dto import Envelope, ErrorEnvelope
from fastmvc.errors import ConflictError
from fastmvc.ratelimit import login_rate_limit, password_reset_rate_limit, register_rate_limit
from fastmvc.security import CurrentUser, TokenPair
from fastmvc.settings import Settings
from fastmvc.state import Runtime, get_runtime

__all__ = ["AuthRouter", "account_options", "auth_routers"]

logger = logging.getLogger("fastmvc.auth")

FORBIDDEN: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorEnvelope, "description": "Forbidden"}
}


class AuthRouter(APIRouter):
    """The ``/auth`` router; it remembers the user model for :func:`~fastmvc.create_app`.

    On the embedded backend the app reads that model's row to honour a
    deactivation made from another process (see :mod:`fastmvc.auth.guard`).
    """

    user_model: type[Any] | None = None


def account_options(settings: Settings) -> AccountOptions:
    """The :class:`AccountOptions` of ``settings``."""
    return AccountOptions(
        registration_enabled=settings.registration_enabled,
        email_verification_required=settings.email_verification_required,
        reset_token_seconds=settings.password_reset_token_minutes * 60,
        verification_token_seconds=settings.email_verification_token_minutes * 60,
    )


def _service(runtime: Runtime, session: Any, user_model: type[Any]) -> AuthService[Any]:
    return AuthService(
        session,
        user_model=user_model,
        passwords=runtime.passwords,
        tokens=runtime.tokens,
        mailer=runtime.mailer,
        options=account_options(runtime.settings),
    )


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
        return _service(get_runtime(request), session, user_model)

    Auth = Annotated[AuthService[Any], Depends(auth_service)]

    auth = AuthRouter(prefix="/auth", tags=["auth"], responses=ERROR_RESPONSES)
    auth.user_model = user_model
    users = APIRouter(prefix="/users", tags=["users"], responses=ERROR_RESPONSES)

    async def in_background(request: Request, action: str, *args: Any) -> None:
        # Runs after the response is sent, in its own unit of work; a mail
        # failure is logged, never shown to the (already answered) client.
        runtime = get_runtime(request)
        try:
            async with background_session(request.app) as session:
                service = _service(runtime, session, user_model)
                if action == "reset":
                    await service.send_password_reset(*args)
                else:
                    user = await service.users.get(*args)
                    if user is not None:
                        await service.send_verification(user)
        except Exception:
            logger.exception("account mail (%s) failed", action)

    @auth.post(
        "/register",
        status_code=status.HTTP_201_CREATED,
        response_model=UserEnvelope,
        responses={
            **FORBIDDEN,
            status.HTTP_202_ACCEPTED: {
                "model": EmptyEnvelope,
                "description": "EMAIL_VERIFICATION_REQUIRED: one answer for new and taken emails",
            },
        },
        dependencies=[Depends(register_rate_limit)],
        name="auth_register",
    )
    async def register(
        payload: RegisterIn, service: Auth, request: Request, background: BackgroundTasks
    ) -> Response:
        """Create an account. A taken email gives 409, unless email verification is required.

        With ``EMAIL_VERIFICATION_REQUIRED=true`` a new and a taken email get
        the same 202, after the same work, so the route does not reveal which
        addresses have accounts; a new account is mailed its verification
        token after the response. Without it the 409 stays (a user must learn
        that they already have an account), and ``REGISTER_RATE_LIMIT_PER_MINUTE``
        per client IP bounds how fast anyone can probe. ``REGISTRATION_ENABLED=false``
        gives 403.
        """
        if service.options.email_verification_required:
            with suppress(ConflictError):
                created = await service.register(payload.email, payload.password)
                background.add_task(in_background, request, "verify", created.id)
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
        responses=FORBIDDEN,
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

    @auth.post("/password", response_model=TokenEnvelope, name="auth_password_change")
    async def change_password(
        payload: PasswordChangeIn, principal: CurrentUser, service: Auth
    ) -> Response:
        """Change the password. Every session of the user ends; a new pair is returned."""
        user, pair = await service.change_password(
            principal, payload.current_password, payload.new_password
        )
        return envelope(
            _token_data(user, pair),
            message="Password changed",
            key="success_password_change",
            model=TokenEnvelope,
        )

    @auth.post(
        "/password/forgot",
        status_code=status.HTTP_202_ACCEPTED,
        response_model=EmptyEnvelope,
        dependencies=[Depends(password_reset_rate_limit)],
        name="auth_password_forgot",
    )
    async def forgot_password(
        payload: PasswordForgotIn, request: Request, background: BackgroundTasks
    ) -> Response:
        """Mail a reset token if the account exists. Always 202, looked up after answering."""
        background.add_task(in_background, request, "reset", payload.email)
        return envelope(
            None,
            message="If the account exists, a reset mail is on its way",
            key="success_password_forgot",
            status_code=status.HTTP_202_ACCEPTED,
            model=EmptyEnvelope,
        )

    @auth.post(
        "/password/reset",
        response_model=EmptyEnvelope,
        dependencies=[Depends(password_reset_rate_limit)],
        name="auth_password_reset",
    )
    async def reset_password(payload: PasswordResetIn, service: Auth) -> Response:
        """Set a new password with a mailed reset token (once); every session ends."""
        await service.reset_password(payload.token, payload.password)
        return envelope(
            None, message="Password reset", key="success_password_reset", model=EmptyEnvelope
        )

    @auth.post(
        "/verify",
        response_model=UserEnvelope,
        dependencies=[Depends(password_reset_rate_limit)],
        name="auth_verify",
    )
    async def verify(payload: AccountTokenIn, service: Auth) -> Response:
        """Confirm the email address with a mailed verification token."""
        user = await service.verify_email(payload.token)
        return envelope(
            _user_data(user),
            message="Email verified",
            key="success_email_verify",
            model=UserEnvelope,
        )

    @users.get("/me", response_model=UserEnvelope, name="users_me")
    async def me(principal: CurrentUser, service: Auth) -> Response:
        """The authenticated user."""
        user = await service.user_of(principal)
        return envelope(
            _user_data(user), message="Current user", key="success_user_me", model=UserEnvelope
        )

    return [auth, users]
