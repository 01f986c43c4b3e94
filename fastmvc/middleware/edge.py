"""The edge: one ASGI callable that runs the middleware steps in one pass.

Nested middleware pay for themselves on every request: each wraps ``send``
in a closure of its own, copies the header list, and adds a coroutine frame
around the next. :class:`Edge` keeps the meaning of that nesting (a step
sees only the responses made inside it) while running flat: the steps'
request hooks in order, the app once, and ``send`` wrapped once, where the
response-start hooks add their prebuilt headers to one list.

Which steps see a response is the nesting rule made explicit: when step *k*
answers (from ``on_request``, ``on_error`` or :meth:`Exchange.answer_later
<fastmvc.middleware.step.Exchange.answer_later>`), only the steps before it
add headers to that answer and record its end, as if step *k* had answered
without calling the middleware inside it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fastmvc.middleware.step import Exchange, Header, Reply, Step

__all__ = ["Edge"]

_StartHook = Callable[[Exchange, list[Header]], None]
_EndHook = Callable[[Exchange], None]
_ErrorHook = tuple[int, Callable[[Exchange, Exception], Reply]]


def _implements(step: Step, hook: str) -> bool:
    """Whether ``step`` does something in ``hook`` (the base class's hooks do nothing)."""
    own = getattr(type(step), hook, None)
    return own is not None and own is not getattr(Step, hook)


class Edge:
    """Run ``steps`` around ``app`` in one pass.

    ``Edge(app, [a, b, c])`` behaves like ``a`` wrapping ``b`` wrapping ``c``
    wrapping ``app``, but costs one ``send`` wrapper and one coroutine frame
    per request. Non-HTTP scopes (lifespan, websockets) go straight to the app.

    Args:
        app: The ASGI app to run inside the steps.
        steps: Outermost first.
    """

    def __init__(self, app: ASGIApp, steps: Sequence[Step] = ()) -> None:
        self.app = app
        self.steps = tuple(steps)
        names = [step.name for step in self.steps if step.name]
        if len(set(names)) != len(names):
            raise ValueError(f"two edge steps share a name: {names}")
        count = len(self.steps)
        self._count = count
        self._index = {id(step): index for index, step in enumerate(self.steps)}
        self._request_hooks: list[tuple[int, Callable[[Exchange], Any], bool]] = [
            (index, step.on_request, inspect.iscoroutinefunction(step.on_request))
            for index, step in enumerate(self.steps)
            if _implements(step, "on_request")
        ]
        # Indexed by depth (how many outer steps wrap the response), innermost first.
        self._start_hooks: list[tuple[_StartHook, ...]] = [
            tuple(
                step.on_response_start
                for step in reversed(self.steps[:depth])
                if _implements(step, "on_response_start")
            )
            for depth in range(count + 1)
        ]
        self._end_hooks: list[tuple[_EndHook, ...]] = [
            tuple(
                step.on_response_end
                for step in reversed(self.steps[:depth])
                if _implements(step, "on_response_end")
            )
            for depth in range(count + 1)
        ]
        self._error_hooks: list[tuple[_ErrorHook, ...]] = [
            tuple(
                (index, self.steps[index].on_error)
                for index in reversed(range(depth))
                if _implements(self.steps[index], "on_error")
            )
            for depth in range(count + 1)
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange = Exchange(scope, receive, send)
        start_hooks = self._start_hooks

        async def send_once(message: Message) -> None:
            if exchange.pending is not None and not exchange.response_started:
                return  # the app's answer to a request a step answers itself
            if message["type"] == "http.response.start":
                exchange.response_started = True
                exchange.status = message["status"]
                # A fresh list: the app's Response may reuse its own header list.
                headers: list[Header] = list(message.get("headers", ()))
                for hook in start_hooks[exchange.depth]:
                    hook(exchange, headers)
                message["headers"] = headers
            await exchange.send(message)

        try:
            try:
                await self._run(exchange, send_once)
            except Exception as exc:
                await self._recover(exchange, exc, send_once)
        finally:
            for hook in self._end_hooks[exchange.depth]:
                hook(exchange)

    async def _run(self, exchange: Exchange, send: Send) -> None:
        """The request hooks, then the app or the step that answered, then a late answer."""
        reply: Reply = None
        for index, hook, is_async in self._request_hooks:
            exchange.depth = index
            reply = await hook(exchange) if is_async else hook(exchange)
            if reply is not None:
                break
        else:
            exchange.depth = self._count
        try:
            await (self.app if reply is None else reply)(exchange.scope, exchange.receive, send)
        except Exception:
            if exchange.pending is None or exchange.response_started:
                raise
        late = exchange.pending
        if late is not None:
            exchange.pending = None
            exchange.depth = self._index[id(exchange.pending_step)]
            await late(exchange.scope, exchange.receive, send)

    async def _recover(self, exchange: Exchange, exc: Exception, send: Send) -> None:
        """Let the steps around the failure answer ``exc``; re-raise when none can."""
        for index, hook in self._error_hooks[exchange.depth]:
            reply = hook(exchange, exc)
            if reply is None:
                continue
            if exchange.response_started:
                break  # the headers are gone; the server drops the connection
            exchange.depth = index
            try:
                await reply(exchange.scope, exchange.receive, send)
            except Exception as again:
                await self._recover(exchange, again, send)
            return
        raise exc
