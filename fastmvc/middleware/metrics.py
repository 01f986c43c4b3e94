"""Request metrics, as pure ASGI middleware: one step, one concept."""

from __future__ import annotations

from time import perf_counter

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fastmvc.metrics import UNMATCHED_ROUTE, Metrics

__all__ = ["MetricsMiddleware", "route_template"]

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


class MetricsMiddleware:
    """Count and time every HTTP request into :class:`~fastmvc.metrics.Metrics`.

    It sits inside the request context and outside the error guard, the body
    limit and the limiter, so a 500, a 413 and a 429 are counted like any
    other answer. A request whose response never started (the client went
    away) is counted with status 500.

    Args:
        app: The next ASGI app.
        metrics: Where to record.
    """

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        root_path = scope.get("root_path", "")
        status = 500

        async def send_recording_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            route = route_template(scope, root_path)
            self.metrics.observe(method, route, status, perf_counter() - started)
