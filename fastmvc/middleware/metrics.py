"""The metrics step: every request counted and timed by route template."""

from __future__ import annotations

from time import perf_counter

from starlette.types import ASGIApp, Scope

from fastmvc.metrics import UNMATCHED_ROUTE, Metrics
from fastmvc.middleware.edge import Edge
from fastmvc.middleware.step import Exchange, Step

__all__ = ["MetricsMiddleware", "MetricsStep", "route_template"]

# A client can send any token as the method; only these become label values.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_template(scope: Scope, root_path: str = "") -> str:
    """The path template of the route that served ``scope`` (``/products/{id}``).

    FastAPI records the matched API route in the scope. A plain route with no
    parameters is its own template. A mounted app (the docs assets) shows up
    as the mount's prefix added to ``root_path``, and becomes
    ``<prefix>/{path}``. A request nothing matched gets
    :data:`~fastmvc.metrics.UNMATCHED_ROUTE`, so raw paths never become
    label values.

    Args:
        scope: The request's scope, after the app has handled it.
        root_path: ``scope["root_path"]`` as it was before the app ran.
    """
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str) and path:
        return path
    mounted_at: str = scope.get("root_path", "")
    if mounted_at != root_path and mounted_at.startswith(root_path):
        return mounted_at[len(root_path) :] + "/{path}"
    if scope.get("endpoint") is not None and not scope.get("path_params"):
        # A plain Starlette route with no parameters (``/openapi.json``): its
        # path is its template, and only a path some route declares gets here.
        request_path: str = scope["path"]
        if root_path and request_path.startswith(root_path):
            return request_path[len(root_path) :]
        return request_path
    return UNMATCHED_ROUTE


class MetricsStep(Step):
    """Count and time every HTTP request into :class:`~fastmvc.metrics.Metrics`.

    It sits inside the request context and outside the error guard, the body
    limit and the limiter, so a 500, a 413 and a 429 are counted like any
    other answer. A request whose response never started (the client went
    away) is counted with status 500.

    Args:
        metrics: Where to record.
    """

    name = "metrics"

    def __init__(self, *, metrics: Metrics) -> None:
        self.metrics = metrics

    def on_response_end(self, exchange: Exchange) -> None:
        method: str = exchange.scope["method"]
        if method not in _METHODS:
            method = "OTHER"
        route = route_template(exchange.scope, exchange.root_path)
        self.metrics.observe(method, route, exchange.status, perf_counter() - exchange.started_at)


class MetricsMiddleware(Edge):
    """:class:`MetricsStep` on its own, as ASGI middleware.

    Args:
        app: The next ASGI app.
        metrics: Where to record.
    """

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        super().__init__(app, [MetricsStep(metrics=metrics)])
