"""install_middleware: the documented order, and the optional layers."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

import fastmvc.middleware as middleware_package
from fastmvc.middleware import (
    AccessLogMiddleware,
    BodyLimitMiddleware,
    RequestContextMiddleware,
    SecurityHeadersMiddleware,
    ServerErrorMiddleware,
    install_middleware,
)
from fastmvc.ratelimit import RateLimitMiddleware, build_limiter
from fastmvc.settings import Settings


def _settings(**overrides: Any) -> Settings:
    return Settings(_env_file=None, redis_url=None, redis_host=None, **overrides)


def _layers(app: FastAPI) -> list[type]:
    """Outermost first, as Starlette builds the stack."""
    return [entry.cls for entry in app.user_middleware]  # type: ignore[misc]


def test_full_order_outermost_first() -> None:
    settings = _settings(cors_origins=["https://a.example"])
    app = FastAPI()
    install_middleware(app, settings, limiter=build_limiter(settings, None))
    assert _layers(app) == [
        RequestContextMiddleware,
        AccessLogMiddleware,
        SecurityHeadersMiddleware,
        CORSMiddleware,
        ServerErrorMiddleware,
        BodyLimitMiddleware,
        RateLimitMiddleware,
    ]


@pytest.mark.parametrize(
    ("enabled", "with_limiter"), [(False, True), (True, False), (False, False)]
)
def test_rate_limit_layer_needs_both_the_setting_and_a_limiter(
    enabled: bool, with_limiter: bool
) -> None:
    settings = _settings(rate_limit_enabled=enabled)
    app = FastAPI()
    install_middleware(
        app, settings, limiter=build_limiter(settings, None) if with_limiter else None
    )
    assert RateLimitMiddleware not in _layers(app)
    assert CORSMiddleware not in _layers(app)  # no CORS_ORIGINS
    assert _layers(app)[0] is RequestContextMiddleware


def test_public_names_are_exported_and_sorted() -> None:
    names = middleware_package.__all__
    assert "install_middleware" in names
    assert all(hasattr(middleware_package, name) for name in names)
    assert len(set(names)) == len(names)
    # isort-style, as ruff's RUF022 keeps it: CONSTANTS, then Classes, then functions.
    kinds = [0 if name.isupper() else 1 if name[0].isupper() else 2 for name in names]
    assert list(zip(kinds, names, strict=True)) == sorted(zip(kinds, names, strict=True))
    assert kinds == sorted(kinds) and 0 in kinds and 1 in kinds and 2 in kinds
