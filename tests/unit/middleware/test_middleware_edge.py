"""Edge: the steps run flat but keep the meaning of nesting."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import pytest
from starlette.responses import PlainTextResponse

from fastmvc.middleware import Edge, Exchange, Step
from fastmvc.middleware.step import Header, Reply

Message = MutableMapping[str, Any]


class Recorder(Step):
    """A step that logs its hooks, adds one header and may answer or fail."""

    def __init__(
        self, name: str, log: list[str], *, answer: bool = False, rescue: bool = False
    ) -> None:
        self.name = name
        self.log = log
        self.answer = answer
        self.rescue = rescue

    def on_request(self, exchange: Exchange) -> Reply:
        self.log.append(f"{self.name}:request")
        if self.answer:
            return PlainTextResponse(f"answered by {self.name}", status_code=418)
        return None

    def on_response_start(self, exchange: Exchange, headers: list[Header]) -> None:
        self.log.append(f"{self.name}:start")
        headers.append((b"x-step", self.name.encode()))

    def on_error(self, exchange: Exchange, exc: Exception) -> Reply:
        self.log.append(f"{self.name}:error:{exc}")
        return PlainTextResponse("rescued", status_code=500) if self.rescue else None

    def on_response_end(self, exchange: Exchange) -> None:
        self.log.append(f"{self.name}:end:{exchange.status}")


class AsyncGate(Step):
    name = "gate"

    async def on_request(self, exchange: Exchange) -> Reply:
        return PlainTextResponse("no", status_code=429)


async def ok_app(scope: Any, receive: Any, send: Any) -> None:
    await PlainTextResponse("ok")(scope, receive, send)


async def failing_app(scope: Any, receive: Any, send: Any) -> None:
    raise RuntimeError("boom")


async def failing_after_start(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    raise RuntimeError("late")


async def call(app: Any, scope_type: str = "http") -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": scope_type, "method": "GET", "path": "/", "headers": []}
    await app(scope, receive, send)
    return sent


def step_headers(start: Message) -> list[bytes]:
    return [value for key, value in start["headers"] if key == b"x-step"]


async def test_hooks_run_in_nesting_order_and_send_is_wrapped_once() -> None:
    log: list[str] = []
    edge = Edge(ok_app, [Recorder("outer", log), Recorder("inner", log)])
    sent = await call(edge)
    assert log == [
        "outer:request",
        "inner:request",
        "inner:start",
        "outer:start",
        "inner:end:200",
        "outer:end:200",
    ]
    assert step_headers(sent[0]) == [b"inner", b"outer"]
    assert sent[1]["body"] == b"ok"


async def test_a_step_that_answers_is_wrapped_only_by_the_steps_outside_it() -> None:
    log: list[str] = []
    steps = [Recorder("outer", log), Recorder("gate", log, answer=True), Recorder("inner", log)]
    sent = await call(Edge(ok_app, steps))
    assert sent[0]["status"] == 418
    assert step_headers(sent[0]) == [b"outer"]
    assert sent[1]["body"] == b"answered by gate"
    assert "inner:request" not in log
    assert log[-1] == "outer:end:418"
    assert "gate:end:418" not in log


async def test_an_async_request_hook_can_answer() -> None:
    log: list[str] = []
    sent = await call(Edge(ok_app, [Recorder("outer", log), AsyncGate()]))
    assert sent[0]["status"] == 429
    assert step_headers(sent[0]) == [b"outer"]


async def test_an_error_is_answered_by_the_innermost_step_that_rescues_it() -> None:
    log: list[str] = []
    steps = [
        Recorder("outer", log),
        Recorder("guard", log, rescue=True),
        Recorder("inner", log),
    ]
    sent = await call(Edge(failing_app, steps))
    assert sent[0]["status"] == 500
    assert step_headers(sent[0]) == [b"outer"]  # the guard answered: only outer wraps it
    assert "inner:error:boom" in log
    assert log.index("inner:error:boom") < log.index("guard:error:boom")
    assert "outer:error:boom" not in log
    assert log[-1] == "outer:end:500"


async def test_an_error_nobody_rescues_propagates_after_the_end_hooks() -> None:
    log: list[str] = []
    with pytest.raises(RuntimeError, match="boom"):
        await call(Edge(failing_app, [Recorder("only", log)]))
    assert log[-1] == "only:end:500"


async def test_an_error_after_the_response_started_propagates_even_when_rescued() -> None:
    log: list[str] = []
    with pytest.raises(RuntimeError, match="late"):
        await call(Edge(failing_after_start, [Recorder("guard", log, rescue=True)]))
    assert "guard:error:late" in log
    assert log[-1] == "guard:end:200"


async def test_answer_later_replaces_the_app_answer_and_swallows_its_error() -> None:
    log: list[str] = []
    inner = Recorder("inner", log)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        exchange_holder["exchange"].answer_later(inner, PlainTextResponse("late", 413))
        await PlainTextResponse("dropped", 400)(scope, receive, send)
        raise RuntimeError("after the drop")

    class Capture(Step):
        name = "capture"

        def on_request(self, exchange: Exchange) -> Reply:
            exchange_holder["exchange"] = exchange
            return None

    exchange_holder: dict[str, Exchange] = {}
    sent = await call(Edge(app, [Recorder("outer", log), Capture(), inner]))
    assert [message.get("status") for message in sent if "status" in message] == [413]
    assert sent[1]["body"] == b"late"
    assert step_headers(sent[0]) == [b"outer"]  # sent as if by inner: inner does not wrap it


async def test_non_http_scopes_go_straight_to_the_app() -> None:
    log: list[str] = []
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    await call(Edge(app, [Recorder("step", log)]), scope_type="lifespan")
    assert seen == ["lifespan"]
    assert log == []


def test_two_steps_with_one_name_are_refused() -> None:
    with pytest.raises(ValueError, match="share a name"):
        Edge(ok_app, [Recorder("same", []), Recorder("same", [])])
