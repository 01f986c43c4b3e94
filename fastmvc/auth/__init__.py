"""The reference auth module: a user mixin, DTOs, ``AuthService`` and the auth routers.

A generated project wires it in three lines::

    class User(UserMixin, Entity):
        __tablename__ = "users"

    app = create_app(routers=auth_routers(User))
"""

from fastmvc.auth.models import AuthUser, UserMixin
from fastmvc.auth.router import auth_routers
from fastmvc.auth.schemas import (
    LoginIn,
    RefreshIn,
    RegisterIn,
    TokenPairOut,
    UserData,
    UserOut,
)
from fastmvc.auth.service import AuthService

__all__ = [
    "AuthService",
    "AuthUser",
    "LoginIn",
    "RefreshIn",
    "RegisterIn",
    "TokenPairOut",
    "UserData",
    "UserMixin",
    "UserOut",
    "auth_routers",
]
