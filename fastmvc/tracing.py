"""OpenTelemetry tracing of FastAPI, SQLAlchemy and Redis (the ``otel`` extra).

``create_app`` calls :func:`install_tracing` when ``OTEL_EXPORTER_OTLP_ENDPOINT``
is set: every request becomes a server span named after its route template,
with a child span per SQL statement and per Redis command, exported over
OTLP/HTTP to ``{endpoint}/v1/traces``. The request id (``X-Request-ID``, the
envelope's ``transactionUrn``) is set on the server span as
``fastmvc.request_id``, so a trace and the log lines of one request find each
other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fastmvc.middleware.request_context import REQUEST_ID_HEADER
from fastmvc.state import Runtime

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import SpanProcessor, TracerProvider

__all__ = ["REQUEST_ID_ATTRIBUTE", "RequestIdSpanMiddleware", "install_tracing"]

REQUEST_ID_ATTRIBUTE = "fastmvc.request_id"
_REQUEST_ID_KEY = REQUEST_ID_HEADER.lower().encode("latin-1")


class RequestIdSpanMiddleware:
    """Put the response's ``X-Request-ID`` on the current (server) span.

    It reads the header as the response starts, so it works wherever it sits
    relative to :class:`~fastmvc.middleware.RequestContextMiddleware`.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from opentelemetry import trace

        span = trace.get_current_span()

        async def send_tagging_span(message: Message) -> None:
            if message["type"] == "http.response.start":
                for key, value in message.get("headers", ()):
                    if key == _REQUEST_ID_KEY:
                        span.set_attribute(REQUEST_ID_ATTRIBUTE, value.decode("latin-1"))
                        break
            await send(message)

        await self.app(scope, receive, send_tagging_span)


def _otlp_processor(endpoint: str) -> SpanProcessor:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    return BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces"))


def install_tracing(
    app: FastAPI,
    runtime: Runtime,
    *,
    span_processor: SpanProcessor | None = None,
) -> TracerProvider:
    """Trace ``app``'s requests, its database and its Redis client.

    Call it after the middleware is installed and before the first request.

    Args:
        app: The application.
        runtime: Its runtime (``app.state.fastmvc``): the engine and the Redis
            client to instrument, and the settings (``OTEL_EXPORTER_OTLP_ENDPOINT``,
            ``OTEL_SERVICE_NAME``, else ``APP_NAME``).
        span_processor: Where spans go; by default a batch exporter to the
            OTLP endpoint. Tests pass an in-memory exporter here.

    Returns:
        The app's tracer provider; the app's lifespan shuts it down (flushing spans).

    Raises:
        RuntimeError: The ``otel`` extra is not installed.
    """
    try:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
        from opentelemetry.instrumentation.redis import RedisInstrumentor
        from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
        from opentelemetry.metrics import get_meter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
    except ImportError as exc:  # the extra is optional; say how to get it
        raise RuntimeError(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set but OpenTelemetry is not installed: "
            "pip install 'pyfastmvc[otel]'"
        ) from exc

    settings = runtime.settings
    if span_processor is None:
        if not settings.otel_exporter_otlp_endpoint:
            raise ValueError("tracing needs OTEL_EXPORTER_OTLP_ENDPOINT or a span_processor")
        span_processor = _otlp_processor(settings.otel_exporter_otlp_endpoint)
    service_name = settings.otel_service_name or settings.app_name
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(span_processor)

    app.add_middleware(RequestIdSpanMiddleware)
    # The receive/send spans would double the span count for no insight.
    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=provider, exclude_spans=["receive", "send"]
    )
    # Per engine and per client, not the process-wide patches that
    # ``SQLAlchemyInstrumentor().instrument()`` installs: two apps in one
    # process (tests) keep their own providers.
    tracer = provider.get_tracer("fastmvc.sqlalchemy")
    usage: Any = get_meter("fastmvc.sqlalchemy").create_up_down_counter(
        "db.client.connections.usage", unit="connections"
    )
    EngineTracer(tracer, runtime.database.engine.sync_engine, usage)  # type: ignore[no-untyped-call]
    if runtime.redis is not None:
        RedisInstrumentor.instrument_client(runtime.redis, tracer_provider=provider)
    app.state.fastmvc_tracer_provider = provider
    return provider
