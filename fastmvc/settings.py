"""Application settings, read from the environment and ``.env``.

The names are the contract of ARCHITECTURE.md. With no ``DATABASE_URL`` and no
``REDIS_URL`` everything runs embedded (SQLite and in-memory backends); setting
them switches to PostgreSQL and Redis with no code change.
"""

from __future__ import annotations

import ipaddress
import json
from functools import lru_cache
from typing import Annotated, Any, Literal
from urllib.parse import quote

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from fastmvc._secrets import MIN_SECRET_BYTES, is_placeholder, process_secret, secret_problem

__all__ = ["DEFAULT_SQLITE_URL", "MIN_SECRET_BYTES", "Settings", "get_settings"]

DEFAULT_SQLITE_URL = "sqlite+aiosqlite:///./app.db"

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _split_list(value: Any) -> Any:
    """Accept a JSON list or a comma-separated string from the environment."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return []
        if text.startswith("["):
            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Every knob of a FastMVC application.

    Construct it directly in tests (``Settings(database_url=...)``) or let
    :func:`get_settings` read the environment once per process.
    """

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    # app
    app_name: str = "FastMVC"
    environment: Literal["development", "test", "production"] = "development"
    debug: bool = False
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"

    # database
    database_url: str = ""
    database_host: str | None = None
    database_port: int = 5432
    database_name: str = "postgres"
    database_user: str = "postgres"
    database_password: SecretStr | None = None
    database_pool_size: int = Field(default=10, ge=1)
    # No overflow by default: SQLAlchemy closes overflow connections as they
    # come back, so a steady load above pool_size reconnected on nearly every
    # request (benchmarks: 1,272 req/s and p99 63 ms at 32 connections, against
    # 2,644 req/s and p99 15 ms with requests queueing for the pool instead).
    database_max_overflow: int = Field(default=0, ge=0)
    database_echo: bool = False
    # Streaming replicas for read sessions, round-robin; empty means the primary serves reads.
    database_read_urls: Annotated[list[str], NoDecode] = []
    # Past any of these a request gets 503 rather than waiting (seconds).
    database_connect_timeout: float = Field(default=5.0, gt=0)
    database_statement_timeout: float = Field(default=30.0, gt=0)
    database_pool_timeout: float = Field(default=10.0, gt=0)

    # redis
    redis_url: str | None = None
    redis_host: str | None = None
    redis_port: int = 6379
    redis_timeout_seconds: float = Field(default=0.5, gt=0)
    redis_max_connections: int = Field(default=100, ge=1)
    # host:port of one or more Redis Cluster nodes; set, it replaces REDIS_URL.
    redis_cluster_nodes: Annotated[list[str], NoDecode] = []

    # cache
    cache_namespace: str = "fastmvc:cache:"
    cache_default_ttl_seconds: float | None = Field(default=300.0, gt=0)
    cache_max_entries: int = Field(default=10_000, ge=1)

    # jwt
    # Empty means "not configured": outside production a random per-process
    # secret replaces it (and any known placeholder), see _secure_defaults.
    jwt_secret_key: SecretStr = SecretStr("")
    jwt_public_key: SecretStr | None = None
    jwt_algorithm: str = "HS256"
    jwt_access_token_minutes: int = Field(default=15, ge=1)
    jwt_refresh_token_days: int = Field(default=7, ge=1)
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_leeway_seconds: int = Field(default=10, ge=0, le=300)
    jwt_max_token_bytes: int = Field(default=4096, ge=256)
    # Redis key prefix of the token denylist and the per-user revocation marks.
    token_store_prefix: str = Field(default="fastmvc:tok", min_length=1, max_length=64)

    # accounts
    registration_enabled: bool = True
    email_verification_required: bool = False
    mail_backend: Literal["console", "smtp"] = "console"
    mail_from: str = "no-reply@localhost"
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    password_reset_token_minutes: int = Field(default=30, ge=1, le=1440)
    email_verification_token_minutes: int = Field(default=1440, ge=1)

    # rate limiting
    rate_limit_enabled: bool = True
    rate_limit_per_minute: int = Field(default=60, ge=1)
    rate_limit_per_hour: int = Field(default=1000, ge=1)
    rate_limit_fail_open: bool = True
    login_rate_limit_per_minute: int = Field(default=5, ge=1)
    register_rate_limit_per_minute: int = Field(default=5, ge=1)
    password_reset_rate_limit_per_minute: int = Field(default=5, ge=1)
    # Clients are limited per IPv6 network of this size: one host usually owns a whole /64.
    rate_limit_ipv6_prefix: int = Field(default=64, ge=1, le=128)
    # Redis key prefix of the limiter windows: apps (or test runs) sharing one
    # Redis count apart under different prefixes. No braces: each key ends in
    # the {hash tag} Redis Cluster places it by, and a brace here would cut it.
    rate_limit_prefix: str = Field(
        default="fastmvc:rl", min_length=1, max_length=64, pattern=r"^[^{}]+$"
    )

    # observability (DOCS_ENABLED defaults to false in production, see _secure_defaults)
    docs_enabled: bool = True
    # /admin for active superusers (the ``admin`` extra); false by default in production.
    admin_enabled: bool = True
    metrics_enabled: bool = True
    # The standard OpenTelemetry variable: when set (and the ``otel`` extra is
    # installed), FastAPI, SQLAlchemy and Redis are traced and spans exported there.
    otel_exporter_otlp_endpoint: str | None = None
    otel_service_name: str | None = None

    # network
    cors_origins: Annotated[list[str], NoDecode] = []
    cors_allow_credentials: bool = False
    trusted_proxies: Annotated[list[IPNetwork], NoDecode] = []
    max_body_bytes: int = Field(default=1_048_576, ge=1)
    hsts: bool = False

    # the middleware steps (fastmvc.middleware.stack): leave some out, or build
    # one with your own factory, e.g. {"access_log": "myapp.edge:access_log_step"}
    middleware_disable: Annotated[list[str], NoDecode] = []
    middleware_replace: dict[str, str] = {}

    # passwords (argon2id; defaults at or above OWASP's 19 MiB / t=2 / p=1)
    password_hash_time_cost: int = Field(default=2, ge=1)
    password_hash_memory_kib: int = Field(default=19_456, ge=8)
    password_hash_parallelism: int = Field(default=1, ge=1)
    # None: one less than the usable CPUs (1 to 4), so hashing never starves the event loop.
    password_hash_concurrency: int | None = Field(default=None, ge=1)

    @field_validator("cors_origins", "middleware_disable", mode="before")
    @classmethod
    def _parse_origins(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("database_read_urls", mode="before")
    @classmethod
    def _parse_read_urls(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("redis_cluster_nodes", mode="before")
    @classmethod
    def _parse_cluster_nodes(cls, value: Any) -> Any:
        items = _split_list(value)
        if isinstance(items, list):
            for item in items:
                host, _, port = str(item).rpartition(":")
                if not host or not port.isdigit() or not 0 < int(port) < 65536:
                    raise ValueError(f"REDIS_CLUSTER_NODES wants host:port items, got {item!r}")
        return items

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _parse_proxies(cls, value: Any) -> Any:
        items = _split_list(value)
        if isinstance(items, list):
            return [ipaddress.ip_network(str(item), strict=False) for item in items]
        return items

    @model_validator(mode="after")
    def _resolve_urls(self) -> Settings:
        if not self.database_url:
            self.database_url = self._database_url_from_parts()
        if self.redis_url is None and self.redis_host:
            self.redis_url = f"redis://{self.redis_host}:{self.redis_port}/0"
        return self

    @model_validator(mode="after")
    def _secure_defaults(self) -> Settings:
        if "*" in self.cors_origins and self.cors_allow_credentials:
            # Starlette answers a credentialed request from any origin by echoing
            # it back, which would let every website act as the signed-in user.
            raise ValueError(
                "CORS_ORIGINS=* cannot be combined with CORS_ALLOW_CREDENTIALS=true; "
                "list the allowed origins"
            )
        if self.environment == "production":
            self._production_guardrails()
            if "docs_enabled" not in self.model_fields_set:
                self.docs_enabled = False
            if "admin_enabled" not in self.model_fields_set:
                self.admin_enabled = False
        elif is_placeholder(self.jwt_secret_key.get_secret_value()):
            # A secret anyone can read in this repository must never sign a
            # token: use one that lives and dies with this process instead.
            self.jwt_secret_key = SecretStr(process_secret())
        return self

    def _production_guardrails(self) -> None:
        problems = []
        secret = self.jwt_secret_key.get_secret_value()
        if self.jwt_algorithm.upper().startswith("HS"):
            problem = secret_problem(secret)
        else:
            # A PEM private key: its length and randomness are the key's business.
            problem = secret_problem(secret) if is_placeholder(secret) else None
        if problem:
            problems.append(problem)
        if not self.uses_redis:
            problems.append(
                "REDIS_URL is required in production (or REDIS_CLUSTER_NODES): in-memory "
                "limiter, cache and token denylist are per process"
            )
        if problems:
            raise ValueError("refusing to start in production: " + "; ".join(problems))

    def _database_url_from_parts(self) -> str:
        if not self.database_host:
            return DEFAULT_SQLITE_URL
        password = self.database_password.get_secret_value() if self.database_password else ""
        auth = quote(self.database_user, safe="")
        if password:
            auth += ":" + quote(password, safe="")
        return (
            f"postgresql+asyncpg://{auth}@{self.database_host}:{self.database_port}/"
            f"{quote(self.database_name, safe='')}"
        )

    @property
    def jwt_secret_is_ephemeral(self) -> bool:
        """Whether no real ``JWT_SECRET_KEY`` was given and this process made one up."""
        return self.jwt_secret_key.get_secret_value() == process_secret()

    @property
    def uses_redis(self) -> bool:
        """Whether Redis (one server or a cluster) backs the limiter, cache and denylist."""
        return bool(self.redis_url or self.redis_cluster_nodes)

    @property
    def is_sqlite(self) -> bool:
        """Whether the configured database is the embedded SQLite."""
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read the settings once per process."""
    return Settings()
