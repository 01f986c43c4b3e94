"""The framework's own routes give way to the app's, wherever that changes no answer.

The router tries its routes in order, one regular expression each, until
one matches. ``create_app`` adds its own routes first (the docs pages,
``/openapi.json``, ``/metrics``, the health checks), so every request to an
app route paid for trying those first: eight entries before the first app
route in the benchmark app (two stay in front: the docs asset route and its mount).

:func:`app_routes_first` moves a framework route behind the app's routes
only where the move cannot change which route answers a request:

- the route's paths are fixed (no ``{parameter}``, not a mount), so the
  paths it answers are known;
- no app route fully matches one of those paths for one of its methods,
  nor does a framework route that stays in front of it.

A route the app could shadow stays in front, where it was: with a catch-all
``/{slug}`` in the app, ``/metrics`` and the health checks still come first.
An app route that matches a framework path only partly (another method) does
not hold the framework route in front either: the router keeps looking past
a partial match, so the framework route answers as before.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from starlette.routing import BaseRoute, Match, Route, Router

__all__ = ["FrameworkRoute", "app_routes_first"]

FrameworkRoute = tuple[BaseRoute, Sequence[BaseRoute]]
"""A route the framework added, and the routes it answers with.

For a plain route, the route itself; for an included router, the routes of
the router that was included (the router's entry knows them only privately).
"""


def app_routes_first(router: Router, framework: Sequence[FrameworkRoute]) -> None:
    """Reorder ``router.routes``: the app's routes before the framework routes they cannot shadow.

    Args:
        router: The app's router, with the framework's routes and the app's in it.
        framework: The framework's entries in ``router.routes``, each with the
            routes it answers with. Every other entry is the app's.
    """
    entries = {id(entry) for entry, _ in framework}
    app_routes = [route for route in router.routes if id(route) not in entries]
    front: list[BaseRoute] = []
    back: list[BaseRoute] = []
    # Last first: a route moved back must not end up behind a framework route
    # that stays in front and answers one of its paths (a mount, say).
    for entry, leaves in reversed(framework):
        ahead = [*front, *app_routes]
        movable = all(_fixed(leaf) for leaf in leaves) and not any(
            _answers(route, leaf.path, leaf.methods)  # type: ignore[attr-defined]
            for leaf in leaves
            for route in ahead
        )
        (back if movable else front).insert(0, entry)
    router.routes[:] = [*front, *app_routes, *back]
    mark_changed = getattr(router, "_mark_routes_changed", None)
    if mark_changed is not None:
        mark_changed()  # FastAPI caches what its included routers match by a version


def _fixed(route: BaseRoute) -> bool:
    """Whether ``route`` answers fixed paths only (a plain HTTP route without parameters)."""
    return isinstance(route, Route) and "{" not in route.path and bool(route.methods)


def _answers(route: BaseRoute, path: str, methods: Collection[str]) -> bool:
    """Whether ``route`` fully matches ``path`` for one of ``methods``."""
    for method in methods:
        scope = {
            "type": "http",
            "method": method,
            "path": path,
            "root_path": "",
            "headers": [],
            "query_string": b"",
        }
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return True
    return False
