"""The middleware benchmark still runs (a 1-second smoke run, not a measurement)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).resolve().parents[3] / "benchmarks" / "middleware" / "bench_stack.py"


def test_benchmark_script_runs_and_reports_a_ratio() -> None:
    if shutil.which("wrk") is None and os.environ.get("CI") != "true":
        pytest.skip("wrk is not installed (CI installs it)")
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--duration", "1", "--warmup", "0", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    for name in ("bare", "stack", "stack_granian"):
        result = report[name]
        assert result["requests"] > 0
        assert result["non_2xx"] == 0  # nothing was rate limited or failed
        assert result["requests_per_second"] > 0
        assert 0 < result["p50_ms"] <= result["p99_ms"]
    assert report["ratio"] == pytest.approx(
        report["stack"]["requests_per_second"] / report["bare"]["requests_per_second"]
    )
    assert report["granian_ratio"] == pytest.approx(
        report["stack_granian"]["requests_per_second"] / report["bare"]["requests_per_second"]
    )


PROFILE = SCRIPT.with_name("profile_stack.py")


def test_profile_script_reports_cpu_shares_by_layer() -> None:
    completed = subprocess.run(
        [
            sys.executable,
            str(PROFILE),
            "--batches",
            "1",
            "--requests",
            "50",
            "--profiled",
            "200",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    assert report["bare_us"] > 0
    assert report["stack_us"] > 0
    assert report["ratio"] == pytest.approx(report["bare_us"] / report["stack_us"])
    shares = report["shares"]
    assert sum(shares.values()) == pytest.approx(1.0)
    for layer in ("step rate_limit", "step access_log", "edge runner", "FastAPI inside the edge"):
        assert shares[layer] > 0, layer
