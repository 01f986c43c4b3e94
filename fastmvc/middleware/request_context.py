"""Request-context middleware: the request id, set before anything else runs."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fastmvc.context import is_safe_request_id, open_context
from fastmvc.middleware.client_ip import client_ip
from fastmvc.settings import IPNetwork

__all__ = ["REQUEST_ID_HEADER", "RequestContextMiddleware"]

REQUEST_ID_HEADER = "X-Request-ID"
_HEADER_KEY = REQUEST_ID_HEADER.lower().encode("latin-1")


class RequestContextMiddleware:
    """Open a :class:`~fastmvc.context.RequestContext` and echo ``X-Request-ID``.

    A client-sent id is kept only if it matches ``[A-Za-z0-9._-]{1,64}``;
    anything else is replaced by a fresh ULID. The client's address, found
    with :func:`~fastmvc.middleware.client_ip.client_ip`, is stored on the
    context too, so the access log and the limiter agree on it.

    Args:
        app: The ASGI app to wrap.
        trusted_proxies: Networks whose ``X-Forwarded-For`` is believed.
    """

    def __init__(self, app: ASGIApp, *, trusted_proxies: Sequence[IPNetwork] = ()) -> None:
        self.app = app
        self.trusted_proxies = tuple(trusted_proxies)

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
        ctx.client_ip = client_ip(scope, self.trusted_proxies)
        header = (_HEADER_KEY, ctx.request_id.encode("latin-1"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                # A fresh list: the app's Response may reuse its own header list.
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        await self.app(scope, receive, send_with_id)
