"""What an edge step is: a few hooks on one request, and the request they share.

The default middleware is one ASGI callable, :class:`~fastmvc.middleware.edge.Edge`,
that runs a list of :class:`Step` objects in one pass instead of nesting one
middleware inside another. A step implements only the hooks it needs; the
edge looks them up once, when it is built, and calls nothing else.

Hooks, in the order the edge calls them:

``on_request(exchange)``
    Before the app, outermost step first. May be ``async``. Returning an ASGI
    app (usually an error :class:`~starlette.responses.Response`) answers the
    request with it: the later steps and the app do not run, and only the
    steps before this one see the response (as when a middleware answers
    without calling the app it wraps).
``on_response_start(exchange, headers)``
    When the response starts, innermost step first: append to ``headers``
    (a fresh list holding the app's headers). Steps keep their headers as
    prebuilt ``(bytes, bytes)`` pairs.
``on_error(exchange, exc)``
    When the app (or a later step) raised. Returning an ASGI app answers with
    it, unless the response had already started; then the error propagates.
``on_response_end(exchange)``
    After the app returned or raised, innermost step first.
"""

from __future__ import annotations

from collections.abc import Awaitable
from time import perf_counter
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["Exchange", "Header", "Reply", "Step"]

Header = tuple[bytes, bytes]
Reply = ASGIApp | None
"""What ``on_request`` and ``on_error`` return: an ASGI app that answers instead, or ``None``."""


class Step:
    """Base class of the edge steps; every hook is optional.

    Subclasses override the hooks they need (see the module docstring). A step
    is shared by every request: per-request values go on the
    :class:`Exchange`, under ``exchange.state[self]`` if nowhere else.

    Attributes:
        name: The step's name in settings (``MIDDLEWARE_DISABLE``…).
    """

    name: str = ""

    def on_request(self, exchange: Exchange) -> Reply | Awaitable[Reply]:
        """Look at the request; return an ASGI app to answer it instead of the app."""
        return None

    def on_response_start(self, exchange: Exchange, headers: list[Header]) -> None:
        """Add this step's headers to the response's ``headers``."""

    def on_error(self, exchange: Exchange, exc: Exception) -> Reply:
        """React to an exception raised inside this step; return an ASGI app to answer with."""
        return None

    def on_response_end(self, exchange: Exchange) -> None:
        """Record the finished request (``exchange.status`` is final)."""


class Exchange:
    """One HTTP request on its way through the edge, and what the steps learnt about it.

    Attributes:
        scope: The ASGI scope.
        path: ``scope["path"]`` on arrival.
        root_path: ``scope["root_path"]`` on arrival (a mount changes it later).
        receive: The receive callable the app gets; a step may wrap it.
        send: Where the edge sends the (amended) messages; a step may wrap it.
        started_at: ``perf_counter()`` when the request arrived.
        status: The response status; 500 until the response starts.
        response_started: Whether ``http.response.start`` went out.
        state: Per-request values of steps, keyed by the step.
    """

    __slots__ = (
        "_headers",
        "depth",
        "path",
        "pending",
        "pending_step",
        "receive",
        "response_started",
        "root_path",
        "scope",
        "send",
        "started_at",
        "state",
        "status",
    )

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.scope = scope
        self.path: str = scope["path"]
        self.root_path: str = scope.get("root_path", "")
        self.receive = receive
        self.send = send
        self.started_at = perf_counter()
        self.status = 500
        self.response_started = False
        self.state: dict[Step, Any] = {}
        self.depth = 0
        self.pending: ASGIApp | None = None
        self.pending_step: Step | None = None
        self._headers: dict[bytes, bytes] | None = None

    def header(self, name: bytes) -> bytes | None:
        """The first value of request header ``name`` (lower-case bytes), or ``None``."""
        headers = self._headers
        if headers is None:
            raw = self.scope["headers"]
            if not isinstance(raw, list | tuple):
                raw = list(raw)  # ASGI allows any iterable of pairs
            # Reversed, so the first of repeated headers wins, as a scan would find it.
            headers = self._headers = dict(reversed(raw))
        return headers.get(name)

    def answer_later(self, step: Step, reply: ASGIApp) -> None:
        """Replace whatever the app answers with ``reply``, sent as if by ``step``.

        Until the app returns, its messages are dropped and its exception (if
        any) is swallowed; then the edge sends ``reply``. Only for a response
        that has not started (the body limit's 413 after an oversized read).
        """
        self.pending = reply
        self.pending_step = step
