"""What the Redis limiter costs a served app: GET by id with ``REDIS_URL`` vs the memory limiter.

One FastMVC app (:mod:`benchmarks.ratelimit.apps`), default middleware stack,
rate limiting on with limits no run reaches, served by one uvicorn worker
twice: once with the limiter on its memory backend, once with ``REDIS_URL``
set (the production configuration). wrk loads ``GET /products/{id}`` on
random ids at ``--connections`` (8) connections, the two servers taking turns
for ``--rounds`` rounds; each server's median round is reported.

Target: the Redis app at >= 0.85x the memory app's requests per second.

Usage::

    .venv/bin/python -m benchmarks.ratelimit.bench_served [--duration S] [--rounds R]
        [--connections C] [--rows N] [--dsn DSN] [--redis-url URL] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx

from benchmarks import server
from benchmarks.crud import seed
from benchmarks.ratelimit.apps import DSN_ENV, REDIS_ENV
from benchmarks.wrk import WrkResult, ensure_wrk, random_get_script, run_wrk

__all__ = ["TARGET", "main"]

ROOT = Path(__file__).resolve().parents[2]
APPS = "benchmarks.ratelimit.apps"
SERVERS = {"memory": "memory_app", "redis": "redis_app"}
DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/fastmvc_bench_rl"
TARGET = 0.85


def _server_pid(base_url: str) -> int | None:
    """The pid of the uvicorn process serving ``base_url`` (Linux: read from /proc)."""
    port = base_url.rsplit(":", 1)[1].encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"uvicorn" in argv and b"--port" in argv and argv[argv.index(b"--port") + 1] == port:
            return int(entry.name)
    return None


def _cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of ``pid`` so far (0 when unknown)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _delete_client_keys(redis_url: str, client_ip: str) -> None:
    from redis import Redis

    client = Redis.from_url(redis_url, socket_timeout=5)
    try:
        client.delete(*(f"fastmvc:rl:{{ip:{client_ip}}}:{window}" for window in (60, 3600)))
    finally:
        client.close()


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Seed, serve both apps, load them in turns; the figures as a dict."""
    wrk = ensure_wrk()
    asyncio.run(seed.create_database(args.dsn, args.rows))
    env = {**os.environ, DSN_ENV: args.dsn, REDIS_ENV: args.redis_url}
    # A client address of this run's own (a benchmarking range), sent through
    # the trusted X-Forwarded-For: its limiter keys meet no other user's.
    client_ip = f"198.18.{random.randrange(256)}.{random.randrange(1, 255)}"
    headers = {"X-Forwarded-For": client_ip}
    rounds: dict[str, list[WrkResult]] = {name: [] for name in SERVERS}
    cpu_us: dict[str, list[float]] = {name: [] for name in SERVERS}
    try:
        with (
            tempfile.TemporaryDirectory() as scripts,
            server.serve(f"{APPS}:{SERVERS['memory']}", ready_path="/openapi.json", cwd=ROOT,
                         env=env, workers=1) as memory,
            server.serve(f"{APPS}:{SERVERS['redis']}", ready_path="/openapi.json", cwd=ROOT,
                         env=env, workers=1) as redis,
        ):  # fmt: skip
            bases = {"memory": memory, "redis": redis}
            script = random_get_script(Path(scripts), "/products", args.rows)
            for name, base in bases.items():
                answer = httpx.get(base + "/products/1", headers=headers, timeout=10)
                if answer.status_code != 200 or "RateLimit" not in answer.headers:
                    raise RuntimeError(f"{name}: GET /products/1 answered {answer.status_code}")
                run_wrk(wrk, base + "/products", duration=1, connections=args.connections,
                        script=script, headers=headers)  # fmt: skip
            pids = {name: _server_pid(base) for name, base in bases.items()}
            for index in range(args.rounds):
                order = list(bases) if index % 2 == 0 else list(reversed(bases))
                for name in order:
                    before = _cpu_seconds(pids[name])
                    result = run_wrk(
                        wrk,
                        bases[name] + "/products",
                        duration=args.duration,
                        connections=args.connections,
                        script=script,
                        headers=headers,
                    )
                    spent = _cpu_seconds(pids[name]) - before
                    rounds[name].append(result)
                    cpu_us[name].append(spent / max(1, result.requests) * 1e6)  # fmt: skip
    finally:
        _delete_client_keys(args.redis_url, client_ip)
    medians = {
        name: sorted(results, key=lambda r: r.requests_per_second)[len(results) // 2]
        for name, results in rounds.items()
    }
    ratios = [
        redis.requests_per_second / memory.requests_per_second
        for memory, redis in zip(rounds["memory"], rounds["redis"], strict=True)
    ]
    ratio = medians["redis"].requests_per_second / medians["memory"].requests_per_second
    cpu = {name: statistics.median(values) for name, values in cpu_us.items()}
    return {
        "cpu_us_per_request": cpu,
        "cpu_ratio": cpu["memory"] / cpu["redis"] if cpu["redis"] else None,
        "connections": args.connections,
        "duration": args.duration,
        "rounds": args.rounds,
        "rows": args.rows,
        "memory": asdict(medians["memory"]),
        "redis": asdict(medians["redis"]),
        "ratio": ratio,
        "round_ratios": ratios,
        "median_round_ratio": statistics.median(ratios),
        "target": TARGET,
        "passed": ratio >= TARGET,
        "load_average": list(os.getloadavg()),
        "commands": [
            " ".join(server.uvicorn_command(f"{APPS}:{factory}", 0)).replace(" 0 ", " PORT ")
            for factory in SERVERS.values()
        ],
    }


def markdown(data: dict[str, Any]) -> list[str]:
    """The figures as Markdown: the table, then a Targets table."""
    lines = [
        f"One FastMVC app (default stack, limiter on, limits never reached), PostgreSQL, "
        f"{data['rows']:,} products, one uvicorn worker per server; wrk "
        f"`-t1 -c{data['connections']} -d{data['duration']:g}s` on random ids, "
        f"the servers in turns, median of {data['rounds']} rounds. Load average at the end: "
        + ", ".join(f"{value:.2f}" for value in data["load_average"])
        + ".",
        "",
        "| GET /products/{id}, limiter on | req/s | p50 ms | p99 ms | non-2xx "
        "| app CPU µs/request |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, label in (("memory", "memory backend"), ("redis", "`REDIS_URL` set")):
        row = data[name]
        lines.append(
            f"| {label} | {row['requests_per_second']:,.0f} | {row['p50_ms']:.2f} "
            f"| {row['p99_ms']:.2f} | {row['non_2xx']} | {data['cpu_us_per_request'][name]:.0f} |"
        )
    per_round = ", ".join(f"{ratio:.3f}" for ratio in data["round_ratios"])
    lines += [
        "",
        f"Per-round ratios redis/memory: {per_round}.",
    ]
    if data["cpu_ratio"] is not None:
        lines += [
            "",
            "App CPU per request (the uvicorn process's user + system time over each run, "
            "median of the rounds; Redis's own CPU not included) is steadier than req/s on a "
            f"shared machine: memory/redis = {data['cpu_ratio']:.3f}.",
        ]
    lines += [
        "",
        "### Targets",
        "",
        "| target | measured | result |",
        "|---|---|---|",
        f"| Redis limiter: GET by id with `REDIS_URL` >= {data['target']}x the memory limiter "
        f"(c={data['connections']}) | {data['ratio']:.3f}x | "
        f"{'PASS' if data['passed'] else 'MISS'} |",
    ]
    return lines


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; each server's median")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rows", type=int, default=10_000, help="products seeded")
    parser.add_argument("--dsn", default=DEFAULT_DSN, help="database to (re)create and seed")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        help="the Redis the second server uses (only this run's client keys are touched)",
    )
    parser.add_argument("--json", action="store_true", help="end with the figures as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its report."""
    args = parse_args(argv)
    data = measure(args)
    print("\n".join(markdown(data)))
    if args.json:
        print(json.dumps(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
