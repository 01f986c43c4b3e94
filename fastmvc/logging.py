"""Logging configuration: JSON or console lines, each carrying the request id.

:func:`configure_logging` puts one handler on the root logger, so every
library's log lines come out in one format. A :class:`RequestIdFilter` on that
handler stamps each record with the id of the request being served (``None``
outside a request), which is how a line logged deep in a service can be tied
to its access-log line.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, TextIO

from fastmvc.context import current_context
from fastmvc.settings import Settings

__all__ = ["ConsoleFormatter", "JsonFormatter", "RequestIdFilter", "configure_logging"]

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


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object per line.

    Keys: ``timestamp`` (UTC, ISO 8601), ``level``, ``logger``, ``message``,
    ``request_id``, then every ``extra`` field, then ``exc_info`` and
    ``stack_info`` when present. Values JSON cannot encode are written with
    ``str``.
    """

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "timestamp": _utc_timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            payload["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(payload, default=str, ensure_ascii=False)


class ConsoleFormatter(logging.Formatter):
    """A human-readable line for development: time, level, logger, request id, message."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-8s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = None
        return super().format(record)


class _FastMVCHandler(logging.StreamHandler[TextIO]):
    """The handler :func:`configure_logging` owns, so it can find and replace it."""


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
