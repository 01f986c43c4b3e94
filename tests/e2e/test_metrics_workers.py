"""`curl /metrics` on a 2-worker `fastmvc run` shows counts summed over both workers."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.support.serving import cli_env, served_project

pytestmark = pytest.mark.slow

REQUESTS = 120
SCRAPES = 6


def _live_count(exposition: str) -> float:
    match = re.search(
        r'^fastmvc_http_requests_total\{method="GET",route="/health/live",status="200"\} (\S+)$',
        exposition,
        re.MULTILINE,
    )
    assert match, exposition
    return float(match.group(1))


def _fresh_connection_get(url: str) -> int:
    # One connection per request, so the kernel spreads them over the workers.
    return httpx.get(url, timeout=30, headers={"Connection": "close"}).status_code


def test_metrics_are_summed_across_two_workers(shop_project: Path, tmp_path: Path) -> None:
    metrics_dirs = tmp_path / "tmp"
    metrics_dirs.mkdir()
    # fastmvc run makes its PROMETHEUS_MULTIPROC_DIR under TMPDIR: here, to look into it.
    env = cli_env(TMPDIR=str(metrics_dirs))
    with served_project(shop_project, env, tmp_path / "server.log", workers=2) as base:
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(_fresh_connection_get, [f"{base}/health/live"] * REQUESTS))
        assert statuses == [200] * REQUESTS

        (directory,) = metrics_dirs.iterdir()
        assert directory.name.startswith("fastmvc-metrics-")
        counter_pids = {path.stem.rsplit("_", 1)[1] for path in directory.glob("counter_*.db")}
        assert len(counter_pids) == 2, "both workers served requests and wrote their counts"

        scrapes = []
        for _ in range(SCRAPES):
            response = httpx.get(f"{base}/metrics", timeout=30, headers={"Connection": "close"})
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/plain")
            assert "RateLimit" not in response.headers  # never limited
            scrapes.append(response.text)

    # Whichever worker answered the scrape, it reports every worker's requests
    # (plus the one /health/live that waited for the server to come up).
    assert [_live_count(text) for text in scrapes] == [float(REQUESTS + 1)] * SCRAPES
    text = scrapes[-1]
    assert "fastmvc_http_request_duration_seconds_bucket" in text
    assert "fastmvc_db_pool_connections_in_use" in text
    assert 'route="/health/live"' in text
    assert not directory.exists(), "fastmvc run removes its metrics directory on exit"
