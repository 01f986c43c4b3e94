"""The GET-by-id profile stays runnable: both apps answer, and the layers add up to the CPU time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.crud.profile_get import APPS, LAYERS, OTHER, layer_of
from tests.benchmarks.databases import drop_database, throwaway_dsn
from tests.services import require

ROOT = Path(__file__).resolve().parents[2]


def test_functions_fall_in_the_layer_of_their_module() -> None:
    assert layer_of("/x/fastmvc/middleware/edge.py", "__call__").startswith("edge steps")
    assert layer_of("/x/fastmvc/ratelimit/memory.py", "hit").startswith("edge steps")
    assert layer_of("/x/fastmvc/repository/fastpath.py", "fetch_one").startswith("FastMVC")
    assert layer_of("/x/site-packages/fastapi/routing.py", "app") == "FastAPI and Starlette"
    assert layer_of("/x/site-packages/asyncpg/connection.py", "fetchrow") == "asyncpg"
    assert layer_of("~", "<method 'send' of '_socket.socket' objects>") == (
        "event loop and sockets"
    )
    assert layer_of("/x/json/encoder.py", "encode") == OTHER


@pytest.mark.postgres
def test_profile_get_reports_both_apps_by_layer() -> None:
    require("postgres")
    # The script drops and recreates this database: a name of its own.
    dsn = throwaway_dsn("fastmvc_profile_get")
    command = [sys.executable, "-m", "benchmarks.crud.profile_get", "--dsn", dsn, "--rows",
               "200", "--batches", "1", "--requests", "30", "--profiled", "30", "--json"]  # fmt: skip
    try:
        done = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
        )
        assert done.returncode == 0, done.stderr[-3000:]
        report = json.loads(done.stdout.strip().splitlines()[-1])
        for app in APPS:
            cpu = report["cpu_us"][app]
            layers = report["layers_us"][app]
            assert cpu > 0
            assert sum(layers.values()) == pytest.approx(cpu)
            assert set(layers) <= {name for name, _ in LAYERS} | {OTHER}
        # FastMVC's own layers show up in its column only.
        edge = LAYERS[0][0]
        assert report["layers_us"]["fastmvc_public_app"][edge] > 0
        assert report["layers_us"]["asyncpg_app"].get(edge, 0.0) == 0.0
    finally:
        drop_database(dsn)
