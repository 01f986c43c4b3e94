"""Logging configuration: JSON or console lines, each carrying the request id.

:func:`configure_logging` puts one handler on the root logger, so every
library's log lines come out in one format. A :class:`RequestIdFilter` on that
handler stamps each record with the id of the request being served (``None``
outside a request), which is how a line logged deep in a service can be tied
to its access-log line.

The access log writes one line per request, so it skips what it does not
need: when this module's handler is the only place its lines go, the
access-log step renders the JSON line itself and hands it to
:meth:`_FastMVCHandler.buffer_line`, which buffers it and writes every line
of one event-loop turn with one write and one flush
(:func:`direct_json_handler` says when that holds). Any other record, and
every access line when someone else also listens (a test's ``caplog``, an
application's own handler), goes through :mod:`logging` as usual.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from json.encoder import encode_basestring
from typing import Any, TextIO

from fastmvc.context import current_context
from fastmvc.settings import Settings

__all__ = [
    "ConsoleFormatter",
    "JsonFormatter",
    "RequestIdFilter",
    "access_json_line",
    "configure_logging",
    "direct_json_handler",
    "json_line",
]

# Attributes every LogRecord has; anything else on a record came from ``extra``.
_RECORD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None)).keys()
) | {"message", "asctime", "request_id"}

# Loggers that servers configure with their own handlers; routed through ours
# so that one process writes one format.
_ROUTED_LOGGERS = ("uvicorn", "uvicorn.error", "_granian")


@lru_cache(maxsize=4)
def _utc_second(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _utc_timestamp(created: float) -> str:
    """ISO 8601 in UTC with milliseconds; the date part is formatted once per second."""
    second = int(created)
    return f"{_utc_second(second)}.{int((created - second) * 1000):03d}Z"


class RequestIdFilter(logging.Filter):
    """Stamp each record with ``request_id`` from the request context.

    Attach it to a handler, not a logger: logger filters do not run for
    records that propagate from child loggers. It never drops a record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            ctx = current_context()
            record.request_id = ctx.request_id if ctx is not None else None
        return True


def json_line(
    *,
    created: float,
    level: str,
    logger: str,
    message: str,
    request_id: str | None,
    fields: Mapping[str, Any],
) -> str:
    """One JSON log line: the fixed keys, then ``fields`` (what JSON cannot encode via ``str``)."""
    payload: dict[str, Any] = {
        "timestamp": _utc_timestamp(created),
        "level": level,
        "logger": logger,
        "message": message,
        "request_id": request_id,
    }
    payload.update(fields)
    return _ENCODER.encode(payload)


_ENCODER = json.JSONEncoder(default=str, ensure_ascii=False)


def _string_or_null(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)


def access_json_line(
    *,
    created: float,
    logger: str,
    method: str,
    path: str,
    status: int,
    duration_ms: float,
    client_ip: str | None,
    request_id: str | None,
    user_id: str | None,
) -> str:
    """The access log's INFO line, exactly as :func:`json_line` writes it, made faster.

    An access line's fields have known types, so the line is spliced
    together from C-escaped strings instead of going through the generic
    encoder; a test holds it equal to the :class:`JsonFormatter` output.
    """
    message = f"{method} {path} {status} {duration_ms:.3f}ms"
    return (
        f'{{"timestamp": "{_utc_timestamp(created)}", "level": "INFO", '
        f'"logger": {encode_basestring(logger)}, "message": {encode_basestring(message)}, '
        f'"request_id": {_string_or_null(request_id)}, "method": {encode_basestring(method)}, '
        f'"path": {encode_basestring(path)}, "status": {status}, '
        f'"duration_ms": {duration_ms!r}, "client_ip": {_string_or_null(client_ip)}, '
        f'"user_id": {_string_or_null(user_id)}}}'
    )


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object per line.

    Keys: ``timestamp`` (UTC, ISO 8601), ``level``, ``logger``, ``message``,
    ``request_id``, then every ``extra`` field, then ``exc_info`` and
    ``stack_info`` when present. Values JSON cannot encode are written with
    ``str``.
    """

    def format(self, record: logging.LogRecord) -> str:
        fields = {
            key: value
            for key, value in vars(record).items()
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_")
        }
        if record.exc_info:
            fields["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            fields["stack_info"] = self.formatStack(record.stack_info)
        return json_line(
            created=record.created,
            level=record.levelname,
            logger=record.name,
            message=record.getMessage(),
            request_id=getattr(record, "request_id", None),
            fields=fields,
        )


class ConsoleFormatter(logging.Formatter):
    """A human-readable line for development: time, level, logger, request id, message."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-8s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = None
        return super().format(record)


class _FastMVCHandler(logging.StreamHandler[TextIO]):
    """The handler :func:`configure_logging` owns, so it can find and replace it.

    A record is written and flushed at once, as by any stream handler. Lines
    given to :meth:`buffer_line` (the access log's) wait for the end of the
    current event-loop turn, so the lines of all the requests that finish
    in one turn cost one write; a record written meanwhile goes after them.
    """

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self._buffer: list[str] = []
        self._flush_on: asyncio.AbstractEventLoop | None = None

    def buffer_line(self, line: str) -> None:
        """Write ``line`` at the end of this event-loop turn (at once outside a loop)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        self.acquire()
        try:
            self._buffer.append(line)
            if loop is None:
                self._write_buffer()
                self.stream.flush()
            elif self._flush_on is not loop:
                self._flush_on = loop
                loop.call_soon(self.flush)
        finally:
            self.release()

    def emit(self, record: logging.LogRecord) -> None:
        if self._buffer:
            self._write_buffer()  # keep the lines in the order they were made
        super().emit(record)

    def flush(self) -> None:
        self.acquire()
        try:
            self._flush_on = None
            self._write_buffer()
            super().flush()
        finally:
            self.release()

    def close(self) -> None:
        self.flush()
        super().close()

    def _write_buffer(self) -> None:
        if self._buffer:
            lines, self._buffer = self._buffer, []
            self.stream.write(self.terminator.join(lines) + self.terminator)


def direct_json_handler(logger: logging.Logger) -> _FastMVCHandler | None:
    """The handler of :func:`configure_logging` when it is the only one ``logger`` reaches.

    Then a caller may render a JSON line itself and :meth:`~_FastMVCHandler.buffer_line`
    it, skipping the record: nothing else would have seen it. ``None`` when the
    logger or the handler has filters of its own, when any other handler
    would receive the record, or when the handler does not write JSON.
    """
    if logger.filters:
        return None
    found: _FastMVCHandler | None = None
    node: logging.Logger | None = logger
    while node is not None:
        for handler in node.handlers:
            if found is not None or type(handler) is not _FastMVCHandler:
                return None
            found = handler
        if not node.propagate:
            break
        node = node.parent
    if (
        found is None
        or found.level > logging.INFO
        or len(found.filters) != 1
        or type(found.formatter) is not JsonFormatter
    ):
        return None
    return found


def configure_logging(settings: Settings, *, stream: TextIO | None = None) -> None:
    """Send all logging to one handler in the format ``settings`` asks for.

    Sets the root level from ``LOG_LEVEL`` and the format from ``LOG_FORMAT``
    (``json`` or ``console``). Calling it again replaces the handler it put
    there before, so handlers never pile up; handlers that others added are
    left alone. Uvicorn's and Granian's server loggers are routed through the
    same handler.

    Args:
        settings: The application settings.
        stream: Where lines go; ``sys.stderr`` by default.

    Raises:
        ValueError: ``LOG_LEVEL`` is not a logging level name.
    """
    level_name = settings.log_level.upper()
    level = logging.getLevelNamesMapping().get(level_name)
    if level is None:
        raise ValueError(f"LOG_LEVEL {settings.log_level!r} is not a logging level")
    handler = _FastMVCHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else ConsoleFormatter())
    handler.addFilter(RequestIdFilter())

    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _FastMVCHandler)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level)
    for name in _ROUTED_LOGGERS:
        routed = logging.getLogger(name)
        routed.handlers.clear()
        routed.propagate = True
