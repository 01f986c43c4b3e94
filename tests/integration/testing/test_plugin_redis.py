"""The plugin on a shared Redis: a test session keys its windows and marks apart, then cleans up.

A project's own test run (a subprocess here, as in a generated project) with
``REDIS_URL`` set and no prefix of its own in the environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from redis.asyncio import Redis

from tests.services import require

pytestmark = pytest.mark.redis

PROJECT_TEST = """
import json
import os
import time
from pathlib import Path

from redis.asyncio import Redis


async def test_keys_go_under_the_session_prefixes(app, client, fastmvc_settings):
    assert (await client.get("/openapi.json")).status_code == 200  # one counted request
    now = time.time()
    await app.state.fastmvc.tokens.store.revoke_subject("1", before=now, until=int(now) + 600)
    redis = Redis.from_url(fastmvc_settings.redis_url)
    try:
        keys = sorted([key.decode() async for key in redis.scan_iter(match="fastmvc-test-*")])
    finally:
        await redis.aclose()
    Path(os.environ["SEEN"]).write_text(json.dumps({
        "rate_limit_prefix": fastmvc_settings.rate_limit_prefix,
        "token_store_prefix": fastmvc_settings.token_store_prefix,
        "keys": keys,
    }))
"""


def run_project_tests(project: Path, env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


async def test_a_session_keys_its_redis_state_under_its_own_prefixes_and_deletes_it(
    tmp_path: Path,
) -> None:
    redis_url = require("redis")
    project = tmp_path / "project"
    project.mkdir()
    (project / "pytest.ini").write_text("[pytest]\nasyncio_mode = auto\n")
    (project / "test_probe.py").write_text(PROJECT_TEST)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "REDIS_", "PYTEST_"))
        and k not in ("RATE_LIMIT_PREFIX", "TOKEN_STORE_PREFIX")
    }
    seen = tmp_path / "seen.json"
    env |= {"REDIS_URL": redis_url, "SEEN": str(seen)}

    run_project_tests(project, env)
    first = json.loads(seen.read_text())
    run_project_tests(project, env)
    second = json.loads(seen.read_text())

    rate_limit, tokens = first["rate_limit_prefix"], first["token_store_prefix"]
    assert rate_limit.startswith("fastmvc-test-") and rate_limit.endswith(":rl")
    assert tokens == rate_limit.removesuffix(":rl") + ":tok"
    # Each session has prefixes of its own.
    assert second["rate_limit_prefix"] != rate_limit
    # The session's request and token mark were stored under them...
    assert f"{rate_limit}:{{ip:127.0.0.1}}:60" in first["keys"]
    assert f"{tokens}:{{u:1}}:before" in first["keys"]
    # ...and none is left once it ended.
    redis = Redis.from_url(redis_url)
    try:
        for prefix in (rate_limit, tokens, second["rate_limit_prefix"]):
            assert [key async for key in redis.scan_iter(match=f"{prefix}:*")] == []
    finally:
        await redis.aclose()
