"""X-Process-Time and the one-JSON-line-per-request access log."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from fastmvc.logging import JsonFormatter
from fastmvc.middleware import ACCESS_LOGGER

MakeApp = Callable[..., FastAPI]
ClientFor = Callable[..., httpx.AsyncClient]


def _access_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == ACCESS_LOGGER]


async def test_process_time_header_is_seconds(make_app: MakeApp, client_for: ClientFor) -> None:
    async with client_for(make_app()) as client:
        response = await client.get("/ping")
    value = response.headers["X-Process-Time"]
    assert float(value) >= 0
    assert "." in value  # seconds with a fraction, not milliseconds


async def test_one_json_access_line_with_every_field(
    make_app: MakeApp, client_for: ClientFor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    async with client_for(make_app()) as client:
        response = await client.get("/ping?token=secret", headers={"X-Request-ID": "req-42"})
    (record,) = _access_records(caplog)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["logger"] == ACCESS_LOGGER
    assert entry["method"] == "GET"
    assert entry["path"] == "/ping"
    assert "secret" not in line  # the query string is not logged
    assert entry["status"] == 200
    assert isinstance(entry["duration_ms"], float)
    assert entry["duration_ms"] >= 0
    assert entry["client_ip"] == "203.0.113.5"
    assert entry["request_id"] == "req-42" == response.headers["X-Request-ID"]
    assert entry["user_id"] is None


async def test_access_line_has_the_user_id_set_during_the_request(
    make_app: MakeApp, client_for: ClientFor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    async with client_for(make_app()) as client:
        await client.get("/me")
    (record,) = _access_records(caplog)
    assert json.loads(JsonFormatter().format(record))["user_id"] == "42"


async def test_error_outcomes_are_logged_with_their_status(
    make_app: MakeApp, client_for: ClientFor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    async with client_for(make_app()) as client:
        await client.get("/boom")
        await client.get("/private")
        await client.post("/echo", content=b"x" * 20, headers={"Content-Length": "20"})
    statuses = [record.__dict__["status"] for record in _access_records(caplog)]
    assert statuses == [500, 401, 200]


async def test_no_access_line_when_the_logger_is_above_info(
    make_app: MakeApp, client_for: ClientFor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=ACCESS_LOGGER)
    async with client_for(make_app()) as client:
        response = await client.get("/ping")
    assert response.status_code == 200
    assert _access_records(caplog) == []
