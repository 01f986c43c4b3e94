"""The CRUD benchmark still runs end to end (on a tiny dataset; no timing assertions)."""

from __future__ import annotations

import importlib.util
import os
import shutil
from dataclasses import asdict

import pytest

from tests.benchmarks.databases import drop_database, throwaway_dsn

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(900)]


@pytest.fixture
def wrk() -> None:
    if shutil.which("wrk") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("wrk is missing (make tools installs it)")
        pytest.skip("wrk is not installed")
    if importlib.util.find_spec("fastcrud") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("fastcrud is missing (pip install -r benchmarks/requirements.txt)")
        pytest.skip("fastcrud is not installed")


def test_crud_benchmark_runs_on_a_tiny_dataset(wrk: None) -> None:
    from benchmarks.crud import report
    from benchmarks.crud.run import CHANGE_SERVERS, READ_SERVERS, WRITE_SERVERS, Options, run

    dsn = throwaway_dsn("fastmvc_bench")
    options = Options(
        dsn=dsn, rows=200, deep_rows=400, depth=200, duration=1, warmup=0,
        concurrency=(8,), pages=3,
    )  # fmt: skip
    try:
        results = run(options)
    finally:
        drop_database(dsn)

    measured = {(row["scenario"], row["server"]) for row in results.load}
    assert measured == (
        {("a", server) for server in READ_SERVERS}
        | {("b", server) for server in WRITE_SERVERS}
        | {("c", server) for server in WRITE_SERVERS}
        | {(scenario, server) for scenario in "efg" for server in CHANGE_SERVERS}
    )
    for row in results.load:
        assert row["requests"] > 0, row
        assert row["non_2xx"] == 0, row
    assert [row["requests"] for row in results.deep] == [3, 3, 3]
    targets = report.judge(asdict(results))
    names = {target.text.split(":")[0] for target in targets}
    assert {"a, c=8", "b, c=8", "c, c=8", "e, c=8", "f, c=8", "g, c=8", "d"} <= names
    assert all(target.measured != "not measured" for target in targets)
    assert any("| a | 8 | fastmvc |" in line for line in report.markdown(asdict(results)))
