"""The metrics-cost benchmark stays runnable and reports what it measured."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "middleware" / "bench_metrics.py"


def test_bench_metrics_reports_both_stacks_and_their_difference() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--batches", "2", "--requests", "50", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["with_metrics_us"] > 0 and report["without_metrics_us"] > 0
    assert report["metrics_cost_us"] == pytest.approx(
        report["with_metrics_us"] - report["without_metrics_us"]
    )
    assert report["batches"] == 2 and report["requests_per_batch"] == 50
