"""Request-context middleware: the request id, set before anything else runs."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fastmvc.context import is_safe_request_id, open_context

__all__ = ["REQUEST_ID_HEADER", "RequestContextMiddleware"]

REQUEST_ID_HEADER = "X-Request-ID"
_HEADER_KEY = REQUEST_ID_HEADER.lower().encode("latin-1")


class RequestContextMiddleware:
    """Open a :class:`~fastmvc.context.RequestContext` and echo ``X-Request-ID``.

    A client-sent id is kept only if it matches ``[A-Za-z0-9._-]{1,64}``;
    anything else is replaced by a fresh ULID.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for key, value in scope["headers"]:
            if key == _HEADER_KEY:
                candidate = value.decode("latin-1")
                if is_safe_request_id(candidate):
                    incoming = candidate
                break
        ctx = open_context(incoming)
        request_id = ctx.request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        await self.app(scope, receive, send_with_id)
