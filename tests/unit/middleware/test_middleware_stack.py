"""install_middleware: one Edge, the documented order, and the settings that change it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

import fastmvc.middleware as middleware_package
from fastmvc.metrics import Metrics
from fastmvc.middleware import (
    AccessLogStep,
    BodyLimitStep,
    CORSStep,
    Edge,
    EdgeSetup,
    RequestContextStep,
    SecurityHeadersStep,
    ServerErrorStep,
    Step,
    TimingStep,
    install_middleware,
)
from fastmvc.ratelimit import RateLimitStep, build_limiter
from fastmvc.settings import Settings


def _settings(**overrides: Any) -> Settings:
    return Settings(_env_file=None, redis_url=None, redis_host=None, **overrides)


def _steps(app: FastAPI) -> list[Step]:
    """The steps of the one middleware install_middleware added, outermost first."""
    (entry,) = app.user_middleware
    assert entry.cls is Edge
    steps: list[Step] = entry.kwargs["steps"]
    return steps


def test_full_order_outermost_first() -> None:
    settings = _settings(cors_origins=["https://a.example"])
    app = FastAPI()
    install_middleware(app, settings, limiter=build_limiter(settings, None), metrics=Metrics())
    assert [step.name for step in _steps(app)] == [
        "request_context",
        "timing",
        "access_log",
        "metrics",
        "security_headers",
        "cors",
        "errors",
        "body_limit",
        "rate_limit",
    ]
    assert [type(step) for step in _steps(app)][:3] == [
        RequestContextStep,
        TimingStep,
        AccessLogStep,
    ]
    assert [type(step) for step in _steps(app)][4:] == [
        SecurityHeadersStep,
        CORSStep,
        ServerErrorStep,
        BodyLimitStep,
        RateLimitStep,
    ]


@pytest.mark.parametrize(
    ("enabled", "with_limiter"), [(False, True), (True, False), (False, False)]
)
def test_rate_limit_step_needs_both_the_setting_and_a_limiter(
    enabled: bool, with_limiter: bool
) -> None:
    settings = _settings(rate_limit_enabled=enabled)
    app = FastAPI()
    install_middleware(
        app, settings, limiter=build_limiter(settings, None) if with_limiter else None
    )
    names = [step.name for step in _steps(app)]
    assert "rate_limit" not in names
    assert "cors" not in names  # no CORS_ORIGINS
    assert "metrics" not in names  # no Metrics given
    assert names[0] == "request_context"


def test_disabled_steps_are_left_out() -> None:
    settings = _settings(middleware_disable="access_log, security_headers")
    app = FastAPI()
    install_middleware(app, settings, limiter=build_limiter(settings, None))
    assert [step.name for step in _steps(app)] == [
        "request_context",
        "timing",
        "errors",
        "body_limit",
        "rate_limit",
    ]


class _QuietTiming(Step):
    name = "timing"


def quiet_timing(setup: EdgeSetup) -> Step:
    """A replacement factory, imported by MIDDLEWARE_REPLACE below."""
    assert setup.settings.max_body_bytes == 10
    return _QuietTiming()


def no_step(setup: EdgeSetup) -> None:
    return None


def test_a_step_is_replaced_in_place_by_an_imported_factory() -> None:
    settings = _settings(
        max_body_bytes=10,
        middleware_replace={"timing": f"{__name__}:quiet_timing", "errors": f"{__name__}:no_step"},
    )
    app = FastAPI()
    install_middleware(app, settings, limiter=None)
    steps = _steps(app)
    assert [step.name for step in steps] == [
        "request_context",
        "timing",
        "access_log",
        "security_headers",
        "body_limit",
    ]
    assert type(steps[1]) is _QuietTiming


def test_replacement_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIDDLEWARE_REPLACE", f'{{"timing": "{__name__}:quiet_timing"}}')
    monkeypatch.setenv("MIDDLEWARE_DISABLE", "access_log")
    settings = _settings(max_body_bytes=10)
    app = FastAPI()
    install_middleware(app, settings, limiter=None)
    names = [step.name for step in _steps(app)]
    assert "access_log" not in names
    assert type(_steps(app)[1]) is _QuietTiming


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"middleware_disable": "acess_log"}, "unknown middleware step"),
        ({"middleware_replace": {"timming": "x:y"}}, "unknown middleware step"),
        ({"middleware_replace": {"timing": "no_colon"}}, "module:callable"),
        ({"middleware_replace": {"timing": "fastmvc.nowhere:step"}}, "cannot import"),
        ({"middleware_replace": {"timing": f"{__name__}:missing"}}, "cannot import"),
        ({"middleware_replace": {"timing": f"{__name__}:__doc__"}}, "not callable"),
    ],
)
def test_bad_step_settings_are_refused_at_start_up(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        install_middleware(FastAPI(), _settings(**overrides), limiter=None)


def test_public_names_are_exported_and_sorted() -> None:
    names = middleware_package.__all__
    assert "install_middleware" in names
    assert all(hasattr(middleware_package, name) for name in names)
    assert len(set(names)) == len(names)
    # isort-style, as ruff's RUF022 keeps it: CONSTANTS, then Classes, then functions.
    kinds = [0 if name.isupper() else 1 if name[0].isupper() else 2 for name in names]
    assert list(zip(kinds, names, strict=True)) == sorted(zip(kinds, names, strict=True))
    assert kinds == sorted(kinds) and 0 in kinds and 1 in kinds and 2 in kinds
