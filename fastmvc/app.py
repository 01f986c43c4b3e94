"""``create_app``: the application factory.

It builds the :class:`~fastmvc.state.Runtime` (database, Redis, limiter,
cache, tokens, password hasher) from :class:`~fastmvc.settings.Settings`,
installs the pure-ASGI middleware stack and the envelope exception handlers,
adds the health routes and then the caller's routers, which the router
tries first wherever that changes no answer (:mod:`fastmvc.route_order`).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, FastAPI, Request
from starlette.responses import PlainTextResponse, Response

from fastmvc.controller import envelope
from fastmvc.db.engine import Database
from fastmvc.docs import DocsPaths, install_docs
from fastmvc.dto import Envelope
from fastmvc.errors import ServiceUnavailableError
from fastmvc.handlers import install_exception_handlers
from fastmvc.logging import configure_logging
from fastmvc.openapi import error_responses
from fastmvc.openapi_clients import operation_id
from fastmvc.redis import create_redis
from fastmvc.route_order import FrameworkRoute, app_routes_first
from fastmvc.settings import Settings, get_settings
from fastmvc.state import Runtime, get_runtime

__all__ = ["create_app", "create_runtime"]

logger = logging.getLogger("fastmvc")
security_logger = logging.getLogger("fastmvc.security")
_warned_ephemeral_secret = False

HealthEnvelope = Envelope[dict[str, str]]


def create_runtime(settings: Settings) -> Runtime:
    """Build every shared backend for ``settings`` (no I/O happens yet)."""
    from fastmvc.cache import build_cache
    from fastmvc.mail import build_mailer
    from fastmvc.ratelimit import build_limiter
    from fastmvc.security import PasswordHasher, build_token_service

    redis = create_redis(settings)
    return Runtime(
        settings=settings,
        database=Database(
            settings.database_url,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
            echo=settings.database_echo,
            read_urls=settings.database_read_urls,
            connect_timeout=settings.database_connect_timeout,
            statement_timeout=settings.database_statement_timeout,
            pool_timeout=settings.database_pool_timeout,
        ),
        redis=redis,
        limiter=build_limiter(settings, redis),
        cache=build_cache(settings, redis),
        tokens=build_token_service(settings, redis),
        passwords=PasswordHasher.from_settings(settings),
        mailer=build_mailer(settings),
    )


def _warn_about_risky_settings(settings: Settings) -> None:
    """Log, at start-up, the settings that run but weaken the app.

    A missing or placeholder ``JWT_SECRET_KEY`` outside production gets one
    loud warning per process (the random secret that replaced it dies with
    the process); production without rate limiting gets one per app.
    """
    global _warned_ephemeral_secret
    ephemeral = settings.jwt_secret_is_ephemeral and settings.environment != "test"
    if ephemeral and not _warned_ephemeral_secret:
        _warned_ephemeral_secret = True
        security_logger.warning(
            "!!! JWT_SECRET_KEY is not set (or is a placeholder): signing tokens with a "
            "random secret made for this process only. Tokens stop working when it exits "
            "and are not shared between workers. Set JWT_SECRET_KEY to a random value "
            '(python -c "import secrets; print(secrets.token_urlsafe(48))"); '
            "production refuses to start without one. !!!"
        )
    if settings.environment == "production" and not settings.rate_limit_enabled:
        security_logger.warning(
            "RATE_LIMIT_ENABLED=false in production: no app-wide limit per client; "
            "the login, register and password-reset limits still apply"
        )


def _health_router() -> APIRouter:
    router = APIRouter(
        prefix="/health", tags=["health"], responses=error_responses(413, 429, 500, 503)
    )

    @router.get(
        "/live", response_model=HealthEnvelope, summary="The process is up", name="health_live"
    )
    async def live() -> Response:
        return envelope(
            {"status": "ok"}, message="Alive", key="success_health_live", model=HealthEnvelope
        )

    @router.get(
        "/ready",
        response_model=HealthEnvelope,
        summary="The database and Redis answer; each read replica is reported",
        name="health_ready",
    )
    async def ready(request: Request) -> Response:
        runtime = get_runtime(request)
        checks: dict[str, str] = {}
        try:
            await runtime.database.ping()
            checks["database"] = "ok"
        except Exception:  # any driver error means "not ready"
            logger.warning("readiness: database unreachable", exc_info=True)
            raise ServiceUnavailableError("Database unavailable") from None
        if runtime.database.replicas is not None:
            # A replica that is down does not make the app unready: its reads
            # go to the primary. It is reported, by name, for the operator.
            checks.update(await runtime.database.replicas.states())
        if runtime.redis is not None:
            try:
                await runtime.redis.ping()
                checks["redis"] = "ok"
            except Exception:  # any client error means "not ready"
                logger.warning("readiness: redis unreachable", exc_info=True)
                raise ServiceUnavailableError("Redis unavailable") from None
        return envelope(checks, message="Ready", key="success_health_ready", model=HealthEnvelope)

    return router


def _guard_users_without_redis(runtime: Runtime, routers: Sequence[APIRouter]) -> None:
    """On the embedded backend, let the user row revoke tokens (see :mod:`fastmvc.auth.guard`)."""
    if runtime.redis is not None or runtime.tokens.guard is not None:
        return
    from fastmvc.auth.guard import UserRowGuard
    from fastmvc.auth.router import AuthRouter

    for router in routers:
        if isinstance(router, AuthRouter) and router.user_model is not None:
            runtime.tokens.guard = UserRowGuard(runtime.database, router.user_model)
            return


def _mount_admin(app: FastAPI, runtime: Runtime, routers: Sequence[APIRouter]) -> None:
    """Mount ``/admin`` (ADMIN_ENABLED); without the ``admin`` extra, only if it was asked for."""
    try:
        from fastmvc.admin import install_admin
    except ImportError as exc:
        if "admin_enabled" in runtime.settings.model_fields_set:
            raise RuntimeError(
                "ADMIN_ENABLED=true needs the admin extra: pip install 'pyfastmvc[admin]'"
            ) from exc
        logger.info("admin not mounted: the admin extra (sqladmin) is not installed")
        return
    if any(getattr(router, "user_model", None) for router in routers):
        admin = install_admin(app, runtime, routers)
        app.state.fastmvc_admin_path = admin.base_url


def create_app(
    settings: Settings | None = None,
    *,
    routers: Sequence[APIRouter] = (),
    configure: Callable[[FastAPI], None] | None = None,
    setup_logging: bool = True,
    **fastapi_options: Any,
) -> FastAPI:
    """Build a FastMVC application.

    Args:
        settings: Defaults to :func:`~fastmvc.settings.get_settings` (env and ``.env``).
        routers: Routers to include after the health routes (a project's registry).
        configure: Called with the app last, for anything else (extra routes, handlers).
        setup_logging: Configure logging from ``LOG_LEVEL``/``LOG_FORMAT`` (one
            JSON or console line per record, each with the request id). Pass
            ``False`` when the host application owns logging.
        **fastapi_options: Passed to :class:`fastapi.FastAPI` (``title``, ``version``…).

    Returns:
        The app. Its runtime is at ``app.state.fastmvc``.
    """
    settings = settings or get_settings()
    if setup_logging:
        configure_logging(settings)
    _warn_about_risky_settings(settings)
    runtime = create_runtime(settings)
    _guard_users_without_redis(runtime, routers)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Everything allocated so far (modules, routes, schemas) lives as long
        # as the process. Freezing it keeps the cyclic GC from walking it again
        # on every full collection: those walks were tens of milliseconds and
        # showed up as p99 latency spikes under load.
        gc.collect()
        gc.freeze()
        await runtime.start()
        try:
            yield
        finally:
            await runtime.aclose()
            if metrics is not None:
                metrics.process_exited()
            tracer_provider = getattr(_app.state, "fastmvc_tracer_provider", None)
            if tracer_provider is not None:
                # Flushing the last spans is a blocking HTTP call.
                await anyio.to_thread.run_sync(tracer_provider.shutdown)

    # FastAPI's own docs pages load their assets from CDNs; fastmvc.docs
    # serves them from the app instead, at the paths asked for here.
    docs_paths = DocsPaths(
        docs=fastapi_options.pop("docs_url", "/docs"),
        redoc=fastapi_options.pop("redoc_url", "/redoc"),
    )
    options: dict[str, Any] = {
        "title": settings.app_name,
        "debug": False,
        "generate_unique_id_function": operation_id,
    }
    if not settings.docs_enabled:
        options["openapi_url"] = None
    options.update(fastapi_options)
    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, **options)
    app.state.fastmvc = runtime
    if settings.docs_enabled and app.openapi_url:
        install_docs(app, docs_paths)

    metrics = None
    if settings.metrics_enabled:
        from fastmvc.metrics import METRICS_PATH, Metrics, metrics_endpoint

        metrics = Metrics()
        metrics.watch_pool(runtime.database.engine)
        app.state.fastmvc_metrics = metrics
        app.add_api_route(
            METRICS_PATH,
            metrics_endpoint,
            methods=["GET"],
            include_in_schema=False,
            response_class=PlainTextResponse,
        )

    if settings.admin_enabled:
        _mount_admin(app, runtime, routers)

    from fastmvc.middleware import install_middleware

    install_middleware(app, settings, limiter=runtime.limiter, metrics=metrics)
    install_exception_handlers(app)
    if settings.otel_exporter_otlp_endpoint:
        from fastmvc.tracing import install_tracing

        install_tracing(app, runtime)
    # Everything so far is the framework's; the app's routers come next, and
    # are then tried first wherever that changes no answer (fastmvc.route_order).
    framework: list[FrameworkRoute] = [(route, [route]) for route in app.router.routes]
    health = _health_router()
    app.include_router(health)
    framework.append((app.router.routes[-1], health.routes))
    for router in routers:
        app.include_router(router)
    app_routes_first(app.router, framework)
    if configure is not None:
        configure(app)
    return app
