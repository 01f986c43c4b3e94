"""The limiter benchmark still runs (a tiny count; no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import require

pytestmark = [pytest.mark.redis, pytest.mark.slow]

SCRIPT = Path(__file__).resolve().parents[3] / "benchmarks" / "ratelimit" / "bench_limiter.py"


def test_benchmark_runs_on_a_tiny_count() -> None:
    completed = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            *("--checks", "300", "--concurrency", "5", "--keys", "4"),
            *("--redis-url", require("redis")),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    rows = {line.split()[0]: line.split() for line in completed.stdout.splitlines() if line}
    assert "fastmvc" in rows, completed.stdout
    # 4 keys x 75 hits each, 60 per minute allowed: an exact limiter allows 240.
    allowed_column = 4
    assert rows["fastmvc"][allowed_column] == "240", completed.stdout
    for peer in ("limits", "fastapi-limiter"):
        assert peer in rows, completed.stdout  # measured, or listed as skipped
