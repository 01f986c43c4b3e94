"""The default edge: which steps run, in what order, and how settings change them.

Outermost first::

    request_context    request id + client ip in the context; X-Request-ID
    timing             X-Process-Time
    access_log         one "fastmvc.access" line per request
    metrics            Prometheus counts and latency; only when METRICS_ENABLED
    security_headers   nosniff, frame, referrer, CSP by path, HSTS, no-store…
    cors               only when CORS_ORIGINS is set; answers preflights
    errors             unhandled exception -> 500 envelope
    body_limit         413 envelope above MAX_BODY_BYTES
    rate_limit         429 envelope; only when RATE_LIMIT_ENABLED and a limiter
    (FastAPI: exception handlers -> 401/403/404/409/422…, router, endpoint)

They run in one :class:`~fastmvc.middleware.edge.Edge`, which keeps the
meaning of that nesting: a step sees only the answers made inside it.

Why this order:

- The request context is opened first, so every step below, every log line
  and every error envelope (``transactionUrn``) sees the same request id, and
  the ``X-Request-ID`` header is added to whatever response comes out.
- Every response is produced *inside* the header-adding steps: the app's own
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

Settings change the list: ``MIDDLEWARE_DISABLE=access_log,metrics`` leaves
steps out, and ``MIDDLEWARE_REPLACE='{"access_log": "myapp.edge:access_log"}'``
builds a step with your own factory, a callable that takes the
:class:`EdgeSetup` and returns a :class:`~fastmvc.middleware.step.Step` (or
``None`` to leave it out), in the same place in the order.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import FastAPI

from fastmvc.metrics import METRICS_PATH
from fastmvc.middleware.access_log import AccessLogStep
from fastmvc.middleware.body_limit import BodyLimitStep
from fastmvc.middleware.cors import CORSStep
from fastmvc.middleware.edge import Edge
from fastmvc.middleware.errors import ServerErrorStep
from fastmvc.middleware.metrics import MetricsStep
from fastmvc.middleware.request_context import REQUEST_ID_HEADER, RequestContextStep
from fastmvc.middleware.security_headers import SecurityHeadersStep, page_policy
from fastmvc.middleware.step import Step
from fastmvc.middleware.timing import PROCESS_TIME_HEADER, TimingStep
from fastmvc.settings import Settings

if TYPE_CHECKING:
    from fastmvc.metrics import Metrics
    from fastmvc.ratelimit import RateLimiter

__all__ = [
    "CORS_ALLOW_HEADERS",
    "CORS_ALLOW_METHODS",
    "CORS_EXPOSE_HEADERS",
    "DEFAULT_STEPS",
    "EdgeSetup",
    "StepFactory",
    "build_steps",
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


@dataclass(frozen=True, slots=True)
class EdgeSetup:
    """What a step factory may read to build its step.

    Attributes:
        app: The application (its docs URLs, its state).
        settings: The application settings.
        limiter: The app's rate limiter, if any.
        metrics: Where requests are counted, when metrics are enabled.
    """

    app: FastAPI
    settings: Settings
    limiter: RateLimiter | None = None
    metrics: Metrics | None = None


StepFactory = Callable[[EdgeSetup], Step | None]
"""Builds one step from the setup; ``None`` leaves it out."""


def _request_context(setup: EdgeSetup) -> Step:
    return RequestContextStep(trusted_proxies=setup.settings.trusted_proxies)


def _timing(setup: EdgeSetup) -> Step:
    return TimingStep()


def _access_log(setup: EdgeSetup) -> Step:
    return AccessLogStep()


def _metrics(setup: EdgeSetup) -> Step | None:
    return None if setup.metrics is None else MetricsStep(metrics=setup.metrics)


def _security_headers(setup: EdgeSetup) -> Step:
    admin_path: str | None = getattr(setup.app.state, "fastmvc_admin_path", None)
    pages = (
        [page_policy(paths=[admin_path], prefixes=[admin_path.rstrip("/") + "/"])]
        if admin_path
        else []
    )
    return SecurityHeadersStep(
        hsts=setup.settings.hsts, docs_paths=_docs_paths(setup.app), path_policies=pages
    )


def _cors(setup: EdgeSetup) -> Step | None:
    settings = setup.settings
    if not settings.cors_origins:
        return None
    return CORSStep(
        allow_origins=settings.cors_origins,
        allow_credentials=settings.cors_allow_credentials,
        allow_methods=CORS_ALLOW_METHODS,
        allow_headers=CORS_ALLOW_HEADERS,
        expose_headers=CORS_EXPOSE_HEADERS,
    )


def _errors(setup: EdgeSetup) -> Step:
    return ServerErrorStep()


def _body_limit(setup: EdgeSetup) -> Step:
    return BodyLimitStep(max_body_bytes=setup.settings.max_body_bytes)


def _rate_limit(setup: EdgeSetup) -> Step | None:
    settings = setup.settings
    if not settings.rate_limit_enabled or setup.limiter is None:
        return None
    from fastmvc.ratelimit import RateLimitStep

    return RateLimitStep(
        limiter=setup.limiter,
        trusted_proxies=settings.trusted_proxies,
        ipv6_prefix=settings.rate_limit_ipv6_prefix,
        exempt_paths=limiter_exempt_paths(setup.app, settings),
    )


DEFAULT_STEPS: dict[str, StepFactory] = {
    "request_context": _request_context,
    "timing": _timing,
    "access_log": _access_log,
    "metrics": _metrics,
    "security_headers": _security_headers,
    "cors": _cors,
    "errors": _errors,
    "body_limit": _body_limit,
    "rate_limit": _rate_limit,
}
"""The default steps by name, outermost first."""


def _import_factory(name: str, target: str) -> StepFactory:
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"MIDDLEWARE_REPLACE[{name!r}] must be 'module:callable', got {target!r}")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"MIDDLEWARE_REPLACE[{name!r}]: cannot import {target!r}: {exc}") from exc
    if not callable(factory):
        raise ValueError(f"MIDDLEWARE_REPLACE[{name!r}]: {target!r} is not callable")
    built: StepFactory = factory
    return built


def build_steps(setup: EdgeSetup) -> list[Step]:
    """The steps of the edge, outermost first, as the settings ask for them.

    Raises:
        ValueError: ``MIDDLEWARE_DISABLE`` or ``MIDDLEWARE_REPLACE`` names an
            unknown step, or a replacement cannot be imported.
    """
    settings = setup.settings
    disabled = set(settings.middleware_disable)
    unknown = sorted((disabled | set(settings.middleware_replace)) - set(DEFAULT_STEPS))
    if unknown:
        raise ValueError(
            f"unknown middleware step(s) {', '.join(unknown)}; "
            f"the steps are {', '.join(DEFAULT_STEPS)}"
        )
    steps: list[Step] = []
    for name, default in DEFAULT_STEPS.items():
        if name in disabled:
            continue
        target = settings.middleware_replace.get(name)
        factory = default if target is None else _import_factory(name, target)
        step = factory(setup)
        if step is not None:
            steps.append(step)
    return steps


def install_middleware(
    app: FastAPI,
    settings: Settings,
    *,
    limiter: RateLimiter | None,
    metrics: Metrics | None = None,
) -> None:
    """Install FastMVC's edge on ``app``: one middleware running the steps above.

    Call it once, before the app serves its first request.

    Args:
        app: The application. Its ``docs_url``, ``redoc_url`` and
            ``swagger_ui_oauth2_redirect_url`` get the docs-page CSP.
        settings: Read for ``TRUSTED_PROXIES``, ``HSTS``, ``CORS_ORIGINS``,
            ``MAX_BODY_BYTES``, ``RATE_LIMIT_ENABLED``, ``MIDDLEWARE_DISABLE``
            and ``MIDDLEWARE_REPLACE``.
        limiter: The rate limiter; the rate-limit step is left out when it is
            ``None`` or rate limiting is disabled.
        metrics: Where to count requests; the metrics step is left out when ``None``.
    """
    setup = EdgeSetup(app=app, settings=settings, limiter=limiter, metrics=metrics)
    app.add_middleware(Edge, steps=build_steps(setup))


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
