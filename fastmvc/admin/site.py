"""Mounting the admin: ``/admin`` with a view for users and one per CRUD controller.

:func:`install_admin` finds what to show in the app's routers: the ``User``
model through the auth router, and each entity through the router its
controller built (:class:`~fastmvc.controller.ControllerRouter`). So
``fastmvc add entity``, which registers the router, registers the admin view
too, and no project file lists the admin's entities by hand.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from sqladmin import Admin
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import async_sessionmaker
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from fastmvc.admin.auth import AdminAuth
from fastmvc.admin.csrf import csrf_token
from fastmvc.admin.users import user_view
from fastmvc.admin.views import entity_view
from fastmvc.db.outage import DatabaseUnavailableError, is_outage
from fastmvc.docs import ASSETS_CACHE_CONTROL
from fastmvc.state import Runtime

__all__ = ["ADMIN_PATH", "install_admin"]

ADMIN_PATH = "/admin"

logger = logging.getLogger("fastmvc.admin")
_HERE = Path(__file__).parent


class _AssetFiles(StaticFiles):
    """Static files a browser may keep: they change only with the installed packages.

    Without it every admin page would fetch a dozen scripts and stylesheets
    again (the security headers say ``no-store`` to anything that names no
    cache policy), and spend the client's rate-limit budget on them.
    """

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = ASSETS_CACHE_CONTROL
        return response


def _cache_statics(admin: Admin) -> None:
    """Serve sqladmin's own assets (tabler, jQuery, fonts: all in its wheel) with a lifetime."""
    for index, route in enumerate(admin.admin.router.routes):
        if isinstance(route, Mount) and route.name == "statics":
            statics = _AssetFiles(packages=["sqladmin"])
            admin.admin.router.routes[index] = Mount(route.path, app=statics, name="statics")


# How long a client is told to wait before retrying a page the database could not serve.
OUTAGE_RETRY_AFTER_SECONDS = 5


async def _outage_page(request: Request, error: Exception) -> Response:
    """A database outage on an admin page: 503 with a plain message, as the API answers.

    sqladmin opens its own sessions for its pages, outside the
    :class:`~fastmvc.db.Database` unit of work that translates outages for the
    API, so its errors arrive here untranslated. Anything else is a bug: it
    is raised again, for the server's 500 and its traceback.
    """
    if isinstance(error, DatabaseUnavailableError) or is_outage(error):
        return PlainTextResponse(
            DatabaseUnavailableError.default_message,
            status_code=503,
            headers={"Retry-After": str(OUTAGE_RETRY_AFTER_SECONDS)},
        )
    raise error


def _answer_outages(admin: Admin) -> None:
    for kind in (DatabaseUnavailableError, DBAPIError, PoolTimeoutError, OSError, TimeoutError):
        admin.admin.add_exception_handler(kind, _outage_page)


def install_admin(
    app: FastAPI, runtime: Runtime, routers: Iterable[APIRouter], *, path: str = ADMIN_PATH
) -> Admin:
    """Mount the admin on ``app`` at ``path``.

    Args:
        app: The application.
        runtime: Its runtime (database, limiter, passwords, settings).
        routers: The app's routers; the auth router names the ``User`` model
            and each controller's router its entity.
        path: The mount point.

    Returns:
        The sqladmin :class:`~sqladmin.Admin`, for adding views of your own.

    Raises:
        ValueError: No auth router in ``routers``: without users nobody could sign in.
    """
    from fastmvc.auth.router import AuthRouter
    from fastmvc.controller import ControllerRouter, CRUDController

    routers = list(routers)
    user_model = next(
        (r.user_model for r in routers if isinstance(r, AuthRouter) and r.user_model), None
    )
    if user_model is None:
        raise ValueError("the admin needs the auth routers (auth_routers(User)) to sign admins in")
    auth = AdminAuth(runtime, user_model, path)
    admin = Admin(
        app,
        session_maker=async_sessionmaker(runtime.database.engine, expire_on_commit=False),
        base_url=path,
        title=f"{runtime.settings.app_name} admin",
        templates_dir=str(_HERE / "templates"),
        authentication_backend=auth,
    )
    auth.templates = admin.templates
    admin.templates.env.globals["csrf_token"] = csrf_token
    # The admin is its own Starlette app: give it the runtime, so get_runtime()
    # (the limiter's client-IP key, the views' unit of work) finds it there too.
    admin.admin.state.fastmvc = runtime
    _cache_statics(admin)
    _answer_outages(admin)
    admin.admin.router.routes.insert(
        0, Mount("/fastmvc", app=_AssetFiles(directory=_HERE / "static"), name="fastmvc_statics")
    )
    admin.add_view(user_view(user_model))
    for router in routers:
        controller = router.controller if isinstance(router, ControllerRouter) else None
        if controller is not None and issubclass(controller, CRUDController):
            admin.add_view(entity_view(controller))
    logger.debug("admin mounted at %s with %d views", path, len(admin.views))
    return admin
