"""Request body size limit: a 413 envelope, decided without buffering the body."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fastmvc.errors import PayloadTooLargeError
from fastmvc.responses import error_response

__all__ = ["BodyLimitMiddleware"]

_CONTENT_LENGTH_KEY = b"content-length"

# After deciding on a 413, read and drop up to this many more body bytes
# before answering. A server that closes a connection with unread bytes in
# it makes the kernel send a reset, which can reach the client before the
# 413 does: Granian closes at once, while uvicorn has read about this much
# ahead by itself. A body larger still is answered without waiting for it.
DRAIN_BYTES = 65_536


class BodyLimitMiddleware:
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
        app: The ASGI app to wrap.
        max_body_bytes: The largest body accepted, in bytes.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        if max_body_bytes < 0:
            raise ValueError("max_body_bytes must not be negative")
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None:
            if declared > self.max_body_bytes:
                if declared - self.max_body_bytes <= DRAIN_BYTES:
                    await _drain(receive, declared)
                await error_response(PayloadTooLargeError())(scope, receive, send)
            else:
                # The server stops reading at Content-Length; nothing to count.
                await self.app(scope, receive, send)
            return
        await _LimitedRequest(self.app, self.max_body_bytes)(scope, receive, send)


class _LimitedRequest:
    """One request whose body is counted as it streams in."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.received = 0
        self.exceeded = False
        self.body_complete = False
        self.response_started = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def receive_counted() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                self.body_complete = not message.get("more_body", False)
                self.received += len(message.get("body", b""))
                if self.received > self.limit:
                    self.exceeded = True
                    raise PayloadTooLargeError()
            return message

        async def send_unless_exceeded(message: Message) -> None:
            if self.exceeded and not self.response_started:
                return  # the app's reply to the aborted read; the 413 replaces it
            if message["type"] == "http.response.start":
                self.response_started = True
            await send(message)

        try:
            await self.app(scope, receive_counted, send_unless_exceeded)
        except Exception:
            if not self.exceeded or self.response_started:
                raise
        if self.exceeded and not self.response_started:
            if not self.body_complete:
                await _drain(receive, DRAIN_BYTES)
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


def _content_length(scope: Scope) -> int | None:
    for key, value in scope["headers"]:
        if key == _CONTENT_LENGTH_KEY:
            try:
                return int(value)
            except ValueError:
                return None  # the server rejects a malformed length itself
    return None
