"""Timing and the structured access log: ``X-Process-Time`` and one log line per request."""

from __future__ import annotations

import logging
from time import perf_counter

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fastmvc.context import current_context

__all__ = ["ACCESS_LOGGER", "PROCESS_TIME_HEADER", "AccessLogMiddleware"]

ACCESS_LOGGER = "fastmvc.access"
PROCESS_TIME_HEADER = "X-Process-Time"
_PROCESS_TIME_KEY = PROCESS_TIME_HEADER.lower().encode("latin-1")


class AccessLogMiddleware:
    """Time each request, send ``X-Process-Time`` and log one access line.

    ``X-Process-Time`` is the time, in seconds, until the response headers
    were sent. The log line is written when the app returns, so it sees the
    final status and the user id that the current-user dependency recorded
    on the (mutable) request context. Its fields travel as ``extra``
    attributes: ``method``, ``path``, ``status``, ``duration_ms``,
    ``client_ip``, ``request_id`` and ``user_id``; the JSON formatter of
    :mod:`fastmvc.logging` writes them as keys.

    A request whose app raises before answering is logged with status 500,
    the status the server error middleware outside it will send.

    Args:
        app: The ASGI app to wrap.
        logger: Where the lines go; ``fastmvc.access`` by default.
    """

    def __init__(self, app: ASGIApp, *, logger: logging.Logger | None = None) -> None:
        self.app = app
        self.logger = logger or logging.getLogger(ACCESS_LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        status = 500

        async def send_timed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                elapsed = f"{perf_counter() - started:.6f}".encode("latin-1")
                message["headers"] = [*message.get("headers", ()), (_PROCESS_TIME_KEY, elapsed)]
            await send(message)

        try:
            await self.app(scope, receive, send_timed)
        finally:
            if self.logger.isEnabledFor(logging.INFO):
                self._log(scope, status, perf_counter() - started)

    def _log(self, scope: Scope, status: int, seconds: float) -> None:
        ctx = current_context()
        method: str = scope["method"]
        path: str = scope["path"]
        duration_ms = round(seconds * 1000, 3)
        fields = {
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": duration_ms,
            "client_ip": ctx.client_ip if ctx else None,
            "request_id": ctx.request_id if ctx else None,
            "user_id": ctx.user_id if ctx else None,
        }
        # makeRecord + handle skip Logger.info's stack walk for the caller's
        # file and line, which say nothing for an access line and cost a few
        # microseconds on every request.
        record = self.logger.makeRecord(
            self.logger.name,
            logging.INFO,
            __file__,
            0,
            "%s %s %d %.3fms",
            (method, path, status, duration_ms),
            None,
            extra=fields,
        )
        self.logger.handle(record)
