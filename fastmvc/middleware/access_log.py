"""The access-log step: one structured ``fastmvc.access`` line per request."""

from __future__ import annotations

import logging
import time
from time import perf_counter

from starlette.types import ASGIApp

from fastmvc.context import current_context
from fastmvc.logging import access_json_line, direct_json_handler
from fastmvc.middleware.edge import Edge
from fastmvc.middleware.step import Exchange, Step
from fastmvc.middleware.timing import PROCESS_TIME_HEADER, TimingStep

__all__ = ["ACCESS_LOGGER", "PROCESS_TIME_HEADER", "AccessLogMiddleware", "AccessLogStep"]

ACCESS_LOGGER = "fastmvc.access"


class AccessLogStep(Step):
    """Log one access line per request, when the app has returned.

    Written after the app returns, the line sees the final status and the
    user id that the current-user dependency recorded on the (mutable)
    request context. Its fields travel as ``extra`` attributes: ``method``,
    ``path`` (never the query string), ``status``, ``duration_ms``,
    ``client_ip``, ``request_id`` and ``user_id``; the JSON formatter of
    :mod:`fastmvc.logging` writes them as keys. A request whose app raised
    before answering is logged with status 500.

    The line costs one buffered write: when the handler of
    :func:`fastmvc.logging.configure_logging` is the only one listening, the
    step renders the JSON line itself and buffers it there (see
    :func:`~fastmvc.logging.direct_json_handler`); otherwise it makes an
    ordinary log record with the same message and fields.

    Args:
        logger: Where the lines go; ``fastmvc.access`` by default.
    """

    name = "access_log"

    def __init__(self, *, logger: logging.Logger | None = None) -> None:
        self.logger = logger or logging.getLogger(ACCESS_LOGGER)

    def on_response_end(self, exchange: Exchange) -> None:
        logger = self.logger
        if not logger.isEnabledFor(logging.INFO):
            return
        duration_ms = round((perf_counter() - exchange.started_at) * 1000, 3)
        ctx = current_context()
        method: str = exchange.scope["method"]
        path = exchange.path
        status = exchange.status
        request_id = ctx.request_id if ctx else None
        client_ip = ctx.client_ip if ctx else None
        user_id = ctx.user_id if ctx else None
        handler = direct_json_handler(logger)
        if handler is not None:
            line = access_json_line(
                created=time.time(),
                logger=logger.name,
                method=method,
                path=path,
                status=status,
                duration_ms=duration_ms,
                client_ip=client_ip,
                request_id=request_id,
                user_id=user_id,
            )
            handler.buffer_line(line)
            return
        # makeRecord + handle skip Logger.info's stack walk for the caller's
        # file and line, which say nothing for an access line.
        record = logger.makeRecord(
            logger.name,
            logging.INFO,
            __file__,
            0,
            "%s %s %d %.3fms",
            (method, path, status, duration_ms),
            None,
            extra={
                "method": method,
                "path": path,
                "status": status,
                "duration_ms": duration_ms,
                "client_ip": client_ip,
                "request_id": request_id,
                "user_id": user_id,
            },
        )
        logger.handle(record)


class AccessLogMiddleware(Edge):
    """``X-Process-Time`` and the access line (:class:`TimingStep`, :class:`AccessLogStep`).

    Args:
        app: The ASGI app to wrap.
        logger: Where the lines go; ``fastmvc.access`` by default.
    """

    def __init__(self, app: ASGIApp, *, logger: logging.Logger | None = None) -> None:
        super().__init__(app, [TimingStep(), AccessLogStep(logger=logger)])
