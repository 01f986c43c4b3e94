"""Settings: URL building from parts, list parsing and the production guardrails."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from fastmvc.settings import DEFAULT_SQLITE_URL, Settings

STRONG_SECRET = "Q7vN2pX9rT4mW8zLk3jH6gF5dS1aP0oIuY2tR"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: pytest.TempPathFactory) -> None:
    for name in ("DATABASE_URL", "DATABASE_HOST", "REDIS_URL", "REDIS_HOST", "ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_embedded_defaults() -> None:
    settings = Settings()
    assert settings.database_url == DEFAULT_SQLITE_URL
    assert settings.is_sqlite
    assert settings.redis_url is None
    assert settings.cors_origins == []
    assert settings.trusted_proxies == []


def test_database_parts_build_an_asyncpg_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_HOST", "db.internal")
    monkeypatch.setenv("DATABASE_PORT", "6543")
    monkeypatch.setenv("DATABASE_NAME", "shop")
    monkeypatch.setenv("DATABASE_USER", "app")
    monkeypatch.setenv("DATABASE_PASSWORD", "p@ss/word")
    settings = Settings()
    assert settings.database_url == "postgresql+asyncpg://app:p%40ss%2Fword@db.internal:6543/shop"


def test_database_url_wins_over_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_HOST", "ignored")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u@h/d")
    assert Settings().database_url == "postgresql+asyncpg://u@h/d"


def test_redis_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_HOST", "cache")
    monkeypatch.setenv("REDIS_PORT", "6390")
    assert Settings().redis_url == "redis://cache:6390/0"


def test_lists_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("TRUSTED_PROXIES", '["10.0.0.0/8", "::1"]')
    settings = Settings()
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert [str(net) for net in settings.trusted_proxies] == ["10.0.0.0/8", "::1/128"]


def test_bad_proxy_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTED_PROXIES", "not-an-ip")
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6"):
        Settings()


def test_rate_limit_prefix_defaults_and_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The suite's conftest exports a prefix of its own; the default shows without it.
    monkeypatch.delenv("RATE_LIMIT_PREFIX", raising=False)
    assert Settings().rate_limit_prefix == "fastmvc:rl"
    monkeypatch.setenv("RATE_LIMIT_PREFIX", "shop-eu:rl")
    assert Settings().rate_limit_prefix == "shop-eu:rl"


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        ("", "at least 1 character"),
        ("x" * 65, "at most 64 characters"),
        ("app{a}:rl", "should match pattern"),
        ("app:rl{", "should match pattern"),
        ("app}:rl", "should match pattern"),
    ],
)
def test_a_bad_rate_limit_prefix_is_refused(
    monkeypatch: pytest.MonkeyPatch, prefix: str, message: str
) -> None:
    monkeypatch.setenv("RATE_LIMIT_PREFIX", prefix)
    with pytest.raises(ValidationError, match=message) as refused:
        Settings()
    assert [error["loc"] for error in refused.value.errors()] == [("rate_limit_prefix",)]


def test_the_longest_rate_limit_prefix_is_accepted() -> None:
    assert Settings(rate_limit_prefix="x" * 64).rate_limit_prefix == "x" * 64


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"redis_url": "redis://r:6379/0", "jwt_secret_key": "short"}, "at least 32 bytes"),
        ({"redis_url": "redis://r:6379/0", "jwt_secret_key": "change-me"}, "placeholder"),
        ({"redis_url": "redis://r:6379/0", "jwt_secret_key": "x" * 48}, "too little entropy"),
        ({"jwt_secret_key": STRONG_SECRET}, "REDIS_URL is required"),
    ],
)
def test_production_guardrails(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(environment="production", **overrides)  # type: ignore[arg-type]


def test_production_accepts_a_real_configuration() -> None:
    settings = Settings(
        environment="production",
        redis_url="redis://r:6379/0",
        jwt_secret_key=STRONG_SECRET,  # type: ignore[arg-type]
    )
    assert settings.environment == "production"
