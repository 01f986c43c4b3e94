"""configure_logging: JSON or console lines, the request id on every line, idempotent."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from fastmvc.logging import (
    JsonFormatter,
    RequestIdFilter,
    access_json_line,
    configure_logging,
    direct_json_handler,
)
from fastmvc.settings import Settings

MakeApp = Callable[..., FastAPI]
ClientFor = Callable[..., httpx.AsyncClient]


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the root and uvicorn loggers back as they were."""
    root = logging.getLogger()
    saved_root = (list(root.handlers), root.level)
    uvicorn = logging.getLogger("uvicorn")
    saved_uvicorn = (list(uvicorn.handlers), uvicorn.propagate)
    yield
    for handler in root.handlers:
        if handler not in saved_root[0]:
            handler.close()
    root.handlers[:] = saved_root[0]
    root.setLevel(saved_root[1])
    uvicorn.handlers[:] = saved_uvicorn[0]
    uvicorn.propagate = saved_uvicorn[1]


def _settings(**overrides: Any) -> Settings:
    return Settings(_env_file=None, **overrides)


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.usefixtures("restore_logging")
async def test_every_line_during_a_request_carries_its_request_id(
    make_app: MakeApp, client_for: ClientFor
) -> None:
    stream = io.StringIO()
    configure_logging(_settings(log_level="INFO", log_format="json"), stream=stream)
    async with client_for(make_app()) as client:
        response = await client.get("/log", headers={"X-Request-ID": "trace-7"})
    logging.getLogger("tests.middleware").warning("outside any request")
    lines = _lines(stream)
    inside = next(line for line in lines if line["message"] == "inside the request")
    access = next(line for line in lines if line["logger"] == "fastmvc.access")
    outside = next(line for line in lines if line["message"] == "outside any request")
    assert inside["request_id"] == access["request_id"] == "trace-7"
    assert response.headers["X-Request-ID"] == "trace-7"
    assert inside["level"] == "WARNING"
    assert inside["logger"] == "tests.middleware"
    assert outside["request_id"] is None


@pytest.mark.usefixtures("restore_logging")
async def test_unhandled_error_is_logged_with_traceback_and_request_id(
    make_app: MakeApp, client_for: ClientFor
) -> None:
    stream = io.StringIO()
    configure_logging(_settings(log_format="json"), stream=stream)
    async with client_for(make_app()) as client:
        response = await client.get("/boom")
    error = next(line for line in _lines(stream) if line["logger"] == "fastmvc.errors")
    assert error["request_id"] == response.headers["X-Request-ID"]
    assert "RuntimeError" in error["exc_info"]
    assert "hunter2" not in response.text


@pytest.mark.usefixtures("restore_logging")
def test_configuring_twice_keeps_one_handler() -> None:
    root = logging.getLogger()
    # Apps built by earlier tests may have configured logging already; those
    # handlers of ours are replaced, anything else stays.
    before = len([h for h in root.handlers if type(h).__name__ != "_FastMVCHandler"])
    first, second = io.StringIO(), io.StringIO()
    configure_logging(_settings(), stream=first)
    configure_logging(_settings(), stream=second)
    assert len(root.handlers) == before + 1
    logging.getLogger("tests.middleware").warning("once")
    assert first.getvalue() == ""
    assert [line["message"] for line in _lines(second)] == ["once"]


@pytest.mark.usefixtures("restore_logging")
def test_log_level_is_applied_case_insensitively() -> None:
    stream = io.StringIO()
    configure_logging(_settings(log_level="error"), stream=stream)
    logger = logging.getLogger("tests.middleware")
    logger.warning("dropped")
    logger.error("kept")
    assert [line["message"] for line in _lines(stream)] == ["kept"]


@pytest.mark.usefixtures("restore_logging")
def test_unknown_log_level_is_refused() -> None:
    with pytest.raises(ValueError, match="LOG_LEVEL"):
        configure_logging(_settings(log_level="LOUD"))


@pytest.mark.usefixtures("restore_logging")
async def test_console_format_is_one_readable_line_with_the_request_id(
    make_app: MakeApp, client_for: ClientFor
) -> None:
    stream = io.StringIO()
    configure_logging(_settings(log_format="console"), stream=stream)
    async with client_for(make_app()) as client:
        await client.get("/log", headers={"X-Request-ID": "trace-8"})
    line = next(line for line in stream.getvalue().splitlines() if "inside the request" in line)
    assert "WARNING" in line
    assert "[trace-8]" in line
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


@pytest.mark.usefixtures("restore_logging")
def test_uvicorn_server_lines_are_routed_through_the_same_handler() -> None:
    uvicorn = logging.getLogger("uvicorn")
    uvicorn.addHandler(logging.NullHandler())
    uvicorn.propagate = False
    stream = io.StringIO()
    configure_logging(_settings(), stream=stream)
    logging.getLogger("uvicorn.error").warning("server says hi")
    assert [line["logger"] for line in _lines(stream)] == ["uvicorn.error"]


def test_json_formatter_writes_extras_and_survives_odd_values() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    record.__dict__.update(order_id=7, when=object(), text="naïve")
    RequestIdFilter().filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "hello you"
    assert entry["order_id"] == 7
    assert entry["when"].startswith("<object")
    assert entry["text"] == "naïve"
    assert entry["request_id"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["timestamp"])


@pytest.mark.parametrize(
    ("path", "client_ip", "user_id", "request_id", "duration_ms"),
    [
        ("/ping", "203.0.113.5", None, "req-1", 0.123),
        ('/naïve/"quoted"\\slash\u2028', None, "42", None, 1234.5),
        ("/x", "2001:db8::1", "ünïcode", "01JABCDEFGHJKMNPQRSTVWXYZ0", 0.0),
    ],
)
def test_the_fast_access_line_is_the_json_formatter_line(
    path: str,
    client_ip: str | None,
    user_id: str | None,
    request_id: str | None,
    duration_ms: float,
) -> None:
    logger = logging.getLogger("fastmvc.access")
    record = logger.makeRecord(
        logger.name,
        logging.INFO,
        __file__,
        0,
        "%s %s %d %.3fms",
        ("GET", path, 404, duration_ms),
        None,
        extra={
            "method": "GET",
            "path": path,
            "status": 404,
            "duration_ms": duration_ms,
            "client_ip": client_ip,
            "request_id": request_id,
            "user_id": user_id,
        },
    )
    RequestIdFilter().filter(record)
    fast = access_json_line(
        created=record.created,
        logger=logger.name,
        method="GET",
        path=path,
        status=404,
        duration_ms=duration_ms,
        client_ip=client_ip,
        request_id=request_id,
        user_id=user_id,
    )
    assert fast == JsonFormatter().format(record)


def _drop_other_handlers() -> None:
    """Leave only configure_logging's handler on the root logger (pytest adds its own per phase)."""
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if type(h).__name__ == "_FastMVCHandler"]


@pytest.fixture
def only_our_handler(restore_logging: None) -> io.StringIO:
    """configure_logging to a buffer; tests call _drop_other_handlers() first thing."""
    stream = io.StringIO()
    configure_logging(_settings(log_level="INFO", log_format="json"), stream=stream)
    return stream


async def test_access_lines_are_buffered_until_the_loop_turn_ends(
    only_our_handler: io.StringIO, make_app: MakeApp, client_for: ClientFor
) -> None:
    _drop_other_handlers()
    access = logging.getLogger("fastmvc.access")
    handler = direct_json_handler(access)
    assert handler is not None
    writes: list[str] = []
    real_write = only_our_handler.write

    def counting_write(text: str) -> int:
        writes.append(text)
        return real_write(text)

    only_our_handler.write = counting_write  # type: ignore[method-assign]
    async with client_for(make_app()) as client:
        response = await client.get("/log", headers={"X-Request-ID": "trace-9"})
    handler.buffer_line('{"first": 1}')
    handler.buffer_line('{"second": 2}')
    assert writes[-1:] != ['{"second": 2}\n']  # not written yet: the turn has not ended
    await asyncio.sleep(0)
    assert writes[-1] == '{"first": 1}\n{"second": 2}\n'  # one write for both
    lines = _lines(only_our_handler)
    inside = next(line for line in lines if line.get("message") == "inside the request")
    entry = next(line for line in lines if line.get("logger") == "fastmvc.access")
    assert lines.index(inside) < lines.index(entry)
    assert entry["request_id"] == "trace-9" == response.headers["X-Request-ID"]
    assert entry["path"] == "/log"
    assert entry["status"] == 200


async def test_a_record_written_meanwhile_goes_after_the_buffered_lines(
    only_our_handler: io.StringIO,
) -> None:
    _drop_other_handlers()
    handler = direct_json_handler(logging.getLogger("fastmvc.access"))
    assert handler is not None
    handler.buffer_line('{"message": "buffered"}')
    logging.getLogger("tests.middleware").warning("at once")
    assert [line["message"] for line in _lines(only_our_handler)] == ["buffered", "at once"]


def test_outside_an_event_loop_a_buffered_line_is_written_at_once(
    only_our_handler: io.StringIO,
) -> None:
    _drop_other_handlers()
    handler = direct_json_handler(logging.getLogger("fastmvc.access"))
    assert handler is not None
    handler.buffer_line('{"message": "now"}')
    assert _lines(only_our_handler) == [{"message": "now"}]


def test_no_direct_path_when_someone_else_listens(
    only_our_handler: io.StringIO, caplog: pytest.LogCaptureFixture
) -> None:
    _drop_other_handlers()
    access = logging.getLogger("fastmvc.access")
    assert direct_json_handler(access) is not None
    logging.getLogger().addHandler(caplog.handler)
    assert direct_json_handler(access) is None


@pytest.mark.usefixtures("restore_logging")
def test_no_direct_path_for_the_console_format() -> None:
    configure_logging(_settings(log_format="console"), stream=io.StringIO())
    _drop_other_handlers()
    assert direct_json_handler(logging.getLogger("fastmvc.access")) is None
