"""Settings for scaling out: Redis Cluster nodes and read replica URLs."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from fastmvc.db import Database
from fastmvc.redis import create_redis, is_cluster
from fastmvc.settings import Settings
from tests.services import REDIS_URL as TEST_REDIS_URL

STRONG_SECRET = "Q7vN2pX9rT4mW8zLk3jH6gF5dS1aP0oIuY2tR"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: pytest.TempPathFactory) -> None:
    for name in (
        "DATABASE_URL",
        "DATABASE_READ_URLS",
        "REDIS_URL",
        "REDIS_HOST",
        "REDIS_CLUSTER_NODES",
        "ENVIRONMENT",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_cluster_nodes_and_read_urls_come_from_comma_separated_env(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REDIS_CLUSTER_NODES", "10.0.0.1:7000, 10.0.0.2:7001")
    monkeypatch.setenv(
        "DATABASE_READ_URLS",
        "postgresql+asyncpg://app@replica-1/app,postgresql+asyncpg://app@replica-2/app",
    )
    settings = Settings()
    assert settings.redis_cluster_nodes == ["10.0.0.1:7000", "10.0.0.2:7001"]
    assert settings.database_read_urls == [
        "postgresql+asyncpg://app@replica-1/app",
        "postgresql+asyncpg://app@replica-2/app",
    ]
    assert settings.uses_redis


@pytest.mark.parametrize("bad", ["10.0.0.1", "10.0.0.1:http", ":7000", "host:70000"])
def test_a_cluster_node_must_be_host_and_port(bad: str) -> None:
    with pytest.raises(ValidationError, match="REDIS_CLUSTER_NODES"):
        Settings(redis_cluster_nodes=bad)


def test_production_accepts_a_cluster_in_place_of_redis_url() -> None:
    Settings(environment="production", jwt_secret_key=STRONG_SECRET, redis_cluster_nodes="r1:7000")
    with pytest.raises(ValidationError, match="REDIS_CLUSTER_NODES"):
        Settings(environment="production", jwt_secret_key=STRONG_SECRET)


async def test_the_factory_builds_a_cluster_client_only_for_cluster_nodes() -> None:
    cluster = create_redis(Settings(redis_cluster_nodes="127.0.0.1:7000", redis_url="redis://x"))
    plain = create_redis(Settings(redis_url=TEST_REDIS_URL))
    try:
        assert is_cluster(cluster)
        assert plain is not None and not is_cluster(plain)
        assert create_redis(Settings()) is None
    finally:
        for client in (cluster, plain):
            if client is not None:
                await client.aclose()


def test_replicas_need_a_postgresql_primary(tmp_path: pytest.TempPathFactory) -> None:
    with pytest.raises(ValueError, match="PostgreSQL primary"):
        Database(
            f"sqlite+aiosqlite:///{tmp_path}/app.db",
            read_urls=["postgresql+asyncpg://app@replica/app"],
        )
