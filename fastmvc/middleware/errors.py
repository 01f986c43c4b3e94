"""Catch-all for unexpected exceptions, inside the header-adding middleware.

Starlette's own ``ServerErrorMiddleware`` sits outside every user middleware,
so a 500 it writes would miss the request id, the security headers and the
CORS headers. This middleware sits inside them and answers a generic 500
envelope itself; the detail goes to the log with the request id.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fastmvc.context import get_request_id
from fastmvc.errors import InternalError
from fastmvc.responses import error_response

__all__ = ["ServerErrorMiddleware"]

logger = logging.getLogger("fastmvc.errors")


class ServerErrorMiddleware:
    """Turn an unhandled exception into the 500 envelope."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            logger.exception("unhandled error (request_id=%s)", get_request_id())
            if started:
                # Headers are gone already; all we can do is let the server drop it.
                raise
            await error_response(InternalError())(scope, receive, send)
