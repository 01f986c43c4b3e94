"""Unit tests run on SQLite and memory backends, whatever the developer's shell exports.

A developer of the dev stack has ``DATABASE_URL`` and ``REDIS_URL`` exported;
a unit test that builds ``Settings()`` would otherwise pick them up and share
rate-limit keys, cache entries and tables with everything else on that Redis
and database. The integration tests reach the real services through
``TEST_DATABASE_URL`` and ``TEST_REDIS_URL`` instead (see ``tests/services.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fastmvc.settings import get_settings

SERVICE_VARIABLES = (
    "DATABASE_URL",
    "DATABASE_HOST",
    "DATABASE_READ_URLS",
    "REDIS_URL",
    "REDIS_HOST",
    "ENVIRONMENT",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "PROMETHEUS_MULTIPROC_DIR",
)


@pytest.fixture(autouse=True)
def _no_service_urls_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in SERVICE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
