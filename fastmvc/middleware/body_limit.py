"""The body-limit step: a 413 envelope, decided without buffering the body."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fastmvc.errors import PayloadTooLargeError
from fastmvc.middleware.edge import Edge
from fastmvc.middleware.step import Exchange, Reply, Step
from fastmvc.responses import error_response

__all__ = ["DRAIN_BYTES", "BodyLimitMiddleware", "BodyLimitStep"]

_CONTENT_LENGTH_KEY = b"content-length"

# After deciding on a 413, read and drop up to this many more body bytes
# before answering. A server that closes a connection with unread bytes in
# it makes the kernel send a reset, which can reach the client before the
# 413 does: Granian closes at once, while uvicorn has read about this much
# ahead by itself. A body larger still is answered without waiting for it.
DRAIN_BYTES = 65_536


class BodyLimitStep(Step):
    """Answer 413 when a request body is larger than ``max_body_bytes``.

    A ``Content-Length`` above the limit is refused before the app runs (one
    within it is enforced by the server). A body without one (chunked) is
    counted as the app reads it. The read that crosses the limit raises
    :class:`~fastmvc.errors.PayloadTooLargeError` inside the app; whatever
    the app answers to that (FastAPI turns a failed body read into a 400) is
    dropped in favour of the 413 envelope. Nothing is buffered here. If the
    app had already started its response, the error propagates and the
    server drops the connection. Before a 413 up to :data:`DRAIN_BYTES` of
    the rest of the body is read and dropped, so the client gets the answer
    rather than a reset connection.

    Args:
        max_body_bytes: The largest body accepted, in bytes.
    """

    name = "body_limit"

    def __init__(self, *, max_body_bytes: int) -> None:
        if max_body_bytes < 0:
            raise ValueError("max_body_bytes must not be negative")
        self.max_body_bytes = max_body_bytes

    def on_request(self, exchange: Exchange) -> Reply:
        declared = _content_length(exchange.header(_CONTENT_LENGTH_KEY))
        if declared is None:
            exchange.receive = _CountedBody(self, exchange)
            return None
        if declared > self.max_body_bytes:
            budget = declared if declared - self.max_body_bytes <= DRAIN_BYTES else 0
            return _TooLarge(exchange.receive, budget)
        return None  # the server stops reading at Content-Length; nothing to count


class _CountedBody:
    """The receive of a body without ``Content-Length``, counted as the app reads it."""

    __slots__ = ("complete", "exchange", "limit", "receive", "received", "step")

    def __init__(self, step: BodyLimitStep, exchange: Exchange) -> None:
        self.step = step
        self.exchange = exchange
        self.receive = exchange.receive
        self.limit = step.max_body_bytes
        self.received = 0
        self.complete = False

    async def __call__(self) -> Message:
        message = await self.receive()
        if message["type"] == "http.request":
            self.complete = not message.get("more_body", False)
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                exchange = self.exchange
                if not exchange.response_started:
                    exchange.answer_later(self.step, _TooLarge(self.receive, DRAIN_BYTES, self))
                raise PayloadTooLargeError()
        return message


class _TooLarge:
    """Drop up to ``budget`` more body bytes (none once ``body`` ended), then send the 413."""

    __slots__ = ("body", "budget", "receive")

    def __init__(self, receive: Receive, budget: int, body: _CountedBody | None = None) -> None:
        self.receive = receive
        self.budget = budget
        self.body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.body is None or not self.body.complete:
            await _drain(self.receive, self.budget)
        await error_response(PayloadTooLargeError())(scope, receive, send)


async def _drain(receive: Receive, budget: int) -> None:
    """Read and drop request body messages until the body ends or ``budget`` bytes went."""
    while budget > 0:
        message = await receive()
        if message["type"] != "http.request":
            return  # the client went away
        budget -= len(message.get("body", b""))
        if not message.get("more_body", False):
            return


def _content_length(value: bytes | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None  # the server rejects a malformed length itself


class BodyLimitMiddleware(Edge):
    """:class:`BodyLimitStep` on its own, as ASGI middleware.

    Args:
        app: The ASGI app to wrap.
        max_body_bytes: The largest body accepted, in bytes.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        super().__init__(app, [BodyLimitStep(max_body_bytes=max_body_bytes)])
