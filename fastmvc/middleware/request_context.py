"""The request-context step: the request id and client address, set before anything else runs."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.types import ASGIApp

from fastmvc.context import is_safe_request_id, open_context
from fastmvc.middleware.client_ip import client_ip
from fastmvc.middleware.edge import Edge
from fastmvc.middleware.step import Exchange, Header, Step
from fastmvc.settings import IPNetwork

__all__ = ["REQUEST_ID_HEADER", "RequestContextMiddleware", "RequestContextStep"]

REQUEST_ID_HEADER = "X-Request-ID"
_HEADER_KEY = REQUEST_ID_HEADER.lower().encode("latin-1")


class RequestContextStep(Step):
    """Open a :class:`~fastmvc.context.RequestContext` and echo ``X-Request-ID``.

    A client-sent id is kept only if it matches ``[A-Za-z0-9._-]{1,64}``;
    anything else is replaced by a fresh ULID. The client's address, found
    with :func:`~fastmvc.middleware.client_ip.client_ip`, is stored on the
    context too, so the access log and the limiter agree on it.

    Args:
        trusted_proxies: Networks whose ``X-Forwarded-For`` is believed.
    """

    name = "request_context"

    def __init__(self, *, trusted_proxies: Sequence[IPNetwork] = ()) -> None:
        self.trusted_proxies = tuple(trusted_proxies)

    def on_request(self, exchange: Exchange) -> None:
        incoming = exchange.header(_HEADER_KEY)
        request_id = None
        if incoming is not None:
            candidate = incoming.decode("latin-1")
            if is_safe_request_id(candidate):
                request_id = candidate
        ctx = open_context(request_id)
        ctx.client_ip = client_ip(exchange.scope, self.trusted_proxies)
        exchange.state[self] = (_HEADER_KEY, ctx.request_id.encode("latin-1"))

    def on_response_start(self, exchange: Exchange, headers: list[Header]) -> None:
        headers.append(exchange.state[self])


class RequestContextMiddleware(Edge):
    """:class:`RequestContextStep` on its own, as ASGI middleware."""

    def __init__(self, app: ASGIApp, *, trusted_proxies: Sequence[IPNetwork] = ()) -> None:
        super().__init__(app, [RequestContextStep(trusted_proxies=trusted_proxies)])
