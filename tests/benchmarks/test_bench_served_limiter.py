"""The served Redis-vs-memory limiter benchmark still runs (tiny run; no timing is asserted)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.benchmarks.databases import drop_database, throwaway_dsn
from tests.services import require

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]


def test_served_limiter_benchmark_runs_and_judges_its_target() -> None:
    if shutil.which("wrk") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("wrk is missing (make tools installs it)")
        pytest.skip("wrk is not installed")
    require("postgres")
    redis_url = require("redis")
    dsn = throwaway_dsn("fastmvc_bench_rl")
    command = [
        sys.executable,
        *("-m", "benchmarks.ratelimit.bench_served"),
        *("--duration", "1", "--rounds", "1", "--rows", "200"),
        *("--dsn", dsn, "--redis-url", redis_url, "--json"),
    ]
    try:
        completed = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
        )
    finally:
        drop_database(dsn)
    assert completed.returncode == 0, completed.stderr[-3000:]
    data = json.loads(completed.stdout.strip().splitlines()[-1])
    for name in ("memory", "redis"):
        assert data[name]["requests"] > 0, data
        assert data[name]["non_2xx"] == 0, data
    ratio = data["redis"]["requests_per_second"] / data["memory"]["requests_per_second"]
    assert data["ratio"] == pytest.approx(ratio)
    verdict = "PASS" if ratio >= 0.85 else "MISS"
    assert f"| {ratio:.3f}x | {verdict} |" in completed.stdout
