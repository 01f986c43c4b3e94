"""The app's Prometheus metrics and the ``GET /metrics`` endpoint.

Four families, all prefixed ``fastmvc_``:

- ``http_requests_total{method, route, status}``: every answered request,
  labelled by the route *template* (``/products/{id}``), never the raw path,
  so the number of series stays bounded whatever clients send;
- ``http_request_duration_seconds{method, route}``: a latency histogram;
- ``db_pool_connections_in_use``: connections checked out of the pool now;
- ``rate_limit_refusals_total``: requests a limiter answered with 429 (the
  per-IP limit and the per-route ones, such as login).

Behind several workers (``fastmvc run --workers N``) each process writes its
samples to memory-mapped files in ``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's
multiprocess mode, which ``fastmvc run`` sets up), and a scrape that lands on
any worker answers the sum over all of them.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as _multiprocess
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response

__all__ = [
    "METRICS_PATH",
    "MULTIPROC_DIR_ENV",
    "Metrics",
    "metrics_endpoint",
    "multiprocess_dir",
]

METRICS_PATH = "/metrics"
MULTIPROC_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
NAMESPACE = "fastmvc"
UNMATCHED_ROUTE = "<unrouted>"
"""The ``route`` label of a request no route served: nothing matched (404), or a
layer answered before routing (the per-IP limiter's 429, the body limit's 413)."""


def multiprocess_dir() -> str | None:
    """The multiprocess directory when one is configured, else ``None``."""
    return os.environ.get(MULTIPROC_DIR_ENV) or None


class Metrics:
    """The metric families of one app, in their own registry.

    Args:
        registry: Where single-process metrics are registered; a fresh one by
            default, so several apps in one process never collide.
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.requests = Counter(
            "http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["method", "route", "status"],
            namespace=NAMESPACE,
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time from the request's arrival to the end of its response.",
            ["method", "route"],
            namespace=NAMESPACE,
            registry=self.registry,
        )
        self.pool_in_use = Gauge(
            "db_pool_connections_in_use",
            "Database connections checked out of the pool.",
            namespace=NAMESPACE,
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self.rate_limit_refusals = Counter(
            "rate_limit_refusals",
            "Requests refused by a rate limiter (429).",
            namespace=NAMESPACE,
            registry=self.registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Record one answered request."""
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            # labels() validates and locks on every call; the label sets are
            # few (route templates), so each pair of children is looked up once.
            children = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
            )
            self._children[key] = children
        counter, histogram = children
        counter.inc()
        histogram.observe(seconds)
        if status == 429:
            self.rate_limit_refusals.inc()

    def watch_pool(self, engine: AsyncEngine) -> None:
        """Keep ``db_pool_connections_in_use`` in step with ``engine``'s pool."""
        gauge = self.pool_in_use

        def checked_out(*_args: Any) -> None:
            gauge.inc()

        def checked_in(*_args: Any) -> None:
            gauge.dec()

        event.listen(engine.sync_engine, "checkout", checked_out)
        event.listen(engine.sync_engine, "checkin", checked_in)

    def exposition(self) -> bytes:
        """The Prometheus text of every metric, summed over every worker in multiprocess mode."""
        if multiprocess_dir() is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        _multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)

    @staticmethod
    def process_exited() -> None:
        """Drop this process's live gauges from the shared directory (worker shutdown)."""
        if multiprocess_dir() is not None:
            _multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


async def metrics_endpoint(request: Request) -> Response:
    """``GET /metrics``: the app's metrics in the Prometheus text format."""
    metrics: Metrics = request.app.state.fastmvc_metrics
    return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
