"""``python -m benchmarks.replicas``: GET by id served from a streaming replica vs the primary.

Starts a PostgreSQL primary of its own and a ``pg_basebackup -R`` replica of
it (never the shared server on 5432), seeds ``products`` on the primary and
waits for the replica to replay it. Then one FastMVC server at a time, the
same app and the same wrk run: first with ``DATABASE_URL`` only (reads on the
primary), then with ``DATABASE_READ_URLS`` set to the replica. The replica's
own transaction counter shows that the second run's reads landed there.
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import asyncpg

from benchmarks.crud.apps import DSN_ENV
from benchmarks.crud.seed import create_database
from benchmarks.server import serve
from benchmarks.wrk import ensure_wrk, random_get_script, run_wrk
from tests.support.postgres_replica import ReplicatedPostgres

ROOT = Path(__file__).resolve().parents[2]
FACTORY = "benchmarks.crud.apps:fastmvc_public_app"
DATABASE = "bench"


async def _replayed(primary_dsn: str, replica_dsn: str, timeout: float = 60.0) -> None:
    primary = await asyncpg.connect(primary_dsn)
    try:
        target = await primary.fetchval("SELECT pg_current_wal_lsn()::text")
    finally:
        await primary.close()
    replica = await asyncpg.connect(replica_dsn)
    try:
        deadline = time.monotonic() + timeout
        while not await replica.fetchval(
            "SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn", target
        ):
            if time.monotonic() > deadline:
                raise RuntimeError("the replica did not catch up")
            await asyncio.sleep(0.05)
    finally:
        await replica.close()


async def _transactions(dsn: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        # Statistics reach the view at most about once a second.
        await asyncio.sleep(1.5)
        return int(
            await connection.fetchval(
                "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
            )
        )
    finally:
        await connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=5)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args(argv)

    wrk = ensure_wrk()
    pair = ReplicatedPostgres()
    results: dict[str, Any] = {"rows": args.rows, "connections": args.connections}
    try:
        pair.start()
        primary_dsn = pair.primary.dsn(DATABASE)
        replica_dsn = pair.replica.dsn(DATABASE)
        asyncio.run(create_database(primary_dsn, args.rows))
        asyncio.run(_replayed(primary_dsn, replica_dsn))
        with tempfile.TemporaryDirectory() as scripts:
            script = random_get_script(Path(scripts), "/products", args.rows)
            base_env = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
            runs = {
                "primary": {**base_env, DSN_ENV: primary_dsn},
                "replica": {
                    **base_env,
                    DSN_ENV: primary_dsn,
                    "DATABASE_READ_URLS": pair.replica.url(DATABASE),
                },
            }
            for name, env in runs.items():
                before = asyncio.run(_transactions(replica_dsn))
                with serve(FACTORY, ready_path="/products/1", cwd=ROOT, env=env) as base:
                    run_wrk(wrk, base + "/products/1", duration=1, connections=4)  # warm up
                    measured = run_wrk(
                        wrk,
                        base + "/products/1",
                        duration=args.duration,
                        connections=args.connections,
                        script=script,
                    )
                after = asyncio.run(_transactions(replica_dsn))
                results[name] = {**asdict(measured), "replica_transactions": after - before}
    finally:
        pair.stop()
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
