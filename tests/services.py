"""Where the real PostgreSQL and Redis live for the tests, and how to insist on them.

Under ``CI=true`` a missing service fails the run; elsewhere the tests that
need it are skipped with a clear reason.
"""

from __future__ import annotations

import os
import secrets
import socket
from urllib.parse import urlparse

from tests.support.availability import unavailable

POSTGRES_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

# The Redis key prefixes of this test run. tests/conftest.py exports them as
# RATE_LIMIT_PREFIX and TOKEN_STORE_PREFIX, so every app the run builds, in
# process or served, keeps its limiter windows and token marks apart from
# other runs and other suites on the same Redis; the keys are deleted when
# the run ends.
RUN_KEY_PREFIX = f"fastmvc-test-{secrets.token_hex(6)}"
RATE_LIMIT_PREFIX = f"{RUN_KEY_PREFIX}:rl"
TOKEN_STORE_PREFIX = f"{RUN_KEY_PREFIX}:tok"


def _answers(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), 2
        ):
            return True
    except OSError:
        return False


def require(service: str) -> str:
    """Return the URL of ``service`` ("postgres" or "redis"), or skip/fail when it is down."""
    url, port = (POSTGRES_URL, 5432) if service == "postgres" else (REDIS_URL, 6379)
    return require_reachable(url, port)


def require_reachable(url: str, default_port: int) -> str:
    """Return ``url`` when a TCP connection to its host and port succeeds.

    Only "unreachable" (refused, timed out, unknown host) becomes a skip, or a
    failure under ``CI=true``. Whatever goes wrong after the connection opens
    (a bad password, a broken client, a protocol error) is left to raise, so
    it shows up as an error and never hides as a skip.
    """
    if _answers(url, default_port):
        return url
    unavailable(f"nothing answers at {url}")


def delete_run_keys(url: str) -> int:
    """Delete this run's keys (``RUN_KEY_PREFIX``) from the Redis at ``url``; return how many.

    ``SCAN`` and ``DEL`` on the run's own prefix only: the Redis is shared,
    never flushed. A Redis that does not answer is left alone.
    """
    if not _answers(url, 6379):
        return 0
    from redis import Redis

    client = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
    deleted = 0
    try:
        batch: list[bytes] = []
        for key in client.scan_iter(match=f"{RUN_KEY_PREFIX}:*", count=1000):
            batch.append(key)
            if len(batch) == 1000:
                deleted += client.delete(*batch)
                batch.clear()
        if batch:
            deleted += client.delete(*batch)
    finally:
        client.close()
    return deleted
