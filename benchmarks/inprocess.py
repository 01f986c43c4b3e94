"""Requests to an ASGI app in this process: no server, no sockets, CPU time per request.

``profile_stack``, ``bench_metrics``, ``count_instructions`` and
``crud.profile_get`` call their apps this way. Each request runs in its own
task, as a server runs it, and the figure is the process CPU time
(``time.process_time``) per request: on a shared machine other processes
stretch wall-clock time, not this process's CPU.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

__all__ = ["cpu_per_request", "request_scope"]


def request_scope(path: str) -> dict[str, Any]:
    """The scope of ``GET path`` as uvicorn hands it to the app."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"bench"), (b"user-agent", b"wrk"), (b"accept", b"*/*")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def cpu_per_request(app: Any, requests: int, path: str | Callable[[], str]) -> float:
    """CPU microseconds per ``GET path`` over ``requests`` requests, each in its own task.

    ``path`` may be a function, called for each request (random ids, say).

    Raises:
        AssertionError: A request was not answered 200.
    """
    next_path = path if callable(path) else (lambda: path)
    statuses: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    started = time.process_time()
    for _ in range(requests):
        await asyncio.create_task(app(request_scope(next_path()), _receive, send))
    elapsed = time.process_time() - started
    assert statuses == [200] * requests, set(statuses)
    return elapsed / requests * 1e6
