"""The default middleware stack and the order it runs in.

Outermost first::

    RequestContextMiddleware    request id + client ip in the context; X-Request-ID
    AccessLogMiddleware         X-Process-Time; one "fastmvc.access" line per request
    MetricsMiddleware           Prometheus counts and latency; only when METRICS_ENABLED
    SecurityHeadersMiddleware   nosniff, frame, referrer, CSP, HSTS, no-store…
    CORSMiddleware              only when CORS_ORIGINS is set; answers preflights
    ServerErrorMiddleware       unhandled exception -> 500 envelope
    BodyLimitMiddleware         413 envelope above MAX_BODY_BYTES
    RateLimitMiddleware         429 envelope; only when RATE_LIMIT_ENABLED and a limiter
    (FastAPI: exception handlers -> 401/403/404/409/422…, router, endpoint)

Why this order:

- The request context is opened first, so every layer below, every log line
  and every error envelope (``transactionUrn``) sees the same request id, and
  the ``X-Request-ID`` header is added to whatever response comes out.
- Every response is produced *inside* the header-adding layers: the app's own
  replies (401 from a dependency goes through FastAPI's exception handlers,
  inside everything), 429 from the limiter, 413 from the body limit, 500 from
  the error guard, and CORS preflight answers. So all of them carry the
  request id, ``X-Process-Time``, the security headers and, for an allowed
  ``Origin``, the CORS headers. Starlette's own ``ServerErrorMiddleware``
  stays outermost as a last resort, but ours catches first.
- The access log sits outside the error guard, so it logs the 500 that the
  guard sent, and outside the limiter, so a 429 is logged too. It reads the
  user id after the app returns.
- Metrics sit next to the access log for the same reason: every answer,
  429 and 500 included, is counted with the route template that served it.
- The body limit comes before the limiter and the app, so an oversized body
  is refused before anything reads it. The limiter is innermost so that CORS
  preflights (answered by CORS above it) do not spend a client's budget.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from fastmvc.metrics import METRICS_PATH
from fastmvc.middleware.access_log import PROCESS_TIME_HEADER, AccessLogMiddleware
from fastmvc.middleware.body_limit import BodyLimitMiddleware
from fastmvc.middleware.errors import ServerErrorMiddleware
from fastmvc.middleware.metrics import MetricsMiddleware
from fastmvc.middleware.request_context import REQUEST_ID_HEADER, RequestContextMiddleware
from fastmvc.middleware.security_headers import SecurityHeadersMiddleware
from fastmvc.settings import Settings

if TYPE_CHECKING:
    from fastmvc.metrics import Metrics
    from fastmvc.ratelimit import RateLimiter

__all__ = [
    "CORS_ALLOW_HEADERS",
    "CORS_ALLOW_METHODS",
    "CORS_EXPOSE_HEADERS",
    "install_middleware",
    "limiter_exempt_paths",
]

CORS_ALLOW_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
CORS_ALLOW_HEADERS = ("Authorization", "Content-Type", REQUEST_ID_HEADER)
CORS_EXPOSE_HEADERS = (
    REQUEST_ID_HEADER,
    PROCESS_TIME_HEADER,
    "RateLimit",
    "RateLimit-Policy",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
)


def install_middleware(
    app: FastAPI,
    settings: Settings,
    *,
    limiter: RateLimiter | None,
    metrics: Metrics | None = None,
) -> None:
    """Install FastMVC's pure-ASGI middleware stack on ``app``, in the order above.

    Call it once, before the app serves its first request.

    Args:
        app: The application. Its ``docs_url``, ``redoc_url`` and
            ``swagger_ui_oauth2_redirect_url`` get the docs-page CSP.
        settings: Read for ``TRUSTED_PROXIES``, ``HSTS``, ``CORS_ORIGINS``,
            ``MAX_BODY_BYTES`` and ``RATE_LIMIT_ENABLED``.
        limiter: The rate limiter; the rate-limit layer is left out when it is
            ``None`` or rate limiting is disabled.
        metrics: Where to count requests; the metrics layer is left out when ``None``.
    """
    # add_middleware puts each new layer outside the previous ones: innermost first.
    if settings.rate_limit_enabled and limiter is not None:
        from fastmvc.ratelimit import RateLimitMiddleware

        app.add_middleware(
            RateLimitMiddleware,
            limiter=limiter,
            trusted_proxies=settings.trusted_proxies,
            ipv6_prefix=settings.rate_limit_ipv6_prefix,
            exempt_paths=limiter_exempt_paths(app, settings),
        )
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(ServerErrorMiddleware)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=settings.cors_allow_credentials,
            allow_methods=CORS_ALLOW_METHODS,
            allow_headers=CORS_ALLOW_HEADERS,
            expose_headers=CORS_EXPOSE_HEADERS,
        )
    app.add_middleware(
        SecurityHeadersMiddleware,
        hsts=settings.hsts,
        docs_paths=_docs_paths(app),
        page_prefixes=[p for p in [getattr(app.state, "fastmvc_admin_path", None)] if p],
    )
    if metrics is not None:
        app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(AccessLogMiddleware)
    app.add_middleware(RequestContextMiddleware, trusted_proxies=settings.trusted_proxies)


def _docs_paths(app: FastAPI) -> list[str]:
    paths = [app.docs_url, app.redoc_url]
    if app.docs_url:
        paths.append(app.swagger_ui_oauth2_redirect_url)
    return [path for path in paths if path]


def limiter_exempt_paths(app: FastAPI, settings: Settings) -> list[str]:
    """The paths the per-IP limiter never counts.

    Always the health checks and ``/metrics`` (a scraper must never be
    refused). In development also the docs pages, their assets and the OpenAPI
    document: a developer reloading ``/docs`` must not spend the API's budget.
    """
    from fastmvc.docs import DOCS_ASSET_FILES
    from fastmvc.ratelimit.middleware import DEFAULT_EXEMPT_PATHS

    paths = [*DEFAULT_EXEMPT_PATHS, METRICS_PATH]
    if settings.environment == "development":
        paths += _docs_paths(app)
        if app.openapi_url:
            paths.append(app.openapi_url)
        assets = getattr(app.state, "fastmvc_docs_assets", None)
        if assets:
            paths += [f"{assets}/{name}" for name in DOCS_ASSET_FILES]
    return paths
