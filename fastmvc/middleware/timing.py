"""The timing step: ``X-Process-Time``, seconds until the response started."""

from __future__ import annotations

from time import perf_counter

from fastmvc.middleware.step import Exchange, Header, Step

__all__ = ["PROCESS_TIME_HEADER", "TimingStep"]

PROCESS_TIME_HEADER = "X-Process-Time"
_KEY = PROCESS_TIME_HEADER.lower().encode("latin-1")


class TimingStep(Step):
    """Send ``X-Process-Time``: the seconds from the request's arrival to its response headers."""

    name = "timing"

    def on_response_start(self, exchange: Exchange, headers: list[Header]) -> None:
        elapsed = perf_counter() - exchange.started_at
        headers.append((_KEY, b"%.6f" % elapsed))
