"""``fastmvc routes``: every route of the project's app, its methods, access and handler."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import typer

from fastmvc_cli.console import console
from fastmvc_cli.errors import UserError
from fastmvc_cli.project import Project, find_project

__all__ = ["RouteInfo", "app", "load_app", "route_table"]

app = typer.Typer()


@dataclass(frozen=True)
class RouteInfo:
    """One line of ``fastmvc routes``."""

    methods: str
    path: str
    access: str
    handler: str


def load_app(project: Project) -> Any:
    """Import the project's app the way ``fastmvc run`` serves it.

    Raises:
        UserError: The module or the attribute named by ``[tool.fastmvc] app`` is missing.
    """
    import os

    project.activate()
    os.chdir(project.root)
    module_name, _, attribute = project.app.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise UserError(f"cannot import {exc.name}: is the project installed?") from exc
    application = getattr(module, attribute, None)
    if application is None:
        raise UserError(f"{module_name} has no {attribute!r} (see [tool.fastmvc] app)")
    return application


def _access(route: Any) -> str:
    """The route's policy (``public``, ``user``, ``owner``, ``admin``), read from its dependencies.

    A route outside the controllers' policies that asks for a Bearer token is ``user``.
    """
    from fastmvc.access import Policy
    from fastmvc.controller import grant_dependency
    from fastmvc.security import require_user

    policies = {grant_dependency(policy): policy.value for policy in Policy}
    pending = [route.dependant]
    found = "public"
    while pending:
        dependant = pending.pop()
        if dependant.call in policies:
            return policies[dependant.call]
        if dependant.call is require_user:
            found = "user"
        pending.extend(dependant.dependencies)
    return found


def _handler(endpoint: Any) -> str:
    module = getattr(endpoint, "__module__", "?")
    name = getattr(endpoint, "__qualname__", getattr(endpoint, "__name__", repr(endpoint)))
    return f"{module}:{name}"


def _flatten(routes: Any) -> Any:
    """The routes, with included routers replaced by their own routes (FastAPI includes lazily)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _flatten(included.routes)
        else:
            yield route


def route_table(application: Any) -> list[RouteInfo]:
    """Every route of ``application``, in the order the app matches them."""
    from fastapi.routing import APIRoute
    from starlette.routing import Mount, Route

    rows = []
    for route in _flatten(application.routes):
        if isinstance(route, APIRoute):
            methods = ",".join(sorted(route.methods or set[str]()))
            rows.append(RouteInfo(methods, route.path, _access(route), _handler(route.endpoint)))
        elif isinstance(route, Route):
            verbs: set[str] = route.methods or set()
            rows.append(
                RouteInfo(",".join(sorted(verbs)), route.path, "public", _handler(route.endpoint))
            )
        elif isinstance(route, Mount):
            # The admin signs its own users in: active superusers only.
            admin = route.path == getattr(application.state, "fastmvc_admin_path", None)
            access = "admin" if admin else "public"
            rows.append(RouteInfo("*", f"{route.path}/…", access, _handler(route.app)))
    return rows


@app.command("routes", epilog="Example:\n\n  fastmvc routes")
def routes() -> None:
    """List every route: methods, path, who may call it, and the handler."""
    rows = route_table(load_app(find_project()))
    headers = RouteInfo("METHODS", "PATH", "ACCESS", "HANDLER")
    widths = [
        max(len(getattr(r, f)) for r in [headers, *rows]) for f in ("methods", "path", "access")
    ]
    for row in [headers, *rows]:
        line = "  ".join(
            value.ljust(width)
            for value, width in zip((row.methods, row.path, row.access), widths, strict=True)
        )
        console.print(f"{line}  {row.handler}", markup=False, soft_wrap=True)
