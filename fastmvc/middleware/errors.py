"""The error guard: an unexpected exception becomes the 500 envelope, inside the header steps.

Starlette's own ``ServerErrorMiddleware`` sits outside every user middleware,
so a 500 it writes would miss the request id, the security headers and the
CORS headers. This step sits inside them and answers a generic 500 envelope
itself; the detail goes to the log with the request id.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp

from fastmvc.context import get_request_id
from fastmvc.errors import InternalError
from fastmvc.middleware.edge import Edge
from fastmvc.middleware.step import Exchange, Reply, Step
from fastmvc.responses import error_response

__all__ = ["ServerErrorMiddleware", "ServerErrorStep"]

logger = logging.getLogger("fastmvc.errors")


class ServerErrorStep(Step):
    """Log an unhandled exception with the request id and answer the 500 envelope.

    When the response had already started, the exception is logged and
    propagates: the server drops the connection.
    """

    name = "errors"

    def on_error(self, exchange: Exchange, exc: Exception) -> Reply:
        logger.error("unhandled error (request_id=%s)", get_request_id(), exc_info=exc)
        return error_response(InternalError())


class ServerErrorMiddleware(Edge):
    """:class:`ServerErrorStep` on its own, as ASGI middleware."""

    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app, [ServerErrorStep()])
